//! Reports: figures drawn from plain data, a claim's files, the summary page. Nothing here
//! simulates or judges.

pub mod figure;
pub mod files;
pub mod html;

pub use figure::{draw, heatmaps, Heatmap, Panel, Series};
