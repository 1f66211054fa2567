//! The SCB task (docs/theory.md §1): the transition matrix `P`, its stationary law `mu`, the
//! sparse attention targets `Qstar`, and a sampler that fills batches without
//! allocating per sample.

use crate::alias::Alias;
use ndarray::{Array1, Array2, Axis};
use rand::Rng;
use rand_distr::{Distribution, Gamma};
use scb_harness::config::Validate;
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::rng;
use serde::{Deserialize, Serialize};

/// How the bigram matrix P's columns are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PFamily {
    /// Columns i.i.d. Dirichlet(alpha).
    Dirichlet,
    /// Dirichlet(alpha) matrix balanced by Sinkhorn, so `mu` is uniform.
    DoublyStochastic,
    /// Each column Dirichlet(alpha) on `support` random rows.
    Sparse,
}

/// How each query's attention weights on its support are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QWeights {
    /// `1/Q` on each support position.
    Uniform,
    /// Dirichlet(q_alpha) weights on the support.
    Dirichlet,
}

/// The law a task is drawn from (`[task]`): sizes, and how P and Q* are drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskConfig {
    /// Vocabulary size N.
    pub n: usize,
    /// Context length T.
    pub t: usize,
    /// Attention sparsity Q: nonzero positions per query.
    pub q: usize,
    /// Dirichlet concentration of P's columns.
    pub alpha: f64,
    /// How P's columns are drawn.
    pub family: PFamily,
    /// Rows per column for `family = "sparse"`.
    pub support: usize,
    /// How the attention weights on a support are drawn.
    pub weights: QWeights,
    /// Dirichlet concentration of the weights for `weights = "dirichlet"`.
    pub q_alpha: f64,
}

impl Default for TaskConfig {
    fn default() -> Self {
        TaskConfig { n: 16, t: 64, q: 2, alpha: 0.5, family: PFamily::Dirichlet, support: 4, weights: QWeights::Uniform, q_alpha: 1.0 }
    }
}

scb_harness::validated!(TaskConfig);

impl scb_harness::config::Validate for TaskConfig {
    fn validate(&self) -> Result<()> {
        if self.n < 2 || self.n > 1 << 16 {
            return Err(invalid("n", format!("must be an integer in [2, 65536] (got {})", self.n)));
        }
        if self.t < 1 || self.t > 1 << 20 {
            return Err(invalid("t", format!("must be an integer in [1, 1048576] (got {})", self.t)));
        }
        if self.q < 1 || self.q > self.t {
            return Err(invalid("q", format!("must be an integer in [1, T={}] (got {})", self.t, self.q)));
        }
        check_range("alpha", self.alpha, 0.0, f64::MAX, true)?;
        check_range("q_alpha", self.q_alpha, 0.0, f64::MAX, true)?;
        if self.family == PFamily::Sparse && (self.support < 1 || self.support > self.n) {
            return Err(invalid("support", format!("must be an integer in [1, N={}] (got {})", self.n, self.support)));
        }
        Ok(())
    }
}

/// A drawn task. `p` is N x N column-stochastic, `qstar` is T x N (column k = q_k).
#[derive(Clone, Debug)]
pub struct Task {
    /// Vocabulary size N.
    pub n: usize,
    /// Context length T.
    pub t: usize,
    /// Attention sparsity Q.
    pub q: usize,
    /// The bigram matrix, N x N, column-stochastic: column j is the law of the output after token j.
    pub p: Array2<f64>,
    /// The token law, P's stationary distribution.
    pub mu: Array1<f64>,
    /// The true attention, T x N: column k is q_k, at most Q nonzeros summing to 1.
    pub qstar: Array2<f64>,
    sampler: Sampler,
}

/// Alias tables for every draw of a sample: one 64-bit word per token.
#[derive(Clone, Debug)]
struct Sampler {
    mu: Alias,
    /// One table per source column of P.
    out: Vec<Alias>,
    /// Per query token: its support positions and a table over them.
    pos: Vec<(Vec<u32>, Alias)>,
}

fn dirichlet<R: Rng>(rng: &mut R, alpha: f64, len: usize) -> Vec<f64> {
    let g = Gamma::new(alpha, 1.0).expect("alpha validated > 0");
    loop {
        let mut w: Vec<f64> = (0..len).map(|_| g.sample(rng)).collect();
        let s: f64 = w.iter().sum();
        // Tiny alpha can underflow every gamma draw to 0; draw again rather than divide by 0.
        if s > 0.0 && s.is_finite() {
            w.iter_mut().for_each(|x| *x /= s);
            return w;
        }
    }
}

impl Task {
    /// Draws a task from `cfg` with the task stream of `seed`.
    pub fn generate(cfg: &TaskConfig, seed: u64) -> Result<Task> {
        cfg.validate()?;
        let mut rng = rng::rng(seed, rng::stream::TASK);
        let (n, t, q) = (cfg.n, cfg.t, cfg.q);
        // A sparse family can draw a reducible chain; redraw (deterministically) until it is not.
        for _ in 0..1000 {
            let mut p = Array2::<f64>::zeros((n, n));
            for j in 0..n {
                match cfg.family {
                    PFamily::Dirichlet | PFamily::DoublyStochastic => {
                        for (i, w) in dirichlet(&mut rng, cfg.alpha, n).into_iter().enumerate() {
                            p[[i, j]] = w;
                        }
                    }
                    PFamily::Sparse => {
                        let rows = rand::seq::index::sample(&mut rng, n, cfg.support);
                        let w = dirichlet(&mut rng, cfg.alpha, cfg.support);
                        for (i, wi) in rows.iter().zip(w) {
                            p[[i, j]] = wi;
                        }
                    }
                }
            }
            if cfg.family == PFamily::DoublyStochastic {
                sinkhorn(&mut p);
            }
            let mut qstar = Array2::<f64>::zeros((t, n));
            for k in 0..n {
                let supp = rand::seq::index::sample(&mut rng, t, q);
                let w = match cfg.weights {
                    QWeights::Uniform => vec![1.0 / q as f64; q],
                    QWeights::Dirichlet => dirichlet(&mut rng, cfg.q_alpha, q),
                };
                for (s, wi) in supp.iter().zip(w) {
                    qstar[[s, k]] = wi;
                }
            }
            match Task::from_parts(p, qstar, q) {
                Ok(task) => return Ok(task),
                Err(scb_harness::Error::Invalid { field, .. }) if field == "P" => continue,
                Err(e) => return Err(e),
            }
        }
        Err(invalid("family", "could not draw an irreducible P in 1000 tries; raise `support`"))
    }

    /// Builds a task from explicit matrices, checking every assumption of docs/theory.md §1.
    pub fn from_parts(p: Array2<f64>, qstar: Array2<f64>, q: usize) -> Result<Task> {
        let n = p.nrows();
        if p.ncols() != n || n < 2 {
            return Err(invalid("P", format!("must be square N x N with N >= 2 (got {:?})", p.dim())));
        }
        if p.iter().any(|x| !x.is_finite() || *x < 0.0) {
            return Err(invalid("P", "entries must be finite and >= 0"));
        }
        for (j, col) in p.axis_iter(Axis(1)).enumerate() {
            let s = col.sum();
            if (s - 1.0).abs() > 1e-9 {
                return Err(invalid("P", format!("column {j} sums to {s}; columns must sum to 1")));
            }
        }
        let t = qstar.nrows();
        if qstar.ncols() != n || t < 1 {
            return Err(invalid("Qstar", format!("must be T x N with N={n} (got {:?})", qstar.dim())));
        }
        if q < 1 || q > t {
            return Err(invalid("q", format!("must be an integer in [1, T={t}] (got {q})")));
        }
        for (k, col) in qstar.axis_iter(Axis(1)).enumerate() {
            if col.iter().any(|x| !x.is_finite() || *x < 0.0) {
                return Err(invalid("Qstar", format!("column {k} has a negative or non-finite entry")));
            }
            let s = col.sum();
            if (s - 1.0).abs() > 1e-9 {
                return Err(invalid("Qstar", format!("column {k} sums to {s}; columns must sum to 1")));
            }
            let nnz = col.iter().filter(|x| **x > 0.0).count();
            if nnz > q {
                return Err(invalid("Qstar", format!("column {k} has {nnz} nonzeros; at most Q={q}")));
            }
        }
        let mu = stationary(&p)?;
        let sampler = Sampler::new(&p, &mu, &qstar);
        Ok(Task { n, t, q, p, mu, qstar, sampler })
    }

    /// `supp(q_k)` as positions.
    pub fn support(&self, k: usize) -> &[u32] {
        &self.sampler.pos[k].0
    }

    /// Fills `batch` with fresh i.i.d. samples (docs/theory.md §1). No allocation; one
    /// 64-bit word per token, so a batch of B samples takes exactly B (T + 3) words.
    pub fn sample_into<R: Rng>(&self, rng: &mut R, batch: &mut Batch) {
        assert_eq!(batch.t, self.t, "batch built for another T");
        let s = &self.sampler;
        // The words first, the table lookups after: the generator's chain of state updates
        // then runs alone, and the lookups, independent of each other, overlap.
        for (i, ctx) in batch.ctx.chunks_exact_mut(self.t).enumerate() {
            for x in ctx.iter_mut() {
                *x = s.mu.pick(rng.next_u64()) as u32;
            }
            let k = s.mu.pick(rng.next_u64());
            let (supp, table) = &s.pos[k];
            let pos = supp[table.pick(rng.next_u64())];
            let src = ctx[pos as usize] as usize;
            batch.query[i] = k as u32;
            batch.pos[i] = pos;
            batch.out[i] = s.out[src].pick(rng.next_u64()) as u32;
        }
    }
}

impl Sampler {
    fn new(p: &Array2<f64>, mu: &Array1<f64>, qstar: &Array2<f64>) -> Sampler {
        let table = |w: Vec<f64>| Alias::new(&w);
        let out = p.axis_iter(Axis(1)).map(|c| table(c.to_vec())).collect();
        let pos = qstar
            .axis_iter(Axis(1))
            .map(|c| {
                let supp: Vec<u32> = (0..c.len()).filter(|&s| c[s] > 0.0).map(|s| s as u32).collect();
                let w = supp.iter().map(|&s| c[s as usize]).collect();
                (supp, table(w))
            })
            .collect();
        Sampler { mu: table(mu.to_vec()), out, pos }
    }
}

/// Balances a positive matrix to doubly stochastic.
fn sinkhorn(p: &mut Array2<f64>) {
    for _ in 0..10_000 {
        for mut row in p.axis_iter_mut(Axis(0)) {
            let s = row.sum();
            row /= s;
        }
        let mut err: f64 = 0.0;
        for mut col in p.axis_iter_mut(Axis(1)) {
            let s = col.sum();
            col /= s;
            err = err.max((s - 1.0).abs());
        }
        if err < 1e-13 {
            break;
        }
    }
}

/// `P mu = mu`, `1^T mu = 1`, by a dense LU solve (the last balance row is replaced by
/// the normalisation). Fails if the chain is reducible (some `mu_j` not positive).
pub fn stationary(p: &Array2<f64>) -> Result<Array1<f64>> {
    let n = p.nrows();
    let mut m = nalgebra::DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            m[(i, j)] = p[[i, j]] - if i == j { 1.0 } else { 0.0 };
        }
    }
    for j in 0..n {
        m[(n - 1, j)] = 1.0;
    }
    let mut rhs = nalgebra::DVector::<f64>::zeros(n);
    rhs[n - 1] = 1.0;
    let sol = m.lu().solve(&rhs);
    let mu = match sol {
        Some(s) => Array1::from_iter(s.iter().copied()),
        None => return Err(invalid("P", "is reducible: its stationary distribution is not unique")),
    };
    let resid = (p.dot(&mu) - &mu).iter().fold(0.0f64, |a, x| a.max(x.abs()));
    if mu.iter().any(|x| x.partial_cmp(&1e-12) != Some(std::cmp::Ordering::Greater)) || resid > 1e-9 {
        return Err(invalid("P", "must be irreducible (stationary distribution with every mu_j > 0)"));
    }
    Ok(mu)
}

/// A batch of samples, structure-of-arrays: `ctx[i*T + t]` is `x_{t+1}` of sample i.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Context length T.
    pub t: usize,
    /// The contexts, sample by sample: `ctx[i*T + t]` is token t + 1 of sample i.
    pub ctx: Vec<u32>,
    /// The query token of each sample.
    pub query: Vec<u32>,
    /// The hidden source position `s` (for tests; learners never read it).
    pub pos: Vec<u32>,
    /// The output token of each sample, drawn from `P[:, x_s]`.
    pub out: Vec<u32>,
}

impl Batch {
    /// A batch of `size` samples of context length `t`, zeroed, to be filled by a sampler.
    pub fn new(size: usize, t: usize) -> Batch {
        Batch { t, ctx: vec![0; size * t], query: vec![0; size], pos: vec![0; size], out: vec![0; size] }
    }
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.query.len()
    }
    /// Whether the batch holds no sample.
    pub fn is_empty(&self) -> bool {
        self.query.is_empty()
    }
    /// Samples `lo..hi`, as a batch of their own.
    pub fn range(&self, lo: usize, hi: usize) -> Batch {
        let (lo, hi) = (lo.min(self.len()), hi.min(self.len()));
        let (lo, hi) = (lo.min(hi), hi);
        Batch {
            t: self.t,
            ctx: self.ctx[lo * self.t..hi * self.t].to_vec(),
            query: self.query[lo..hi].to_vec(),
            pos: self.pos[lo..hi].to_vec(),
            out: self.out[lo..hi].to_vec(),
        }
    }
    /// The first `len` samples, as a batch of their own.
    pub fn prefix(&self, len: usize) -> Batch {
        self.range(0, len)
    }
    /// Sample i's context, T tokens.
    pub fn context(&self, i: usize) -> &[u32] {
        &self.ctx[i * self.t..(i + 1) * self.t]
    }
}
