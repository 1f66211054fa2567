//! Measurements for the speed section: one batch gradient written out for the numpy check,
//! and this core's limits (f64 FMA peak, the generator's cost per word).

use crate::task::Task;
use scb_harness::config::Validate;
use scb_harness::error::{Error, Result};
use scb_harness::io::Staged;
use std::path::Path;

/// `scb bench-grad`: one batch and a dense state, written with scb's gradient and its
/// one-thread speed, for `benches/baseline_numpy.py` to check and compare against.
pub fn bench_grad(n: usize, t: usize, b: usize, reps: usize, out: &Path) -> Result<f64> {
    use crate::model::{batch_grad, Grad, Params};
    let task = Task::generate(&crate::task::TaskConfig { n, t, q: 2.min(t), ..Default::default() }, 1)?;
    crate::train::RunConfig { samples: b as u64, batch: b, ..Default::default() }.validate()?;
    let mut staged = Staged::begin(out)?;
    let mut batch = crate::task::Batch::new(b, t);
    task.sample_into(&mut scb_harness::rng::rng(1, 2), &mut batch);
    // A dense, non-uniform state: every weight nonzero, as in stage one.
    let mut rng = scb_harness::rng::rng(1, 3);
    use rand::Rng;
    let v = ndarray::Array2::from_shape_fn((n, n), |_| rng.random::<f64>() / n as f64);
    let a = ndarray::Array2::from_shape_fn((t, n), |_| rng.random::<f64>() * 2.0 / t as f64);
    let params = Params::new(v.view(), a.view());
    let mut g = Grad::new(n, t);
    batch_grad(&params, &batch, &mut g);
    let start = std::time::Instant::now();
    for _ in 0..reps {
        batch_grad(&params, &batch, &mut g);
    }
    let per = start.elapsed().as_secs_f64() / reps as f64;
    let samples_per_s = b as f64 / per;
    let to_i64 = |v: &[u32]| ndarray::Array1::from_iter(v.iter().map(|&x| x as i64));
    let ctx = ndarray::Array2::from_shape_vec((b, t), batch.ctx.iter().map(|&x| x as i64).collect()).expect("b x t");
    for (name, arr) in [("query.npy", to_i64(&batch.query)), ("out.npy", to_i64(&batch.out))] {
        let mut buf = Vec::new();
        ndarray_npy::WriteNpyExt::write_npy(&arr, &mut buf).map_err(|e| Error::Other(e.to_string()))?;
        staged.write(name, &buf)?;
    }
    let mut buf = Vec::new();
    ndarray_npy::WriteNpyExt::write_npy(&ctx, &mut buf).map_err(|e| Error::Other(e.to_string()))?;
    staged.write("ctx.npy", &buf)?;
    staged.npy2("V.npy", params.v())?;
    staged.npy2("A.npy", params.a())?;
    staged.npy2("GV.npy", g.gv.view())?;
    staged.npy2("GA.npy", g.ga.view())?;
    staged.json("timing.json", &serde_json::json!({ "n": n, "t": t, "b": b, "reps": reps, "seconds_per_batch": per, "samples_per_s": samples_per_s }))?;
    staged.commit()?;
    Ok(samples_per_s)
}

/// What this core can do at most: its f64 FMA rate and the cost of one random word, with
/// the CPU they were measured on.
#[derive(serde::Serialize)]
pub struct Limits {
    /// The CPU's model name (`/proc/cpuinfo`), so that a speed table names its machine.
    pub cpu: String,
    /// Peak f64 throughput of fused multiply-adds (two flops each), all vector units busy,
    /// at the width `fma_bits`: the limit.
    pub fma_gflops: f64,
    /// The same at 256 bits (AVX2).
    pub fma256_gflops: f64,
    /// The same at 512 bits, where the core has AVX-512 (none otherwise).
    pub fma512_gflops: Option<f64>,
    /// Vector width of `fma_gflops`, in bits: 512 only where 512-bit FMAs run at least
    /// [`WIDER`] times the 256-bit rate (see [`width`]).
    pub fma_bits: u32,
    /// Throughput of a large matrix product by the crate the gradient uses (a practical peak).
    /// `gemm` 0.18, which scb uses, builds its AVX-512 kernels only on nightly Rust, so on
    /// stable this is at most the 256-bit peak. `gemm` 0.19's `x86-v4` feature builds them on
    /// stable (Rust 1.89 and later), but its kernels sum in another order, which moved the
    /// last bits of 9 specs' records when tried, so it is not used (docs/speed.md).
    pub gemm_gflops: f64,
    /// Nanoseconds per 64-bit word of the harness's generator.
    pub ns_per_word: f64,
}

/// How much faster 512-bit FMAs must run than 256-bit ones for the limit to be taken at 512
/// bits. A core with two 512-bit FMA units runs twice its 256-bit rate; one that splits a
/// 512-bit FMA into two 256-bit halves (AMD Zen 4) or has a single 512-bit unit runs at the
/// same rate, and then the two measurements differ only by noise. A threshold halfway (in
/// ratio) between 1 and 2 picks the same width on every run of either kind of core.
pub const WIDER: f64 = 1.4;

/// The width the limit is taken at, from the 256-bit rate and the 512-bit one (if any).
pub fn width(fma256: f64, fma512: Option<f64>) -> (f64, u32) {
    match fma512 {
        Some(r) if r >= WIDER * fma256 => (r, 512),
        _ => (fma256, 256),
    }
}

/// The CPU's model name, from `/proc/cpuinfo` (Linux); "unknown" elsewhere.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_string())))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_loop(iters: usize) -> f64 {
    use std::arch::x86_64::*;
    // Twelve independent chains hide the FMA latency behind both ports.
    let mut acc = [_mm256_set1_pd(0.0); 12];
    let (a, b) = (_mm256_set1_pd(0.999_999_9), _mm256_set1_pd(1e-7));
    for _ in 0..iters {
        for x in acc.iter_mut() {
            *x = _mm256_fmadd_pd(*x, a, b);
        }
    }
    let mut s = 0.0;
    for x in acc {
        let mut o = [0.0; 4];
        _mm256_storeu_pd(o.as_mut_ptr(), x);
        s += o.iter().sum::<f64>();
    }
    s
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma512_loop(iters: usize) -> f64 {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_set1_pd(0.0); 12];
    let (a, b) = (_mm512_set1_pd(0.999_999_9), _mm512_set1_pd(1e-7));
    for _ in 0..iters {
        for x in acc.iter_mut() {
            *x = _mm512_fmadd_pd(*x, a, b);
        }
    }
    acc.iter().map(|x| _mm512_reduce_add_pd(*x)).sum()
}

/// GFLOP/s of an FMA loop (`fma_loop`, `fma512_loop`: 12 chains of vectors of `lanes` f64,
/// two flops a lane), the best of 3.
///
/// # Safety
/// The core must have the features `kernel` is compiled for.
#[cfg(target_arch = "x86_64")]
unsafe fn fma_rate(lanes: usize, kernel: unsafe fn(usize) -> f64) -> f64 {
    let iters = 20_000_000;
    best_of(3, || {
        let t0 = std::time::Instant::now();
        // The count goes through black_box after the clock starts, so the loop, which
        // touches no memory, cannot be moved out of the timed span. SAFETY: the caller
        // vouches for the kernel's features.
        std::hint::black_box(unsafe { kernel(std::hint::black_box(iters)) });
        (iters * 12 * lanes * 2) as f64 / t0.elapsed().as_secs_f64() / 1e9
    })
}

/// The largest of `reps` measurements (rates: the least disturbed run is the fastest).
fn best_of<F: FnMut() -> f64>(reps: usize, mut f: F) -> f64 {
    (0..reps).map(|_| f()).fold(f64::NEG_INFINITY, f64::max)
}

/// Measures the limits (about a second).
pub fn limits() -> Limits {
    use rand::RngCore;
    use std::hint::black_box;
    use std::time::Instant;
    let gemm_gflops = {
        let n = 512;
        let a: Vec<f64> = (0..n * n).map(|i| (i % 7) as f64).collect();
        let mut c = vec![0.0; n * n];
        best_of(5, || {
            let t0 = Instant::now();
            scb_harness::linalg::matmul(
                scb_harness::linalg::ViewMut { data: &mut c, offset: 0, rows: n, cols: n, rs: n, cs: 1 },
                scb_harness::linalg::View::rows(&a, n, n),
                scb_harness::linalg::View::rows(&a, n, n),
                1.0,
            );
            black_box(&c);
            2.0 * (n * n * n) as f64 / t0.elapsed().as_secs_f64() / 1e9
        })
    };
    #[cfg(target_arch = "x86_64")]
    let fma256_gflops = if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: AVX2 and FMA are present, checked above.
        unsafe { fma_rate(4, fma_loop) }
    } else {
        gemm_gflops
    };
    #[cfg(target_arch = "x86_64")]
    let fma512_gflops = std::is_x86_feature_detected!("avx512f").then(|| {
        // SAFETY: AVX-512F is present, checked above.
        unsafe { fma_rate(8, fma512_loop) }
    });
    #[cfg(not(target_arch = "x86_64"))]
    let (fma256_gflops, fma512_gflops) = (gemm_gflops, None);
    // Off x86 the FMA loops are not written: the limit is the product's rate, at no stated width.
    let (fma_gflops, fma_bits) = if cfg!(target_arch = "x86_64") { width(fma256_gflops, fma512_gflops) } else { (gemm_gflops, 0) };
    let ns_per_word = {
        let mut rng = scb_harness::rng::rng(1, 1);
        let words = 50_000_000u64;
        let per_second = best_of(3, || {
            let t0 = Instant::now();
            let mut s = 0u64;
            for _ in 0..words {
                s = s.wrapping_add(rng.next_u64());
            }
            black_box(s);
            words as f64 / t0.elapsed().as_secs_f64()
        });
        1e9 / per_second
    };
    Limits { cpu: cpu_model(), fma_gflops, fma256_gflops, fma512_gflops, fma_bits, gemm_gflops, ns_per_word }
}

#[cfg(test)]
mod tests {
    /// Not a speed test: any core runs between 0.1 and 10,000 GFLOP/s. A loop the compiler
    /// moved out of its timed span measures millions of times more than that.
    #[test]
    fn the_measured_limits_are_physical() {
        let l = super::limits();
        for rate in [l.fma_gflops, l.fma256_gflops, l.gemm_gflops] {
            assert!((0.1..10_000.0).contains(&rate), "{rate} GFLOP/s");
        }
        assert!(l.fma_gflops >= l.fma256_gflops);
        assert!((0.01..1_000.0).contains(&l.ns_per_word), "{} ns a word", l.ns_per_word);
        assert!(!l.cpu.is_empty());
    }

    #[test]
    fn the_width_is_512_bits_only_where_512_bit_fmas_are_clearly_faster() {
        use super::width;
        assert_eq!(width(60.0, None), (60.0, 256));
        // Equal rates within noise (a core that splits 512-bit FMAs): 256 on every run,
        // whichever measured a little higher.
        assert_eq!(width(58.0, Some(57.0)), (58.0, 256));
        assert_eq!(width(57.0, Some(58.0)), (57.0, 256));
        // Two 512-bit units: twice the rate.
        assert_eq!(width(66.5, Some(123.0)), (123.0, 512));
    }
}
