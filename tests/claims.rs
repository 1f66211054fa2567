//! Every checker can pass, and rejects what it must: a predicted exponent off by 0.5, a
//! constant off by a factor of 3, and the algorithm with the preconditioner or the l1
//! step removed where the claim depends on it. Runs the real `theorems/*.toml` on their
//! quick grids; variants that change only predictions re-judge the same trial records.

use scb::algo::AlgoConfig;
use scb::claims::{runner::Options, ClaimResult, ClaimSpec, Kind};
use std::path::Path;

fn spec(id: &str) -> ClaimSpec {
    ClaimSpec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems").join(format!("{id}.toml"))).unwrap()
}

fn run(spec: &ClaimSpec, out: &Path) -> ClaimResult {
    scb::commands::check_one(spec, &Options { quick: true, out: out.to_path_buf(), progress: false, shard: None }).unwrap()
}

fn check<'a>(r: &'a ClaimResult, quantity: &str) -> &'a scb::claims::CheckResult {
    r.checks.iter().find(|c| c.spec.quantity == quantity).unwrap_or_else(|| panic!("no check {quantity}"))
}

fn passes(r: &ClaimResult, quantity: &str) -> bool {
    check(r, quantity).pass
}

/// The same spec with one check's prediction replaced.
fn predicting(spec: &ClaimSpec, quantity: &str, predict: f64) -> ClaimSpec {
    let mut s = spec.clone();
    s.checks.iter_mut().filter(|c| c.quantity == quantity).for_each(|c| c.predict = predict);
    s
}

fn ablated(spec: &ClaimSpec, precondition: bool, l1: bool) -> ClaimSpec {
    let mut s = spec.clone();
    match &mut s.algorithm {
        AlgoConfig::ScbProx(c) => {
            c.precondition = precondition;
            c.l1 = l1;
        }
        other => panic!("claims run ScbProx, not {other:?}"),
    }
    s
}

#[test]
fn stage_one_checker() {
    let dir = tempfile::tempdir().unwrap();
    let real = spec("stage_one");
    let r = run(&real, dir.path());
    for q in ["slope_vs_n1", "t_exponent", "ratio_exact"] {
        assert!(passes(&r, q), "{q}: {}", check(&r, q).reason);
    }
    // Exponents off by 0.5, either way.
    for (q, p) in [("t_exponent", 1.5), ("t_exponent", 0.5), ("slope_vs_n1", 1.5), ("slope_vs_n1", 0.5)] {
        assert!(!passes(&run(&predicting(&real, q, p), dir.path()), q), "{q} = {p} accepted");
    }
    // The constant off by a factor of 3, either way.
    for p in [3.0, 1.0 / 3.0] {
        assert!(!passes(&run(&predicting(&real, "ratio_exact", p), dir.path()), "ratio_exact"));
        assert!(!passes(&run(&predicting(&real, "ratio", p), dir.path()), "ratio"));
    }
    // Without the preconditioner the first step's correlation never reaches c on the grid.
    let broken = run(&ablated(&real, false, true), dir.path());
    assert!(!broken.pass && broken.checks.iter().all(|c| !c.pass));
}

#[test]
fn stage_two_checker() {
    let dir = tempfile::tempdir().unwrap();
    let real = spec("stage_two");
    let r = run(&real, dir.path());
    assert!(r.pass, "{:#?}", r.checks.iter().map(|c| &c.reason).collect::<Vec<_>>());
    for (q, p) in [("decay_v", -1.0), ("decay_v", 0.0), ("decay_a", -1.0), ("t_exponent_one", 1.5), ("t_exponent_one", 0.5)] {
        assert!(!passes(&run(&predicting(&real, q, p), dir.path()), q), "{q} = {p} accepted");
    }
    // The Q dependence as a constant: samples growing 3x faster per doubling of Q than
    // predicted (exponent 1 + log2 3) is rejected.
    let off = 1.0 + 3f64.log2();
    assert!(!passes(&run(&predicting(&real, "q_exponent_two", off), dir.path()), "q_exponent_two"));
    // Without the l1 step the attention stays dense and its error carries all T positions.
    let no_l1 = run(&ablated(&real, true, false), dir.path());
    assert!(!no_l1.pass, "no-l1 accepted: {:?}", no_l1.checks.iter().map(|c| (&c.spec.quantity, c.pass)).collect::<Vec<_>>());
    let no_pre = run(&ablated(&real, false, true), dir.path());
    assert!(!no_pre.pass);
}

#[test]
fn transfer_checker() {
    let dir = tempfile::tempdir().unwrap();
    let real = spec("transfer");
    let r = run(&real, dir.path());
    // The part of the claim that holds on this algorithm: the cost grows as rho falls.
    assert!(passes(&r, "rho_exponent"), "{}", check(&r, "rho_exponent").reason);
    // The opposite claim (the cost falls as rho falls) is rejected.
    let mut opposite = real.clone();
    opposite.checks.iter_mut().filter(|c| c.quantity == "rho_exponent").for_each(|c| c.kind = Kind::Above);
    assert!(!passes(&run(&opposite, dir.path()), "rho_exponent"));
    // The scratch exponent: the checker accepts the value the data supports and rejects
    // one 0.5 away on either side.
    let scratch = check(&r, "t_exponent_scratch").estimate.value;
    assert!(passes(&run(&predicting(&real, "t_exponent_scratch", scratch), dir.path()), "t_exponent_scratch"));
    for p in [scratch + 0.5, scratch - 0.5] {
        assert!(!passes(&run(&predicting(&real, "t_exponent_scratch", p), dir.path()), "t_exponent_scratch"), "{p}");
    }
    // Without the preconditioner, from-scratch training is measurably another algorithm:
    // the scratch exponent the real algorithm shows is rejected for it.
    let at_real = predicting(&real, "t_exponent_scratch", scratch);
    let no_pre = run(&ablated(&at_real, false, true), dir.path());
    assert!(!passes(&no_pre, "t_exponent_scratch"), "{}", check(&no_pre, "t_exponent_scratch").reason);
}

#[test]
fn beats_sgd_checker() {
    let dir = tempfile::tempdir().unwrap();
    let real = spec("beats_sgd");
    let r = run(&real, dir.path());
    assert!(r.pass, "{:?}", r.checks.iter().map(|c| &c.reason).collect::<Vec<_>>());
    // Predicting a margin 3x the measured one (SGD 3x farther still) is rejected.
    let m = check(&r, "margin_v").estimate.hi;
    assert!(!passes(&run(&predicting(&real, "margin_v", m + 3f64.ln()), dir.path()), "margin_v"));
    let no_pre = run(&ablated(&real, false, true), dir.path());
    assert!(!no_pre.pass, "ScbProx without its preconditioner still beat every SGD rate");
}

#[test]
fn softmax_link_checker() {
    let dir = tempfile::tempdir().unwrap();
    let real = spec("softmax_link");
    let r = run(&real, dir.path());
    assert!(r.pass, "{:?}", r.checks.iter().map(|c| &c.reason).collect::<Vec<_>>());
    // A loss bar 3x below what the softmax model reaches is rejected.
    let e = check(&r, "excess_softmax").estimate.lo;
    assert!(!passes(&run(&predicting(&real, "excess_softmax", e / 3.0), dir.path()), "excess_softmax"));
    // Without its preconditioner ScbProx does not converge, and the link is rejected.
    let no_pre = run(&ablated(&real, false, true), dir.path());
    assert!(!passes(&no_pre, "excess_prox"), "{}", check(&no_pre, "excess_prox").reason);
}
