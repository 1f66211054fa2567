//! The gradient step allocates nothing per sample: after the first call has sized its
//! work buffers, a batch gradient (both paths) and a full ScbProx step make the same small
//! number of allocations at B = 256 as at B = 4096 (the matrix products take one packing
//! buffer each; the step a few O(N) scratch vectors). Counted with a global allocator.

use scb::theories::scb::learners::{LearnerConfig, ProxConfig, SwitchRule};
use scb::theories::scb::model::{batch_grad, Grad, Params};
use scb::theories::scb::task::{Batch, Task, TaskConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCS.load(Ordering::Relaxed);
    f();
    ALLOCS.load(Ordering::Relaxed) - before
}

#[test]
fn gradient_and_step_do_not_allocate_per_sample() {
    // (N <= T: the matrix-product path; N > T: the column path.)
    for (n, t) in [(16, 64), (24, 8)] {
        let task = Task::generate(&TaskConfig { n, t, q: 2, ..Default::default() }, 1).unwrap();
        let mut rng = scb::rng::rng(1, 1);
        let p = Params::uninformative(n, t);
        let mut per_batch = Vec::new();
        for size in [256, 4096] {
            let mut g = Grad::new(n, t);
            let mut b = Batch::new(size, t);
            task.sample_into(&mut rng, &mut b);
            batch_grad(&p, &b, &mut g); // sizes the buffers
            per_batch.push(allocations(|| batch_grad(&p, &b, &mut g)));
            assert_eq!(allocations(|| task.sample_into(&mut rng, &mut b)), 0);
        }
        assert_eq!(per_batch[0], per_batch[1], "N={n} T={t}: allocations grow with the batch");
        assert!(per_batch[1] <= 3, "N={n} T={t}: {per_batch:?}");
        // A full ScbProx step allocates a few O(N) scratch vectors per step, never per sample.
        let cfg = LearnerConfig::ScbProx(ProxConfig { switch: SwitchRule::Never, ..Default::default() });
        let mut algo = cfg.build(&task);
        let mut params = Params::uninformative(n, t);
        let mut per_batch = Vec::new();
        for size in [256, 4096] {
            let mut b = Batch::new(size, t);
            task.sample_into(&mut rng, &mut b);
            algo.step(&mut params, &b);
            per_batch.push(allocations(|| {
                algo.step(&mut params, &b);
            }));
        }
        assert_eq!(per_batch[0], per_batch[1], "allocations grow with the batch: {per_batch:?}");
        assert!(per_batch[1] <= 4, "{per_batch:?}");
    }
}
