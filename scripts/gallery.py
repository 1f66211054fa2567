#!/usr/bin/env python3
"""Writes docs/gallery.md from the committed results: one entry per checked theory, with its
paper, its figure, every spec's verdict, each check's resolution and power at its plant, and
its calibration over fresh master seeds.

    python3 scripts/gallery.py           # rewrite docs/gallery.md
    python3 scripts/gallery.py --check   # exit 1 if docs/gallery.md is not what the results say

Standard library only. tests/docs.rs runs --check, so the page cannot drift from the results.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (title, source, where the derivation is, figures, [(folder under reports/, spec id)])
THEORIES = [
    (
        "Sparse contextual bigrams with linear transformers",
        "Ren, Wang & Lee, *Learning and Transferring Sparse Contextual Bigrams with Linear "
        "Transformers* (NeurIPS 2024): a sample-intensive first stage, a sample-efficient second "
        "stage, transfer from a correlated pretrained model, beating SGD, and softmax close to "
        "linear attention.",
        "theory.md#5-the-claims",
        ["stage_one", "transfer"],
        [("", i) for i in ["stage_one", "stage_one_bound", "stage_two", "stage_two_per_batch", "two_stage", "transfer",
                           "transfer_joint", "transfer_scratch_linear", "transfer_zero_cost", "beats_sgd", "softmax_link"]],
    ),
    (
        "Stage-wise in-context learning with softmax attention",
        "A neighbouring one-layer result, its set-up reconstructed from the paper's abstract: the "
        "dominant query is learnt first, rare ones later, on a time scale of 1/p_k.",
        "theory.md#7-theory-a-in-context-regression-with-softmax-attention",
        ["icl_stagewise"],
        [("", i) for i in ["icl_stagewise", "icl_stagewise_linear", "icl_time_scale", "icl_time_scale_single_eps"]],
    ),
    (
        "Low-rank updates and magnitude pruning",
        "A neighbouring one-layer result, its set-up reconstructed from the paper's abstract: "
        "gradient updates of W_Q, W_K, W_V have low rank, and whether smallest-first pruning is "
        "best is left open.",
        "theory.md#8-theory-b-low-rank-updates-and-magnitude-pruning",
        ["lowrank_updates"],
        [("", i) for i in ["lowrank_updates", "lowrank_updates_linear", "magnitude_pruning"]],
    ),
    (
        "Associative memories under a Zipf law",
        "Cabannes, Dohmatob & Bietti, *Scaling laws for associative memories* (ICLR 2024): the "
        "exact error sum_x p(x) (1 - p(x))^T and its law C_alpha T^-(1 - 1/alpha). The trial is "
        "Python, standard library only.",
        "catalogue.md#associative-memories-under-a-zipf-law",
        ["assoc_memory_law"],
        [("", i) for i in ["assoc_memory", "assoc_memory_law", "assoc_memory_one_over_t"]],
    ),
    (
        "In-context linear regression with linear self-attention",
        "Ahn, Cheng, Daneshmand & Sra (NeurIPS 2023); Zhang, Frei & Bartlett (JMLR 2024): the "
        "trained layer reaches the optimum Gamma* = Sigma M^-1, whose risk is d(d+1)/(n+d+1) for "
        "isotropic features; plain gradient descent's d(d+1)/n is refuted. With anisotropic features, SGD "
        "learns each eigen-direction on population gradient descent's time scale, whose exponent in "
        "lambda moves from about -2 toward -3 as n grows; -3 at every n is refuted.",
        "catalogue.md#in-context-linear-regression-with-linear-self-attention",
        ["lsa_optimum", "lsa_stagewise"],
        [("", i) for i in ["lsa_optimum", "lsa_plain_gd", "lsa_stagewise", "lsa_stagewise_cubic"]],
    ),
    (
        "The coupon collector",
        "A law known exactly, n H_n draws on average, with the trial written in Python "
        "(examples/python).",
        "python.md#the-spec",
        ["coupon"],
        [("examples", i) for i in ["coupon", "coupon_linear"]],
    ),
    (
        "Known truth: the harness's own level",
        "Trials whose truth is known exactly, so that an interval's coverage and a check's "
        "error rates are measured rather than assumed.",
        "theory.md#which-interval-the-known-truth-matrix",
        ["known_coverage"],
        [("", "known_coverage")],
    ),
]


EXPECT = {"pass": "holds", "fail": "fails (refuted form)", "undecided": "open question"}


def num(x):
    if x is None:
        return "–"
    return f"{x:.4g}"


def resolution(check):
    """Per side, the smallest deviation detected on 80% of datasets: a factor for a ratio."""
    r = check.get("resolution") or {}
    factor = check.get("kind") == "ratio"
    sides = [f"{side} {'×' + num(1 + r[side]) if factor else '±' + num(r[side])}" for side in ("up", "down") if r.get(side) is not None]
    return ", ".join(sides) if sides else "–"


def calibration(cal, quantity, index):
    if cal is None:
        return "not calibrated", "–"
    found = [c for c in cal["checks"] if c["quantity"] == quantity]
    if not found:
        return "not calibrated", "–"
    c = found[min(index, len(found) - 1)]
    seeds = len(cal["seeds"])
    stable = f"{c['stable']}/{seeds}"
    planted = c.get("planted") or []
    detected = ", ".join(f"{p['side']} {p['fails']}/{seeds}" for p in planted) if planted else "–"
    return stable, detected


def entry(title, source, derivation, figures, specs):
    out = [f"## {title}", "", source, "", f"Derivation and checks: [{derivation.split('#')[0]}]({derivation}).", ""]
    for fig in figures:
        folder = next(f for f, i in specs if i == fig)
        png = Path("..") / "reports" / folder / fig / f"{fig}.png"
        out += [f"![{fig}]({png.as_posix()})", ""]
    out += [
        "| spec | expected | verdict | check | estimate [interval] | resolution | power at plant | stable over seeds | plant detected |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for folder, spec in specs:
        d = ROOT / "reports" / folder / spec
        result = json.loads((d / "result.json").read_text())
        cal_file = d / "calibration.json"
        cal = json.loads(cal_file.read_text()) if cal_file.is_file() else None
        seen = {}
        for c in result["checks"]:
            q = c["quantity"]
            k = seen.get(q, 0)
            seen[q] = k + 1
            e = c.get("estimate") or {}
            est = f"{num(e.get('value'))} [{num(e.get('lo'))}, {num(e.get('hi'))}]"
            name = q + (" (each point)" if c.get("each_point") else "")
            stable, detected = calibration(cal, q, k)
            weak = " WEAK" if c.get("weak") else ""
            power = "–" if c.get("power") is None else f"{c['power']:.0%}"
            out.append(
                f"| [{spec}](../reports/{folder + '/' if folder else ''}{spec}/result.json) | {EXPECT.get(result['expect'], result['expect'])} | "
                f"{c['verdict']}{weak} | {name} | {est} | {resolution(c)} | {power} | {stable} | {detected} |"
            )
    return out + [""]


def page():
    lines = [
        "# Gallery of checked theories",
        "",
        "<!-- Written by scripts/gallery.py from reports/; rerun it after `scb accept` or `scb calibrate`. -->",
        "",
        "One entry per theory: its source, its figure, and for every check the verdict on the",
        "full grid, the interval, the check's resolution (the smallest deviation of the truth it",
        "detects on 80% of datasets like this one, on each side), its power at its plant (the",
        "competing hypothesis the spec names), and its calibration: on how many fresh master",
        "seeds it reached its expected verdict, and on how many the plant was detected.",
        "[Verdicts](verdicts.md) explains each column; `reports/index.html` has every quantity.",
        "A refuted form is expected to fail; its checks need no plant.",
        "",
    ]
    for t in THEORIES:
        lines += entry(*t)
    return "\n".join(lines).rstrip() + "\n"


def main():
    target = ROOT / "docs" / "gallery.md"
    text = page()
    if "--check" in sys.argv[1:]:
        if not target.is_file() or target.read_text() != text:
            print("docs/gallery.md is not what reports/ says: run python3 scripts/gallery.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
