"""End-to-end speed: samples/s of whole `scb train` runs (sampling, step, history
checkpoints, outputs) next to the numpy loop of benches/loop_numpy.py, the jitted JAX loop
of benches/loop_jax.py (SGD) and this core's limit, on one thread, in one run. Prints the
table in docs/speed.md.

    cargo build --release && pip install numpy "jax[cpu]"
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benches/end_to_end.py

Where `taskset` exists, scb and both peers run pinned to one core. Without JAX installed (or
with `--jax-python` naming a Python that lacks it) the JAX columns say so.

The limit per batch is the dense gradient's 6 B N^2 flops at the measured f64 FMA peak
(at the widest vectors the core has: 512 bits where AVX-512 is present), plus one 64-bit
generator word per token (B (T + 3) words) at the measured cost per word. A second share is
taken of the same limit with the 256-bit FMA peak, the most the `gemm` crate's stable kernels
can use. Every figure is the best of `--reps` runs: this machine's neighbours slow single
runs down.

Then the checker: trials per second of `scb check <spec>` on its full grid with 1 and with
2 worker threads (fresh store each time, everything included: contexts, trials, analysis,
reports), and a check that the two runs' results are identical.

    python benches/end_to_end.py --checker-only --specs all
"""
import argparse
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCB = os.path.join(HERE, "..", "target", "release", "scb")
THEOREMS = os.path.join(HERE, "..", "theorems")
# Large and small trials, and grids whose last points are their slowest.
CHECKER_SPECS = ["stage_one", "stage_two", "transfer", "icl_time_scale", "lowrank_updates"]
SIZES = [(16, 64, 1024, 1_000_000), (64, 128, 1024, 1_000_000), (256, 512, 256, 204_800)]


PIN = ["taskset", "-c", "0"] if shutil.which("taskset") else []


def scb_train(n, t, b, samples, algorithm, out):
    args = PIN + [SCB, "train", "--n", str(n), "--t", str(t), "--q", "4", "--batch", str(b), "--algorithm", algorithm,
            "--samples", str(samples), "--seed", "1", "--out", out]
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env={**os.environ, "RAYON_NUM_THREADS": "1"})
    return samples // b * b / (time.perf_counter() - t0)


def numpy_loop(task, b, samples, algorithm):
    args = PIN + [sys.executable, os.path.join(HERE, "loop_numpy.py"), "--task", task, "--q", "4", "--batch", str(b),
            "--samples", str(samples), "--algorithm", algorithm]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout)["samples_per_s"]


def has_jax(python):
    return subprocess.run([python, "-c", "import jax"], capture_output=True).returncode == 0


def jax_loop(python, task, b, samples):
    """The JAX peer's samples/s."""
    args = PIN + [python, os.path.join(HERE, "loop_jax.py"), "--task", task, "--batch", str(b), "--samples", str(samples)]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout.splitlines()[-1])["samples_per_s"]


def checker(spec, threads, out):
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads)}
    t0 = time.perf_counter()
    done = subprocess.run([SCB, "check", spec, "--out", out, "--theorems", THEOREMS, "--format", "svg"], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 1, 5):
        sys.exit(f"scb check {spec} exited {done.returncode}: {done.stderr[-2000:]}")
    trials = sum(int(m) for m in re.findall(r"(\d+) simulated", done.stderr))
    return trials, wall


def same_results(a, b):
    """Every result.json, quantities.csv and trials record of two runs' folders, compared."""
    for root, _, files in os.walk(a):
        for f in files:
            if f in ("result.json", "quantities.csv"):
                p = os.path.join(root, f)
                if not filecmp.cmp(p, os.path.join(b, os.path.relpath(p, a)), shallow=False):
                    return False
            if f == "trials.jsonl":
                read = lambda p: sorted(open(p).read().splitlines())
                p = os.path.join(root, f)
                if read(p) != read(os.path.join(b, os.path.relpath(p, a))):
                    return False
    return True


def checker_table(specs):
    print("\n| spec (full grid) | trials | 1 thread (trials/s) | 2 threads (trials/s) | speed-up | results identical |")
    print("| --- | --- | --- | --- | --- | --- |")
    total = [0, 0.0, 0.0]
    for spec in specs:
        with tempfile.TemporaryDirectory() as d:
            n1, w1 = checker(spec, 1, os.path.join(d, "one"))
            n2, w2 = checker(spec, 2, os.path.join(d, "two"))
            same = same_results(os.path.join(d, "one"), os.path.join(d, "two"))
        total = [total[0] + n1, total[1] + w1, total[2] + w2]
        print(f"| {spec} | {n1} | {rate(n1 / w1)} | {rate(n2 / w2)} | {w1 / w2:.2f}x | {'yes' if same else 'NO'} |", flush=True)
    if len(specs) > 1:
        print(f"| all of the above | {total[0]} | {rate(total[0] / total[1])} | {rate(total[0] / total[2])} | {total[1] / total[2]:.2f}x | |")


def rate(x):
    """Three significant digits: 153, 8.31, 0.138 trials/s."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--specs", default=",".join(CHECKER_SPECS), help="comma-separated spec ids for the checker table, or all")
    ap.add_argument("--checker-only", action="store_true")
    ap.add_argument("--learners", default="sgd,scb-prox", help="comma-separated: sgd, scb-prox")
    ap.add_argument("--jax-python", default=sys.executable, help="the Python that has JAX, for the JAX peer")
    ap.add_argument("--no-checker", action="store_true", help="the training table only")
    a = ap.parse_args()
    specs = a.specs.split(",")
    if specs == ["all"]:
        specs = sorted(f[:-5] for f in os.listdir(THEOREMS) if f.endswith(".toml"))
    if not a.checker_only:
        training_table(a.reps, a.learners.split(","), a.jax_python)
    if not a.no_checker:
        checker_table(specs)


def training_table(reps, learners, jax_python):
    lim = [json.loads(subprocess.run([SCB, "bench-limits"], check=True, capture_output=True, text=True).stdout) for _ in range(reps)]
    peak = max(x["fma_gflops"] for x in lim) * 1e9
    peak256 = max(x["fma256_gflops"] for x in lim) * 1e9
    bits = lim[0]["fma_bits"]
    word = min(x["ns_per_word"] for x in lim) * 1e-9
    peak512 = max((x["fma512_gflops"] or 0.0) for x in lim)
    print(f"{lim[0]['cpu']}: f64 FMA peak {peak / 1e9:.1f} GFLOP/s at {bits} bits ({peak256 / 1e9:.1f} at 256 bits, {peak512:.1f} at 512), {word * 1e9:.2f} ns per generator word\n")
    jax = has_jax(jax_python)
    print("| N, T, B | learner | limit (samples/s) | scb (samples/s) | share of limit | share of the 256-bit limit | numpy loop (samples/s) "
          "| scb / numpy | JAX loop (samples/s) | scb / JAX |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for n, t, b, samples in SIZES:
        limit, limit256 = (b / (6 * b * n * n / p + b * (t + 3) * word) for p in (peak, peak256))
        with tempfile.TemporaryDirectory() as d:
            for algorithm in learners:
                out = os.path.join(d, algorithm)
                best_scb, best_np, best_jax = 0.0, 0.0, 0.0
                for r in range(reps):
                    best_scb = max(best_scb, scb_train(n, t, b, samples, algorithm, out))
                    # numpy is slow at the largest size: one run there is enough to rank it.
                    if r == 0 or n < 256:
                        best_np = max(best_np, numpy_loop(out, b, samples, algorithm))
                    # The JAX peer is SGD's.
                    if algorithm == "sgd" and jax:
                        best_jax = max(best_jax, jax_loop(jax_python, out, b, samples))
                if algorithm != "sgd":
                    jax_cells = "- | -"
                elif not jax:
                    jax_cells = "JAX not installed | -"
                else:
                    jax_cells = f"{best_jax:,.0f} | {best_scb / best_jax:.1f}x"
                print(f"| {n}, {t}, {b} | {algorithm} | {limit:,.0f} | {best_scb:,.0f} | {best_scb / limit:.0%} | {best_scb / limit256:.0%} | "
                      f"{best_np:,.0f} | {best_scb / best_np:.1f}x | {jax_cells} |", flush=True)


if __name__ == "__main__":
    main()
