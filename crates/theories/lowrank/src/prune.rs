//! Pruning W_O's neurons by row norm (or at random, as the baseline).

use super::net::Net;
use ndarray::Axis;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// How the rows (neurons) of W_O are chosen for pruning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pruning {
    /// The neurons with the smallest output weights first.
    SmallestFirst,
    /// Neurons in a random order.
    Random,
    /// The neurons with the largest output weights first (the ablation).
    LargestFirst,
}

/// The net with `fraction` of W_O's rows set to zero, chosen by `how` (row norms).
pub fn pruned<R: Rng>(net: &Net, fraction: f64, how: Pruning, rng: &mut R) -> Net {
    let m = net.wo.nrows();
    let count = (fraction * m as f64).round() as usize;
    let norms: Vec<f64> = net.wo.axis_iter(Axis(0)).map(|r| r.dot(&r)).collect();
    let mut order: Vec<usize> = (0..m).collect();
    match how {
        Pruning::SmallestFirst => order.sort_by(|&i, &j| norms[i].total_cmp(&norms[j]).then(i.cmp(&j))),
        Pruning::LargestFirst => order.sort_by(|&i, &j| norms[j].total_cmp(&norms[i]).then(i.cmp(&j))),
        Pruning::Random => {
            for i in (1..m).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
        }
    }
    let mut out = net.clone();
    for &i in &order[..count.min(m)] {
        out.wo.row_mut(i).fill(0.0);
    }
    out
}
