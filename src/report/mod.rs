//! Reports: figures drawn from plain data, a claim's files, the summary page, and the
//! reporters that route a run's findings to them and to the console. Nothing here simulates
//! or judges.

pub mod comparison;
pub mod figure;
pub(crate) mod files;
pub(crate) mod html;
pub mod junit;
pub mod reporter;

pub use figure::{draw, heatmaps, Heatmap, Panel, Series};
pub use reporter::{verdict_lines, Console, Files, IndexPage, Reporter, Reports, Transcript};
