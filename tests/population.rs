//! Population mode (`scb train --population`): learners stepped on the exact population
//! gradients. The closed forms agree with Monte Carlo averages of per-sample gradients
//! (tests/model.rs, `monte_carlo_gradients_converge_to_population_gradients`); here, the
//! driver feeds exactly those gradients, the run is deterministic, and sampled runs approach
//! the population trajectory as the batch grows, for every learner.

use ndarray::Array2;
use scb::theories::scb::learners::{LearnerConfig, ProxConfig, SgdConfig, SoftmaxConfig, SwitchRule};
use scb::theories::scb::model::{Grad, Params, Population};
use scb::theories::scb::task::{Task, TaskConfig};
use scb::theories::scb::train::{run_spec, RunConfig, TrainSpec};

fn spec(algorithm: LearnerConfig, batch: usize, steps: u64, population: bool) -> TrainSpec {
    TrainSpec {
        task: TaskConfig { n: 8, t: 16, q: 2, ..Default::default() },
        run: RunConfig { samples: steps * batch as u64, batch, seed: 5, rows_per_decade: 10, population },
        algorithm,
    }
}

/// Relative distance between two runs' final parameters.
fn gap(a: &Params, b: &Params) -> f64 {
    let d = |x: ndarray::ArrayView2<f64>, y: ndarray::ArrayView2<f64>| (&x - &y).mapv(|e| e * e).sum().sqrt() / y.mapv(|e| e * e).sum().sqrt();
    d(a.v(), b.v()) + d(a.a(), b.a())
}

#[test]
fn the_driver_steps_on_the_closed_form_gradients() {
    let task = Task::generate(&TaskConfig { n: 6, t: 10, q: 3, ..Default::default() }, 2).unwrap();
    let pop = Population::new(&task);
    let params = scb::theories::scb::init::warm(&task, 0.4, 0.3, &mut scb::rng::rng(1, 1));
    let mut g = Grad::new(task.n, task.t);
    g.set_population(&pop, &params, 1000);
    let (gv, ga) = pop.grads(&params);
    let same = |x: &Array2<f64>, y: &Array2<f64>| x.iter().zip(y.iter()).all(|(a, b)| a == b);
    assert!(same(&g.gv, &gv) && same(&g.ga, &ga));
    assert_eq!(g.loss, pop.loss(&params));
    assert_eq!(g.da_var, 0.0, "no sampling noise");
    assert_eq!(g.batch, 1000);
}

#[test]
fn a_population_run_is_deterministic_and_noise_free() {
    let prox = LearnerConfig::ScbProx(ProxConfig::default());
    let (_, a) = run_spec(&spec(prox.clone(), 256, 40, true), |_| ()).unwrap();
    let (_, b) = run_spec(&spec(prox.clone(), 256, 40, true), |_| ()).unwrap();
    assert_eq!(a.history, b.history);
    assert!(a.params.v().iter().zip(b.params.v().iter()).all(|(x, y)| x == y));
    // No noise: the threshold is 0 throughout, and the batch size only relabels samples.
    assert!(a.history.iter().all(|r| r.lambda == 0.0));
    let (_, c) = run_spec(&spec(prox, 1024, 40, true), |_| ()).unwrap();
    assert!(a.params.a().iter().zip(c.params.a().iter()).all(|(x, y)| x == y));
    assert_eq!(c.history.last().unwrap().samples, 4 * a.history.last().unwrap().samples);
}

#[test]
fn sampled_runs_approach_the_population_trajectory_as_the_batch_grows() {
    let learners = [
        ("sgd", LearnerConfig::Sgd(SgdConfig { lr: 2.0, ..Default::default() })),
        ("softmax", LearnerConfig::Softmax(SoftmaxConfig { lr: 0.01, ..Default::default() })),
        // Stage one only: the switch to stage two is a discrete event whose step differs
        // from run to run, which would hide the approach behind a jump.
        ("scb-prox", LearnerConfig::ScbProx(ProxConfig { switch: SwitchRule::Never, ..Default::default() })),
    ];
    let steps = 30;
    for (name, learner) in learners {
        let (_, pop) = run_spec(&spec(learner.clone(), 64, steps, true), |_| ()).unwrap();
        let gaps: Vec<f64> =
            [64, 1024, 16384].iter().map(|&b| gap(&run_spec(&spec(learner.clone(), b, steps, false), |_| ()).unwrap().1.params, &pop.params)).collect();
        // The noise of a batch mean falls as B^-1/2: 16x per factor 256 in B. Ask for 4x.
        assert!(gaps[0] > gaps[1] && gaps[1] > gaps[2], "{name}: {gaps:?}");
        assert!(gaps[2] < gaps[0] / 4.0, "{name}: {gaps:?}");
        // The same comparison has power: a population run of another task is not approached.
        let mut other = spec(learner.clone(), 64, steps, true);
        other.task.alpha = 2.0;
        let (_, far) = run_spec(&other, |_| ()).unwrap();
        let big = run_spec(&spec(learner.clone(), 16384, steps, false), |_| ()).unwrap().1.params;
        assert!(gap(&big, &far.params) > 2.0 * gaps[2], "{name}: another task's trajectory is farther");
    }
}
