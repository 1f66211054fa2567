//! The `scb` command line: one list of subcommands and flags (clap's derive) that also
//! writes the help text, and what each subcommand runs. It lives in the library so that
//! the binary (`src/main.rs`) and the Python package's `scb` command are the same program.
//! It names no theory: a theory's claims come in a registry, and its own subcommands
//! (SCB's `train`) as [`TheoryCommands`], both handed over by the binary's wiring.

use crate::claims::Claim;
use crate::commands::calibrate::{CalibrateOptions, Part};
use crate::commands::theory::TheoryCommands;
use crate::commands::{self, check::CheckOptions};
use crate::plan::Budget;
use crate::Result;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "scb", version, about = "Theory-verification harness for one-layer transformers: claims checked against simulation")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check claims against simulation: writes <out>/<id>/{result.json,<id>.svg,trials.jsonl} and <out>/index.html, and compares every result with the accepted baseline.
    #[command(display_order = 20)]
    Check {
        /// Spec ids in --theorems, `all`, or paths to spec .toml files.
        #[arg(required = true)]
        specs: Vec<String>,
        /// Run the small grids CI can afford.
        #[arg(long)]
        quick: bool,
        /// Where the run is written [default: reports/new, or reports/quick/new with --quick, a working folder git ignores].
        #[arg(long)]
        out: Option<PathBuf>,
        /// The accepted results to compare with [default: reports, or reports/quick with --quick, unless --out is given].
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Where the spec files live.
        #[arg(long, default_value = "theorems")]
        theorems: PathBuf,
        /// Run only slice i of n (1-based, e.g. 3/8) of the trial list; `scb merge` judges.
        #[arg(long, value_parser = parse_shard)]
        shard: Option<(usize, usize)>,
        /// Discard a result (and its records) of the other grid or another configuration in the same folder, instead of refusing.
        #[arg(long)]
        replace: bool,
        /// Run a spec of more than a million trials (points x tasks x trials), which is refused without it.
        #[arg(long)]
        force: bool,
        /// Also write the verdicts as JUnit XML to this file: a case per spec verdict and per check, failed where the data contradict the spec, skipped where undecided.
        #[arg(long)]
        junit: Option<PathBuf>,
        #[command(flatten)]
        figures: FigureArgs,
    },
    /// Measure each spec's operating characteristics: rerun it under K master seeds and report, per check, how often it reaches its expected verdict (stability) and rejects its planted deviation (power); writes <out>/<id>/calibration.json (calibration-quick.json with --quick).
    #[command(display_order = 30)]
    Calibrate {
        /// Spec ids in --theorems, `all`, or paths to spec .toml files.
        #[arg(required = true)]
        specs: Vec<String>,
        /// Master seeds to rerun each spec under.
        #[arg(long, default_value_t = 20)]
        seeds: usize,
        /// Calibrate the quick grids.
        #[arg(long)]
        quick: bool,
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        #[arg(long, default_value = "theorems")]
        theorems: PathBuf,
        /// Calibrate every spec with drawn tasks as if it named this interval method (studentized, t or percentile): a study of the methods, as the known-truth matrix in docs/theory.md is.
        #[arg(long, value_parser = parse_method)]
        interval: Option<crate::intervals::Method>,
        /// Run only shard i of K (1-based, e.g. 3/8) of the seeds: seeds i, i+K, ...; a cluster's array task each runs one, and `--merge` judges.
        #[arg(long, value_parser = parse_shard, conflicts_with = "merge")]
        shard: Option<(usize, usize)>,
        /// Run no seed: write each spec's calibration from the seeds its shards finished, refusing while a shard lacks one.
        #[arg(long)]
        merge: bool,
    },
    /// Make a run the baseline: move each spec's results from the run folder into the baseline folder (as `cargo insta accept` does), and rewrite its index.html.
    #[command(display_order = 50)]
    Accept {
        /// Spec ids to accept [default: every result in --from].
        specs: Vec<String>,
        /// Accept quick-grid results (default folders reports/quick/new -> reports/quick).
        #[arg(long)]
        quick: bool,
        /// The run folder [default: reports/new, or reports/quick/new with --quick].
        #[arg(long)]
        from: Option<PathBuf>,
        /// The baseline folder [default: reports, or reports/quick with --quick].
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// Combine the shards' trial records in <out>/<id> and judge the spec.
    #[command(display_order = 60)]
    Merge {
        /// The spec's report folder, e.g. reports/stage_one.
        dir: PathBuf,
        /// The shards ran with --quick.
        #[arg(long)]
        quick: bool,
        #[arg(long, default_value = "theorems")]
        theorems: PathBuf,
        /// Simulate trials that no shard recorded on this machine, instead of refusing.
        #[arg(long)]
        finish_locally: bool,
    },
    /// Submit specs to SLURM: a job array of shards per spec and a merge job after it.
    #[command(display_order = 70)]
    Submit {
        /// Spec ids in --theorems, `all`, or paths to spec .toml files.
        #[arg(required = true)]
        specs: Vec<String>,
        /// Array tasks per spec (each runs one shard).
        #[arg(long)]
        shards: usize,
        /// Run the small grids.
        #[arg(long)]
        quick: bool,
        /// SLURM partition.
        #[arg(long)]
        partition: Option<String>,
        /// Time limit per task, in SLURM's format (30, 2:00:00, 1-00:00:00).
        #[arg(long)]
        time: Option<String>,
        /// CPUs per task (also the task's thread count).
        #[arg(long)]
        cpus: Option<usize>,
        /// Print the scripts; submit nothing.
        #[arg(long)]
        dry_run: bool,
        /// The reports root, on a file system every node shares [default: reports/new, or reports/quick/new with --quick, the working folders `scb accept` takes a run from].
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "theorems")]
        theorems: PathBuf,
        /// Submit the specs' calibration over this many master seeds instead of their checks: one array whose task i runs `scb calibrate --shard i/<shards>`, then `scb calibrate --merge` (--out defaults to reports, as calibrate's does).
        #[arg(long, value_name = "SEEDS")]
        calibrate: Option<usize>,
        /// At most this many tasks per SLURM array; more shards go into several arrays, each told where its shards start, and the merge waits for all of them [default: the cluster's MaxArraySize less one].
        #[arg(long, value_name = "N")]
        max_array: Option<usize>,
    },
    /// Redraw a checked claim's figure from its result.json and trial records, without simulating (`scb figure reports/stage_one --style paper --format pdf`), or draw one of the paper-style figures (`scb figure attention ...`).
    // A theory's figures are its subcommands (`TheoryCommands::add_figures`).
    #[command(display_order = 80, args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Figure {
        /// A result folder that scb check wrote, e.g. reports/stage_one.
        #[arg(required = true)]
        folder: Option<PathBuf>,
        /// Where to write the figure's files [default: the result folder].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        figures: FigureArgs,
    },
}

/// How a claim's figure is drawn and written.
#[derive(Args, Clone)]
struct FigureArgs {
    /// The figure's layout: screen (the reports' size), paper (one column of a two-column paper: 3.25 in wide, panels stacked, text at 8-9 pt), paper-wide (the page's width: 6.75 in, panels side by side, text at 8-9 pt) or slides (16:9, 13.33 x 7.5 in).
    #[arg(long, default_value = "screen")]
    style: String,
    /// The figure's files, a comma-separated list of svg, pdf (vector, its font embedded) and png. Each panel's data is written as <id>-panel<k>.csv as well.
    #[arg(long, default_value = "svg,pdf,png")]
    format: String,
}

impl FigureArgs {
    fn options(&self) -> Result<crate::report::FigureOptions> {
        crate::report::FigureOptions::parse(&self.style, &self.format)
    }
}

/// What `check`, `merge` and `calibrate` exit with.
const EXIT_CODES: &str = "Exit codes: 0 every verdict is the one its spec expects; 1 the data contradict a spec's expectation (a check fails, or a quantity is undefined); 5 none is contradicted, but some check is undecided (its interval lies across a one-sided bound: more trials or tasks may decide); 7 every verdict is as expected, but some spec changed from its baseline (a quantity moved beyond noise, or a verdict flipped); 2 bad input; 3 a read or write failed; 4 an internal fault; 6 a trial's own code failed (an external trial raised, or returned what is not a dict of finite numbers); 130 interrupted.";

fn run(cli: Cli, registry: &[&dyn Claim]) -> Result<u8> {
    match cli.cmd {
        Cmd::Merge { dir, quick, theorems, finish_locally } => {
            let checked = commands::check::merge(registry, &dir, &theorems, Budget::from_flag(quick), finish_locally)?;
            crate::show!("{}", checked.summary(dir.parent().unwrap_or(std::path::Path::new("."))));
            Ok(checked.exit_code())
        }
        Cmd::Submit { specs, shards, quick, partition, time, cpus, dry_run, out, theorems, calibrate, max_array } => {
            let budget = Budget::from_flag(quick);
            let out = out.unwrap_or_else(|| if calibrate.is_some() { "reports".into() } else { commands::check::default_folders(budget).0 });
            submit(registry, &specs, &commands::submit::SubmitOptions { shards, budget, partition, time, cpus, dry_run, out, theorems, calibrate, max_array })
        }
        Cmd::Calibrate { specs, seeds, quick, out, theorems, interval, shard, merge } => {
            let opts = CalibrateOptions { budget: Budget::from_flag(quick), seeds, out, theorems, progress: true, interval };
            let part = match (shard, merge) {
                (Some((i, n)), _) => Part::Shard(i, n),
                (None, true) => Part::Merge,
                (None, false) => Part::Whole,
            };
            calibrate(registry, &specs, &opts, part)
        }
        Cmd::Accept { specs, quick, from, to } => {
            let budget = Budget::from_flag(quick);
            let (run_dir, base) = commands::check::default_folders(budget);
            let (from, to) = (from.unwrap_or(run_dir), to.unwrap_or(base));
            let ids = commands::accept::accept(registry, &specs, &from, &to, budget)?;
            crate::show!(
                "accepted {} spec{} from {} into the baseline {}: {}",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                from.display(),
                to.display(),
                ids.join(", ")
            );
            Ok(0)
        }
        Cmd::Check { specs, quick, out, baseline, theorems, shard, replace, force, junit, figures } => {
            let figures = figures.options()?;
            let budget = Budget::from_flag(quick);
            let (out, baseline) = commands::check::run_folders(budget, out, baseline)?;
            let opts = CheckOptions { budget, out, theorems, shard, progress: true, replace, baseline, force };
            let mut reporters = crate::report::Reports::with_console(commands::check::claim_ids(registry), Box::new(crate::report::Console), figures);
            if let Some(path) = junit {
                reporters.0.push(Box::new(crate::report::junit::Junit::new(&path)?));
            }
            let checked = commands::check::check_with(registry, &specs, &opts, &reporters)?;
            crate::show!("{}", checked.summary(&opts.out));
            Ok(checked.exit_code())
        }
        Cmd::Figure { folder, out, figures } => {
            let figures = figures.options()?;
            let folder = folder.ok_or_else(|| crate::error::invalid("folder", "give a result folder (e.g. reports/stage_one) or a figure's name"))?;
            for f in commands::figure::redraw(registry, &folder, out.as_deref(), &figures)? {
                crate::show!("{}", f.display());
            }
            Ok(0)
        }
    }
}

/// `scb calibrate`: one shard of the seeds, or the whole calibration (run here or merged
/// from shards), summarised; exits 1 when a spec falls short of the required stability.
fn calibrate(registry: &[&dyn Claim], specs: &[String], opts: &CalibrateOptions, part: Part) -> Result<u8> {
    let cals = commands::calibrate::calibrate_part(registry, specs, opts, part)?;
    let seeds = opts.seeds;
    if let Part::Shard(i, n) = part {
        crate::say!("shard {i}/{n} of {seeds} seeds done; once every shard is, scb calibrate ... --seeds {seeds} --merge writes the calibrations");
        return Ok(0);
    }
    let need = commands::calibrate::required(opts.budget);
    for c in &cals {
        crate::show!("{}", commands::calibrate::describe(c).trim_end());
    }
    let below: Vec<&str> = cals.iter().filter(|c| c.stability() < need).map(|c| c.id.as_str()).collect();
    crate::show!(
        "{} spec(s) calibrated over {seeds} seeds; {} below the required {:.0}%{}",
        cals.len(),
        below.len(),
        100.0 * need,
        if below.is_empty() { String::new() } else { format!(": {}", below.join(", ")) }
    );
    if commands::check::write_index(registry, &opts.out).is_err() {
        crate::say!("warning: index.html not rewritten");
    }
    Ok(if below.is_empty() { 0 } else { 1 })
}

/// `scb submit`: the SLURM jobs submitted (or their scripts printed), and where to watch them.
fn submit(registry: &[&dyn Claim], specs: &[String], opts: &commands::submit::SubmitOptions) -> Result<u8> {
    for s in commands::submit::submit(registry, specs, opts)? {
        let jobs = if s.array.contains(',') { "array jobs" } else { "array job" };
        crate::show!("{}: {jobs} {} ({} shards), merge job {} after it", s.id, s.array, opts.shards, s.merge);
        let (logs, result) = match opts.calibrate {
            Some(_) => (s.dir.clone(), opts.out.join("<id>").join(crate::result::Calibration::file_name(opts.budget))),
            None => (s.dir.join("slurm"), crate::report::ReportDir::new(&s.dir).result_path()),
        };
        crate::say!("  watch: squeue -j {},{}   logs: {}   result: {}", s.array, s.merge, logs.display(), result.display());
    }
    Ok(0)
}

/// An interval method's name, as a flag's value parser reads it (`--interval`, and the
/// known-truth theory's `--methods`).
pub fn parse_method(s: &str) -> std::result::Result<crate::intervals::Method, String> {
    crate::intervals::Method::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
        let names: Vec<&str> = crate::intervals::Method::ALL.iter().map(|m| m.name()).collect();
        format!("must be one of {} (got {s:?})", names.join(", "))
    })
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

/// A command-line error as bad input always is: one line naming the flag, exit 2.
fn one_line(e: clap::Error) -> u8 {
    // clap's message up to its first blank line (the usage and tips follow), joined.
    let text = e.render().to_string();
    let msg: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
    crate::say!("{} (see --help)", msg.join(" "));
    2
}

/// Lets every command take a negative number as a value, so that `--seed -1` is judged by
/// the flag's own range ("invalid value '-1' for '--seed'") instead of read as an unknown flag.
fn negatives(mut c: clap::Command) -> clap::Command {
    let names: Vec<String> = c.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        c = c.mut_subcommand(name, negatives);
    }
    c.allow_negative_numbers(true)
}

/// The command line, with the lists that change as the harness grows written into the help
/// from the registry, and each theory's own subcommands and figures added.
fn command(registry: &[&dyn Claim], theories: &[&dyn TheoryCommands]) -> clap::Command {
    let claims: Vec<String> = registry.iter().map(|c| format!("  {:<14} {}", c.id(), c.about())).collect();
    let mut cli = Cli::command();
    for t in theories {
        cli = t.add(cli).mut_subcommand("figure", |f| t.add_figures(f));
    }
    negatives(cli)
        .mut_subcommand("check", |c| c.after_help(format!("Claims (a spec names one with `claim = \"...\"`):\n{}\n\n{EXIT_CODES}", claims.join("\n"))))
        .mut_subcommand("merge", |c| c.after_help(EXIT_CODES))
        .mut_subcommand("calibrate", |c| c.after_help("Exit codes: 0 every spec reaches its expected verdict on at least the required share of seeds (95% on full grids, 90% on quick ones); 1 some spec falls short; 2 bad input; 3 a read or write failed; 4 an internal fault."))
}

/// The `scb` command line with the claims of `registry` and the subcommands of `theories`,
/// run on `args` (the program's name first, as `std::env::args_os` gives it); returns the
/// exit code. A whole binary is this call with its lists: `scb` is `theories::main`, and
/// so is the `scb` command `pip install` puts on the PATH (the Python package calls it);
/// `examples/coin_theory/` adds a theory from another crate. `signals`: answer Ctrl-C and
/// SIGTERM by cleaning up and exiting 130, which only a process of its own may do (never a
/// notebook's kernel).
pub fn main_with<I, T>(registry: &[&dyn Claim], theories: &[&dyn TheoryCommands], args: I, signals: bool) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    if signals {
        // A signal ends the process without running destructors: remove what is
        // half-written first. Finished trials are whole lines in their records and are kept.
        let _ = ctrlc::set_handler(|| {
            crate::io::clean_up_on_interrupt();
            crate::say!("\ninterrupted: nothing half-written is left; a check keeps its finished trials and resumes when rerun");
            std::process::exit(130);
        });
    }
    let matches = match command(registry, theories).try_get_matches_from(args) {
        Ok(m) => m,
        // --help and --version print and succeed, without ending a host process.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return 0;
        }
        Err(e) => return one_line(e),
    };
    let ran = match matches.subcommand() {
        Some(("figure", figure)) if figure.subcommand_name().is_some() => theories.iter().find_map(|t| t.figure(figure)),
        Some((name, _)) if !Cmd::has_subcommand(name) => theories.iter().find_map(|t| t.run(&matches, registry)),
        _ => match Cli::from_arg_matches(&matches) {
            Ok(cli) => Some(run(cli, registry)),
            Err(e) => return one_line(e),
        },
    };
    // clap accepted only the subcommands the lists added, so one of them ran.
    match ran.unwrap_or_else(|| Err(crate::Error::Other("a subcommand no theory runs".into()))) {
        Ok(code) => code,
        Err(e) => {
            crate::say!("error: {e}");
            if let crate::Error::Trial { traceback: Some(tb), .. } = &e {
                crate::say!("{}", tb.trim_end());
            }
            e.exit_code()
        }
    }
}
