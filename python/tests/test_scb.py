"""The Python package end to end: checks return DataFrames, trials written in Python are
judged against their bound, faults arrive as exceptions with the CLI's message and exit
code, an interrupt keeps finished trials, and training returns NumPy arrays."""

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scb

REPO = Path(__file__).resolve().parents[2]
THEOREMS = REPO / "theorems"
EXAMPLE = REPO / "examples" / "python"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A user's folder holding the coupon example, as the working folder."""
    for f in ["coupon.py", "coupon.toml", "coupon_linear.toml"]:
        shutil.copy(EXAMPLE / f, tmp_path / f)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def variant(folder, spec_id, *edits):
    text = (folder / "coupon.toml").read_text().replace('id = "coupon"', 'id = "%s"' % spec_id)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    (folder / (spec_id + ".toml")).write_text(text)
    return spec_id + ".toml"


def test_a_rust_claim_returns_its_verdict_quantities_trials_and_figure(tmp_path):
    res = scb.check("stage_one", quick=True, out=tmp_path, theorems=THEOREMS, show=False)
    assert res.exit_code == 0 and res.ok
    assert list(res.verdicts.id) == ["stage_one"] and res.verdicts.outcome[0] == "holds"
    q = res.quantities
    assert isinstance(q, pd.DataFrame)
    assert {"id", "quantity", "point", "estimate", "lo", "hi", "prediction", "check", "outcome"} <= set(q.columns)
    # One row per quantity and grid point: the per-point ratio at each of the quick grid's 4 points.
    per_point = q[(q.quantity == "ratio") & (q.point != "")]
    assert sorted(set(per_point.point)) == ["N=32,T=128,Q=2", "N=32,T=16,Q=2", "N=8,T=128,Q=2", "N=8,T=16,Q=2"]
    assert (per_point.lo <= per_point.estimate).all() and (per_point.estimate <= per_point.hi).all()
    # The point's coordinates are columns of their own, read from the tidy quantities.csv.
    assert sorted(zip(per_point.N, per_point["T"])) == [(8, 16), (8, 128), (32, 16), (32, 128)] and set(per_point.Q) == {2}
    whole = q[(q.quantity == "t_exponent")]
    assert len(whole) == 1 and whole.outcome.iloc[0] == "holds" and whole.prediction.iloc[0] == 1.0
    t = res.trials
    assert len(t) == res.verdicts.shape[0] * 4 * 24 * 16 and {"point", "task", "trial", "seed"} <= set(t.columns)
    page = res._repr_html_()
    assert 'src="data:image/svg+xml;base64,' in page and "stage_one" in page and "t_exponent" in page


def test_a_downloaded_folder_runs_no_script_and_names_no_path(tmp_path):
    import json

    folder = tmp_path / "downloaded"
    shutil.copytree(REPO / "reports" / "quick" / "transfer_zero_cost", folder / "transfer_zero_cost")
    (folder / "transfer_zero_cost" / "transfer_zero_cost.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    page = scb.load(folder)._repr_html_()
    assert "<script" not in page and "<svg" not in page and 'src="data:image/svg+xml;base64,' in page
    # A result whose id is a path is refused, whether named by its folder or by the file.
    evil = folder / "evil"
    shutil.copytree(folder / "transfer_zero_cost", evil)
    r = json.loads((evil / "result.json").read_text())
    r["id"] = "../../paper/fig1"
    (evil / "result.json").write_text(json.dumps(r))
    with pytest.raises(ValueError, match="id"):
        scb.load(folder).result("evil")
    with pytest.raises(ValueError, match="id"):
        scb.load(folder).result("../transfer_zero_cost")


def test_load_reads_the_committed_reports_as_they_were_written():
    res = scb.load(REPO / "reports" / "stage_one")
    csv = pd.read_csv(REPO / "reports" / "stage_one" / "quantities.csv")
    assert res.ids == ["stage_one"] and res.ok
    checks = res.checks
    assert np.allclose(sorted(checks.estimate), sorted(res.result("stage_one")["checks"][i]["estimate"]["value"] for i in range(len(checks))))
    assert set(res.quantities.estimate.round(12)) >= set(csv.value.dropna().round(12)) - {float("nan")}


def test_a_python_trial_module_holds_its_exact_law_and_a_wrong_exponent_fails(project):
    res = scb.check(["coupon.toml", "coupon_linear.toml"], quick=True, show=False)
    assert res.exit_code == 0
    # The run went to the working folder and was compared with a baseline there is none of.
    assert res.folder.resolve() == (project / "reports" / "quick" / "new").resolve()
    assert list(res.comparison.change) == ["no baseline", "no baseline"]
    v = res.verdicts.set_index("id")
    assert v.outcome["coupon"] == "holds" and v.outcome["coupon_linear"] == "refuted as expected"
    q = res.quantities
    residual = q[(q.id == "coupon_linear") & (q.quantity == "residual_n")]
    assert residual.outcome.iloc[0] == "fails" and residual.estimate.iloc[0] > 0.15
    assert abs(q[(q.id == "coupon") & (q.quantity == "constant")].estimate.iloc[0] - 1) < 0.03
    t = res.trials
    assert {"draws", "draws_per_coupon"} <= set(t.columns) and len(t) == 2 * 3 * 400
    # The folder records everything: loading it again gives the same tables.
    again = scb.load(project / "reports" / "quick" / "new")
    pd.testing.assert_frame_equal(again.quantities.sort_values(["id", "quantity", "point"]).reset_index(drop=True),
                                  q.sort_values(["id", "quantity", "point"]).reset_index(drop=True))


def test_a_callable_runs_in_process_and_gives_the_trials_the_module_gives(project):
    import random

    def draws(point, seed):
        n, rng, seen, k = point["n"], random.Random(seed), set(), 0
        while len(seen) < n:
            seen.add(rng.randrange(n))
            k += 1
        return {"draws": k}

    by_module = scb.check("coupon.toml", quick=True, out="by_module", show=False).trials
    in_process = scb.check("coupon.toml", quick=True, out="in_process", trial=draws, show=False)
    assert in_process.exit_code == 0
    a = by_module.sort_values(["point", "trial"]).reset_index(drop=True)
    b = in_process.trials.sort_values(["point", "trial"]).reset_index(drop=True)
    assert (a.seed == b.seed).all() and (a.draws == b.draws).all()


def test_errors_carry_the_cli_message_and_exit_code(project):
    with pytest.raises(scb.InputError) as e:
        scb.check("no_such_spec", quick=True, theorems=THEOREMS, show=False)
    assert e.value.exit_code == 2 and "must be one of" in e.value.message and "\n" not in e.value.message

    def raises(point, seed):
        if point["n"] == 32:
            raise ZeroDivisionError("the trial's own bug")
        return {"draws": 1.0}

    with pytest.raises(scb.TrialError) as e:
        scb.check("coupon.toml", quick=True, trial=raises, show=False)
    assert e.value.exit_code == 6 and "raised ZeroDivisionError: the trial's own bug" in e.value.message
    assert "Traceback" in e.value.traceback and "raises" in e.value.traceback

    for returned, says in [({"draws": float("nan")}, "'draws' = nan, not a finite number"), ({"drawn": 1}, 'returned no "draws"'), (3, "returned a int")]:
        with pytest.raises(scb.TrialError) as e:
            scb.check("coupon.toml", quick=True, trial=lambda p, s, r=returned: r, out="bad", show=False)
        assert says in e.value.message and "trial coupon:draws at n=" in e.value.message, e.value.message


def test_an_interrupt_keeps_finished_trials_and_a_rerun_resumes(project, monkeypatch):
    monkeypatch.syspath_prepend(str(project))
    import coupon

    calls = {"n": 0, "pending": False}
    lock = threading.Lock()

    def interrupted(point, seed):
        with lock:
            calls["n"] += 1
            if calls["n"] == 300:
                calls["pending"] = True
                os.kill(os.getpid(), signal.SIGINT)
        # The main thread sees a signal only when it next polls, and a trial this cheap
        # could let the other 900 finish first; trials after the signal take a few
        # milliseconds, as real ones do, so the interrupt lands mid-run on any machine.
        if calls["pending"]:
            time.sleep(0.005)
        return coupon.draws(point, seed)

    # A process started in the background by a shell inherits SIGINT ignored, and Python
    # then keeps it ignored: Ctrl-C's handler is set here, as an interactive session has it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            scb.check("coupon.toml", quick=True, trial=interrupted, show=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    calls["pending"] = False
    records = project / "reports" / "quick" / "new" / "coupon" / "trials.jsonl"
    kept = len(records.read_text().splitlines())
    assert 300 <= kept < 1200, kept
    assert not (project / "reports" / "quick" / "new" / "coupon" / "result.json").exists()
    res = scb.check("coupon.toml", quick=True, trial=interrupted, show=False)
    assert "%d simulated, %d reused" % (1200 - kept, kept) in res.text, res.text
    clean = scb.check("coupon.toml", quick=True, trial=interrupted, out="clean", show=False)
    assert sorted(records.read_text().splitlines()) == sorted((project / "clean" / "coupon" / "trials.jsonl").read_text().splitlines())
    assert clean.quantities.equals(res.quantities)


def test_train_returns_the_parameters_and_history_and_reaches_population_mode(tmp_path):
    config = {"task": {"n": 8, "t": 16, "q": 2}, "run": {"samples": 20480, "batch": 256, "seed": 3}, "algorithm": {"name": "scb-prox"}}
    run = scb.train(config, out=tmp_path / "sampled")
    assert run.params["V"].shape == (8, 8) and run.params["A"].shape == (16, 8) and run.params["P"].shape == (8, 8)
    assert isinstance(run.history, pd.DataFrame) and run.history.samples.iloc[-1] == 20480
    pop = scb.train(config, out=tmp_path / "population", run={"samples": 20480, "batch": 256, "seed": 3, "population": True})
    assert pop.run["settings"]["run"]["population"] is True
    assert not np.array_equal(pop.params["V"], run.params["V"])
    with pytest.raises(scb.InputError) as e:
        scb.train({"task": {"n": 1}}, out=tmp_path / "bad")
    assert e.value.exit_code == 2 and "n" in e.value.message


def test_trials_are_the_records_the_result_was_judged_from(tmp_path):
    import json

    folder = tmp_path / "copy" / "transfer_zero_cost"
    shutil.copytree(REPO / "reports" / "quick" / "transfer_zero_cost", folder)
    n = len(scb.load(folder).trials)
    records = folder / "trials.jsonl"
    first = json.loads(records.read_text().splitlines()[0])
    stale = dict(first, code="0000000000000000")
    with open(records, "a") as f:
        f.write(json.dumps(stale) + "\n" + "not a record {\n")
    assert len(scb.load(folder).trials) == n


def test_ctrl_c_stops_an_in_process_trial_that_never_returns(project):
    # Python delivers a signal to its main thread only; the trial loops on another. The run
    # is a child process so that a regression fails on the timeout instead of hanging.
    import subprocess
    import sys

    script = project / "loops.py"
    script.write_text(
        "import os, signal, scb\n"
        "def forever(point, seed):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    while True:\n"
        "        pass\n"
        "try:\n"
        "    scb.check('coupon.toml', quick=True, trial=forever, show=False)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted')\n"
    )
    r = subprocess.run([sys.executable, str(script)], cwd=project, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "interrupted", (r.returncode, r.stdout, r.stderr)
    assert not (project / "reports" / "quick" / "new" / "coupon" / "result.json").exists()


def test_pip_installs_the_scb_command_and_python_gets_accept_figure_and_calibrate(project, tmp_path_factory):
    import subprocess
    import sys

    command = Path(sys.executable).parent / ("scb.exe" if os.name == "nt" else "scb")
    assert command.is_file(), "pip install put no scb command beside %s" % sys.executable

    def cli(*args):
        return subprocess.run([str(command), *args], cwd=project, capture_output=True, text=True, timeout=600)

    version = cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == "scb " + scb.__version__, version
    r = cli("check", "coupon.toml", "--quick")
    assert r.returncode == 0 and r.stdout.startswith("coupon: ") and "1 spec: 1 hold" in r.stdout, (r.stdout, r.stderr)
    assert cli("accept", "--quick").returncode == 0
    assert (project / "reports" / "quick" / "coupon" / "result.json").is_file()
    again = cli("check", "coupon.toml", "--quick")
    assert "0 simulated" in again.stdout and "unchanged" in again.stdout, again.stdout
    assert cli("chek").returncode == 2

    # The same from Python, with the figure redrawn from another working folder.
    assert scb.accept("coupon", quick=True) == ["coupon"]
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    os.chdir(elsewhere)
    files = scb.figure(project / "reports" / "quick" / "coupon", out=elsewhere / "fig", formats="svg")
    assert [f.name for f in files if f.suffix == ".svg"] == ["coupon.svg"] and all(f.is_file() for f in files)
    os.chdir(project)
    cal = scb.calibrate("coupon.toml", seeds=2, quick=True, out=tmp_path_factory.mktemp("cal"), show=False)
    assert set(cal) == {"coupon"} and len(cal["coupon"]["seeds"]) == 2 and isinstance(cal["coupon"]["meets"], bool)
