"""A jitted JAX training loop for the SCB task, the peer the end-to-end benchmark runs beside
`scb train`: SGD with dense attention, sampling and step fused in one `lax.scan`, compiled
once by XLA, as a researcher who wants speed from Python would write it. Of the standard
choices, the faster was kept where they differ, measured on an AMD EPYC: the gradient by
hand rather than by `jax.grad` (748,000 samples/s against 505,000 at N=16, 181,000 against
85,000 at N=64); `jnp.searchsorted`'s method by N (below); the default PRNG, since `rbg` and
`unsafe_rbg` ran within 5% of it.

    pip install "jax[cpu]"
    python benches/loop_jax.py --task DIR --batch 1024 --samples 1000000

It reads the task scb drew (P.npy, Qstar.npy, mu.npy from a `scb train --out DIR`), so both
learn the same task, and draws its own batches. The first chunk of steps is run once before
the clock starts, so compilation is not counted. One core: the caller pins the process
(`taskset -c 0`) and XLA's own thread pool is turned off below, so that the rate compares
with scb's one thread.
"""
import argparse
import json
import os
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_ENABLE_X64", "1")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

# Steps compiled into one scan: long enough that Python's dispatch between chunks is noise.
CHUNK = 64


def make_chunk(P, Qstar, mu, batch, lr, grad_by, search):
    N, T = P.shape[0], Qstar.shape[0]
    # Inverse-CDF draws from cumulative tables, as the numpy loop does: one uniform per draw
    # (a categorical by Gumbel noise would take N per draw).
    cum_mu, cum_q, cum_p = jnp.cumsum(mu), jnp.cumsum(Qstar, axis=0), jnp.cumsum(P, axis=0)

    def loss(params, ctx, k, out):
        V, A = params
        a = A[:, k].T                                        # (B, T): the query's attention
        H = jnp.einsum("bt,btn->bn", a, jax.nn.one_hot(ctx, N, dtype=a.dtype))
        R = H @ V.T - jax.nn.one_hot(out, N, dtype=a.dtype)
        return 0.5 * jnp.sum(R * R) / ctx.shape[0]

    def manual(params, ctx, k, out):
        # The gradient written out with scatters and gathers, as the numpy loop has it.
        V, A = params
        rows = jnp.arange(ctx.shape[0])
        H = jnp.zeros((ctx.shape[0], N), A.dtype).at[rows[:, None], ctx].add(A[:, k].T)
        R = (H @ V.T).at[rows, out].add(-1.0)
        D = (R @ V)[rows[:, None], ctx]
        GA = jnp.zeros((N, T), A.dtype).at[k].add(D)
        return R.T @ H / ctx.shape[0], GA.T / ctx.shape[0]

    grad = manual if grad_by == "manual" else jax.grad(loss)

    def step(carry, _):
        V, A, key = carry
        key, kc, kk, kp, ko = jax.random.split(key, 5)
        ctx = jnp.minimum(jnp.searchsorted(cum_mu, jax.random.uniform(kc, (batch, T)), method=search), N - 1)
        k = jnp.minimum(jnp.searchsorted(cum_mu, jax.random.uniform(kk, (batch,)), method=search), N - 1)
        pos = jnp.minimum((cum_q[:, k] < jax.random.uniform(kp, (batch,))).sum(0), T - 1)
        src = ctx[jnp.arange(batch), pos]
        out = jnp.minimum((cum_p[:, src] < jax.random.uniform(ko, (batch,))).sum(0), N - 1)
        GV, GA = grad((V, A), ctx, k, out)
        V = V - lr * GV
        V = V + (1.0 - V.sum(0)) / N
        return (V, A - lr * GA, key), None

    @jax.jit
    def chunk(V, A, key):
        (V, A, key), _ = jax.lax.scan(step, (V, A, key), None, length=CHUNK)
        return V, A, key

    return chunk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", required=True, help="a `scb train --out` folder: P.npy, Qstar.npy, mu.npy")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--samples", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--grad", choices=["manual", "autodiff"], default="manual",
                    help="the gradient written out with scatters (the faster here) or by jax.grad; both give the same numbers")
    ap.add_argument("--search", choices=["auto", "scan", "compare_all", "sort"], default="auto",
                    help="jnp.searchsorted's method for the token draws; auto takes the faster here")
    a = ap.parse_args()
    P, Qstar, mu = (jnp.asarray(np.load(f"{a.task}/{f}.npy")) for f in ("P", "Qstar", "mu"))
    N, T = P.shape[0], Qstar.shape[0]
    # Comparing with every entry is the faster at N=16 (547,000 samples/s against 461,000 by
    # bisection), bisection at N=64 (353,000 against 194,000) and N=256 (53,000 against 14,000).
    search = a.search if a.search != "auto" else ("compare_all" if N <= 32 else "scan")
    chunk = make_chunk(P, Qstar, mu, a.batch, 1.0, a.grad, search)
    V, A, key = jnp.full((N, N), 1.0 / N), jnp.full((T, N), 1.0 / T), jax.random.PRNGKey(a.seed)
    jax.block_until_ready(chunk(V, A, key))                 # compile, off the clock
    chunks = max(1, a.samples // (a.batch * CHUNK))
    t0 = time.perf_counter()
    for _ in range(chunks):
        V, A, key = chunk(V, A, key)
    jax.block_until_ready((V, A))
    dt = time.perf_counter() - t0
    dist = lambda X, Y: float(jnp.linalg.norm(X - Y) / jnp.linalg.norm(Y))
    used = chunks * CHUNK * a.batch
    print(json.dumps({"seconds": dt, "samples": used, "samples_per_s": used / dt, "dist_v": dist(V, P), "dist_a": dist(A, Qstar),
                      "jax": jax.__version__, "search": search, "grad": a.grad}))


if __name__ == "__main__":
    main()
