"""scb for Python: check bounds by Monte Carlo simulation, with the Rust harness behind it.

    import scb
    res = scb.check("stage_one", quick=True)       # a spec in ./theorems, or a .toml path
    res.verdicts, res.quantities, res.trials        # pandas DataFrames
    res                                             # in Jupyter: the verdict table and figure

    res = scb.check("coupon.toml", trial=draws)     # a trial function defined right here
    scb.accept("coupon", quick=True)                # the run becomes the accepted baseline
    scb.figure("reports/coupon", style="paper")     # redrawn from the records
    scb.calibrate("coupon", seeds=20, quick=True)   # the verdict's error rates
    run = scb.train({"task": {"n": 16, "t": 32}, "algorithm": {"name": "scb-prox"}})
    run.params["V"], run.history                    # NumPy arrays, a DataFrame

`pip install` also puts the `scb` command on the PATH: the same command line as the Rust
binary, built from the same source in the same build.

A spec with `claim = "python"` names its trial function as "module:function"; `check` then
runs it in worker processes, one per core (the module must be importable: beside the spec,
in the working folder, or installed). `trial=` runs a callable in this process instead,
which suits a function defined in a notebook cell. Errors raise `ScbError` (or its
subclasses) with the CLI's one-line message and exit code.
"""

import hashlib
import inspect
import os
import sys
from pathlib import Path

from . import _scb
from ._results import Results, TrainRun, load

__all__ = ["check", "accept", "figure", "calibrate", "load", "train", "claims", "Results", "TrainRun", "ScbError", "InputError", "TrialError"]
__version__ = _scb.VERSION


class ScbError(Exception):
    """What the harness refused or could not do: `message` as the CLI prints it, and the
    CLI's `exit_code` (2 bad input, 3 a read or write failed, 4 an internal fault, 6 a
    trial's own code failed)."""

    def __init__(self, message, exit_code, traceback=None):
        super().__init__(message)
        self.message, self.exit_code, self.traceback = message, exit_code, traceback

    def __str__(self):
        if self.traceback:
            return "%s\n\n%s" % (self.message, self.traceback.rstrip())
        return self.message


class InputError(ScbError):
    """Bad input (exit code 2): a spec field out of range, an unknown spec, a bad config."""


class TrialError(ScbError):
    """A trial's own code raised, or returned what is not a dict of finite numbers (exit
    code 6). `traceback` holds the trial's traceback when it raised."""


_CLASSES = {2: InputError, 6: TrialError}


def _raise(e):
    message, code, tb = e.args
    raise _CLASSES.get(code, ScbError)(message, code, tb) from None


def _fingerprint(fn):
    """The code of an in-process trial function, for the records: an edited function
    re-simulates instead of mixing its trials with the old ones."""
    try:
        text = inspect.getsource(fn)
    except (OSError, TypeError):
        text = getattr(fn, "__module__", "") + ":" + getattr(fn, "__qualname__", repr(fn))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check(specs, quick=False, out=None, theorems="theorems", replace=False, trial=None, show=True, baseline=None):
    """Check specs as `scb check` does and return their `Results`.

    specs: a spec id (looked up in `theorems`), a path to a .toml, "all", or a list of them.
    quick: the specs' quick grids. out: the folder the run is written to; by default the
    CLI's working folder ("reports/new", or "reports/quick/new" for quick grids), compared
    with the accepted baseline ("reports" or "reports/quick"; `baseline` names another).
    With `out` given, the run is compared only with an explicit `baseline`.
    trial: a callable `f(point, seed) -> dict of numbers` to run every Python trial of the
    specs in this process (otherwise each spec's own `function` runs in worker processes).
    show: print the verdicts as the CLI does.
    Ctrl-C stops the run before its next trial; finished trials are kept and a rerun resumes.
    """
    names = [specs] if isinstance(specs, (str, os.PathLike)) else list(specs)
    names = [str(n) for n in names]
    # Worker processes run on this interpreter, so they import what this session can.
    os.environ.setdefault("SCB_PYTHON", sys.executable)
    code = _fingerprint(trial) if trial is not None else None
    try:
        exit_code, text, ids, out = _scb.check(names, quick, None if out is None else str(out), str(theorems), replace, trial, code,
                                               None if baseline is None else str(baseline))
    except _scb.ScbError as e:
        _raise(e)
    if show:
        print(text, end="")
    return Results(Path(out), ids, exit_code=exit_code, text=text)


def train(config=None, out=None, force=False, **tables):
    """Train one model as `scb train --config` does and return a `TrainRun` (parameters as
    NumPy arrays, the history as a DataFrame).

    config: a dict with the tables `task`, `run` and `algorithm` (or pass them as keyword
    arguments); `run={"population": True}` trains on the population gradient.
    out: where run.json, history.csv and the .npy files go (default: a temporary folder).
    force: start a run estimated to take more than 7 days.
    """
    import json
    import tempfile

    spec = dict(config or {})
    spec.update(tables)
    spec.setdefault("algorithm", {"name": "scb-prox"})
    if out is None:
        out = tempfile.mkdtemp(prefix="scb-train-")
    try:
        _scb.train(json.dumps(spec), str(out), force)
    except _scb.ScbError as e:
        _raise(e)
    return TrainRun(Path(out))


def claims():
    """The claims a spec may name with `claim = "..."`, as {id: what it checks}."""
    return dict(_scb.claims())


def _names(specs):
    names = [specs] if isinstance(specs, (str, os.PathLike)) else list(specs)
    return [str(n) for n in names]


def _folders(quick):
    """The CLI's working folder and baseline: ("reports/new", "reports"), or the quick ones."""
    return ("reports/quick/new", "reports/quick") if quick else ("reports/new", "reports")


def accept(specs="all", quick=False, source=None, baseline=None):
    """Accept results into the baseline as `scb accept` does, and return the ids accepted.

    specs: ids, or "all" (every result in `source`). source: the run's folder (default the
    CLI's working folder, "reports/new" or "reports/quick/new"); baseline: the accepted
    results (default "reports" or "reports/quick"). Only records of the code that made each
    result are copied, and a result from a build with uncommitted changes is warned about.
    """
    run, base = _folders(quick)
    try:
        return _scb.accept(_names(specs), quick, str(source or run), str(baseline or base))
    except _scb.ScbError as e:
        _raise(e)


def figure(folder, out=None, style="screen", formats="svg,pdf,png"):
    """Redraw a result folder's figure from its records, as `scb figure <folder>` does, from
    any working folder; return the paths written (into `folder`, or `out`).

    style: "screen", "paper", "paper-wide" or "slides". formats: a comma-separated list of
    svg, pdf and png. Nothing is simulated: a figure redrawn is the figure of the run.
    """
    os.environ.setdefault("SCB_PYTHON", sys.executable)
    try:
        files = _scb.figure(str(folder), None if out is None else str(out), style, formats)
    except _scb.ScbError as e:
        _raise(e)
    return [Path(f) for f in files]


def calibrate(specs, seeds=20, quick=False, out="reports", theorems="theorems", show=True):
    """Calibrate specs as `scb calibrate` does: rerun each under `seeds` master seeds and,
    with the truth planted at each check's competing hypothesis, measure how often each
    verdict is the one expected. Writes calibration.json (calibration-quick.json) beside each
    result in `out` and returns {id: calibration}; `calibration["meets"]` says whether the
    spec reaches the required share of seeds (95% full, 90% quick).
    """
    import json

    os.environ.setdefault("SCB_PYTHON", sys.executable)
    try:
        text, cals = _scb.calibrate(_names(specs), int(seeds), quick, str(out), str(theorems))
    except _scb.ScbError as e:
        _raise(e)
    if show:
        print(text, end="")
    found = {}
    for text, meets in cals:
        c = json.loads(text)
        c["meets"] = meets
        found[c["id"]] = c
    return found
