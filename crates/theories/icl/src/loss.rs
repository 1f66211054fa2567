//! One query column's loss and gradient at one count vector (the reduction of the module
//! docs), and the error of a full prompt computed from its tokens, which the reduction is
//! tested against.

/// `e^{z_m - max z}`: the softmax's feature weights, once per column and step, shared by
/// every count vector (a count vector only scales them by its counts).
pub fn feature_weights(z: &[f64], w: &mut [f64]) {
    let top = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    w.iter_mut().zip(z).for_each(|(wm, zm)| *wm = (zm - top).exp());
}

/// Column k's loss at one count vector and, if asked, its gradient in `z = Q[:, k]`, from
/// the feature weights `w` of `feature_weights`; `a` receives the attention per feature.
pub fn loss_grad_w(w: &[f64], n: &[u32], k: usize, a: &mut [f64], grad: Option<&mut [f64]>) -> f64 {
    let mut s = 0.0;
    for ((am, &wm), &c) in a.iter_mut().zip(w).zip(n) {
        *am = c as f64 * wm;
        s += *am;
    }
    // Every present feature's weight underflowed: only logit gaps beyond ~700, which the
    // runs here never approach; the guard keeps the loss finite rather than NaN.
    let s = if s > 0.0 { s } else { f64::MIN_POSITIVE };
    a.iter_mut().for_each(|x| *x /= s);
    let mut loss = 0.0;
    let mut ga = 0.0;
    for (m, &am) in a.iter().enumerate() {
        if m == k {
            loss += (1.0 - am) * (1.0 - am);
            ga += -2.0 * (1.0 - am) * am;
        } else {
            loss += am * am;
            ga += 2.0 * am * am;
        }
    }
    if let Some(g) = grad {
        for (m, (gm, &am)) in g.iter_mut().zip(a.iter()).enumerate() {
            let gm_a = if m == k { -2.0 * (1.0 - am) } else { 2.0 * am };
            *gm = am * (gm_a - ga);
        }
    }
    loss
}

/// `loss_grad_w` at `z` directly (one count vector).
pub fn loss_grad(z: &[f64], n: &[u32], k: usize, a: &mut [f64], grad: Option<&mut [f64]>) -> f64 {
    let mut w = vec![0.0; z.len()];
    feature_weights(z, &mut w);
    loss_grad_w(&w, n, k, a, grad)
}

/// The squared error of one full prompt, computed from the tokens themselves (no
/// reduction): the softmax over all L tokens of `x_i^T Q x_q`, with `x` one-hot.
pub fn prompt_error(q: &[f64], k_dim: usize, tokens: &[usize], query: usize, w: &[f64]) -> f64 {
    let score = |m: usize| q[query * k_dim + m];
    let top = tokens.iter().map(|&m| score(m)).fold(f64::NEG_INFINITY, f64::max);
    let (mut num, mut den) = (0.0, 0.0);
    for &m in tokens {
        let e = (score(m) - top).exp();
        num += e * w[m];
        den += e;
    }
    let yhat = num / den;
    (yhat - w[query]) * (yhat - w[query])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn the_gradient_matches_finite_differences() {
        let mut rng = scb_harness::rng::rng(3, 3);
        for k_dim in [2usize, 3, 7] {
            for _ in 0..20 {
                let z: Vec<f64> = (0..k_dim).map(|_| rng.random::<f64>() * 4.0 - 2.0).collect();
                let n: Vec<u32> = (0..k_dim).map(|m| if m == 1 && k_dim > 2 { 0 } else { rng.random_range(0..9) + 1 }).collect();
                for k in 0..k_dim {
                    let (mut a, mut g) = (vec![0.0; k_dim], vec![0.0; k_dim]);
                    loss_grad(&z, &n, k, &mut a, Some(&mut g));
                    for j in 0..k_dim {
                        let h = 1e-6;
                        let (mut up, mut dn) = (z.clone(), z.clone());
                        up[j] += h;
                        dn[j] -= h;
                        let fd = (loss_grad(&up, &n, k, &mut a, None) - loss_grad(&dn, &n, k, &mut a, None)) / (2.0 * h);
                        assert!((fd - g[j]).abs() < 1e-7 * (1.0 + fd.abs()), "K={k_dim} k={k} j={j}: {fd} vs {}", g[j]);
                    }
                }
            }
        }
    }
}
