//! A one-layer transformer classifying sequences of noisy patterns (docs/theory.md §8; the
//! set-up is reconstructed from the abstract of Li, Wang, Zhang, Liu & Chen, 2024).
//!
//! Data. M orthonormal patterns `e_1..e_M` in R^d; `e_1` (mu+) and `e_2` (mu-) decide the
//! label, the rest are irrelevant. A sequence has L tokens; each is mu+ or mu- with
//! probability `p_rel / 2` each, else an irrelevant pattern uniformly, plus N(0, sigma^2 I)
//! noise. The label is +1 if mu+ tokens outnumber mu- tokens and -1 if fewer; a sequence with
//! a tie is drawn again, so none occurs.
//!
//! Model. For X = [x_1 .. x_L] (d x L): scores `S[s, l] = (W_K x_s) . (W_Q x_l)`, attention
//! `alpha[:, l] = softmax_s S[:, l]`, context `c_l = W_V X alpha[:, l]`, hidden
//! `h_l = W_O c_l` (m neurons), and `F(X) = 1/L sum_l a . ReLU(h_l)` with `a` fixed, half the
//! neurons +1/m and half -1/m. Hinge loss `max(0, 1 - y F)`, minibatch SGD on all four of
//! W_Q, W_K (d_a x d), W_V (d_v x d), W_O (m x d_v) from a small random start.
//!
//! Gradients, by hand (checked against finite differences in `tests/lowrank.rs`): with
//! `g_l = dF/dh_l = 1/L a o 1[h_l > 0]`: `dW_O = sum_l g_l c_l^T`; `dc_l = W_O^T g_l`;
//! `dV[:, s] = sum_l alpha[s, l] dc_l` for `V = W_V X`, so `dW_V = dV X^T`;
//! `dalpha[s, l] = V[:, s] . dc_l`, through the softmax `dS[s, l] = alpha[s, l] (dalpha[s, l] -
//! sum_s' alpha[s', l] dalpha[s', l])`; with `K = W_K X`, `Qm = W_Q X`: `dK = Qm dS^T`,
//! `dQm = K dS`, `dW_K = dK X^T`, `dW_Q = dQm X^T`.

// Every public item says what it is: CI's `clippy -D warnings` makes a missing doc comment
// an error.
#![warn(missing_docs)]

pub mod claims;
mod data;
mod net;
mod prune;
mod spectrum;
mod train;

pub use data::Data;
pub use net::{Grads, Net};
pub use prune::{pruned, Pruning};
pub use spectrum::{energy_rank, singular_values, stable_rank};
pub use train::{train, Training};
