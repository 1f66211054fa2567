//! Deterministic seeding. Every random stream in the harness is named by
//! (seed, stream id), so a trial's numbers never depend on which thread ran it.

use rand::SeedableRng;
/// PCG with a 128-bit multiplicative congruential state and the XSL-RR output: a fixed,
/// published algorithm (rand's `SmallRng` does not promise one across versions), about 1.5 ns
/// a 64-bit word here, a quarter faster than the LCG variant (Pcg64) it replaces.
pub type Rng64 = rand_pcg::Pcg64Mcg;

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Named streams, so the task and the data of one run never share numbers.
pub mod stream {
    /// A task's own draws (its transition matrix, its features).
    pub const TASK: u64 = 1;
    /// A trial's training data.
    pub const DATA: u64 = 2;
    /// A trial's initial parameters.
    pub const INIT: u64 = 3;
    /// The bootstrap's resampling plan.
    pub const BOOTSTRAP: u64 = 4;
    /// Batches that estimate a prediction's task statistics (never training data).
    pub const PREDICT: u64 = 5;
    /// Task seeds are `TASK_DRAW + task index` (see [`super::seeds::task`]): far from the
    /// small stream ids and from trial indices.
    pub const TASK_DRAW: u64 = 1 << 40;
    /// The run from scratch that a trial makes beside its transfer run. Its id is TASK's:
    /// a trial's seed is never a task's seed, so the two cannot meet.
    pub const SCRATCH: u64 = 1;
    /// A calibration's master seed k is `CALIBRATION + k`.
    pub const CALIBRATION: u64 = 0xCA1B_0000;
}

/// Every seed a run derives from a spec's seed, in one place. A seed depends on the point's
/// key and an index, never on a position in the grid or on which thread runs it, so growing a
/// grid, switching between the full and the quick budget, or sharding reuses finished trials.
pub mod seeds {
    use super::{derive, fnv1a, stream};

    /// The seed of task `task` at the point keyed `point_key`: a fresh draw per task, and
    /// growing `tasks` keeps the first ones.
    pub fn task(spec_seed: u64, point_key: &str, task: usize) -> u64 {
        derive(spec_seed ^ fnv1a(point_key.as_bytes()), stream::TASK_DRAW + task as u64)
    }

    /// The seed of trial `trial` of the task seeded `task_seed` at the point keyed `point_key`.
    pub fn trial(task_seed: u64, point_key: &str, trial: usize) -> u64 {
        derive(task_seed ^ fnv1a(point_key.as_bytes()), trial as u64)
    }

    /// Master seed k (from 1) of a calibration: derived from the spec's own seed, so two
    /// specs that share a configuration and a seed (a claim and its refuted form) share
    /// their calibration trials.
    pub fn master(spec_seed: u64, k: usize) -> u64 {
        derive(spec_seed, stream::CALIBRATION + k as u64)
    }
}

/// The seed of stream `stream` under `seed` (SplitMix64 of both): independent streams from one
/// seed, whatever thread asks.
pub fn derive(seed: u64, stream: u64) -> u64 {
    splitmix64(splitmix64(seed) ^ splitmix64(stream.wrapping_mul(0xD1B5_4A32_D192_ED03)))
}

/// A generator for stream `stream` under `seed`.
pub fn rng(seed: u64, stream: u64) -> Rng64 {
    Rng64::seed_from_u64(derive(seed, stream))
}

/// FNV-1a: a stable 64-bit hash of bytes (point keys into seeds, configurations into hashes).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// A configuration's hash as 16 hex digits: FNV-1a of its JSON text (serde_json writes
/// object keys in a fixed order, so equal configurations hash equally).
pub fn config_hash(v: &serde_json::Value) -> String {
    format!("{:016x}", fnv1a(v.to_string().as_bytes()))
}
