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


BELOW_THE_LAB = ("attention", "models", "data", "train", "analysis", "pretrained", "results", "timing.py",
                 "validation.py", "seeds.py")


def test_nothing_below_the_lab_imports_it_or_the_questions():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] not in BELOW_THE_LAB:
            continue
        if any(m.split(".")[:2] in (["attnlab", "lab"], ["attnlab", "questions"]) for m in _imports(path)):
            offenders.append(str(rel))
    assert offenders == []


def test_the_lab_does_not_import_a_question():
    offenders = [str(p.relative_to(SRC)) for p in (SRC / "lab").rglob("*.py")
                 if any(m.startswith("attnlab.questions") for m in _imports(p))]
    assert offenders == []


def test_the_lab_and_the_questions_do_not_draw():
    offenders = [str(p.relative_to(SRC)) for d in ("lab", "questions") for p in (SRC / d).rglob("*.py")
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
    used = {m for p in (SRC / "results").glob("*.py") for m in _imports(p) if m.startswith("attnlab")}
    assert {m for m in used if not m.startswith("attnlab.results")} == set()


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


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_longer_than_400_lines_and_no_question_file_than_300():
    long_modules = {str(p.relative_to(SRC)): _lines(p) for p in SRC.rglob("*.py") if _lines(p) > 400}
    long_question_files = {str(p.relative_to(SRC)): _lines(p) for p in (SRC / "questions").rglob("*.py")
                           if _lines(p) > 300}
    assert long_modules == {} and long_question_files == {}


def _is_docstring(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    owner = parents.get(parent)
    return (isinstance(parent, ast.Expr) and isinstance(owner, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and owner.body[0] is parent)


def _strings(path: Path) -> list[str]:
    """Every string literal of a module that is not a docstring (f-strings by their literal parts)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and not _is_docstring(n, parents)]


def _has_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def test_a_rule_holds_numbers_and_verdicts_never_a_sentence():
    rules = sorted((SRC / "questions").glob("*/rule.py"))
    assert len(rules) >= 10, rules
    offenders = {str(p.relative_to(SRC)): s for p in rules for s in _strings(p)
                 if _has_cjk(s) or len(s.split()) >= 3}
    assert offenders == {}


def _is_number_literal(node: ast.AST | None) -> bool:
    """A number, a signed number, a division of numbers, or a tuple / list / dict made only of those."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return _is_number_literal(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_number_literal(node.left) and _is_number_literal(node.right)
    if isinstance(node, (ast.Tuple, ast.List)):
        return bool(node.elts) and all(_is_number_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return bool(node.values) and all(_is_number_literal(v) for v in node.values)
    return False


def test_the_words_define_no_threshold():
    """A words module imports its thresholds from the question's settings: no number is named there."""
    offenders = []
    for path in sorted((SRC / "questions").glob("*/words.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and _is_number_literal(node.value):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_every_question_is_a_package_of_the_same_parts():
    from attnlab.lab.registry import BUILTIN_MODULES

    for qid, module in BUILTIN_MODULES.items():
        package = SRC.parent / Path(*module.split("."))
        missing = [f for f in ("__init__.py", "settings.py", "trials.py", "evidence.py", "rule.py", "words.py")
                   if not (package / f).exists()]
        assert not missing, (qid, missing)
