"""Experiment framework: results, evidence, the registry and the run context.

Every question of the seed becomes one :class:`Experiment` subclass in its own module
(``q1_heads.py`` ... ``q8_scores.py``), registered with :func:`register`. Modules are imported lazily by
question id, so listing the questions does not import the experiments (nor their dependencies).

A run produces a :class:`Result` written atomically to ``OUT/<qid>/result.json``::

    {"qid", "question", "question_zh", "title", "claim", "verdict", "rule", "summary",
     "evidence": [{"name", "value", "ci", "unit", "anchor"}, ...], "figures": [...],
     "config", "seeds", "versions", "seconds", "profile"}

The verdict is computed from the evidence by a rule written in each experiment module and stored, with
its numbers, in ``Result.rule`` (e.g. ``"confirmed: slope 1.00 ± 0.01, rule: within [0.9, 1.1]"``).

Example::

    from attnlab.experiments.base import Experiment, Evidence, RunContext, register

    @register
    class Q9(Experiment):
        qid = "q9"

        def run(self, ctx: RunContext) -> Result:
            ...
            return self.make_result(ctx, verdict="confirmed", rule="...", summary="...",
                                    evidence=[Evidence("x", 1.0, (0.9, 1.1), "unit", None)])
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

__all__ = [
    "PROFILES",
    "VERDICTS",
    "Evidence",
    "Experiment",
    "ExperimentError",
    "ExperimentInfo",
    "Result",
    "RunContext",
    "atomic_write_bytes",
    "atomic_write_text",
    "default_seeds",
    "fmt_ci",
    "get_experiment",
    "get_info",
    "list_experiments",
    "mean_ci",
    "read_result",
    "real_model_evidence",
    "register",
    "result_path",
    "run_experiment",
    "seed_everything",
    "stopwatch",
    "t_quantile",
    "single_thread",
    "torch_threads",
    "versions",
    "write_result",
]

PROFILES: tuple[str, ...] = ("tiny", "quick", "full")
"""Run sizes: ``tiny`` (tests, seconds), ``quick`` (CPU, minutes), ``full`` (GPU or a long run)."""

VERDICTS: tuple[str, ...] = ("confirmed", "qualified", "refuted", "inconclusive")
"""Allowed verdicts: the claim holds / holds only under named conditions / does not hold / undecided."""

_DEFAULT_N_SEEDS = {"tiny": 2, "quick": 3, "full": 5}


class ExperimentError(RuntimeError):
    """An experiment could not be run or its result could not be read (message says why)."""


# ----------------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------------


@dataclass
class Evidence:
    """One measured number (or list, or short text) that a verdict rests on.

    Args:
        name: stable identifier, e.g. ``"var_loglog_slope"`` (snake case; other code may look it up).
        value: the measurement: a float, a string, or a list (e.g. a curve).
        ci: 95% interval ``(lo, hi)`` over seeds, or ``None`` when the value is exact / single-run.
        unit: unit or short description of the value (``"s"``, ``"accuracy"``, ``"log-log slope"``).
        anchor: the published figure to set beside ours, e.g.
            ``"Vaswani et al. 2017 Table 3 (A): h=1 24.9 BLEU"``; ``None`` when there is none.
    """

    name: str
    value: float | str | list
    ci: tuple[float, float] | None = None
    unit: str = ""
    anchor: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Evidence.name: expected a non-empty str, got {self.name!r}")
        if self.ci is not None:
            if len(self.ci) != 2:
                raise ValueError(f"Evidence.ci: expected (lo, hi) or None, got {self.ci!r}")
            self.ci = (float(self.ci[0]), float(self.ci[1]))
        if isinstance(self.value, tuple):
            self.value = list(self.value)
        elif not isinstance(self.value, (str, list)):
            self.value = float(self.value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "ci": list(self.ci) if self.ci is not None else None,
            "unit": self.unit,
            "anchor": self.anchor,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evidence:
        ci = d.get("ci")
        return cls(
            name=d["name"],
            value=d["value"],
            ci=tuple(ci) if ci is not None else None,
            unit=d.get("unit", ""),
            anchor=d.get("anchor"),
        )


@dataclass
class Result:
    """The outcome of one experiment run (serialised as ``OUT/<qid>/result.json``).

    Args:
        qid: question id, ``"q1"`` ... ``"q8"``.
        question: the question in English.
        claim: the seed's answer, in short.
        verdict: one of :data:`VERDICTS`.
        rule: the verdict rule, human-readable, with the numbers it was applied to.
        summary: a few sentences saying what was measured and what it shows.
        evidence: list of :class:`Evidence`.
        figures: figure files, paths relative to ``OUT/<qid>/``.
        config: the settings of this run (JSON-able).
        seeds: the seeds used.
        versions: software versions (see :func:`versions`).
        seconds: wall time of the run.
        profile: ``"tiny"``, ``"quick"`` or ``"full"``.
        question_zh: the question as the seed asks it (Chinese).
        title: a short title.
    """

    qid: str
    question: str
    claim: str
    verdict: str
    rule: str
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    profile: str = ""
    question_zh: str = ""
    title: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Result.verdict: expected one of {VERDICTS}, got {self.verdict!r}")
        self.evidence = [e if isinstance(e, Evidence) else Evidence.from_dict(e) for e in self.evidence]

    def get(self, name: str) -> Evidence:
        """The evidence called ``name`` (``KeyError`` if absent)."""
        for e in self.evidence:
            if e.name == name:
                return e
        raise KeyError(f"no evidence named {name!r} in {self.qid}; have {[e.name for e in self.evidence]}")

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["evidence"] = [e.to_dict() for e in self.evidence]
        return _jsonable(d)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["evidence"] = [Evidence.from_dict(e) for e in d.get("evidence", [])]
        return cls(**kw)

    @classmethod
    def from_json(cls, text: str) -> Result:
        return cls.from_dict(json.loads(text))


def _jsonable(x: Any) -> Any:
    """Convert tensors / numpy scalars / tuples / paths / non-finite floats into strict JSON values."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, bool) or x is None or isinstance(x, (str, int)):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, Path):
        return str(x)
    if hasattr(x, "tolist"):  # torch.Tensor, numpy array / scalar
        return _jsonable(x.tolist())
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return _jsonable(dataclasses.asdict(x))
    return str(x)


_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder + ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def result_path(out_dir: str | Path, qid: str) -> Path:
    """``OUT/<qid>/result.json``."""
    return Path(out_dir) / qid / "result.json"


def write_result(result: Result, out_dir: str | Path) -> Path:
    """Write ``result`` to ``out_dir/<qid>/result.json`` atomically; returns the path."""
    return atomic_write_text(result_path(out_dir, result.qid), result.to_json() + "\n")


def read_result(out_dir: str | Path, qid: str) -> Result | None:
    """Read ``out_dir/<qid>/result.json``; ``None`` if it does not exist.

    Raises:
        ExperimentError: the file exists but is not a valid result.
    """
    path = result_path(out_dir, qid)
    if not path.is_file():
        return None
    try:
        return Result.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as exc:
        raise ExperimentError(f"{path}: not a valid result.json ({exc})") from exc


# ----------------------------------------------------------------------------------------------------
# Statistics and small helpers
# ----------------------------------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the regularized incomplete beta function (Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t with ``df`` degrees of freedom (``t_quantile(0.975, 2) = 4.303``)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p: expected 0 < p < 1, got {p}")
    if df <= 0:
        raise ValueError(f"df: expected > 0, got {df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while _t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return 0.5 * (lo + hi)


def mean_ci(values: Iterable[float], confidence: float = 0.95) -> tuple[float, tuple[float, float]]:
    """Mean and Student-t confidence interval over seeds.

    .. math:: \\bar x \\pm t_{(1+c)/2,\\,n-1} \\, s / \\sqrt{n}

    Args:
        values: one number per seed (at least one).
        confidence: coverage of the interval, in (0, 1).

    Returns:
        ``(mean, (lo, hi))``. With a single value the interval is degenerate ``(mean, mean)``.
    """
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("values: expected at least one value, got an empty sequence")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: expected a number in (0, 1), got {confidence}")
    n = len(xs)
    m = sum(xs) / n
    if n == 1:
        return m, (m, m)
    var = sum((x - m) ** 2 for x in xs) / (n - 1)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * math.sqrt(var / n)
    return m, (m - half, m + half)


def fmt_ci(mean: float, ci: tuple[float, float] | None = None, digits: int = 2) -> str:
    """Format ``mean ± half-width`` (``"1.00 ± 0.01"``), or just the mean when ``ci`` is ``None``."""
    if ci is None:
        return f"{mean:.{digits}f}"
    half = max(abs(ci[1] - mean), abs(mean - ci[0]))
    return f"{mean:.{digits}f} ± {half:.{digits}f}"


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy (if installed) and torch."""
    random.seed(seed)
    with contextlib.suppress(ImportError):
        import numpy as np

        np.random.seed(seed % (2**32))
    import torch

    torch.manual_seed(seed)


@contextlib.contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """Context manager timing its block: ``with stopwatch() as t: ...; t["seconds"]``."""
    box = {"seconds": 0.0}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)`` (restored afterwards; ``None`` leaves it alone).

    Small models train as fast on one thread, and a single thread does not collapse when the CPU is shared
    (OpenMP threads spin-wait when oversubscribed).
    """
    import torch

    old = torch.get_num_threads()
    if n is not None:
        if n < 1:
            raise ValueError(f"n: expected a thread count >= 1 or None, got {n}")
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def single_thread(ctx: RunContext) -> contextlib.AbstractContextManager[None]:
    """One intra-op thread on CPU (restored afterwards), nothing changed on other devices.

    The experiments' models are small: splitting their matmuls across threads costs more in
    synchronisation than it gains, and on a shared machine it makes timings erratic.
    """
    return torch_threads(1 if str(ctx.device).startswith("cpu") else None)


def versions() -> dict[str, str]:
    """Versions of the software a result depends on: torch, python, attnlab, platform (and numpy)."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        import torch

        out["torch"] = torch.__version__
        out["threads"] = str(torch.get_num_threads())
    except ImportError:  # pragma: no cover - torch is a hard dependency
        out["torch"] = "missing"
    try:
        from importlib.metadata import version

        out["attnlab"] = version("attnlab")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        out["attnlab"] = getattr(sys.modules.get("attnlab"), "__version__", "unknown")
    with contextlib.suppress(ImportError):
        import numpy

        out["numpy"] = numpy.__version__
    return out


def default_seeds(profile: str, n: int | None = None) -> list[int]:
    """Seeds ``[0, 1, ..., n-1]``; ``n`` defaults to 2 (tiny), 3 (quick) or 5 (full)."""
    _check_profile(profile)
    n = _DEFAULT_N_SEEDS[profile] if n is None else n
    if n < 1:
        raise ValueError(f"seeds: expected at least 1, got {n}")
    return list(range(n))


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"profile: expected one of {PROFILES}, got {profile!r}")


# ----------------------------------------------------------------------------------------------------
# Run context
# ----------------------------------------------------------------------------------------------------


class RunContext:
    """What an experiment gets to run: profile, seeds, output folder, figures and progress.

    Args:
        profile: ``"tiny"``, ``"quick"`` or ``"full"``.
        seeds: seeds to use (an experiment uses all of them, or states why not).
        out_dir: this question's folder, ``OUT/<qid>`` (created).
        progress: show a rich progress bar (``track``) and log lines.
        device: torch device string for the experiment (``"cpu"`` by default).
    """

    def __init__(
        self,
        profile: str,
        seeds: Sequence[int],
        out_dir: str | Path,
        *,
        progress: bool = False,
        device: str = "cpu",
    ) -> None:
        _check_profile(profile)
        if not seeds:
            raise ValueError("seeds: expected at least one seed, got none")
        self.profile = profile
        self.seeds = [int(s) for s in seeds]
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.progress = progress
        self.device = device
        self.figures: list[str] = []
        self._console = None

    @property
    def console(self):
        """A rich console on stderr (created on first use)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True)
        return self._console

    def pick(self, tiny: Any, quick: Any, full: Any) -> Any:
        """The value for the current profile: ``ctx.pick(tiny=2, quick=20, full=200)``."""
        return {"tiny": tiny, "quick": quick, "full": full}[self.profile]

    def log(self, message: str) -> None:
        """Print a progress line (only when ``progress`` is on)."""
        if self.progress:
            self.console.print(f"[dim]{self.out_dir.name}[/dim] {message}", highlight=False)

    def track(self, items: Iterable[Any], description: str = "", total: int | None = None) -> Iterator[Any]:
        """Iterate over ``items`` with a rich progress bar when ``progress`` is on."""
        if not self.progress:
            yield from items
            return
        from rich.progress import track

        yield from track(
            items, description=f"{self.out_dir.name} {description}", total=total, console=self.console,
            transient=True,
        )

    def save_figure(self, fig: Any, name: str, *, close: bool = True) -> list[str]:
        """Save a matplotlib figure as ``name.png`` and ``name.svg`` in ``out_dir``.

        Returns the two paths relative to ``out_dir`` (also remembered in ``ctx.figures``).
        """
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"name: expected a plain file stem like 'curve', got {name!r}")
        import io

        import matplotlib

        paths = []
        with contextlib.suppress(Exception):  # layout once for both formats (a failed layout is not fatal)
            fig.tight_layout()
        for ext in ("png", "svg"):
            rel = f"{name}.{ext}"
            buf = io.BytesIO()
            meta = {"Date": None} if ext == "svg" else {"Software": None}
            # svg.fonttype "none": text stays text (smaller, faster); hashsalt: reproducible element ids
            with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "attnlab"}):
                fig.savefig(buf, format=ext, dpi=100, metadata=meta)
            atomic_write_bytes(self.out_dir / rel, buf.getvalue())
            paths.append(rel)
        if close:
            import matplotlib.pyplot as plt

            plt.close(fig)
        for p in paths:
            if p not in self.figures:
                self.figures.append(p)
        return paths


def real_model_evidence(qid: str, ctx: RunContext) -> tuple[Any | None, str]:
    """Real-model evidence from ``attnlab.analysis.real_model.evidence_for`` if it can be had.

    Returns ``(RealModelEvidence, "")`` on success, or ``(None, reason)`` when the analysis module or the
    pretrained weights are not installed (the caller says so in its summary).
    """
    try:
        from attnlab.analysis.real_model import evidence_for
    except ImportError as exc:
        return None, f"real-model evidence skipped: analysis module unavailable ({exc})"
    try:
        from attnlab.pretrained import PretrainedUnavailable
    except ImportError:  # pragma: no cover - depends on another module landing
        PretrainedUnavailable = ImportError  # noqa: N806
    try:
        return evidence_for(qid, ctx.out_dir, ctx.profile), ""
    except (ImportError, PretrainedUnavailable) as exc:
        return None, f"real-model evidence skipped: pretrained weights unavailable ({exc})"


# ----------------------------------------------------------------------------------------------------
# Experiments and the registry
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentInfo:
    """Static description of a question (available without importing its experiment module)."""

    qid: str  # "q1" ... "q8"
    module: str  # module that defines and registers the experiment
    title: str  # short English title
    question_en: str  # the question, in English
    question_zh: str  # the question as the seed asks it
    claim: str  # the seed's answer, in short (English)
    claim_zh: str  # the seed's answer, quoted


_INFOS: dict[str, ExperimentInfo] = {
    i.qid: i
    for i in (
        ExperimentInfo(
            "q1", "attnlab.experiments.q1_heads", "Why multi-head attention?",
            "Why does the Transformer need multi-head attention?",
            "为什么Transformer 需要进行 Multi-head Attention?",
            "Heads form sub-spaces that attend to different things, an internal ensemble; but more heads is "
            "not always better, one head can be enough, and many heads can be removed.",
            "将模型分为多个头,形成多个子空间,可以让模型去关注不同方面的信息;……并不是multi-head的参数设置越大越好,"
            "有的时候1就已经非常好了,去掉一些头效果依然有不错的效果",
        ),
        ExperimentInfo(
            "q2", "attnlab.experiments.q2_qk", "Why different W_Q and W_K?",
            "Why are Q and K produced by different weight matrices; why not one matrix (a dot product of a "
            "token with itself)?",
            "Transformer为什么Q和K使用不同的权重矩阵生成,为何不能使用同一个值进行自身的点乘?",
            "Separate projections add expressive power, which often helps in practice.",
            "分别乘上一个不同的矩阵W,这么做可以增加模型的表达能力,实践中经常也会带来一定的帮助。",
        ),
        ExperimentInfo(
            "q3", "attnlab.experiments.q3_scaling", "Why scale the scores?",
            "Why is the attention in the Transformer scaled?",
            "Transformer中的attention为什么要进行scaled?",
            "Large differences between logits saturate the softmax (softmax([1,2,10]) gives 0.99954 to the "
            "largest) and the gradients then vanish, which makes training hard.",
            "只要我们的数字中,出现了差异相对较大的情况,例如[1,2,10]……0.999541338035342。"
            "这种情况还会带来一个问题,梯度更新困难",
        ),
        ExperimentInfo(
            "q4", "attnlab.experiments.q4_variance", "Dot product vs dimension; why sqrt(d_k)?",
            "How does the size of the dot product depend on the dimension, and why scale by the square root "
            "of the dimension?",
            "维度与点积大小的关系是怎么样的,为什么使用维度的根号来放缩?",
            "Scaling by sqrt(d_k) controls the variance of the scores and so mitigates vanishing gradients.",
            "可以控制方差,有效缓解梯度消失的问题。",
        ),
        ExperimentInfo(
            "q5", "attnlab.experiments.q5_parallel", "How does the Transformer parallelise?",
            "How is the Transformer parallelised?",
            "Transformer 如何并行化的?",
            "The encoder processes all tokens in parallel, unlike an RNN; the decoder is not parallel, it "
            "decodes one token at a time.",
            "Transformer在Decoder侧是没有并行的,一个一个解码……所以Transformer的并行主要集中在Encoder侧",
        ),
        ExperimentInfo(
            "q6", "attnlab.experiments.q6_cost", "Attention vs CNN and RNN",
            "What are the advantages of attention over CNNs and RNNs?",
            "Attention相较于CNN和RNN的优势有哪些?",
            "Fewer parameters and lower complexity; faster because it parallelises; better with long-range "
            "dependencies.",
            "参数少……速度快……效果好:……长距离的信息会被弱化……Attention 是挑重点",
        ),
        ExperimentInfo(
            "q7", "attnlab.experiments.q7_why", "Why attention at all?",
            "Why introduce the attention mechanism?",
            "为什么引入Attention机制?",
            "Attention focuses the model on what matters (\"I hate this movie\"); on long text RNN+attention "
            "beats RNN+pooling by a good margin.",
            "比如:I hate this movie.如果做情感分析,明显对hate这个词语应当关注更多……"
            "使用RNN+attention的效果比使用单纯的RNN+pooling的效果要好不少。",
        ),
        ExperimentInfo(
            "q8", "attnlab.experiments.q8_scores", "Common attention score functions",
            "What are the common ways to compute attention weights?",
            "Attention中权重的常见计算方式有哪些?",
            "A list of score functions (dot, scaled dot, general/bilinear, additive/concat, ...).",
            "(列举常见的注意力权重计算方式)",
        ),
    )
}

_REGISTRY: dict[str, type[Experiment]] = {}


class Experiment:
    """Base class of the question experiments.

    Subclasses set ``qid`` (the rest of the class attributes default to the question's
    :class:`ExperimentInfo`), implement :meth:`run`, and are registered with :func:`register`.
    ``n_seeds`` maps a profile to its default number of seeds.
    """

    qid: ClassVar[str] = ""
    title: ClassVar[str] = ""
    question_en: ClassVar[str] = ""
    question_zh: ClassVar[str] = ""
    claim: ClassVar[str] = ""
    n_seeds: ClassVar[dict[str, int]] = dict(_DEFAULT_N_SEEDS)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        info = _INFOS.get(cls.qid)
        if info is not None:
            for attr in ("title", "question_en", "question_zh", "claim"):
                if not cls.__dict__.get(attr):
                    setattr(cls, attr, getattr(info, attr))

    def run(self, ctx: RunContext) -> Result:  # pragma: no cover - abstract
        """Run the experiment at ``ctx.profile`` and return its :class:`Result`."""
        raise NotImplementedError

    def make_result(
        self,
        ctx: RunContext,
        *,
        verdict: str,
        rule: str,
        summary: str,
        evidence: Sequence[Evidence],
        figures: Sequence[str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> Result:
        """Build a :class:`Result` with this question's texts, the context's seeds and the versions.

        ``figures`` defaults to every figure saved through ``ctx.save_figure``. ``seconds`` is filled in
        by :func:`run_experiment`.
        """
        return Result(
            qid=self.qid,
            question=self.question_en,
            claim=self.claim,
            verdict=verdict,
            rule=rule,
            summary=summary,
            evidence=list(evidence),
            figures=list(ctx.figures if figures is None else figures),
            config=dict(config or {}),
            seeds=list(ctx.seeds),
            versions=versions(),
            seconds=0.0,
            profile=ctx.profile,
            question_zh=self.question_zh,
            title=self.title,
        )


def register(cls: type[Experiment]) -> type[Experiment]:
    """Class decorator: register an :class:`Experiment` subclass under its ``qid``."""
    if not (isinstance(cls, type) and issubclass(cls, Experiment)):
        raise TypeError(f"register: expected an Experiment subclass, got {cls!r}")
    if not cls.qid:
        raise ValueError(f"{cls.__name__}.qid: expected a question id like 'q1', got {cls.qid!r}")
    _REGISTRY[cls.qid] = cls
    return cls


def list_experiments() -> list[ExperimentInfo]:
    """Every known question, in order, without importing the experiment modules."""
    return [_INFOS[q] for q in sorted(_INFOS, key=lambda q: int(q[1:]))]


def get_info(qid: str) -> ExperimentInfo:
    """The static description of question ``qid``."""
    if qid not in _INFOS:
        raise ValueError(f"qid: expected one of {sorted(_INFOS)}, got {qid!r}")
    return _INFOS[qid]


def get_experiment(qid: str) -> Experiment:
    """Import the module of question ``qid`` (lazily) and return an instance of its experiment."""
    if qid not in _REGISTRY:
        info = get_info(qid)
        try:
            importlib.import_module(info.module)
        except ModuleNotFoundError as exc:
            if exc.name == info.module:
                raise ExperimentError(f"{qid}: experiment module {info.module} is not available") from exc
            raise
        if qid not in _REGISTRY:
            raise ExperimentError(f"{qid}: module {info.module} did not register an experiment")
    return _REGISTRY[qid]()


def run_experiment(
    qid: str,
    profile: str = "quick",
    seeds: int | Sequence[int] | None = None,
    out: str | Path = "attnlab-report",
    *,
    progress: bool = False,
    device: str = "cpu",
) -> Result:
    """Run question ``qid`` and write ``out/<qid>/result.json``.

    Args:
        qid: ``"q1"`` ... ``"q8"``.
        profile: ``"tiny"``, ``"quick"`` or ``"full"``.
        seeds: number of seeds (``0..n-1``), an explicit list, or ``None`` for the experiment's default.
        out: output root; figures and the result go to ``out/<qid>/``.
        progress: show progress bars.
        device: torch device for the experiment.

    Returns:
        The :class:`Result` (with ``seconds`` set to the wall time of the run).
    """
    _check_profile(profile)
    exp = get_experiment(qid)
    if seeds is None:
        seed_list = default_seeds(profile, exp.n_seeds.get(profile))
    elif isinstance(seeds, int):
        seed_list = default_seeds(profile, seeds)
    else:
        seed_list = [int(s) for s in seeds]
    ctx = RunContext(profile, seed_list, Path(out) / qid, progress=progress, device=device)
    with stopwatch() as sw:
        result = exp.run(ctx)
    if not isinstance(result, Result):
        raise ExperimentError(f"{qid}: run() returned {type(result).__name__}, expected Result")
    result.seconds = round(sw["seconds"], 3)
    result.profile = profile
    write_result(result, out)
    return result
