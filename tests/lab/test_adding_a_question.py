"""The docs' example question (docs/adding-a-question.md) runs as written: a package, one registration."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from question_helpers import assert_flips, assert_zh_clean

DOC = Path(__file__).resolve().parents[2] / "docs" / "adding-a-question.md"


def _files_and_script(text: str) -> tuple[dict[str, str], str]:
    blocks = re.findall(r"(?:`(coin_question/\w+\.py)`(?:(?!```).)*?)?```python\n(.*?)```", text, re.S)
    files = {name: code for name, code in blocks if name}
    scripts = [code for name, code in blocks if not name]
    assert len(files) == 6 and len(scripts) == 1, (list(files), len(scripts))
    return files, scripts[0]


def test_the_docs_example_question_runs_as_written(tmp_path, monkeypatch):
    files, script = _files_and_script(DOC.read_text(encoding="utf-8"))
    for name, code in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    try:
        exec(compile(script, str(DOC), "exec"), namespace)  # noqa: S102 - the documented example, run as written
        result = namespace["result"]
        assert result.verdict in ("confirmed", "refuted")
        assert (tmp_path / "coin-report" / "q99" / "result.json").exists()
        assert result.claims[0].because_zh and result.claims[0].would_change_zh
        assert_zh_clean(result)
        assert assert_flips("q99", result.evidence) == 1
    finally:
        for mod in [m for m in sys.modules if m == "coin_question" or m.startswith("coin_question.")]:
            del sys.modules[mod]
