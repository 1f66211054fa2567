//! What a training loop watches, shared by every theory: where to record on a log scale, and
//! where a watched quantity first passed a level. Any theory's loop may use these; none of
//! them knows what is being trained.

/// Log-spaced steps, `per_decade` to a factor of 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogSpaced {
    /// Records per decade of steps.
    pub per_decade: u32,
}

impl LogSpaced {
    /// Log-spaced steps at `per_decade` per decade.
    pub fn new(per_decade: u32) -> LogSpaced {
        LogSpaced { per_decade }
    }

    /// The steps `round(10^(i / per_decade))`, i = 0, 1, ..., below `end`, without repeats:
    /// the recording points of a trajectory or of checkpoints.
    pub fn before(self, end: u64) -> Vec<u64> {
        let per = self.per_decade as f64;
        let mut v: Vec<u64> = (0..).map(|i| 10f64.powf(i as f64 / per).round() as u64).take_while(|&s| s < end).collect();
        v.dedup();
        v
    }

    /// Whether `step` (1-based) opens a new bucket `floor(per_decade log10 step)`, or is the
    /// first or `last` step: a streaming test for a loop that does not know its grid in
    /// advance. It records at the first step of each bucket, which is not always the rounded
    /// point of [`LogSpaced::before`]; histories already written use it, so it stays as it is.
    pub fn opens_bucket(self, step: u64, last: u64) -> bool {
        if step == 1 || step == last {
            return true;
        }
        let bucket = |s: u64| ((s as f64).log10() * self.per_decade as f64).floor() as i64;
        bucket(step) != bucket(step - 1)
    }
}

/// How a watched quantity moves toward its level, which decides how a passage is placed
/// within the step that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approach {
    /// Rising to the level (a correlation, a recovered fraction): interpolated linearly.
    Rising,
    /// Falling to it geometrically (a distance, a loss): interpolated in log scale.
    Falling,
}

/// Where within the step from `prev` to `now` the level was passed, in [0, 1]; 1 where the
/// step did not move toward it (or `prev` is not finite), so the passage is put at the step's end.
pub fn crossing(approach: Approach, prev: f64, now: f64, level: f64) -> f64 {
    let f = match approach {
        Approach::Rising if now > prev && prev.is_finite() => (level - prev) / (now - prev),
        Approach::Falling if prev > now && prev.is_finite() && now > 0.0 => (prev.ln() - level.ln()) / (prev.ln() - now.ln()),
        _ => 1.0,
    };
    f.clamp(0.0, 1.0)
}

/// First passages of a falling quantity below each of several levels (decreasing), in steps,
/// interpolated within the step that made each.
#[derive(Clone, Debug)]
pub struct FirstPassage<'a> {
    levels: &'a [f64],
    /// The step of each level's first passage, interpolated (None: not yet passed).
    pub hits: Vec<Option<f64>>,
}

impl<'a> FirstPassage<'a> {
    /// Watches for the first passages below `levels` (decreasing).
    pub fn new(levels: &'a [f64]) -> Self {
        FirstPassage { levels, hits: vec![None; levels.len()] }
    }

    /// Sees the step `step` (1-based) take the quantity from `prev` to `now`; true once the
    /// last (smallest) level has been passed.
    pub fn observe(&mut self, step: u64, prev: f64, now: f64) -> bool {
        for (hit, &level) in self.hits.iter_mut().zip(self.levels) {
            if hit.is_none() && now <= level {
                *hit = Some((step - 1) as f64 + crossing(Approach::Falling, prev, now, level));
            }
        }
        self.hits.last().is_some_and(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_spaced_steps_are_rounded_powers_without_repeats() {
        assert_eq!(LogSpaced::new(4).before(20), vec![1, 2, 3, 6, 10, 18]);
        assert_eq!(LogSpaced::new(1).before(1000), vec![1, 10, 100]);
        assert!(LogSpaced::new(10).before(1).is_empty());
    }

    #[test]
    fn buckets_open_at_the_first_step_of_each_and_at_both_ends() {
        let opened: Vec<u64> = (1..=40).filter(|&s| LogSpaced::new(2).opens_bucket(s, 40)).collect();
        // Buckets floor(2 log10 s) open at 1, 4 (10^0.5 = 3.16..), 10, 32, and 40 is the last step.
        assert_eq!(opened, vec![1, 4, 10, 32, 40]);
    }

    #[test]
    fn a_crossing_is_placed_within_its_step() {
        assert!((crossing(Approach::Rising, 0.2, 0.6, 0.5) - 0.75).abs() < 1e-12);
        // Falling geometrically from 1 to 0.01, the level 0.1 is passed half way in log scale.
        assert!((crossing(Approach::Falling, 1.0, 0.01, 0.1) - 0.5).abs() < 1e-12);
        // A step that did not move toward the level puts the passage at its end.
        assert_eq!(crossing(Approach::Falling, 0.01, 0.02, 0.1), 1.0);
        assert_eq!(crossing(Approach::Rising, f64::NEG_INFINITY, 0.9, 0.5), 1.0);
    }

    #[test]
    fn first_passages_are_kept_per_level_and_report_the_last() {
        let levels = [0.1, 0.01];
        let mut w = FirstPassage::new(&levels);
        assert!(!w.observe(1, 1.0, 0.5));
        assert!(!w.observe(2, 0.5, 0.05));
        assert!(w.hits[0].is_some_and(|t| t > 1.0 && t < 2.0) && w.hits[1].is_none());
        assert!(w.observe(3, 0.05, 0.001));
        assert!(w.hits[1].is_some_and(|t| t > 2.0 && t < 3.0));
        // A later step does not move a passage already seen.
        let first = w.hits[0];
        w.observe(4, 0.001, 0.0001);
        assert_eq!(w.hits[0], first);
    }
}
