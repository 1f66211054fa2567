"""The example notebook runs headless from top to bottom, as a user would run it."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python"


def test_the_example_notebook_runs_and_shows_the_dataframe_and_the_figure():
    nb = nbformat.read(EXAMPLE / "quickstart.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLE)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if o.output_type in ("execute_result", "display_data") and "text/html" in o.get("data", {})]
    assert any("<table" in h and "estimate" in h for h in html), "no DataFrame shown"
    assert any("<table" in h and ("unchanged" in h or "within-noise" in h) for h in html), "no comparison with the committed quick baseline shown"
    figure = 'src="data:image/svg+xml;base64,'
    assert any(figure in h and "stage_one" in h for h in html), "no figure shown"
    assert any(figure in h and "coupon" in h for h in html), "the coupon figure is not shown"
