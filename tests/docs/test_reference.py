"""The documentation site: built with warnings as errors, it documents every public name and the contract."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import attnlab

ROOT = Path(__file__).resolve().parents[2]

# DESIGN's public contract, as the ids the reference gives them
CONTRACT = [
    "attnlab.attention.attention", "attnlab.attention.MultiHeadAttention", "attnlab.attention.apply_rotary",
    "attnlab.attention.alibi_slopes", "attnlab.attention.relative_position_bucket",
    "attnlab.attention.hooks.HookedModel.run_with_cache", "attnlab.attention.hooks.HookedModel.hooks",
    "attnlab.pretrained.load", "attnlab.pretrained.from_hf_gpt2",
    "attnlab.models.TransformerEncoder", "attnlab.models.TransformerDecoder", "attnlab.models.EncoderDecoder",
    "attnlab.models.TransformerLM", "attnlab.models.SequenceClassifier", "attnlab.models.RNNEncoder",
    "attnlab.models.CNNEncoder", "attnlab.models.RNNClassifier", "attnlab.models.RNNSeq2Seq",
    "attnlab.analysis.attribution.rollout", "attnlab.analysis.attribution.flow",
    "attnlab.analysis.attribution.norm_based", "attnlab.analysis.attribution.attention_grad",
    "attnlab.analysis.attribution.grad_input", "attnlab.analysis.attribution.erasure.erasure",
    "attnlab.show.heads", "attnlab.show.model", "attnlab.show.tokens", "attnlab.show.text",
    "attnlab.show.load_result", "attnlab.results.Result", "attnlab.results.read_result", "attnlab.lab.decide",
]


def test_the_cli_page_documents_every_command():
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "docs" / "hooks" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.cli_markdown()
    for command in ("list", "run", "report", "ask", "inspect", "bench", "train"):
        assert f"## attnlab {command}\n" in text
    assert "`--profile`" in text and "`--jobs`" in text and "`--redraw`, `--no-redraw`" in text
    assert module.MARKER in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


@pytest.mark.slow  # about 10 s
def test_the_site_builds_strictly_and_documents_the_public_names(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ids = set()
    for page in (site / "reference").rglob("*.html"):
        ids |= set(re.findall(r'id="(attnlab[\w.]*)"', page.read_text(encoding="utf-8")))
    top = [f"attnlab.attention.{n}" if n in ("attention", "MultiHeadAttention") else f"attnlab.{n}"
           for n in attnlab.__all__ if n != "__version__"]
    top = [n.replace("attnlab.load_result", "attnlab.show.load_result") for n in top]
    missing = [n for n in top + CONTRACT if n not in ids]
    assert missing == []
    for page, words in {"masks": "may attend", "switches": "shared_qk", "results-schema": "ci_method",
                        "cli": "attnlab report"}.items():
        assert words in (site / page / "index.html").read_text(encoding="utf-8"), page
