//! The known-truth theory's subcommand, `scb known-truth`: its flags, which also write its
//! help, and the matrix it runs ([`super::matrix`]). The harness's command line takes it
//! through [`COMMANDS`].

use super::matrix::{markdown, run, MatrixOptions};
use clap::Subcommand;
use scb_harness::claims::Claim;
use scb_harness::commands::cli::parse_method;
use scb_harness::commands::theory::{parsed, TheoryCommands};
use scb_harness::intervals::Method;
use scb_harness::Result;
use std::path::PathBuf;

/// The known-truth theory's commands, for the list a binary hands the command line.
pub static COMMANDS: Known = Known;

/// The known-truth theory's subcommand.
pub struct Known;

#[derive(Subcommand)]
enum Cmd {
    /// The known-truth matrix: calibrate every design in theorems/known/ (scripts/known_matrix.py writes them) with each interval method, and tabulate coverage and one-sided failure at the truth per law, tasks and band; writes <out>/matrix.json and matrix.md.
    #[command(display_order = 40)]
    KnownTruth {
        /// Master seeds per design.
        #[arg(long, default_value_t = 1000)]
        seeds: usize,
        /// Interval methods to calibrate, comma-separated; the summary also takes every method calibrated earlier into --out, so `--methods` alone only summarises.
        #[arg(long, value_delimiter = ',', value_parser = parse_method, num_args = 0.., default_value = "studentized,t,percentile")]
        methods: Vec<Method>,
        #[arg(long, default_value = "theorems/known")]
        theorems: PathBuf,
        #[arg(long, default_value = "reports/known-truth")]
        out: PathBuf,
    },
}

impl TheoryCommands for Known {
    fn add(&self, cli: clap::Command) -> clap::Command {
        Cmd::augment_subcommands(cli)
    }

    fn run(&self, cli: &clap::ArgMatches, registry: &[&dyn Claim]) -> Option<Result<u8>> {
        parsed(cli, |Cmd::KnownTruth { seeds, methods, theorems, out }| {
            let opts = MatrixOptions { seeds, methods, theorems, out, progress: true };
            let m = run(registry, &opts)?;
            scb_harness::show!("{}", markdown(&m).trim_end());
            scb_harness::say!("wrote {} and matrix.md", opts.out.join("matrix.json").display());
            // The reports folder's summary page shows the matrix beside the claims.
            if let Some(parent) = opts.out.parent().filter(|p| p.join("index.html").is_file()) {
                if scb_harness::commands::check::write_index(registry, parent).is_err() {
                    scb_harness::say!("warning: {} not rewritten", parent.join("index.html").display());
                }
            }
            Ok(0)
        })
    }
}
