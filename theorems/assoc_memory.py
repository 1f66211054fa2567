"""Associative memory under a Zipf law (Cabannes, Dohmatob & Bietti, ICLR 2024), the trial
behind theorems/assoc_memory*.toml.

Tokens x in {1, ..., N} are drawn with p(x) proportional to x^-alpha. A memory of unbounded
capacity stores every association among the T samples it sees, so it errs on a fresh token
exactly when that token was never seen. Its error is

    E(T) = sum_x p(x) (1 - p(x))^T,

and as N grows, E(T) ~ C_alpha T^-(1 - 1/alpha) with
C_alpha = Gamma(1 - 1/alpha) / (alpha zeta(alpha)^(1/alpha)).

scb calls `memory(point, seed)` once per trial, and `exact(point)` or `law(point)` once per
grid point for the bound (python.bound_function). Standard library only, so `scb check all`
needs no numpy.
"""

import math
import random
from array import array
from itertools import accumulate

_laws = {}


def _zipf(alpha, n):
    """p and its cumulative sums, built once per (alpha, N) in each worker."""
    if (alpha, n) not in _laws:
        w = array("d", (x**-alpha for x in range(1, n + 1)))
        total = math.fsum(w)
        p = array("d", (v / total for v in w))
        _laws[alpha, n] = p, array("d", accumulate(p))
    return _laws[alpha, n]


def memory(point, seed):
    """One memory trained on T samples. Its error is the probability mass it never saw: the
    chance that a fresh token is missed given the samples, whose mean over samples is E(T)
    (with less noise than drawing one fresh token would give)."""
    alpha, t, n = point["alpha"], point["T"], point["N"]
    p, cdf = _zipf(alpha, n)
    seen = set(random.Random(seed).choices(range(n), cum_weights=cdf, k=t))
    return {"error": max(0.0, 1.0 - math.fsum(p[x] for x in seen)), "seen": len(seen)}


def exact(point):
    """E(T) = sum_x p(x) (1 - p(x))^T, for the finite N of the point."""
    p, _ = _zipf(point["alpha"], point["N"])
    t = point["T"]
    return math.fsum(q * math.exp(t * math.log1p(-q)) for q in p)


def zeta(s, k=1000):
    """Riemann's zeta for s > 1: k terms, then the Euler-Maclaurin tail (error below 1e-15)."""
    head = math.fsum(j**-s for j in range(1, k))
    return head + k ** (1 - s) / (s - 1) + k**-s / 2 + s * k ** (-s - 1) / 12 - s * (s + 1) * (s + 2) * k ** (-s - 3) / 720


def law(point):
    """The scaling law C_alpha T^-(1 - 1/alpha), the limit as N grows."""
    a = point["alpha"]
    return math.gamma(1 - 1 / a) / (a * zeta(a) ** (1 / a)) * point["T"] ** -(1 - 1 / a)
