"""The coupon collector, a law known exactly: drawing uniformly with replacement from n
coupons, the number of draws until every coupon has been seen has mean n * H_n, where
H_n = 1 + 1/2 + ... + 1/n = ln(n) + 0.5772... + 1/(2n) - 1/(12n^2) + O(n^-4).

scb calls `draws(point, seed)` once per Monte Carlo trial: `point` holds the grid's axis
values by name, and `seed` is the trial's own seed (the same trial always gets the same one).
"""

import random


def draws(point, seed):
    n = point["n"]
    rng = random.Random(seed)
    seen, k = set(), 0
    while len(seen) < n:
        seen.add(rng.randrange(n))
        k += 1
    return {"draws": k, "draws_per_coupon": k / n}
