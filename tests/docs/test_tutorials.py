"""The tutorial notebooks (docs/tutorials/*.ipynb): committed without outputs, and each runs from a clean kernel."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "docs" / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
USES_MINILM = {"02-looking-inside-minilm.ipynb"}
CELL_TIMEOUT = 120  # seconds; each notebook runs in well under two minutes on an idle 2-core CPU


def test_there_are_four_tutorials_and_the_index_links_each():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04"]
    index = (TUTORIALS / "index.md").read_text(encoding="utf-8")
    assert all(f"({p.name})" in index for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c.get("outputs") == [] and c.get("execution_count") is None for c in code)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_the_own_question_tutorial_writes_the_files_of_the_docs_example():
    doc = (ROOT / "docs" / "adding-a-question.md").read_text(encoding="utf-8")
    files = dict(re.findall(r"`(coin_question/\w+\.py)`(?:(?!```).)*?```python\n(.*?)```", doc, re.S))
    nb = json.loads((TUTORIALS / "04-your-own-question.ipynb").read_text(encoding="utf-8"))
    written = {}
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if src.startswith("%%writefile "):
            head, body = src.split("\n", 1)
            written[head.split()[1]] = body
    assert {k: v.strip() for k, v in written.items()} == {k: v.strip() for k, v in files.items()}


def _params():
    for p in NOTEBOOKS:
        marks = [pytest.mark.real_model] if p.name in USES_MINILM else []
        yield pytest.param(p, marks=marks, id=p.stem)


@pytest.mark.slow  # 15 s to 80 s each
@pytest.mark.parametrize("path", list(_params()))
def test_tutorial_runs_from_a_clean_kernel(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel is a new process: it imports this checkout's attnlab, draws off-screen, reaches no network
    src = str(ROOT / "src")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "data" in o and "text/html" in o["data"]]
    # nothing in a view is fetched: no src / href to a network address (XML namespaces are names, not requests)
    assert not [h for h in html if re.search(r"(src|href|url)\s*[=(]\s*[\"']?(https?:)?//", h)]
