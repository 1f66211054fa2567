//! The one-layer transformer of theory B (docs/theory.md §8): its hand-written gradients
//! against finite differences, its data law, and the helpers its claims measure with.

use ndarray::Array2;
use rand::Rng;
use scb::theories::lowrank::{energy_rank, pruned, singular_values, stable_rank, Data, Net, Pruning};

fn loss(net: &Net, x: &Array2<f64>, y: f64) -> f64 {
    (1.0 - y * net.output(x)).max(0.0)
}

#[test]
fn every_gradient_matches_finite_differences() {
    let mut rng = scb::rng::rng(4, 4);
    let data = Data { l: 6, p_rel: 0.5, sigma: 0.3, random_labels: false };
    let mut checked = 0;
    for trial in 0..6 {
        // A large start, so that the attention is far from uniform and every path counts.
        let net = Net::init(8, 3, 6, 0.7, &mut rng);
        let (x, y) = data.draw(8, 8, &mut rng);
        let mut g = net.zeros_like();
        let l = net.loss_grad(&x, y, &mut g, 1.0);
        assert!((l - loss(&net, &x, y)).abs() < 1e-12);
        if l == 0.0 {
            continue;
        }
        let h = 1e-6;
        for (name, which) in [("W_Q", 0), ("W_K", 1), ("W_V", 2), ("W_O", 3)] {
            let grad = [&g.wq, &g.wk, &g.wv, &g.wo][which];
            let mut worst: f64 = 0.0;
            for idx in ndarray::indices(grad.raw_dim()) {
                let mut up = net.clone();
                let mut dn = net.clone();
                [&mut up.wq, &mut up.wk, &mut up.wv, &mut up.wo][which][idx] += h;
                [&mut dn.wq, &mut dn.wk, &mut dn.wv, &mut dn.wo][which][idx] -= h;
                let fd = (loss(&up, &x, y) - loss(&dn, &x, y)) / (2.0 * h);
                worst = worst.max((fd - grad[idx]).abs() / (1e-6 + fd.abs()));
            }
            assert!(worst < 1e-5, "trial {trial}, {name}: relative error {worst}");
            let norm: f64 = grad.iter().map(|v| v * v).sum();
            assert!(norm > 0.0, "trial {trial}, {name}: a zero gradient tests nothing");
        }
        checked += 1;
    }
    assert!(checked >= 4, "the hinge was active on only {checked} draws");
}

#[test]
fn sequences_never_tie_and_the_label_is_the_majority() {
    let mut rng = scb::rng::rng(5, 5);
    // An even length, where ties are common before the redraw.
    let data = Data { l: 8, p_rel: 0.5, sigma: 0.05, random_labels: false };
    let (mut pos, n) = (0, 20_000);
    for _ in 0..n {
        let (x, y) = data.draw(6, 10, &mut rng);
        let (mut plus, mut minus) = (0, 0);
        for col in x.columns() {
            let top = (0..col.len()).max_by(|&a, &b| col[a].total_cmp(&col[b])).unwrap();
            plus += (top == 0) as i32;
            minus += (top == 1) as i32;
        }
        assert_ne!(plus, minus, "a tie");
        assert_eq!(y, if plus > minus { 1.0 } else { -1.0 });
        pos += (y > 0.0) as usize;
    }
    // The two labels are equally likely by symmetry.
    let share = pos as f64 / n as f64;
    assert!((share - 0.5).abs() < 4.0 * (0.25 / n as f64).sqrt(), "positive share {share}");
}

#[test]
fn ranks_of_known_spectra() {
    assert!((stable_rank(&[3.0, 1.0]) - 10.0 / 9.0).abs() < 1e-12);
    assert_eq!(stable_rank(&[2.0, 2.0, 2.0]), 3.0);
    assert_eq!(energy_rank(&[3.0, 1.0, 0.1], 0.99), 2);
    assert_eq!(energy_rank(&[1.0, 0.0], 0.99), 1);
    // The SVD of a rank-2 matrix: two singular values, the rest zero.
    let u = Array2::from_shape_fn((7, 2), |(i, j)| ((i + 1) * (j + 2)) as f64 % 5.0 - 2.0);
    let v = Array2::from_shape_fn((2, 5), |(i, j)| (i as f64 - j as f64).sin());
    let s = singular_values(&u.dot(&v));
    assert_eq!(s.len(), 5);
    assert!(s[1] > 1e-6 && s[2] < 1e-10 * s[0], "{s:?}");
    // A Gaussian matrix is far from rank 2: the measure can tell them apart.
    let mut rng = scb::rng::rng(6, 6);
    let g = Array2::from_shape_fn((16, 16), |_| rng.random::<f64>() - 0.5);
    assert!(stable_rank(&singular_values(&g)) > 3.0);
}

#[test]
fn pruning_removes_the_chosen_rows_and_only_them() {
    let mut rng = scb::rng::rng(7, 7);
    let mut net = Net::init(4, 2, 10, 0.1, &mut rng);
    for (i, mut row) in net.wo.rows_mut().into_iter().enumerate() {
        row.fill(0.0);
        row[0] = (i + 1) as f64; // row norms 1..10
    }
    let zeroed = |n: &Net| -> Vec<usize> { (0..10).filter(|&i| n.wo.row(i).iter().all(|v| *v == 0.0)).collect() };
    assert_eq!(zeroed(&pruned(&net, 0.3, Pruning::SmallestFirst, &mut rng)), vec![0, 1, 2]);
    assert_eq!(zeroed(&pruned(&net, 0.3, Pruning::LargestFirst, &mut rng)), vec![7, 8, 9]);
    let r = pruned(&net, 0.4, Pruning::Random, &mut rng);
    assert_eq!(zeroed(&r).len(), 4);
    for i in (0..10).filter(|i| !zeroed(&r).contains(i)) {
        assert_eq!(r.wo.row(i), net.wo.row(i));
    }
    assert_eq!((r.wq.clone(), r.wk.clone(), r.wv.clone()), (net.wq.clone(), net.wk.clone(), net.wv.clone()));
    assert!(zeroed(&pruned(&net, 0.0, Pruning::SmallestFirst, &mut rng)).is_empty());
    // Random choices differ between draws: over 20 draws, every row is pruned at least once.
    let mut hit = [false; 10];
    for _ in 0..20 {
        zeroed(&pruned(&net, 0.4, Pruning::Random, &mut rng)).into_iter().for_each(|i| hit[i] = true);
    }
    assert!(hit.iter().all(|h| *h));
}
