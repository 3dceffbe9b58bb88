"""Rules of the architecture that a refactor could silently break (read from the source, not run)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parent.parent / "src" / "attnlab"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_nothing_outside_experiments_but_the_cli_imports_them():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "experiments" or rel == Path("cli.py"):
            continue
        if any(m == "attnlab.experiments" or m.startswith("attnlab.experiments.") for m in _imports(path)):
            offenders.append(str(rel))
    assert offenders == []


def test_experiments_do_not_draw():
    offenders = [str(p.relative_to(SRC)) for p in (SRC / "experiments").rglob("*.py")
                 if any(m.split(".")[0] == "matplotlib" for m in _imports(p))]
    assert offenders == []


def test_no_module_switches_the_matplotlib_backend_or_uses_pyplot():
    offenders = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "matplotlib.use(" in text or "matplotlib.pyplot" in text:
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_results_depends_on_nothing_else_in_attnlab():
    assert {m for m in _imports(SRC / "results.py") if m.startswith("attnlab")} == set()


def test_no_import_guard_hides_an_import_error():
    """``except ImportError: pass``-style guards turn a real bug into a silent skip."""
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and isinstance(node.type, ast.Name) and \
                    node.type.id in ("ImportError", "ModuleNotFoundError") and \
                    all(isinstance(s, ast.Pass) for s in node.body):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []
