//! Criterion benchmarks of the hot paths at the sizes the speed table and the claims use:
//! one batch gradient with dense attention (stage one, SGD) and with stage two's Q-sparse
//! attention, one full ScbProx step, and sampling a batch.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scb::theories::scb::learners::{Learner, ProxConfig, ScbProx, SwitchRule};
use scb::theories::scb::model::{batch_grad, Grad, Params};
use scb::theories::scb::task::{Batch, Task, TaskConfig};
use std::hint::black_box;

fn setup(n: usize, t: usize, b: usize) -> (Task, Batch, Params) {
    let task = Task::generate(&TaskConfig { n, t, q: 2, ..Default::default() }, 1).unwrap();
    let mut batch = Batch::new(b, t);
    task.sample_into(&mut scb::rng::rng(1, 2), &mut batch);
    // Dense attention (stage one) is the expensive case: no zero weights to skip.
    let mut p = Params::uninformative(n, t);
    p.v_slice_mut().iter_mut().enumerate().for_each(|(i, x)| *x += 1e-3 * ((i % 7) as f64 - 3.0));
    (task, batch, p)
}

fn kernels(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernels");
    for &(n, t, b) in &[(16usize, 64usize, 1024usize), (64, 128, 1024), (256, 512, 256)] {
        let (task, batch, params) = setup(n, t, b);
        let id = format!("N{n}_T{t}_B{b}");
        g.throughput(Throughput::Elements(b as u64));
        let mut grad = Grad::new(n, t);
        g.bench_with_input(BenchmarkId::new("batch_grad_dense", &id), &(), |bch, _| bch.iter(|| batch_grad(black_box(&params), black_box(&batch), &mut grad)));
        // Stage two's attention: exactly Q-sparse, as the threshold leaves it.
        let sparse = Params::new(params.v(), task.qstar.view());
        g.bench_with_input(BenchmarkId::new("batch_grad_sparse", &id), &(), |bch, _| bch.iter(|| batch_grad(black_box(&sparse), black_box(&batch), &mut grad)));
        let cfg = ProxConfig { switch: SwitchRule::Never, ..Default::default() };
        let mut algo = ScbProx::new(cfg, &task);
        g.bench_with_input(BenchmarkId::new("scb_prox_step", &id), &(), |bch, _| {
            bch.iter_batched_ref(|| params.clone(), |p| algo.step(p, black_box(&batch)), criterion::BatchSize::SmallInput)
        });
        let mut fresh = batch.clone();
        let mut rng = scb::rng::rng(3, 3);
        g.bench_with_input(BenchmarkId::new("sample_batch", &id), &(), |bch, _| bch.iter(|| task.sample_into(&mut rng, &mut fresh)));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = kernels
}
criterion_main!(benches);
