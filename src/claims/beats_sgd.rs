use super::*;
pub struct BeatsSgd;
impl Claim for BeatsSgd {
    type Trial = ();
    const QUANTITIES: &'static [(&'static str, &'static str)] = &[];
    fn new(_: &ClaimSpec) -> Result<Self> { Err(invalid("id", "beats_sgd not implemented yet")) }
    fn run_trial(&self, _: &PointTask, _: u64) {}
    fn estimate(&self, _: &[PointTask], _: &[Vec<&()>]) -> Quantities { Quantities::new() }
    fn figure(&self, _: &[PointTask], _: &[Vec<&()>], _: &ClaimResult, _: &Path) -> Result<()> { Ok(()) }
}
