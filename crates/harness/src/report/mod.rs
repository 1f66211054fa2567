//! Reports: figures drawn from plain data, a claim's files, the summary page, and the
//! reporters that route a run's findings to them and to the console. Nothing here simulates
//! or judges.

pub mod comparison;
pub mod dir;
pub(crate) mod export;
pub mod figure;
pub mod files;
pub(crate) mod html;
pub mod junit;
pub mod reporter;
pub mod style;

pub use dir::{ReportDir, Unread};
pub use figure::{draw, heatmaps, render, Heatmap, Panel, Series};
pub use reporter::{verdict_lines, Console, Files, IndexPage, Reporter, Reports, Transcript};
pub use style::{FigureOptions, Format, Style};
