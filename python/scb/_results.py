"""Results as the harness wrote them (result.json, trials.jsonl, the SVG figure), read into
pandas DataFrames. Nothing here simulates: `load` reads any reports folder, the committed
`reports/` included."""

import base64
import html
import json
from pathlib import Path

import pandas as pd

from . import _scb


def load(folder):
    """The results in a reports folder (every spec folder in it), or in one spec's folder."""
    folder = Path(folder)
    if (folder / "result.json").is_file():
        return Results(folder.parent, [folder.name])
    if not folder.is_dir():
        raise FileNotFoundError("no reports folder at %s" % folder)
    return Results(folder, None)


def _check_id(spec_id):
    """A spec id names a folder and files, so one read from a folder is held to the rule a
    spec's id is: never a path, never markup. The rule is the harness's own
    (`scb::spec::check_id`), not a copy of it."""
    problem = _scb.id_problem(spec_id) if isinstance(spec_id, str) else "id: must be a string (got %r)" % (spec_id,)
    if problem:
        raise ValueError(problem)
    return spec_id


def _svg_as_image(svg_text):
    """An SVG shown as an <img>: a browser runs no script and loads nothing in an SVG it draws
    as an image, so a downloaded folder's figure cannot run code in the notebook."""
    data = base64.b64encode(svg_text.encode("utf-8")).decode("ascii")
    return '<img style="max-width:100%%" src="data:image/svg+xml;base64,%s">' % data


class Results:
    """The verdicts, quantities and trials of the specs in one reports folder.

    verdicts: one row per spec. checks: one row per check. quantities: one row per quantity
    and grid point (estimate and interval), the point's coordinates as columns named by
    symbol (each spec's quantities.csv, as the harness writes it), with the check that judges
    it, if any (its prediction, kind, tolerance and outcome; a per-point check's outcome is
    over all its points). trials: one row per trial record, its returned numbers as columns.
    """

    def __init__(self, out, ids, exit_code=None, text=""):
        self.folder = Path(out)
        if ids is None:
            ids = sorted(p.parent.name for p in self.folder.glob("*/result.json") if not _scb.id_problem(p.parent.name))
        self.ids = [_check_id(i) for i in ids]
        self.exit_code, self.text = exit_code, text
        self._results = {}

    @property
    def comparison(self):
        """Each spec against the baseline (when the run was compared with one): its change
        ("unchanged", "within-noise" or "changed"), how many quantities were compared and
        moved, and the verdicts that flipped."""
        path = self.folder / "comparison.json"
        if not path.exists():
            return pd.DataFrame(columns=["id", "change", "compared", "moved", "beyond_noise", "flips"])
        specs = json.loads(path.read_text())["specs"]
        rows = []
        for s in specs:
            if s["baseline"] == "missing":
                rows.append(dict(id=s["id"], change="no baseline", compared=0, moved=0, beyond_noise=0, flips=""))
            else:
                beyond = sum(q["change"] == "changed" for q in s["moved"])
                flips = "; ".join("%s: %s -> %s" % (f["what"], f["old"], f["new"]) for f in s["flips"])
                rows.append(dict(id=s["id"], change=s["change"], compared=s["compared"], moved=len(s["moved"]), beyond_noise=beyond, flips=flips))
        return pd.DataFrame(rows)

    def result(self, spec_id):
        """A spec's result.json, parsed."""
        if spec_id not in self._results:
            with open(self.folder / _check_id(spec_id) / "result.json") as f:
                r = json.load(f)
            if r.get("id") != spec_id:
                raise ValueError("%s: its result.json has id %r" % (self.folder / spec_id, r.get("id")))
            self._results[spec_id] = r
        return self._results[spec_id]

    @property
    def ok(self):
        """Every verdict is the one its spec expects."""
        return all(self.result(i)["as_expected"] for i in self.ids)

    @property
    def verdicts(self):
        cols = ["outcome", "as_expected", "holds", "expect", "standing", "quick", "randomness", "statement"]
        rows = [dict(id=i, **{c: self.result(i).get(c) for c in cols}) for i in self.ids]
        return pd.DataFrame(rows, columns=["id"] + cols)

    @property
    def checks(self):
        rows = []
        for i in self.ids:
            for k, c in enumerate(self.result(i)["checks"]):
                e = c["estimate"]
                rows.append(
                    dict(id=i, check=k, quantity=c["quantity"], kind=c["kind"], prediction=c["predict"], tolerance=c["tolerance"],
                         each_point=c.get("each_point", False), estimate=e["value"], lo=e["lo"], hi=e["hi"],
                         outcome=c["verdict"], resolution_up=c.get("resolution", {}).get("up"),
                         resolution_down=c.get("resolution", {}).get("down"), plant=c.get("plant"),
                         power_at_plant=c.get("power"), weak=c.get("weak", False), reason=c["reason"])
                )
        return pd.DataFrame(rows, columns=["id", "check", "quantity", "kind", "prediction", "tolerance", "each_point", "estimate", "lo", "hi", "outcome",
                                           "resolution_up", "resolution_down", "plant", "power_at_plant", "weak", "reason"])

    @property
    def quantities(self):
        frames = []
        for i in self.ids:
            r = self.result(i)
            symbols = {c["name"]: c["symbol"] for p in r.get("points", [])[:1] for c in p["coords"]}
            # quantities.csv is tidy (one column per part of a key), so nothing here parses a key.
            q = pd.read_csv(self.folder / i / "quantities.csv", dtype={"quantity": str, "point": str})
            q["point"] = q["point"].fillna("")
            rows = []
            for row in q.rename(columns={"value": "estimate"}).to_dict("records"):
                judged = [(k, c) for k, c in enumerate(r["checks"]) if c["quantity"] == row["quantity"] and bool(c.get("each_point")) == bool(row["point"])]
                judged = [(k, c) for k, c in judged if pd.isna(row["deviation"]) and (not row["point"] or _admits(c, row, symbols))]
                for k, c in judged or [(None, None)]:
                    out = dict(id=i, **row)
                    if c is not None:
                        out.update(check=k, prediction=c["predict"], kind=c["kind"], tolerance=c["tolerance"], outcome=c["verdict"])
                    rows.append(out)
            frames.append(pd.DataFrame(rows))
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["id", "quantity", "deviation", "point", "estimate", "lo", "hi", "undefined"])
        for col in ["check", "prediction", "kind", "tolerance", "outcome"]:
            if col not in df:
                df[col] = None
        df["check"] = df["check"].astype("Int64")
        df["deviation"] = df["deviation"].astype("Int64")
        return df

    def _code(self, spec_id):
        """The fingerprint of the code whose records the result was judged from (run.json),
        or None for a result older than fingerprints."""
        path = self.folder / spec_id / "run.json"
        try:
            return json.loads(path.read_text()).get("code")
        except (OSError, ValueError):
            return None

    @property
    def trials(self):
        """One row per trial record the result was judged from: records of other code (kept
        in the file until they are simulated again) and lines that do not read as a record
        are left out, as the CLI leaves them out."""
        frames = []
        for i in self.ids:
            path = self.folder / i / "trials.jsonl"
            if not path.is_file():
                continue
            records = _records(path, self._code(i))
            df = pd.json_normalize(records)
            df = df.rename(columns=lambda c: c.replace("result.values.", "").replace("result.", ""))
            df.insert(0, "id", i)
            frames.append(df.rename(columns={"key": "point"}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def figure(self, spec_id):
        """A spec's figure, as SVG text (None if it has none). The text is the folder's as it
        is: show it as an image (as the notebook view does), not inline."""
        path = self.folder / _check_id(spec_id) / (spec_id + ".svg")
        return path.read_text() if path.is_file() else None

    def __repr__(self):
        if self.text:
            return self.text.rstrip()
        return "\n".join("%s: %s" % (i, self.result(i)["outcome"]) for i in self.ids)

    def _repr_html_(self):
        parts = []
        for i in self.ids:
            r = self.result(i)
            colour = "#1a7f37" if r["as_expected"] else "#cf222e"
            parts.append('<h4>%s: <span style="color:%s">%s</span></h4><p>%s</p>' % (html.escape(i), colour, html.escape(r["outcome"]), html.escape(r["statement"])))
            checks = self.checks
            parts.append(checks[checks.id == i].drop(columns=["id", "reason"]).to_html(index=False))
            svg = self.figure(i)
            if svg:
                parts.append(_svg_as_image(svg))
        return "\n".join(parts)


def _records(path, code):
    """The records in a trials.jsonl made by `code` (every readable one when None)."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if isinstance(r, dict) and "result" in r and (code is None or r.get("code") == code):
                out.append(r)
    return out


def _admits(check, row, symbols):
    """Whether a per-point check's `where` (axis name -> values) admits a row of
    quantities.csv, whose coordinate columns are named by symbol (`symbols`: name -> symbol)."""
    where = check.get("where") or {}
    return all(any(row.get(symbols.get(axis, axis)) == float(v) for v in vals) for axis, vals in where.items())


class TrainRun:
    """One trained model: `params` (name -> NumPy array: V, A, and the task's P, mu, Qstar),
    `history` (a DataFrame, one row per checkpoint) and `run` (run.json)."""

    def __init__(self, folder):
        import numpy as np

        self.folder = Path(folder)
        self.params = {p.stem: np.load(p) for p in sorted(self.folder.glob("*.npy"))}
        self.history = pd.read_csv(self.folder / "history.csv")
        with open(self.folder / "run.json") as f:
            self.run = json.load(f)

    def __repr__(self):
        last = self.history.iloc[-1].to_dict() if len(self.history) else {}
        return "TrainRun(%s: %d checkpoints, last %s)" % (self.folder, len(self.history), last)

    def _repr_html_(self):
        svg = self.folder / "convergence.svg"
        return self.history.tail().to_html() + (_svg_as_image(svg.read_text()) if svg.is_file() else "")
