//! What a spec's intervals are made from. With drawn tasks, the tasks are the units: each
//! quantity is the mean over them of a per-task value, and [`crate::intervals`] makes an
//! interval (or a family's band) from those values by the spec's method. With a fixed task
//! there is one unit, and the trials are resampled instead: a percentile bootstrap that
//! recomputes the claim's estimate on each replicate (a sup-t band for a family), so the
//! interval is conditional on that task.

use crate::intervals::{band, intervals, Judged, Member, Method, Plan};
use crate::stats::{simultaneous, Estimate, Quantities, Replicates};
use std::collections::{BTreeMap, HashMap};

pub(crate) enum Sample {
    /// `x[q][u]`: quantity q's value in task u (a log where `log[q]`: a geometric mean).
    Tasks { names: Vec<String>, index: HashMap<String, usize>, x: Vec<Vec<f64>>, log: Vec<bool>, plan: Plan, method: Method },
    /// A fixed task's trials, resampled: each quantity's percentile interval and replicates.
    Trials { estimates: BTreeMap<String, Estimate>, reps: Replicates },
}

impl Sample {
    /// From per-task quantities (`per_task[u]`), and the geometric-mean ones among them.
    pub fn tasks(per_task: &[Quantities], log: &dyn Fn(&str) -> bool, plan: Plan, method: Method) -> Sample {
        let mut names: Vec<String> = per_task.iter().flat_map(|q| q.keys().cloned()).collect();
        names.sort();
        names.dedup();
        let x = names.iter().map(|n| per_task.iter().map(|q| q.get(n).copied().unwrap_or(f64::NAN)).collect()).collect();
        let index = names.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
        let log = names.iter().map(|n| log(n)).collect();
        Sample::Tasks { names, index, x, log, plan, method }
    }

    /// Every quantity with its own interval at `level`.
    pub fn estimates(&self, level: f64) -> BTreeMap<String, Estimate> {
        match self {
            Sample::Trials { estimates, .. } => estimates.clone(),
            Sample::Tasks { names, x, .. } => names
                .iter()
                .zip(x)
                .map(|(n, units)| {
                    let j = self.interval(n, level);
                    let undefined = units.iter().filter(|v| !v.is_finite()).count() as f64 / units.len().max(1) as f64;
                    (n.clone(), Estimate { value: j.value, lo: j.lo, hi: j.hi, undefined })
                })
                .collect(),
        }
    }

    /// One quantity's own interval, without its replicates' judgements.
    fn interval(&self, name: &String, level: f64) -> Judged {
        match self {
            Sample::Tasks { index, x, log, plan, method, .. } => match index.get(name) {
                Some(&i) => intervals(&[Member { x: &x[i], log: log[i] }], level, *method, plan).remove(0),
                None => Judged { value: f64::NAN, lo: f64::NAN, hi: f64::NAN, replicates: Vec::new() },
            },
            Sample::Trials { .. } => self.family(std::slice::from_ref(name), level, false).remove(0),
        }
    }

    /// A simultaneous band over the quantities `names` at `level` (on the log scale for a
    /// ratio with a fixed task), each member with its replicates' judgements. A name the
    /// sample lacks is undefined.
    pub fn family(&self, names: &[String], level: f64, ratio: bool) -> Vec<Judged> {
        let missing = || Judged { value: f64::NAN, lo: f64::NAN, hi: f64::NAN, replicates: Vec::new() };
        match self {
            Sample::Tasks { index, x, log, plan, method, .. } => {
                let found: Option<Vec<Member>> = names.iter().map(|n| index.get(n).map(|&i| Member { x: &x[i], log: log[i] })).collect();
                match found {
                    Some(members) => band(&members, level, *method, plan),
                    None => names.iter().map(|_| missing()).collect(),
                }
            }
            Sample::Trials { estimates, reps } => {
                let (Some(values), Some(r)) = (
                    names.iter().map(|n| estimates.get(n).map(|e| e.value)).collect::<Option<Vec<f64>>>(),
                    names.iter().map(|n| reps.get(n).map(Vec::as_slice)).collect::<Option<Vec<&[f64]>>>(),
                ) else {
                    return names.iter().map(|_| missing()).collect();
                };
                let bands = if names.len() == 1 { vec![estimates[&names[0]].clone()] } else { simultaneous(&values, &r, level, ratio) };
                bands
                    .iter()
                    .zip(&r)
                    .map(|(e, rep)| {
                        // Each replicate judged with the band's own half-widths around it.
                        let (below, above) = (e.value - e.lo, e.hi - e.value);
                        let replicates = if e.value.is_finite() && below.is_finite() && above.is_finite() {
                            rep.iter().map(|v| (*v, v - below, v + above)).collect()
                        } else {
                            Vec::new()
                        };
                        Judged { value: e.value, lo: e.lo, hi: e.hi, replicates }
                    })
                    .collect()
            }
        }
    }

    /// The number of units the intervals rest on: tasks (None with a fixed task's trials).
    pub fn units(&self) -> Option<usize> {
        match self {
            Sample::Tasks { plan, .. } => Some(plan.units),
            Sample::Trials { .. } => None,
        }
    }

    /// How the intervals were made, in words.
    pub fn method(&self) -> String {
        match self {
            Sample::Tasks { method, .. } => method.describe().to_string(),
            Sample::Trials { .. } => "percentile bootstrap over the trials of the fixed task".into(),
        }
    }
}
