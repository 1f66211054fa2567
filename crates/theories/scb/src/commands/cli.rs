//! SCB's subcommands on the command line (`scb train`, `scb bench-grad`, `scb bench-limits`)
//! and its figures (`scb figure attention`, ...): their flags, which also write their help,
//! and what each runs. The harness's command line takes them through [`COMMANDS`].

use super::{bench, figures, train};
use crate::learners::{LearnerConfig, Overrides, SoftmaxConfig, NAMES};
use crate::train::{RunConfig, TrainSpec};
use clap::{Args, Subcommand};
use scb_harness::claims::Claim;
use scb_harness::commands::theory::{parsed, TheoryCommands};
use scb_harness::config::Validate;
use scb_harness::Result;
use std::path::PathBuf;

/// SCB's commands, for the list a binary hands the command line.
pub static COMMANDS: Scb = Scb;

/// SCB's subcommands and figures.
pub struct Scb;

#[derive(Subcommand)]
enum Cmd {
    /// Train one model and write run.json, history.csv, convergence.svg and .npy parameters.
    #[command(display_order = 10)]
    Train {
        #[command(flatten)]
        args: TrainArgs,
        /// Start a run even if it is estimated to take more than 7 days.
        #[arg(long)]
        force: bool,
    },
    /// Time one batch gradient (one thread) and write it with its inputs for benches/baseline_numpy.py.
    #[command(display_order = 90)]
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
    /// Measure this core's limits for the speed table: f64 FMA peak at the widest vectors it has (and at 256 bits), a large matrix product's rate, and the generator's nanoseconds per word (JSON).
    #[command(display_order = 91)]
    BenchLimits,
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
    /// One learner on the exact population gradients against sampled runs at several batch sizes, by step: is a slow phase the dynamics or the noise?
    PopulationVsSampled {
        #[command(flatten)]
        common: TrainArgs,
        /// Batch sizes of the sampled runs.
        #[arg(long, value_delimiter = ',', default_values_t = vec![64, 512, 4096])]
        batches: Vec<usize>,
        /// Steps of every run.
        #[arg(long, default_value_t = 300)]
        steps: u64,
    },
    /// Attention and value heatmaps of ScbProx and the softmax model next to the truth, and their loss curves (defaults: N=16, T=32, Q=2, 10^6 samples).
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
    /// The learner.
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
    /// Step on the exact population gradients instead of sampled batches (deterministic, no noise; samples count batch per step).
    #[arg(long)]
    population: bool,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
}

impl TrainArgs {
    fn spec(&self, default_samples: u64) -> Result<TrainSpec> {
        let mut spec = match &self.config {
            Some(p) => train::read_train_spec(p)?,
            None => {
                TrainSpec { task: Default::default(), run: RunConfig { samples: default_samples, ..Default::default() }, algorithm: LearnerConfig::default() }
            }
        };
        if let Some(name) = &self.algorithm {
            if name != spec.algorithm.name() {
                spec.algorithm = LearnerConfig::named(name)?;
            }
        }
        spec.algorithm.apply(&Overrides { lr: self.lr, eta: self.eta })?;
        let t = &mut spec.task;
        t.n = self.n.unwrap_or(t.n);
        t.t = self.t.unwrap_or(t.t);
        t.q = self.q.unwrap_or(t.q);
        t.alpha = self.alpha.unwrap_or(t.alpha);
        let r = &mut spec.run;
        r.samples = self.samples.unwrap_or(r.samples);
        r.batch = self.batch.unwrap_or(r.batch);
        r.seed = self.seed.unwrap_or(r.seed);
        r.population |= self.population;
        spec.validate()?;
        Ok(spec)
    }
}

impl TheoryCommands for Scb {
    fn add(&self, cli: clap::Command) -> clap::Command {
        // The learners' list changes as SCB grows, so the help takes it from the list itself.
        let learners = NAMES.join(", ");
        Cmd::augment_subcommands(cli).mut_subcommand("train", |c| c.mut_arg("algorithm", |a| a.help(format!("The learner: {learners}"))))
    }

    fn add_figures(&self, figure: clap::Command) -> clap::Command {
        Figure::augment_subcommands(figure)
    }

    fn run(&self, cli: &clap::ArgMatches, _: &[&dyn Claim]) -> Option<Result<u8>> {
        parsed(cli, run)
    }

    fn figure(&self, figure: &clap::ArgMatches) -> Option<Result<u8>> {
        parsed(figure, draw)
    }
}

fn run(cmd: Cmd) -> Result<u8> {
    match cmd {
        Cmd::BenchGrad { n, t, b, reps, out } => {
            let sps = bench::bench_grad(n, t, b, reps.max(1), &out)?;
            scb_harness::show!("N={n} T={t} B={b}: {sps:.0} samples/s (one thread) -> {}", out.display());
        }
        Cmd::BenchLimits => {
            let l = bench::limits();
            scb_harness::show!("{}", serde_json::to_string(&l).map_err(|e| scb_harness::Error::Other(e.to_string()))?);
        }
        Cmd::Train { args, force } => {
            let spec = args.spec(600_000)?;
            let out = train::train(&spec, &args.out, force)?;
            if let Some(last) = out.history.last() {
                scb_harness::show!(
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
        }
    }
    Ok(0)
}

fn draw(figure: Figure) -> Result<u8> {
    match figure {
        Figure::Attention { mut common, softmax_lr } => {
            common.t = common.t.or(Some(32));
            let spec = common.spec(1_000_000)?;
            let softmax = SoftmaxConfig { lr: softmax_lr, ..Default::default() };
            let c = figures::figure_attention(&spec, &softmax, &common.out)?;
            scb_harness::show!(
                "top-Q agreement {:.3}, softmax support {:.3}, Spearman {:.3}, excess loss: ScbProx {:.2e}, softmax {:.2e}",
                c.agree,
                c.support_softmax,
                c.spearman,
                c.excess_prox,
                c.excess_softmax
            );
        }
        Figure::PopulationVsSampled { common, batches, steps } => {
            let spec = common.spec(1_000_000)?;
            for m in figures::figure_population_vs_sampled(&spec, &batches, steps, &common.out)? {
                let diverged = m.diverged_at.map(|s| format!(" (diverged at {s})")).unwrap_or_default();
                scb_harness::show!("{:>16}: after {steps} steps dist_V={:.4} dist_A={:.4}{diverged}", m.label, m.final_dist_v, m.final_dist_a);
            }
        }
        Figure::ProxVsSgd { common, lrs } => {
            let spec = common.spec(1_000_000)?;
            for m in &figures::figure_prox_vs_sgd(&spec, &lrs, &common.out)? {
                let diverged = m.diverged_at.map(|s| format!(" (diverged at {s})")).unwrap_or_default();
                scb_harness::show!("{:>14}: dist_V={:.4} dist_A={:.4}{diverged}", m.label, m.final_dist_v, m.final_dist_a);
            }
        }
    }
    Ok(0)
}
