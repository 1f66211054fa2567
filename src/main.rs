use clap::{Args, Parser, Subcommand};
use scb::algo::{parse_algorithm_name, AlgoConfig};
use scb::commands;
use scb::train::{RunConfig, TrainSpec};
use scb::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "scb", version, about = "Sparse contextual bigram theory-verification harness")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Train one model and write run.json, history.csv, convergence.svg and .npy parameters.
    Train(TrainArgs),
    /// Check claims against simulation: writes <out>/<claim>/{result.json,<claim>.svg,trials.jsonl}
    /// and <out>/index.html. Exit code 0 if all pass, 1 if one fails, 2 for bad input.
    Check {
        /// stage_one, stage_two, transfer, beats_sgd, all, or a path to a spec .toml.
        #[arg(required = true)]
        claims: Vec<String>,
        /// Run the small grids CI can afford.
        #[arg(long)]
        quick: bool,
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Where the claim specs live.
        #[arg(long, default_value = "theorems")]
        theorems: PathBuf,
        /// Run only slice i of n (1-based, e.g. 3/8) of the trial list; `scb merge` judges.
        #[arg(long, value_parser = parse_shard)]
        shard: Option<(usize, usize)>,
    },
    /// Time one batch gradient (one thread) and write it with its inputs for
    /// benches/baseline_numpy.py.
    BenchGrad {
        #[arg(long, default_value_t = 64)]
        n: usize,
        #[arg(long, default_value_t = 128)]
        t: usize,
        #[arg(long, default_value_t = 1024)]
        b: usize,
        #[arg(long, default_value_t = 50)]
        reps: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure this core's limits for the speed table: f64 FMA peak, a large matrix
    /// product's rate, and the generator's nanoseconds per 64-bit word (JSON on stdout).
    BenchLimits,
    /// Combine the shards' trial records in <out>/<claim> and judge the claim.
    Merge {
        /// The claim's report folder, e.g. reports/stage_one.
        dir: PathBuf,
        /// The shards ran with --quick.
        #[arg(long)]
        quick: bool,
        #[arg(long, default_value = "theorems")]
        theorems: PathBuf,
    },
    /// Draw one of the paper-style figures.
    Figure {
        #[command(subcommand)]
        which: Figure,
    },
}

#[derive(Subcommand)]
enum Figure {
    /// ScbProx against an SGD learning-rate sweep, same task and batches.
    ProxVsSgd {
        #[command(flatten)]
        common: TrainArgs,
        /// SGD learning rates to sweep.
        #[arg(long, value_delimiter = ',', default_values_t = vec![0.5, 1.0, 2.0, 4.0, 5.0, 6.0, 8.0])]
        lrs: Vec<f64>,
    },
    /// Attention and value heatmaps of ScbProx and the softmax model next to the truth, and
    /// their loss curves (defaults: N=16, T=32, Q=2, 10^6 samples).
    Attention {
        #[command(flatten)]
        common: TrainArgs,
        /// Learning rate of the softmax model (Adam).
        #[arg(long, default_value_t = 0.01)]
        softmax_lr: f64,
    },
}

#[derive(Args, Clone)]
struct TrainArgs {
    /// TOML file with [task], [run] and [algorithm] tables; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Vocabulary size N (>= 2).
    #[arg(long)]
    n: Option<usize>,
    /// Context length T.
    #[arg(long)]
    t: Option<usize>,
    /// Sparsity Q (1..=T).
    #[arg(long)]
    q: Option<usize>,
    /// Dirichlet concentration of P's columns (> 0).
    #[arg(long)]
    alpha: Option<f64>,
    /// scb-prox, sgd or softmax.
    #[arg(long)]
    algorithm: Option<String>,
    /// Learning rate of sgd and softmax.
    #[arg(long)]
    lr: Option<f64>,
    /// ScbProx step size (0, 1].
    #[arg(long)]
    eta: Option<f64>,
    /// Fresh samples to draw in total.
    #[arg(long)]
    samples: Option<u64>,
    /// Samples per step.
    #[arg(long)]
    batch: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
}

impl TrainArgs {
    fn spec(&self, default_samples: u64) -> Result<TrainSpec> {
        let mut spec = match &self.config {
            Some(p) => commands::read_train_spec(p)?,
            None => TrainSpec {
                task: Default::default(),
                run: RunConfig { samples: default_samples, ..Default::default() },
                algorithm: parse_algorithm_name("scb-prox")?,
            },
        };
        if let Some(name) = &self.algorithm {
            if name != spec.algorithm.name() {
                spec.algorithm = parse_algorithm_name(name)?;
            }
        }
        let t = &mut spec.task;
        t.n = self.n.unwrap_or(t.n);
        t.t = self.t.unwrap_or(t.t);
        t.q = self.q.unwrap_or(t.q);
        t.alpha = self.alpha.unwrap_or(t.alpha);
        let r = &mut spec.run;
        r.samples = self.samples.unwrap_or(r.samples);
        r.batch = self.batch.unwrap_or(r.batch);
        r.seed = self.seed.unwrap_or(r.seed);
        match &mut spec.algorithm {
            AlgoConfig::Sgd(c) => {
                c.lr = self.lr.unwrap_or(c.lr);
                if self.eta.is_some() {
                    return Err(scb::error::invalid("eta", "applies to --algorithm scb-prox only; SGD takes --lr"));
                }
            }
            AlgoConfig::Softmax(c) => {
                c.lr = self.lr.unwrap_or(c.lr);
                if self.eta.is_some() {
                    return Err(scb::error::invalid("eta", "applies to --algorithm scb-prox only; softmax takes --lr"));
                }
            }
            AlgoConfig::ScbProx(c) => {
                c.eta = self.eta.unwrap_or(c.eta);
                if self.lr.is_some() {
                    return Err(scb::error::invalid("lr", "applies to --algorithm sgd only; ScbProx takes --eta"));
                }
            }
        }
        spec.validate()?;
        Ok(spec)
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::BenchGrad { n, t, b, reps, out } => {
            let sps = scb::bench::bench_grad(n, t, b, reps.max(1), &out)?;
            eprintln!("N={n} T={t} B={b}: {sps:.0} samples/s (one thread) -> {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::BenchLimits => {
            let l = scb::bench::limits();
            println!("{}", serde_json::to_string(&l).map_err(|e| scb::Error::Other(e.to_string()))?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Merge { dir, quick, theorems } => {
            let pass = commands::merge(&dir, &theorems, quick)?;
            Ok(if pass { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Cmd::Check { claims, quick, out, theorems, shard } => {
            let opts = scb::claims::runner::Options { quick, out, progress: true, shard };
            let pass = commands::check(&claims, &theorems, &opts)?;
            Ok(if pass { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Cmd::Train(args) => {
            let spec = args.spec(600_000)?;
            let out = commands::train(&spec, &args.out)?;
            if let Some(last) = out.history.last() {
                eprintln!(
                    "{}: {} samples, dist_V={:.4} dist_A={:.4} corr_V={:.4} corr_A={:.4}{} -> {}",
                    spec.algorithm.name(),
                    last.samples,
                    last.snap.dist_v,
                    last.snap.dist_a,
                    last.snap.corr_v,
                    last.snap.corr_a,
                    out.diverged_at.map(|s| format!(" (diverged at {s})")).unwrap_or_default(),
                    args.out.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Figure { which: Figure::Attention { mut common, softmax_lr } } => {
            common.t = common.t.or(Some(32));
            let spec = common.spec(1_000_000)?;
            let softmax = scb::algo::SoftmaxConfig { lr: softmax_lr, ..Default::default() };
            let c = commands::figure_attention(&spec, &softmax, &common.out)?;
            eprintln!(
                "top-Q agreement {:.3}, softmax support {:.3}, Spearman {:.3}, excess loss: ScbProx {:.2e}, softmax {:.2e}",
                c.agree, c.support_softmax, c.spearman, c.excess_prox, c.excess_softmax
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Figure { which: Figure::ProxVsSgd { common, lrs } } => {
            let spec = common.spec(1_000_000)?;
            let res = commands::figure_prox_vs_sgd(&spec, &lrs, &common.out)?;
            for m in &res {
                eprintln!(
                    "{:>14}: dist_V={:.4} dist_A={:.4}{}",
                    m.label,
                    m.final_dist_v,
                    m.final_dist_a,
                    m.diverged_at.map(|s| format!(" (diverged at {s})")).unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn parse_shard(s: &str) -> std::result::Result<(usize, usize), String> {
    let bad = || format!("must be i/n with 1 <= i <= n (got {s:?})");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if i >= 1 && i <= n {
        Ok((i, n))
    } else {
        Err(bad())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}
