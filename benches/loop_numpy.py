"""A numpy training loop for the SCB task: sample a batch, take the gradient, step; SGD or
ScbProx (stage one, dual-averaging stage two, the stable-support switch), vectorised the
way a researcher would write it. The end-to-end benchmark runs it next to `scb train`.

    python benches/loop_numpy.py --n 64 --t 128 --q 4 --batch 1024 --samples 200000 --algorithm scb-prox

It reads the task scb drew (P.npy, Qstar.npy from a `scb train --out DIR`) when given
--task DIR, so both learn the same task; it draws its own batches.
"""
import argparse
import json
import time

import numpy as np


def sampler(P, Qstar, mu, rng):
    N, T = P.shape[0], Qstar.shape[0]
    cum_mu = np.cumsum(mu)
    cum_q = np.cumsum(Qstar, axis=0)          # T x N, along positions
    cum_p = np.cumsum(P, axis=0)              # N x N, along next tokens

    def draw(B):
        ctx = np.minimum(np.searchsorted(cum_mu, rng.random((B, T))), N - 1)
        k = np.minimum(np.searchsorted(cum_mu, rng.random(B)), N - 1)
        pos = np.minimum((cum_q[:, k] < rng.random(B)).sum(0), T - 1)
        src = ctx[np.arange(B), pos]
        out = np.minimum((cum_p[:, src] < rng.random(B)).sum(0), N - 1)
        return ctx, k, out

    return draw


def batch_grad(V, A, ctx, query, out):
    """Loss, gradients and the per-sample attention-gradient rows (for the threshold)."""
    B, T = ctx.shape
    N = V.shape[0]
    a = A[:, query].T                                   # (B, T)
    H = np.zeros((B, N))
    np.add.at(H, (np.arange(B)[:, None], ctx), a)       # h = X a_k
    R = H @ V.T
    R[np.arange(B), out] -= 1.0
    loss = 0.5 * np.einsum("bn,bn->", R, R) / B
    D = (R @ V)[np.arange(B)[:, None], ctx]             # d a_k[t] = (V^T r)[x_t], (B, T)
    GA = np.zeros((N, T))
    np.add.at(GA, query, D)
    GV = R.T @ H
    return loss, GV / B, GA.T / B, D


def pooled_var(D, query, N):
    T = D.shape[1]
    counts = np.bincount(query, minlength=N)
    sums = np.zeros((N, T))
    np.add.at(sums, query, D)
    ok = counts >= 2
    within = (D * D).sum() - ((sums[ok] ** 2).sum(1) / counts[ok]).sum() - (D[~ok[query]] ** 2).sum()
    dof = T * (counts[ok] - 1).sum()
    return max(within / dof, 0.0) if dof > 0 else 0.0


def top_q(A, Q):
    idx = np.argsort(-A, axis=0, kind="stable")
    top = np.sort(idx[:Q], axis=0)
    vals = np.take_along_axis(A, idx, axis=0)
    gap = vals[Q - 1] > vals[Q] if A.shape[0] > Q else np.ones(A.shape[1], bool)
    return top, gap


def train(P, Qstar, mu, Q, algorithm, batch, samples, seed, lr=1.0, eta=0.5):
    N, T = P.shape[0], Qstar.shape[0]
    rng = np.random.default_rng(seed)
    draw = sampler(P, Qstar, mu, rng)
    V = np.full((N, N), 1.0 / N)
    A = np.full((T, N), 1.0 / T)
    stage, steps, phase_steps, da_steps, s_t = 1, 0, 0, 0, 0.0
    Z = np.zeros_like(A)
    last_top, stable = None, np.zeros(N, int)
    universal = np.sqrt(2 * np.log(T))
    for _ in range(samples // batch):
        ctx, k, out = draw(batch)
        loss, GV, GA, D = batch_grad(V, A, ctx, k, out)
        if algorithm == "sgd":
            V -= lr * GV
            V += (1.0 - V.sum(0)) / N
            A -= lr * GA
            continue
        e = min(eta, 2.0 / (phase_steps + 2))
        vmu = V @ mu
        c2 = vmu @ vmu
        c1 = max((mu * (V * V).sum(0)).sum() - c2, 0.0)
        alpha = (mu * (A * A).sum(0)).sum()
        omega = (mu * A.sum(0) ** 2).sum()
        gamma = (omega - alpha) / (alpha * omega)
        V -= e * (GV / (alpha * mu[None, :]) - gamma * GV.sum(1)[:, None])
        V += (1.0 - V.sum(0)) / N
        if c1 > 0:
            pre = 1.0 / (mu * c1)
            G = GA * pre[None, :]
            G -= c2 / (c1 + T * c2) * G.sum(0)[None, :]
            if stage == 1:
                X = np.maximum(A - e * G, 0.0)
            else:
                w = 2.0 / (da_steps + 2)
                s_t = (1 - w) ** 2 * s_t + w * w
                Z = (1 - w) * Z + w * (A - G)
                sigma = np.sqrt(batch * mu * pooled_var(D, k, N)) / batch * pre
                X = np.maximum(Z - sigma[None, :] * universal * np.sqrt(s_t), 0.0)
                da_steps += 1
            sums = X.sum(0)
            ok = sums > 0
            A[:, ok] = X[:, ok] / sums[ok]
        steps += 1
        phase_steps += 1
        if stage == 1:
            top, gap = top_q(A, Q)
            same = gap & (top == last_top).all(0) if last_top is not None else np.zeros(N, bool)
            stable = np.where(same, stable + 1, 0)
            last_top = top
            if mu[stable >= 5].sum() >= 0.9:
                stage, phase_steps = 2, 0
    return V, A


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", required=True, help="a `scb train --out` folder: P.npy, Qstar.npy, mu.npy")
    ap.add_argument("--q", type=int, required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--samples", type=int, required=True)
    ap.add_argument("--algorithm", choices=["sgd", "scb-prox"], required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    P, Qstar, mu = (np.load(f"{a.task}/{f}.npy") for f in ("P", "Qstar", "mu"))
    t0 = time.perf_counter()
    V, A = train(P, Qstar, mu, a.q, a.algorithm, a.batch, a.samples, a.seed)
    dt = time.perf_counter() - t0
    dist = lambda X, Y: float(np.linalg.norm(X - Y) / np.linalg.norm(Y))
    used = a.samples // a.batch * a.batch
    print(json.dumps({"seconds": dt, "samples": used, "samples_per_s": used / dt, "dist_v": dist(V, P), "dist_a": dist(A, Qstar)}))


if __name__ == "__main__":
    main()
