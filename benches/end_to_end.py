"""End-to-end speed: samples/s of whole `scb train` runs (sampling, step, history
checkpoints, outputs) next to the numpy loop of benches/loop_numpy.py and next to this
core's limit, on one thread, in one run. Prints the README's table.

    cargo build --release && pip install numpy
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benches/end_to_end.py

The limit per batch is the dense gradient's 6 B N^2 flops at the measured f64 FMA peak,
plus one 64-bit generator word per token (B (T + 3) words) at the measured cost per word.
Every figure is the best of `--reps` runs: this machine's neighbours slow single runs down.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCB = os.path.join(HERE, "..", "target", "release", "scb")
SIZES = [(16, 64, 1024, 1_000_000), (64, 128, 1024, 1_000_000), (256, 512, 256, 204_800)]


def scb_train(n, t, b, samples, algorithm, out):
    args = [SCB, "train", "--n", str(n), "--t", str(t), "--q", "4", "--batch", str(b), "--algorithm", algorithm,
            "--samples", str(samples), "--seed", "1", "--out", out]
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env={**os.environ, "RAYON_NUM_THREADS": "1"})
    return samples // b * b / (time.perf_counter() - t0)


def numpy_loop(task, b, samples, algorithm):
    args = [sys.executable, os.path.join(HERE, "loop_numpy.py"), "--task", task, "--q", "4", "--batch", str(b),
            "--samples", str(samples), "--algorithm", algorithm]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout)["samples_per_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    lim = [json.loads(subprocess.run([SCB, "bench-limits"], check=True, capture_output=True, text=True).stdout) for _ in range(a.reps)]
    peak = max(x["fma_gflops"] for x in lim) * 1e9
    word = min(x["ns_per_word"] for x in lim) * 1e-9
    print(f"f64 FMA peak {peak / 1e9:.1f} GFLOP/s, {word * 1e9:.2f} ns per generator word\n")
    print("| N, T, B | learner | limit (samples/s) | scb (samples/s) | share of limit | numpy loop (samples/s) | scb / numpy |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n, t, b, samples in SIZES:
        limit = b / (6 * b * n * n / peak + b * (t + 3) * word)
        with tempfile.TemporaryDirectory() as d:
            for algorithm in ["sgd", "scb-prox"]:
                out = os.path.join(d, algorithm)
                best_scb, best_np = 0.0, 0.0
                for r in range(a.reps):
                    best_scb = max(best_scb, scb_train(n, t, b, samples, algorithm, out))
                    # numpy is slow at the largest size: one run there is enough to rank it.
                    if r == 0 or n < 256:
                        best_np = max(best_np, numpy_loop(out, b, samples, algorithm))
                print(f"| {n}, {t}, {b} | {algorithm} | {limit:,.0f} | {best_scb:,.0f} | {best_scb / limit:.0%} | "
                      f"{best_np:,.0f} | {best_scb / best_np:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
