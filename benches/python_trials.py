"""Trials written in Python: the harness's overhead per trial, and the speed-up of worker
processes on every core. Run from the repository after `cargo build --release`:

    python3 benches/python_trials.py [--trials 20000]

Overhead: a trial that returns at once, simulated and judged, minus the same spec re-judged
from its records (the analysis alone), per trial, on 1 and 2 worker threads.
Speed-up: a trial that computes for about 10 ms, wall time on 1 thread over 2.
Each time is the best of 3 runs into a fresh folder.
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCB = REPO / "target" / "release" / "scb"

MODULE = '''
import random

def instant(point, seed):
    return {"x": 1.0 + (seed % 7) * 1e-3}

def busy(point, seed):
    r, s = random.Random(seed), 0.0
    for _ in range(150000):
        s += r.random()
    return {"x": s}
'''

SPEC = '''
id = "{id}"
claim = "python"
statement = "A benchmark trial."
seed = 1
trials = {trials}
fixed_task = true
bootstrap = 100
[python]
function = "bench_trials:{function}"
measure = "x"
bound = "1"
[grid]
n = [1, 2, 3, 4]
[quick]
trials = 2
[[check]]
quantity = "constant"
kind = "ratio"
predict = 1.0
tolerance = 1e9
'''


def timed(folder, spec, threads, fresh=True):
    best = float("inf")
    for _ in range(3):
        out = folder / ("out-%s-%d" % (spec, threads))
        if fresh and out.exists():
            shutil.rmtree(out)
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        start = time.perf_counter()
        subprocess.run([str(SCB), "check", spec + ".toml", "--out", str(out)], cwd=folder, env=env, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20000, help="trials per point of the instant trial (4 points)")
    args = ap.parse_args()
    if not SCB.exists():
        raise SystemExit("build first: cargo build --release")
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "bench_trials.py").write_text(MODULE)
        (folder / "instant.toml").write_text(SPEC.format(id="instant", trials=args.trials, function="instant"))
        (folder / "busy.toml").write_text(SPEC.format(id="busy", trials=100, function="busy"))
        n = 4 * args.trials
        print("| threads | instant trial: simulated + judged | judged only | overhead per trial |")
        print("| --- | --- | --- | --- |")
        for threads in (1, 2):
            whole = timed(folder, "instant", threads)
            judged = timed(folder, "instant", threads, fresh=False)
            print("| %d | %.2f s | %.2f s | %.1f us |" % (threads, whole, judged, 1e6 * (whole - judged) / n))
        one, two = timed(folder, "busy", 1), timed(folder, "busy", 2)
        print()
        print("busy trial (400 trials of about 10 ms): 1 thread %.2f s, 2 threads %.2f s: %.2fx" % (one, two, one / two))


if __name__ == "__main__":
    main()
