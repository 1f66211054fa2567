//! A checked claim's folder: `result.json`, `quantities.csv` and `<id>.svg`, staged and moved
//! into place together, so a folder never holds a half-written result.

use super::figure::{draw, Panel};
use crate::error::Result;
use crate::io::Staged;
use crate::result::ClaimResult;
use std::path::Path;

pub fn write_claim(dir: &Path, result: &ClaimResult, panels: &[Panel], run: &crate::result::RunInfo) -> Result<()> {
    let mut staged = Staged::begin(dir)?;
    staged.json("result.json", result)?;
    staged.json("run.json", run)?;
    staged.write("quantities.csv", quantities_csv(result).as_bytes())?;
    let svg = format!("{}.svg", result.id);
    draw(&staged.path(&svg), &result.title(), panels)?;
    staged.written(&svg);
    staged.commit()
}

/// Every quantity with its interval, one row each, for pandas.
pub fn quantities_csv(r: &ClaimResult) -> String {
    let mut s = String::from("quantity,value,lo,hi,undefined\n");
    for (k, e) in &r.quantities {
        s += &format!("\"{k}\",{:e},{:e},{:e},{}\n", e.value, e.lo, e.hi, e.undefined);
    }
    s
}
