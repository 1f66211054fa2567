"""The numpy baseline: the minibatch gradient of the linear transformer on SCB,
vectorised the way a researcher would write it, checked against scb's on the same batch.

    pip install numpy
    cargo run --release -- bench-grad --n 64 --t 128 --b 1024 --out /tmp/bg
    python benches/baseline_numpy.py /tmp/bg

Prints samples/s for numpy and for scb (one thread each) and their ratio.
"""
import json
import sys
import time

import numpy as np


def batch_grad(V, A, ctx, query, out):
    """Mean loss and gradients: f = V X a_k, r = f - e_o, dV = r h^T, da_k[t] = (V^T r)[x_t]."""
    B, T = ctx.shape
    N = V.shape[0]
    a = A[:, query].T                                   # (B, T): each sample's attention
    Vx = V[:, ctx]                                      # (N, B, T): value of each context token
    r = np.einsum("nbt,bt->bn", Vx, a)                  # forward
    r[np.arange(B), out] -= 1.0
    loss = 0.5 * np.einsum("bn,bn->", r, r) / B
    d = np.einsum("nbt,bn->bt", Vx, r)                  # per-sample attention gradients
    GA = np.zeros((N, T))
    np.add.at(GA, query, d)
    H = np.zeros((B, N))                                # h = X a_k per sample
    np.add.at(H, (np.arange(B)[:, None], ctx), a)
    GV = r.T @ H
    return loss, GV / B, GA.T / B


def main():
    d = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    V, A = np.load(f"{d}/V.npy"), np.load(f"{d}/A.npy")
    ctx, query, out = np.load(f"{d}/ctx.npy"), np.load(f"{d}/query.npy"), np.load(f"{d}/out.npy")
    loss, GV, GA = batch_grad(V, A, ctx, query, out)
    err = max(np.abs(GV - np.load(f"{d}/GV.npy")).max(), np.abs(GA - np.load(f"{d}/GA.npy")).max())
    assert err <= 1e-9, f"numpy and scb disagree by {err}"
    t0 = time.perf_counter()
    for _ in range(reps):
        batch_grad(V, A, ctx, query, out)
    dt = (time.perf_counter() - t0) / reps
    scb = json.load(open(f"{d}/timing.json"))
    B = ctx.shape[0]
    print(
        f"N={V.shape[0]} T={A.shape[0]} B={B}: max |diff| {err:.1e}; "
        f"numpy {B / dt:,.0f} samples/s, scb {scb['samples_per_s']:,.0f} samples/s, "
        f"ratio {scb['samples_per_s'] * dt / B:.1f}x"
    )


if __name__ == "__main__":
    main()
