use super::*;
pub struct Transfer;
impl Claim for Transfer {
    type Trial = ();
    const QUANTITIES: &'static [(&'static str, &'static str)] = &[];
    fn new(_: &ClaimSpec) -> Result<Self> { Err(invalid("id", "transfer not implemented yet")) }
    fn run_trial(&self, _: &PointTask, _: u64) {}
    fn estimate(&self, _: &[PointTask], _: &[Vec<&()>]) -> Quantities { Quantities::new() }
    fn figure(&self, _: &[PointTask], _: &[Vec<&()>], _: &ClaimResult, _: &Path) -> Result<()> { Ok(()) }
}
