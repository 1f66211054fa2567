//! `scb figure <result folder>`: a claim's figure redrawn from its `result.json` and trial
//! records alone, in another style or format, without simulating or judging.

use crate::claims::store::{FileStore, Records, Sink, TrialStore};
use crate::claims::{find, Claim};
use crate::error::Result;
use crate::io::Staged;
use crate::report::{FigureOptions, ReportDir};
use std::path::{Path, PathBuf};

/// Redraws the figure of the result in `dir` into `out` (default: `dir` itself), and
/// returns the files written.
pub fn redraw(registry: &[&dyn Claim], dir: &Path, out: Option<&Path>, figures: &FigureOptions) -> Result<Vec<PathBuf>> {
    crate::io::settle(dir);
    let folder = ReportDir::new(dir);
    let result = folder.read_result("folder", "give a folder scb check wrote")?;
    let mut spec = result.spec.clone();
    // A spec read back from a result has no file; what it names beside itself (an external
    // trial's module) is looked for in the result's folder.
    spec.file = Some(dir.join(format!("{}.toml", result.id)));
    spec.recorded = Some(result.quantities.iter().map(|(k, e)| (k.clone(), e.value)).collect());
    let claim = find(registry, &spec)?;
    let prepared = claim.prepare(spec)?;
    // The records the result was judged from: those of the code run.json names (results
    // older than that field were judged from this code's, or cannot be redrawn).
    let info = folder.run();
    let code = info.as_ref().and_then(|i| i.code.clone()).unwrap_or_else(|| prepared.code().to_string());
    let store = AsRecorded { store: folder.store(), config: info.and_then(|i| i.config) };
    let panels = prepared.panels(&store, &code, &result)?;
    let out = out.unwrap_or(dir);
    let mut staged = Staged::begin(out)?;
    crate::report::files::figure(&mut staged, &result, &panels, figures)?;
    let names = staged.names().to_vec();
    staged.commit()?;
    Ok(names.iter().map(|n| out.join(n)).collect())
}

/// A result folder's records read as those of the configuration its run.json names, which
/// may differ from the one the spec gives here: a Python trial's configuration includes its
/// module's code, and a folder redrawn away from the module cannot find it. Read only.
struct AsRecorded {
    store: FileStore,
    config: Option<String>,
}

impl TrialStore for AsRecorded {
    fn load(&self, hash: &str, code: &str, shard: Option<(usize, usize)>) -> Result<Records> {
        self.store.load(self.config.as_deref().unwrap_or(hash), code, shard)
    }
    fn open(&self, _: Option<(usize, usize)>) -> Result<Box<dyn Sink>> {
        Err(crate::Error::Other("a figure is redrawn without simulating a trial".into()))
    }
}
