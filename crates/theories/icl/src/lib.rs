//! In-context linear regression with one softmax attention layer (docs/theory.md §7):
//! K orthonormal features (one-hot, d = K), a prompt of L tokens and a query, each a feature
//! drawn with probabilities p; a fresh task w ~ N(0, I) per prompt, y_i = <w, x_i>; the model
//! `yhat = sum_i y_i softmax_i(x_i^T Q x_q)` with one trainable K x K matrix Q, started at 0.
//!
//! The reduction. With one-hot features the score of token i for a query of feature k is
//! `Q[m_i, k]`, so all tokens of one feature get the same weight and the prediction is
//! `sum_m a_m w_m` with `a_m = n_m e^{Q_mk} / sum_j n_j e^{Q_jk}` (n: the feature counts of the
//! prompt). The error `(a_k - 1) w_k + sum_{m != k} a_m w_m` averaged over w ~ N(0, I) is
//! `(1 - a_k)^2 + sum_{m != k} a_m^2`, so `loss_k = E_n[(1 - a_k)^2 + sum_{m != k} a_m^2]` and
//! `L = 1/2 sum_k p_k loss_k`. Column k of Q enters only loss_k: columns learn independently,
//! column k with effective step `eta p_k / 2`. A prompt is a multinomial count vector.
//! `tests/icl.rs` checks this against a direct simulation of full prompts.
//!
//! The gradient. With `g_m = d loss / d a_m` (`2 a_m` for m != k, `-2 (1 - a_k)` for k) and
//! `d a_m / d z_j = a_m (delta_mj - a_j)` (z = Q[:, k]): `d loss / d z_j = a_j (g_j - <g, a>)`.

// Every public item says what it is: CI's `clippy -D warnings` makes a missing doc comment
// an error.
#![warn(missing_docs)]

pub mod claims;
mod counts;
mod loss;
mod prompts;
mod train;

pub use counts::CountSet;
pub use loss::{feature_weights, loss_grad, loss_grad_w, prompt_error};
pub use prompts::Prompts;
pub use train::{train_column, ColumnRun, Training};
