"""The results that ship with attnlab: the committed standard report's ``result.json`` files.

``attnlab ask q3`` answers right after ``pip install`` from these, and says so; once the user has run a
question (``OUT/<qid>/result.json``), ``ask`` reads that instead.

One copy of the truth: the committed standard report (every learning rate swept, five seeds),
``docs/report/<qid>/result.json`` in the repository. The quick profile reuses the learning rates these
results' sweeps chose and marks a quick verdict that differs from them as provisional. The package holds
byte-for-byte copies of those files under ``attnlab/shipped_report/``
(package data, so they are there in a wheel, an sdist and an editable install alike), with a small
``MANIFEST.json`` that records where they came from and when that report was generated. After the
report is regenerated, copy them again::

    python -m attnlab.shipped sync      # copy docs/report/*/result.json into the package
    python -m attnlab.shipped check     # exit 1 and list the differences if the copies are stale

``tests/test_cli.py`` runs the check, so a regenerated report whose copies were not synced fails the suite.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from attnlab.results import Result, ResultError, atomic_write_bytes, atomic_write_text, read_result, result_path

__all__ = ["DATA", "SOURCE", "describe", "differences", "find_answer", "manifest", "read_shipped", "shipped_qids",
           "sync"]

SOURCE = Path("docs") / "report"  # the committed standard report, relative to the repository root
DATA = "shipped_report"  # the folder inside the attnlab package that holds the copies
MANIFEST = "MANIFEST.json"
_GENERATED = re.compile(r"\b(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC)\b")  # the report page's "generated" stamp


def _data() -> Any:
    """The shipped folder as an ``importlib.resources`` Traversable (works from a zip too)."""
    return resources.files("attnlab") / DATA


def manifest() -> dict[str, Any]:
    """``MANIFEST.json`` of the shipped results: ``source``, ``generated`` (or None), ``profile``, ``qids``."""
    entry = _data() / MANIFEST
    if not entry.is_file():
        return {"source": str(SOURCE), "generated": None, "profile": None, "qids": []}
    return json.loads(entry.read_text(encoding="utf-8"))


def shipped_qids() -> list[str]:
    """The question ids with a shipped result."""
    return list(manifest().get("qids", []))


def read_shipped(qid: str) -> Result | None:
    """The shipped result of ``qid``; None if attnlab ships none for it.

    Raises:
        ResultError: the shipped file is not a valid result (a broken installation).
    """
    entry = _data() / qid / "result.json"
    if not isinstance(qid, str) or not qid.isalnum() or not entry.is_file():
        return None
    try:
        return Result.from_json(entry.read_text(encoding="utf-8"))
    except (ResultError, ValueError, KeyError, TypeError) as exc:
        raise ResultError(f"the result of {qid} shipped with attnlab is not valid ({exc}); reinstall attnlab") from None


def describe(result: Result, lang: str = "en") -> str:
    """Where a shipped answer comes from, e.g. "the standard report shipped with attnlab 0.1.0 (5 random seeds,
    generated 2026-12-06 02:59 UTC)"."""
    from attnlab import __version__

    m = manifest()
    profile = result.profile or m.get("profile") or ""
    n = len(result.seeds)
    when = m.get("generated")
    if lang == "zh":
        parts = [f"{n} 个随机种子"] + ([f"生成于 {when}"] if when else [])
        return f"attnlab {__version__} 附带的{_PROFILE_ZH.get(profile, profile)}报告（{'，'.join(parts)}）"
    parts = [f"{n} random seed{'s' if n != 1 else ''}"] + ([f"generated {when}"] if when else [])
    return f"the {profile + ' ' if profile else ''}report shipped with attnlab {__version__} ({', '.join(parts)})"


_PROFILE_ZH = {"quick": "快速", "standard": "标准", "full": "完整", "tiny": "微型"}


def find_answer(qid: str, out: Path | None, *, default_out: Path, lang: str = "en") -> tuple[Result, str]:
    """The result ``attnlab ask`` answers from, and a line saying where it comes from.

    An explicit ``out`` must hold the question; without one, the user's own run in ``default_out`` wins and
    the standard report shipped with attnlab answers otherwise.

    Raises:
        FileNotFoundError: ``out`` is missing, or holds no result for ``qid``, or nothing answers ``qid``.
        ValueError: ``out`` is not a folder.
    """
    import datetime as dt

    zh = lang == "zh"
    if out is not None and not out.exists():
        raise FileNotFoundError(f"--out: the folder {out} is missing")
    if out is not None and not out.is_dir():
        raise ValueError(f"--out: {out} is not a folder")
    folder = out if out is not None else default_out
    result = read_result(folder, qid) if folder.is_dir() else None
    if result is not None:
        path = result_path(folder, qid)
        when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        n = len(result.seeds)
        if zh:
            profile = _PROFILE_ZH.get(result.profile, result.profile)
            return result, f"答案来自你的运行 {path}（{profile}配置，{n} 个随机种子，写于 {when}）"
        return result, (f"answer from your run in {path} ({result.profile} profile, {n} random seed"
                        f"{'s' if n != 1 else ''}, written {when})")
    if out is not None:
        raise FileNotFoundError(f"no result for {qid} in {out}: run `attnlab run {qid} --out {out}`, or leave out "
                                "--out to read the standard report shipped with attnlab")
    result = read_shipped(qid)
    if result is None:
        raise FileNotFoundError(f"no result for {qid} in {default_out}, and attnlab ships none for it: run "
                                f"`attnlab run {qid}` first")
    if zh:
        return result, f"答案来自{describe(result, 'zh')}；运行 `attnlab run {qid}` 可得到你自己的结果"
    return result, f"answer from {describe(result)}; `attnlab run {qid}` measures it on your machine"


# -- keeping the copies in sync (run from a checkout of the repository) ---------------------------------


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]  # src/attnlab/shipped.py -> the checkout


def _source_files(source: Path) -> dict[str, Path]:
    """``{qid: source/<qid>/result.json}`` for every question of the committed report."""
    found = {p.parent.name: p for p in sorted(source.glob("*/result.json"))}
    if not found:
        raise FileNotFoundError(f"source: no <qid>/result.json in {source}")
    return found


def _generated(source: Path) -> str | None:
    page = source / "index.html"
    if not page.is_file():
        return None
    match = _GENERATED.search(page.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def _expected_manifest(source: Path, files: dict[str, Path]) -> dict[str, Any]:
    profiles = sorted({json.loads(p.read_text(encoding="utf-8")).get("profile", "") for p in files.values()})
    return {"source": SOURCE.as_posix(), "generated": _generated(source),
            "profile": profiles[0] if len(profiles) == 1 else ",".join(profiles),
            "qids": sorted(files, key=lambda q: (len(q), q)),
            "note": "copies of source/<qid>/result.json made by `python -m attnlab.shipped sync`; do not edit"}


def differences(source: str | Path | None = None, data: str | Path | None = None) -> list[str]:
    """What differs between the committed report's results and the shipped copies (empty: in sync)."""
    source = Path(source) if source is not None else _repo_root() / SOURCE
    data = Path(data) if data is not None else Path(__file__).parent / DATA
    files = _source_files(source)
    out = []
    for qid, path in files.items():
        copy = data / qid / "result.json"
        if not copy.is_file():
            out.append(f"{qid}: not shipped")
        elif copy.read_bytes() != path.read_bytes():
            out.append(f"{qid}: the shipped result.json differs from {path}")
    extra = sorted(p.parent.name for p in data.glob("*/result.json") if p.parent.name not in files)
    out += [f"{qid}: shipped but not in {source}" for qid in extra]
    man = data / MANIFEST
    if not man.is_file() or json.loads(man.read_text(encoding="utf-8")) != _expected_manifest(source, files):
        out.append(f"{MANIFEST}: stale or missing")
    return out


def sync(source: str | Path | None = None, data: str | Path | None = None) -> list[str]:
    """Copy ``source/<qid>/result.json`` into the package and write the manifest; returns what changed."""
    source = Path(source) if source is not None else _repo_root() / SOURCE
    data = Path(data) if data is not None else Path(__file__).parent / DATA
    changed = differences(source, data)
    files = _source_files(source)
    for qid, path in files.items():
        Result.from_json(path.read_text(encoding="utf-8"))  # refuse to ship a result this attnlab cannot read
        atomic_write_bytes(data / qid / "result.json", path.read_bytes())
    for stale in data.glob("*/result.json"):
        if stale.parent.name not in files:
            stale.unlink()
    atomic_write_text(data / MANIFEST, json.dumps(_expected_manifest(source, files), indent=2) + "\n")
    return changed


def main(argv: list[str] | None = None) -> int:
    """``python -m attnlab.shipped check|sync [--source DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m attnlab.shipped", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("check", "sync"))
    parser.add_argument("--source", type=Path, default=None, help=f"the committed report (default: {SOURCE})")
    args = parser.parse_args(argv)
    try:
        if args.action == "sync":
            changed = sync(args.source)
            print("\n".join(changed) if changed else "already in sync")
            return 0
        diff = differences(args.source)
    except (FileNotFoundError, ResultError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(diff) + "\nrun `python -m attnlab.shipped sync`" if diff else "in sync")
    return 1 if diff else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
