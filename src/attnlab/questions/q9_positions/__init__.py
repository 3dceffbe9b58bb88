"""q9: which position scheme extrapolates to sequences longer than those seen in training?

The common answer (Press et al. 2021, "Train Short, Test Long"): ALiBi extrapolates, sinusoidal positions do
not, and a learned position table cannot represent a position it never saw. It is tested on causal language
models (:class:`attnlab.models.TransformerLM`, 2 layers, 4 heads) trained at length T on two tasks whose rule
does not depend on the length, then evaluated at T, 2T and 4T:

- **local** (:class:`attnlab.data.BlockCopyTask`): blocks of 8 distinct symbols, each followed by its copy;
  the next token inside a copy is found 8 positions back (the offsets needed at 4T are those of training);
- **global** (:class:`attnlab.data.MarkerTask`): every token after a marker's follower must output that
  follower; the marker can be anywhere, so at 4T the distance to look back is up to 4 times the longest
  distance seen in training.

Schemes: sinusoidal and learned (added to the embeddings), RoPE, ALiBi and the T5 bias (inside attention),
everything else equal (one learning rate per task, the same for every scheme). Each model trains until its
accuracy at T first reaches 0.9 (early stop; a budget), 5 seeds, so every scheme is judged at the same
competence rather than after the same number of steps. At 2T and 4T the accuracy is measured on the targets
at positions >= T only (positions never seen in training), so a model that keeps working on its training
positions does not hide a failure beyond them; a second figure shows the accuracy by position.

**Learned positions.** Every model is built with room for 4T positions; a learned table therefore has 4T
rows, of which only the first T receive a gradient. Rows T .. 4T - 1 stay at their random initialisation
(AdamW's decoupled weight decay shrinks them by under 10%): that is exactly what a learned table offers at
an unseen position, and the honest test of "cannot represent unseen positions".

The decision rests on paired per-seed differences: the drop from T to 2T or 4T (accuracy on the second half of
the training length minus beyond-T accuracy at the longer length: the trained positions nearest to those beyond
T, so that a scheme whose accuracy already falls along the sequence within T, as ALiBi's does on the local task,
is not charged with that fall as a failure to extrapolate; the drop from the whole of T is reported beside it),
each scheme minus sinusoidal, and ALiBi minus RoPE and the T5 bias, at 2T and at 4T. A drop whose interval lies
below 0.05 means the scheme kept its accuracy; above 0.05, it lost it.

**Baselines** (exact): chance on both tasks; on the local task the best order-free guess (uniform over the
block's symbols not yet copied); on the global task the best order-free guess, the most frequent symbol so far
(:func:`marker_order_free_baseline`), which beats chance because the needle is one of the symbols counted.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch

from attnlab.data import make_task
from attnlab.data.tasks import IGNORE_INDEX, Task
from attnlab.experiments import rules, stats
from attnlab.experiments.context import pick
from attnlab.experiments.registry import register
from attnlab.experiments.spec import (
    Aggregate,
    Decision,
    EvidenceSet,
    Experiment,
    Explanation,
    Outcomes,
    Question,
    Trial,
)
from attnlab.experiments.training import fit
from attnlab.results import Check, Evidence, Panel, Plot, Reference, RefLine, Series

__all__ = ["QUESTION", "accuracy_beyond", "make_length_task", "marker_order_free_baseline", "train_trial"]

QUESTION = Question(
    qid="q9",
    title="Which position scheme extrapolates?",
    question="Which position encoding lets a Transformer trained on sequences of length T work on longer "
             "sequences (2T, 4T)?",
    question_zh="哪种位置编码能外推到更长的序列?",
    claim="ALiBi extrapolates to sequences longer than those seen in training; sinusoidal positions do not; "
          "learned positions cannot represent unseen positions at all (Press et al. 2021).",
    claim_zh="ALiBi 能外推到比训练时更长的序列,正弦位置编码不能,可学习的位置编码根本无法表示没见过的位置。",
    group="beyond",
)

SCHEMES = ("sinusoidal", "learned", "rope", "alibi", "t5")
FACTORS = (1, 2, 4)
TASK_NAMES = ("local", "global")
TASK_ZH = {"local": "局部任务", "global": "全局任务"}
TASK_SHORT = {"local": ("local (block-copy)", "局部(块复制)"), "global": ("global (marker)", "全局(标记)")}
SCHEME_ZH = {"sinusoidal": "正弦位置编码", "learned": "可学习位置表", "rope": "RoPE", "alibi": "ALiBi",
             "t5": "T5 相对位置偏置"}
SCHEME_EN = {"sinusoidal": "sinusoidal positions", "learned": "a learned table", "rope": "RoPE", "alibi": "ALiBi",
             "t5": "the T5 bias"}
BASELINE_ZH = {"chance": "随机猜测", "order_free": "不看顺序(在块内尚未复制的符号中均匀猜)"}
# the global task's order-free baseline, computed here (the task itself only knows chance)
GLOBAL_ORDER_FREE = ("order-free (guess the most frequent symbol so far)", "不看顺序(猜目前为止出现最多的符号)")
THRESHOLD = 0.9
MARGIN = 0.05  # an accuracy drop whose interval lies below this: the scheme kept its accuracy
LR = {"local": 1e-2, "global": 3e-3}  # per task, the same for every scheme: the global task stalls at 1e-2
NEAR_BASELINE = 0.1  # beyond-T accuracy within this of the best trivial baseline: nothing represented there
ACC = (0.0, 1.0)
DIFF = (-1.0, 1.0)

PRESS = Reference(
    "Press et al. 2021 (ALiBi), §4 and Figure 1", "Trained on 512 or 1024 tokens of WikiText-103, ALiBi keeps its "
    "perplexity (or improves it) on inputs several times longer; sinusoidal positions degrade after a few dozen "
    "extra tokens; rotary and the T5 bias extrapolate part of the way, the T5 bias further than rotary.",
    "language modelling perplexity, 247M-1.3B parameters", "supports", "https://arxiv.org/abs/2108.12409")
KAZEMNEJAD = Reference(
    "Kazemnejad et al. 2023, §4", "On algorithmic and reasoning tasks (copy, reverse, addition, SCAN ...) with "
    "decoder-only models trained at length <= 20 and tested up to 40, ALiBi, rotary and absolute positions "
    "generalise poorly; no positions (NoPE) and the T5 bias do best.", "decoder-only, ~107M parameters, "
    "exact-match accuracy", "contradicts", "https://arxiv.org/abs/2305.19466")
VASWANI = Reference(
    "Vaswani et al. 2017, §3.5", "Sinusoids were chosen over a learned table because they 'may allow the model to "
    "extrapolate to sequence lengths longer than the ones encountered during training' (a hypothesis, not tested "
    "there).", "machine translation", "context", "https://arxiv.org/abs/1706.03762")
CHEN = Reference(
    "Chen et al. 2023 (position interpolation), §2", "RoPE models fail beyond their training length (perplexity "
    "explodes, passkey retrieval fails); rescaling the positions into the trained range fixes it after brief "
    "fine-tuning.", "LLaMA 7B-65B, context 2048 -> 32768", "context", "https://arxiv.org/abs/2306.15595")


# ----------------------------------------------------------------------------------------------------
# Tasks, model, trials
# ----------------------------------------------------------------------------------------------------


def make_length_task(task: str, length: int, factor: int) -> Task:
    """The q9 task ``task`` ("local" or "global") at ``factor`` times the training length ``length``.

    local: :class:`attnlab.data.BlockCopyTask` with blocks of ``length // 4`` symbols and ``2 * factor``
    block pairs; global: :class:`attnlab.data.MarkerTask` of length ``factor * length`` (marker anywhere).
    """
    if task == "local":
        block = length // 4
        return make_task("block_copy", n_blocks=2 * factor, block_len=block, n_symbols=2 * block)
    if task == "global":
        return make_task("marker", length=factor * length, n_symbols=16)
    raise ValueError(f"task: expected one of {TASK_NAMES}, got {task!r}")


@functools.cache
def _max_count_share(n_max: int, n_symbols: int) -> tuple[float, ...]:
    """``E[max count] / n`` for n = 0 .. n_max draws of a multinomial over ``n_symbols`` equally likely symbols.

    ``P(every count <= M) = n! / K^n [z^n] (sum_{c <= M} z^c / c!)^K`` (exponential generating function) and
    ``E[max] = sum_{j >= 1} P(max >= j)``; exact up to float rounding.
    """
    logf = [math.lgamma(c + 1) for c in range(n_max + 1)]
    at_most = np.zeros((n_max + 1, n_max + 1))  # [M, n]: P(every count <= M)
    for m in range(n_max + 1):
        base = np.zeros(n_max + 1)
        base[: m + 1] = [math.exp(-logf[c]) for c in range(m + 1)]
        poly = np.zeros(n_max + 1)
        poly[0] = 1.0
        for _ in range(n_symbols):
            poly = np.convolve(poly, base)[: n_max + 1]
        for n in range(n_max + 1):
            at_most[m, n] = poly[n] * math.exp(logf[n] - n * math.log(n_symbols)) if poly[n] > 0 else 0.0
    return (0.0, *(sum(1.0 - at_most[j - 1, n] for j in range(1, n + 1)) / n for n in range(1, n_max + 1)))


def marker_order_free_baseline(task: Task, start: int = 0) -> float:
    """The best order-free accuracy on a :class:`attnlab.data.MarkerTask`, over its targets at positions >= ``start``.

    A predictor that sees only the bag of tokens so far cannot tell which symbol followed the marker; given the
    counts, the needle is symbol s with probability ``c_s / p`` (p symbols so far, the needle among them), so the
    best such guess is the most frequent symbol so far, right with probability ``E[max_s c_s] / p``, the counts
    being multinomial over p uniform draws. Averaged over the targets: the one at position p exists for the
    ``min(p - 1, R)`` marker positions m <= p - 2 of the R = ``mark_range`` possible ones. Exact (no sampling).
    """
    length, k = task.length, task.n_symbols
    marks = task.mark_range or length - 2
    share = _max_count_share(length - 1, k)
    weights = {p: min(p - 1, marks) for p in range(max(2, start), length)}
    total = sum(weights.values())
    if not total:
        raise ValueError(f"start: expected a position with targets (< {length}), got {start}")
    return sum(w * share[p] for p, w in weights.items()) / total


@torch.no_grad()
def accuracy_beyond(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor, start: int,
                    bin_size: int) -> tuple[float, float, list[float | None]]:
    """Accuracy of a causal LM on the targets at positions ``>= start``, on all targets, and per position bin.

    Args:
        model: returns logits (B, T, V) for ``inputs`` (B, T).
        targets: (B, T) with ``-100`` where nothing is predicted.
        start: first position counted as "beyond" (the training length).
        bin_size: width of the position bins of the third value (``None`` for a bin without targets).

    Returns:
        (accuracy at positions >= start, accuracy over all targets, accuracy per bin of positions).
    """
    model.eval()
    pred = model(inputs).logits.argmax(-1)  # (B, T)
    valid = targets != IGNORE_INDEX  # (B, T)
    right = (pred == targets) & valid
    beyond = valid.clone()
    beyond[:, :start] = False

    def share(mask: torch.Tensor) -> float | None:
        n = int(mask.sum())
        return float((right & mask).sum()) / n if n else None

    bins = []
    for lo in range(0, inputs.shape[1], bin_size):
        m = torch.zeros_like(valid)
        m[:, lo:lo + bin_size] = True
        bins.append(share(valid & m))
    all_acc = share(valid)
    beyond_acc = share(beyond)
    return (all_acc if beyond_acc is None else beyond_acc), float(all_acc or 0.0), bins


def _settings(profile: str) -> dict[str, Any]:
    return pick(profile,
                tiny=dict(length=8, d_model=16, steps=20, batch_size=16, lr=LR, eval_every=10, n_eval=32),
                quick=dict(length=32, d_model=32, steps=800, batch_size=32, lr=LR, eval_every=25, n_eval=256),
                full=dict(length=64, d_model=64, steps=4000, batch_size=64, lr={"local": 3e-3, "global": 1e-3},
                          eval_every=50, n_eval=1024))


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one (task, scheme) at length T for one seed; accuracy at T and beyond T at 2T and 4T."""
    from attnlab.models import TransformerLM

    length, seed = config["length"], config["seed"]
    task = make_length_task(config["task"], length, 1)
    d = config["d_model"]
    model = TransformerLM(vocab_size=task.vocab_size, d_model=d, n_heads=4, n_layers=2, d_ff=2 * d,
                          max_len=max(FACTORS) * length, positions=config["scheme"], tie_embeddings=False)
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=seed, eval_every=config["eval_every"])
    by_factor = {}
    for f in FACTORS:
        test = make_length_task(config["task"], length, f)
        batch = test.sample(config["n_eval"], torch.Generator().manual_seed(909_000 + 10 * seed + f))
        beyond, overall, bins = accuracy_beyond(model, batch.inputs, batch.targets, length if f > 1 else 0,
                                                max(1, length // 4))
        by_factor[str(f)] = {"beyond": beyond, "all": overall, "bins": bins}
    out.update(by_factor=by_factor)
    return out


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = _settings(profile)
    return [Trial(train_trial, {"task": t, "scheme": sc, "seed": seed, **s, "lr": s["lr"][t]})
            for t in TASK_NAMES for sc in SCHEMES for seed in seeds]


# ----------------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------------


def _acc(outcomes: Outcomes, task: str, scheme: str, f: int) -> list[float]:
    return [o.measurements["by_factor"][str(f)]["beyond"] for o in outcomes.where(task=task, scheme=scheme)]


def aggregate(outcomes: Outcomes) -> Aggregate:
    first = outcomes.where(task=TASK_NAMES[0], scheme=SCHEMES[0])[0].config
    length, budget = first["length"], first["steps"]
    ev: list[Evidence] = [Evidence("train_length", length, unit="tokens", label="training length T",
                                   label_zh="训练长度 T")]
    for t in TASK_NAMES:
        task, task_zh = f"{t} task", TASK_ZH[t]
        for f in FACTORS:
            test = make_length_task(t, length, f)
            for base, value in test.baselines().items():
                ev.append(Evidence(f"baseline_{t}_{base}_x{f}", value, unit="accuracy", bounds=ACC,
                                   label=f"{task} at {_times_t(f)}: {base.replace('_', '-')} baseline (exact)",
                                   label_zh=f"{task_zh}在 {_times_t(f)} 时:{BASELINE_ZH[base]}基线(精确值)"))
            if t == "global":  # scored as the trials score: all targets at T, those beyond T at 2T and 4T
                what, what_zh = ("all targets", "全部目标") if f == 1 else ("targets beyond T", "超出 T 的目标")
                ev.append(Evidence(f"baseline_{t}_order_free_x{f}",
                                   marker_order_free_baseline(test, length if f > 1 else 0), unit="accuracy",
                                   bounds=ACC, label=f"{task} at {_times_t(f)} ({what}): {GLOBAL_ORDER_FREE[0]} "
                                                     "baseline (exact)",
                                   label_zh=f"{task_zh}在 {_times_t(f)} 时({what_zh}):{GLOBAL_ORDER_FREE[1]}"
                                            "基线(精确值)"))
        for sc in SCHEMES:
            where = dict(task=t, scheme=sc)
            sc_zh = SCHEME_ZH[sc]
            ev.append(stats.steps_evidence(f"steps_{t}_{sc}", outcomes.values("steps_to_threshold", **where),
                                           budget, label=f"steps to {THRESHOLD} at T, {sc}, {task}",
                                           label_zh=f"在 T 上达到 {THRESHOLD} 准确率所需步数,{sc_zh},{task_zh}"))
            for f in FACTORS:
                what, what_zh = ("all targets", "全部目标") if f == 1 else ("targets beyond T", "超出 T 的目标")
                ev.append(stats.evidence_from(f"acc_{t}_{sc}_x{f}", _acc(outcomes, t, sc, f), unit="accuracy",
                                              bounds=ACC, label=f"accuracy at {_times_t(f)} ({what}), {sc}, {task}",
                                              label_zh=f"{_times_t(f)} 时的准确率({what_zh}),{sc_zh},{task_zh}"))
            for f in FACTORS[1:]:
                ev.append(stats.paired_evidence(
                    f"drop_{t}_{sc}_x{f}", _acc(outcomes, t, sc, 1), _acc(outcomes, t, sc, f), unit="accuracy",
                    bounds=DIFF, label=f"accuracy lost from T to {f}T (beyond T), {sc}, {task}",
                    label_zh=f"从 T 到 {f}T 损失的准确率(超出 T 的目标),{sc_zh},{task_zh}"))
                if sc != "sinusoidal":
                    ev.append(stats.paired_evidence(
                        f"vs_sin_{t}_{sc}_x{f}", _acc(outcomes, t, sc, f), _acc(outcomes, t, "sinusoidal", f),
                        unit="accuracy", bounds=DIFF, label=f"{sc} minus sinusoidal at {f}T (beyond T), {task}",
                        label_zh=f"{sc_zh}减去正弦位置编码的准确率,{f}T(超出 T 的目标),{task_zh}"))
            halves = [_halves(o.measurements["by_factor"]["1"]["bins"]) for o in outcomes.where(**where)]
            for i, (half, half_zh) in enumerate((("first", "前"), ("second", "后"))):
                ev.append(stats.evidence_from(f"acc_{t}_{sc}_x1_{half}_half", [h[i] for h in halves], unit="accuracy",
                                              bounds=ACC, label=f"accuracy at T in the {half} half of the sequence "
                                                                f"(mean over position bins), {sc}, {task}",
                                              label_zh=f"T 时序列{half_zh}半段的准确率(对位置分箱取平均),{sc_zh},"
                                                       f"{task_zh}"))
            for f in FACTORS[1:]:  # the drop the rules use: from the trained positions nearest to those beyond T
                ev.append(stats.paired_evidence(
                    f"drop_late_{t}_{sc}_x{f}", [h[1] for h in halves], _acc(outcomes, t, sc, f), unit="accuracy",
                    bounds=DIFF, label=f"accuracy lost from the second half of T to beyond T at {f}T, {sc}, {task}",
                    label_zh=f"从 T 的后半段到 {f}T 超出 T 的部分损失的准确率,{sc_zh},{task_zh}"))
        for f in FACTORS[1:]:
            for other in ("rope", "t5"):
                ev.append(stats.paired_evidence(
                    f"alibi_vs_{other}_{t}_x{f}", _acc(outcomes, t, "alibi", f), _acc(outcomes, t, other, f),
                    unit="accuracy", bounds=DIFF, label=f"alibi minus {other} at {f}T (beyond T), {task}",
                    label_zh=f"ALiBi 减去 {SCHEME_ZH[other]}的准确率,{f}T(超出 T 的目标),{task_zh}"))
    lrs = {t: outcomes.where(task=t, scheme=SCHEMES[0])[0].config["lr"] for t in TASK_NAMES}
    config = {"tasks": {t: make_length_task(t, length, 1).config() for t in TASK_NAMES}, "schemes": list(SCHEMES),
              "factors": list(FACTORS), "threshold": THRESHOLD, "margin": MARGIN, "model": "TransformerLM, 2 layers, "
              "4 heads, d_ff = 2 d_model, untied output layer, max_len = 4T",
              "lr": lrs, **{k: first[k] for k in ("length", "d_model", "steps", "batch_size", "eval_every", "n_eval")}}
    return Aggregate(ev, _plots(EvidenceSet(ev), outcomes, length), config, [PRESS, KAZEMNEJAD, VASWANI, CHEN])


def _times_t(f: int) -> str:
    """``"T"``, ``"2T"``, ``"4T"``: a test length as a multiple of the training length."""
    return "T" if f == 1 else f"{f}T"


def _task_title(task: str, length: int) -> str:
    """The task's title (figures and summary) at training length ``length``."""
    if task == "local":
        back = length // 4  # the block length: a copied symbol stands this many positions back
        return f"local rule (block copy: look {back} back)"
    return "global rule (marker: look back anywhere)"


def _halves(bins: list[float | None]) -> tuple[float, float]:
    """Mean accuracy over the position bins of the first and of the second half of a sequence (bins without
    targets left out)."""
    mid = len(bins) // 2

    def mean(xs: list[float | None]) -> float:
        vals = [x for x in xs if x is not None]
        return sum(vals) / len(vals) if vals else 0.0

    return mean(bins[:mid]), mean(bins[mid:])


def _best_baseline(es: EvidenceSet | dict, task: str, f: int) -> Evidence:
    names = [n for n in es if n.startswith(f"baseline_{task}_") and n.endswith(f"_x{f}")]
    return max((es[n] for n in names), key=lambda e: e.number)


def _plots(es: EvidenceSet, outcomes: Outcomes, length: int) -> list[Plot]:
    xs = [f * length for f in FACTORS]
    panels = []
    for t in TASK_NAMES:
        series = []
        for sc in SCHEMES:
            e = [es[f"acc_{t}_{sc}_x{f}"] for f in FACTORS]
            series.append(Series(sc, xs, [x.number for x in e], [rules.interval(x)[0] for x in e],
                                 [rules.interval(x)[1] for x in e]))
        base = _best_baseline(es, t, max(FACTORS))
        panels.append(Panel(title=_task_title(t, length), xlabel=f"test length (trained at T = {length})",
                            ylabel="accuracy (beyond T)", xscale="log2", ylim=(0, 1.02), series=series,
                            lines=[RefLine(THRESHOLD, f"{THRESHOLD}: learned at T"),
                                   RefLine(base.number, f"best trivial baseline at {max(FACTORS)}T")]))
    top = _times_t(max(FACTORS))
    headline = Plot("extrapolation", "Accuracy at T, 2T and 4T by position scheme", panels, headline=True,
                    caption=f"Mean over seeds with 95% intervals. At 2T and 4T only the targets at positions never "
                            f"seen in training (>= T) count. Lines: the {THRESHOLD} accuracy every model was trained "
                            f"to at T, and the best trivial baseline at {top}.",
                    title_zh="各种位置编码在 T、2T、4T 上的准确率",
                    caption_zh=f"各种子平均值及 95% 区间。在 2T 和 4T 上只统计训练中从未见过的位置(>= T)上的目标。"
                               f"横线:每个模型在 T 上训练到的 {THRESHOLD} 准确率,以及 {top} 时最好的平凡基线。")
    bin_size = max(1, length // 4)
    pos_panels = []
    for t in TASK_NAMES:
        series = []
        for sc in SCHEMES:
            runs = [o.measurements["by_factor"][str(max(FACTORS))]["bins"] for o in outcomes.where(task=t, scheme=sc)]
            x, y = [], []
            for i in range(len(runs[0])):
                vals = [r[i] for r in runs if r[i] is not None]
                if vals:
                    x.append(i * bin_size + bin_size / 2)
                    y.append(sum(vals) / len(vals))
            series.append(Series(sc, x, y))
        pos_panels.append(Panel(title=_task_title(t, length), xlabel="position", ylabel="accuracy", ylim=(0, 1.02),
                                series=series, lines=[RefLine(length, "T (training length)", axis="x")]))
    by_position = Plot("accuracy_by_position", f"Accuracy by position in sequences of {top}", pos_panels,
                       caption=f"Mean over seeds, positions in bins of {bin_size}; the vertical line is the training "
                               "length.", title_zh=f"长度为 {top} 的序列中各位置的准确率",
                       caption_zh=f"各种子平均值,位置按每 {bin_size} 个分箱;竖线是训练长度。")
    return [headline, by_position]


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------


def _status(drop: Evidence) -> str:
    """"kept" (drop interval below MARGIN), "lost" (above MARGIN) or "unclear"."""
    lo, hi = rules.interval(drop)
    return "kept" if hi < MARGIN else "lost" if lo > MARGIN else "unclear"


def _drop(task: str, scheme: str, f: int) -> str:
    """The name of the drop the rules use: accuracy on the second half of T minus the accuracy beyond T at fT.

    Against the whole of T, a scheme whose accuracy already falls along the training length (ALiBi on the local
    task) would count that fall as a failure to extrapolate; the second half is the trained stretch nearest to the
    positions beyond T."""
    return f"drop_late_{task}_{scheme}_x{f}"


def _where(ev: EvidenceSet, scheme: str) -> dict[tuple[str, int], str]:
    return {(t, f): _status(ev[_drop(t, scheme, f)]) for t in TASK_NAMES for f in FACTORS[1:]}


def _describe(ev: EvidenceSet, scheme: str) -> str:
    return "; ".join(f"{t}: {rules.fmt(ev[f'acc_{t}_{scheme}_x1_second_half'])} on the second half of T "
                     f"({rules.fmt(ev[f'acc_{t}_{scheme}_x1'])} on all of it), drop to 2T "
                     f"{rules.fmt(ev[_drop(t, scheme, 2)])}, to 4T {rules.fmt(ev[_drop(t, scheme, 4)])}"
                     for t in TASK_NAMES)


_STATE = {"kept": ("kept", "保持住了"), "lost": ("dropped", "下降了"), "unclear": ("unclear", "不确定")}
_SAME = {"kept": ("kept up to 4T", "直到 4T 都保持住了"), "lost": ("dropped at 2T and 4T", "2T 和 4T 都下降了"),
         "unclear": ("unclear at 2T and 4T", "2T 和 4T 都不确定")}
_LEGEND = (f"from the accuracy on the second half of T; kept: interval below {MARGIN}; dropped: above",
           f"相对 T 后半段的准确率;保持:区间低于 {MARGIN};下降:区间高于 {MARGIN}")


def _pad(name_zh: str) -> str:
    """A name inside Chinese text: a space on the side where it meets Chinese with a Latin letter or digit."""
    return (" " if name_zh[0].isascii() else "") + name_zh + (" " if name_zh[-1].isascii() else "")


def _fate(where: dict[tuple[str, int], str], task: str) -> tuple[str, str]:
    """What happened to a scheme's accuracy on ``task`` beyond T, in words (English, Chinese)."""
    s2, s4 = where[(task, 2)], where[(task, 4)]
    if s2 == s4:
        return _SAME[s2]
    return (f"{_STATE[s2][0]} at 2T, {_STATE[s4][0]} at 4T", f"2T 时{_STATE[s2][1]},4T 时{_STATE[s4][1]}")


def _drops(ev: EvidenceSet, scheme: str) -> tuple[str, str]:
    """A scheme's paired drops from T to 2T and 4T on each task, with what they mean (English, Chinese)."""
    where = _where(ev, scheme)
    en, zh = [], []
    for t in TASK_NAMES:
        d2, d4 = ev[_drop(t, scheme, 2)], ev[_drop(t, scheme, 4)]
        fate = _fate(where, t)
        en.append(f"{TASK_SHORT[t][0]} task {rules.fmt(d2)} at 2T and {rules.fmt(d4)} at 4T, {fate[0]}")
        zh.append(f"{TASK_SHORT[t][1]}任务 2T 时 {rules.fmt(d2)}、4T 时 {rules.fmt(d4)},{fate[1]}")
    return "; ".join(en), ";".join(zh)


def _vs_rel() -> list[tuple[str, str, str]]:
    """ALiBi minus RoPE and minus the T5 bias, on both tasks at 2T and 4T: (evidence name, English, Chinese)."""
    return [(f"alibi_vs_{o}_{t}_x{f}", f"{SCHEME_EN[o]}, {TASK_SHORT[t][0]} task at {f}T",
             f"{SCHEME_ZH[o]},{TASK_SHORT[t][1]}任务 {f}T 时") for t in TASK_NAMES for f in FACTORS[1:]
            for o in ("rope", "t5")]


def _count_sides(ev: EvidenceSet, names: list[str]) -> tuple[int, int]:
    """(paired differences whose interval lies above 0, those below 0)."""
    return (sum(rules.interval(ev[n])[0] > 0 for n in names), sum(rules.interval(ev[n])[1] < 0 for n in names))


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    learned = {(t, sc): rules.reached_check(f"learned_{t}_{sc}", ev[f"steps_{t}_{sc}"], what=f"{sc}, {t} task at T",
                                            what_zh=f"{SCHEME_ZH[sc]},{TASK_ZH[t]},长度 T")
               for t in TASK_NAMES for sc in SCHEMES}
    beats = [ev[f"acc_{t}_{sc}_x1"].number > _best_baseline(ev, t, 1).number for t in TASK_NAMES for sc in SCHEMES]
    above = Check("above_baselines_at_T", all(beats), f"{sum(beats)} of {len(beats)} (task, scheme) accuracies at T "
                  "lie above the task's best trivial baseline",
                  f"{len(beats)} 个(任务, 位置编码)组合中有 {sum(beats)} 个在 T 上的准确率高于该任务最好的平凡基线")

    def need(*schemes: str) -> list[Check]:
        return [learned[(t, sc)] for sc in schemes for t in TASK_NAMES] + [above]

    def alibi() -> rules.Ruling:
        where = _where(ev, "alibi")
        kept_all = all(s == "kept" for s in where.values())
        kept_2 = [t for t in TASK_NAMES if where[(t, 2)] == "kept"]
        lost_2 = all(where[(t, 2)] == "lost" for t in TASK_NAMES)
        verdict = ("confirmed" if kept_all else "refuted" if lost_2 else "qualified" if kept_2 else "inconclusive")
        drops = _drops(ev, "alibi")
        change = {
            "confirmed": (f"A paired drop whose interval reaches {MARGIN} or more on either task at 2T or 4T.",
                          f"任一任务在 2T 或 4T 上的配对下降区间达到 {MARGIN} 或更高。"),
            "qualified": (f"Drops whose intervals lie below {MARGIN} on both tasks up to 4T (confirmed), or above "
                          f"{MARGIN} on both tasks already at 2T (refuted).",
                          f"两个任务直到 4T 的下降区间都低于 {MARGIN}(成立),"
                          f"或两个任务在 2T 就都高于 {MARGIN}(不成立)。"),
            "refuted": (f"A drop whose interval lies below {MARGIN} at 2T on either task.",
                        f"任一任务在 2T 上的下降区间低于 {MARGIN}。"),
            "inconclusive": (f"More seeds, so that the 2T drops whose intervals straddle {MARGIN} fall on one side of "
                             "it.", f"增加种子数,使跨过 {MARGIN} 的 2T 下降区间落到它的一侧。"),
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: ALiBi {_describe(ev, 'alibi')}. Rule (drop = accuracy on the second half of T minus the "
            f"accuracy beyond T, paired): confirmed if the drop's interval lies below {MARGIN} on both tasks at 2T "
            f"and 4T; refuted if it lies above {MARGIN} on both tasks already at 2T; qualified if it is kept at 2T on "
            "some task (the others named above); else inconclusive.",
            f"ALiBi's accuracy on the second half of T minus its accuracy beyond T (paired): {drops[0]} "
            f"({_LEGEND[0]}); from the whole of T the drops are " + ", ".join(
                f"{rules.fmt(ev[f'drop_{t}_alibi_x{f}'])} ({t}, {f}T)" for t in TASK_NAMES for f in FACTORS[1:])
            + ".",
            f"ALiBi 在 T 后半段的准确率减去超出 T 部分的准确率(配对):{drops[1]}({_LEGEND[1]});相对整个 T 的下降为 "
            + "、".join(f"{rules.fmt(ev[f'drop_{t}_alibi_x{f}'])}({TASK_ZH[t]},{f}T)" for t in TASK_NAMES
                       for f in FACTORS[1:]) + "。",
            *change)

    def sinusoidal() -> rules.Ruling:
        where = _where(ev, "sinusoidal")
        lost = [t for t in TASK_NAMES if where[(t, 2)] == "lost"]
        kept_all = all(s == "kept" for s in where.values())
        verdict = ("confirmed" if len(lost) == len(TASK_NAMES) else "refuted" if kept_all
                   else "qualified" if lost else "inconclusive")
        drops = _drops(ev, "sinusoidal")
        change = {
            "confirmed": (f"A 2T drop whose interval reaches down to {MARGIN} on either task.",
                          f"任一任务的 2T 下降区间向下达到 {MARGIN}。"),
            "qualified": (f"Drops above {MARGIN} at 2T on both tasks (confirmed), or below {MARGIN} on both tasks up "
                          "to 4T (refuted).",
                          f"两个任务在 2T 的下降都高于 {MARGIN}(成立),或两个任务直到 4T 都低于 {MARGIN}(不成立)。"),
            "refuted": (f"A drop whose interval lies above {MARGIN} at 2T on either task.",
                        f"任一任务在 2T 上的下降区间高于 {MARGIN}。"),
            "inconclusive": (f"More seeds, so that the drops whose intervals straddle {MARGIN} fall on one side of it.",
                             f"增加种子数,使跨过 {MARGIN} 的下降区间落到它的一侧。"),
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: sinusoidal {_describe(ev, 'sinusoidal')}. Rule (drop = accuracy on the second half of T "
            f"minus the accuracy beyond T, paired): confirmed if the drop's interval lies above {MARGIN} on both tasks "
            f"at 2T; refuted if it lies below {MARGIN} everywhere up to 4T; qualified if lost on one task only; else "
            "inconclusive.",
            f"Sinusoidal positions' accuracy on the second half of T minus their accuracy beyond T (paired): "
            f"{drops[0]} ({_LEGEND[0]}).",
            f"正弦位置编码在 T 后半段的准确率减去超出 T 部分的准确率(配对):{drops[1]}({_LEGEND[1]})。",
            *change)

    def learned_table() -> rules.Ruling:
        where = _where(ev, "learned")
        near = []
        for t in TASK_NAMES:
            base = _best_baseline(ev, t, 2)
            near.append(rules.interval(ev[f"acc_{t}_learned_x2"])[1] < base.number + NEAR_BASELINE)
        lost = all(where[(t, 2)] == "lost" for t in TASK_NAMES)
        kept = any(where[(t, 2)] == "kept" for t in TASK_NAMES)
        verdict = ("confirmed" if all(near) else "refuted" if kept else "qualified" if lost else "inconclusive")
        accs = "; ".join(f"{t}: {rules.fmt(ev[f'acc_{t}_learned_x2'])} beyond T at 2T (best trivial baseline "
                         f"{_best_baseline(ev, t, 2).number:.3f})" for t in TASK_NAMES)
        en = "; ".join(f"{TASK_SHORT[t][0]} task {rules.fmt(ev[f'acc_{t}_learned_x2'])} (best trivial baseline "
                       f"{_best_baseline(ev, t, 2).number:.3f}; drop from the second half of T "
                       f"{rules.fmt(ev[_drop(t, 'learned', 2)])})" for t in TASK_NAMES)
        zh = ";".join(f"{TASK_SHORT[t][1]}任务 {rules.fmt(ev[f'acc_{t}_learned_x2'])}(最好的平凡基线 "
                      f"{_best_baseline(ev, t, 2).number:.3f},相对 T 后半段下降 "
                      f"{rules.fmt(ev[_drop(t, 'learned', 2)])})" for t in TASK_NAMES)
        change = {
            "confirmed": (f"A beyond-T accuracy at 2T whose interval reaches the best trivial baseline + "
                          f"{NEAR_BASELINE} on either task (something represented at the untrained rows).",
                          f"任一任务 2T 时超出 T 部分的准确率区间达到最好的平凡基线 + {NEAR_BASELINE}"
                          "(未训练的行也表示了一些东西)。"),
            "qualified": (f"Beyond-T accuracies at 2T below the best trivial baseline + {NEAR_BASELINE} on both tasks "
                          f"(confirmed), or a drop whose interval lies below {MARGIN} on a task (refuted).",
                          f"两个任务 2T 时超出 T 部分的准确率都低于最好的平凡基线 + {NEAR_BASELINE}(成立),"
                          f"或某个任务的下降区间低于 {MARGIN}(不成立)。"),
            "refuted": (f"2T drops whose intervals no longer lie below {MARGIN} on any task, or beyond-T accuracies "
                        f"below the best trivial baseline + {NEAR_BASELINE} on both tasks.",
                        f"没有任何任务的 2T 下降区间低于 {MARGIN},或两个任务超出 T 部分的准确率都低于最好的平凡基线 + "
                        f"{NEAR_BASELINE}。"),
            "inconclusive": (f"More seeds, so that the 2T drops' intervals fall on one side of {MARGIN}.",
                             f"增加种子数,使 2T 下降的区间落到 {MARGIN} 的一侧。"),
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: learned table, {accs}. Rule: confirmed if on both tasks the beyond-T accuracy at 2T stays "
            f"below the best trivial baseline + {NEAR_BASELINE} (nothing represented at untrained rows); else "
            f"refuted if it is kept on a task (a drop whose interval lies below {MARGIN}); qualified if it drops by "
            f"more than {MARGIN} (from the second half of T) on both tasks without staying near the baseline on "
            "both; else inconclusive. The global (marker) task can partly be solved from content alone, so its "
            "drop tests positions less directly than the local one.",
            f"A learned table's accuracy beyond T at 2T: {en}.",
            f"2T 时,可学习位置表在超出 T 的位置上的准确率:{zh}。",
            *change)

    def versus(a: str, others: list[str], items: list[tuple[str, str, str]]) -> rules.Ruling:
        names = [n for n, _, _ in items]
        up, down = _count_sides(ev, names)
        verdict = ("confirmed" if up == len(names) else "refuted" if down == len(names)
                   else "qualified" if up else "inconclusive")
        text = "; ".join(f"{ev[n].label}: {rules.fmt(ev[n])}" for n in names)
        en = "; ".join(f"{what}: {rules.fmt(ev[n])}" for n, what, _ in items)
        zh = ";".join(f"{what}:{rules.fmt(ev[n])}" for n, _, what in items)
        others_en = " and ".join(SCHEME_EN[o] for o in others)
        others_zh = _pad("、".join(SCHEME_ZH[o] for o in others))
        change = {
            "confirmed": ("A paired difference whose interval reaches 0 or below.", "某个配对差的区间达到 0 或更低。"),
            "qualified": ("Every paired difference's interval above 0 (confirmed), or every one below 0 (refuted).",
                          "所有配对差的区间都高于 0(成立),或都低于 0(不成立)。"),
            "refuted": ("A paired difference whose interval lies above 0.", "某个配对差的区间高于 0。"),
            "inconclusive": ("More seeds, so that a paired difference's interval clears 0.",
                             "增加种子数,使某个配对差的区间不再跨过 0。"),
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: {text}. Rule: confirmed if every paired difference's interval lies above 0 ({a} better than "
            f"{' and '.join(others)}), refuted if every one lies below 0, qualified if some lie above 0, else "
            "inconclusive.",
            f"ALiBi's accuracy beyond T minus that of {others_en} (paired), {en}: the interval lies above 0 in {up} "
            f"of {len(names)} comparisons and below 0 in {down}.",
            f"ALiBi 超出 T 部分的准确率减去{others_zh}的(配对),{zh}:"
            f"{len(names)} 组比较中区间高于 0 的 {up} 组,低于 0 的 {down} 组。",
            *change)

    vs_sin = [(f"vs_sin_{t}_alibi_x{f}", f"{TASK_SHORT[t][0]} task at {f}T", f"{TASK_SHORT[t][1]}任务 {f}T 时")
              for t in TASK_NAMES for f in FACTORS[1:]]
    vs_rel = _vs_rel()
    drops = {sc: [_drop(t, sc, f) for t in TASK_NAMES for f in FACTORS[1:]]
             + [f"acc_{t}_{sc}_x1_second_half" for t in TASK_NAMES] for sc in ("alibi", "sinusoidal")}
    c1 = rules.claim("alibi_extrapolates", "ALiBi keeps its accuracy at 2T and 4T.", need("alibi"), drops["alibi"],
                     alibi, statement_zh="ALiBi 在 2T 和 4T 上保持住准确率。")
    c2 = rules.claim("sinusoidal_does_not", "Sinusoidal positions lose accuracy beyond T.", need("sinusoidal"),
                     drops["sinusoidal"], sinusoidal, statement_zh="正弦位置编码超出 T 后准确率下降。")
    c3 = rules.claim("learned_cannot", "A learned table cannot represent positions it never trained.",
                     need("learned"), [n for t in TASK_NAMES for n in (f"acc_{t}_learned_x2", _drop(t, "learned", 2))]
                     + [n for n in ev if n.startswith("baseline_") and n.endswith("_x2")], learned_table,
                     statement_zh="可学习的位置表无法表示训练中从未见过的位置。")
    c4 = rules.claim("alibi_beats_sinusoidal", "ALiBi extrapolates better than sinusoidal positions.",
                     need("alibi", "sinusoidal"), [n for n, _, _ in vs_sin],
                     lambda: versus("alibi", ["sinusoidal"], vs_sin),
                     statement_zh="ALiBi 比正弦位置编码外推得更好。")
    c5 = rules.claim("alibi_beats_rope_t5", "ALiBi extrapolates further than RoPE and the T5 bias (Press et al.).",
                     need("alibi", "rope", "t5"), [n for n, _, _ in vs_rel],
                     lambda: versus("alibi", ["rope", "t5"], vs_rel),
                     statement_zh="ALiBi 比 RoPE 和 T5 相对位置偏置外推得更远(Press 等人)。")
    claims = (c1, c2, c3, c4, c5)
    checks = [*learned.values(), above]
    if any(not c.passed for c in checks) or c1.verdict == "inconclusive":
        verdict = "inconclusive"
    elif c1.verdict == "refuted":
        verdict = "refuted"
    elif all(c.verdict == "confirmed" for c in claims):
        verdict = "confirmed"
    else:
        verdict = "qualified"
    rule = (f"{verdict}: " + ", ".join(f"{c.name} {c.verdict}" for c in claims) + ". Rule: inconclusive if a check "
            "failed or ALiBi's extrapolation is inconclusive; refuted if ALiBi loses its accuracy at 2T on both tasks; "
            "confirmed if every sub-claim is confirmed; qualified otherwise.")
    return Decision(verdict, rule, checks, claims)


def explain(evidence: list[Evidence], decision: Decision) -> Explanation:
    ev = EvidenceSet(evidence)
    length = int(ev["train_length"].number)
    parts = []
    for t in TASK_NAMES:
        accs = ", ".join(f"{sc} {ev[f'acc_{t}_{sc}_x1'].number:.2f} → {ev[f'acc_{t}_{sc}_x2'].number:.2f} → "
                         f"{ev[f'acc_{t}_{sc}_x4'].number:.2f}" for sc in SCHEMES)
        parts.append(f"{_task_title(t, length)}: {accs}")
    def highest(f: int) -> str:
        out = []
        for t in TASK_NAMES:
            top = sorted(SCHEMES, key=lambda sc: -ev[f"acc_{t}_{sc}_x{f}"].number)[:2]
            out.append(" then ".join(f"{sc} {ev[f'acc_{t}_{sc}_x{f}'].number:.2f}" for sc in top) + f" ({t})")
        return "; ".join(out)

    summary = (f"Causal LMs trained at T = {length}, accuracy at T → 2T → 4T (beyond T; mean over "
               f"{ev['acc_local_alibi_x1'].n} seeds). " + "; ".join(parts) + f". Highest at 2T: {highest(2)}; at 4T: "
               f"{highest(4)}. ")
    behind = [(n, what) for n, what, _ in _vs_rel() if rules.interval(ev[n])[1] < 0]
    if behind:
        summary += ("ALiBi is clearly behind " + "; ".join(f"{what} ({rules.fmt(ev[n])})" for n, what in behind)
                    + ", so the comparison depends on the length it is made at. ")
    verdicts = {c.name: c.verdict for c in decision.claims}
    if verdicts["alibi_extrapolates"] in ("qualified", "refuted"):
        lost = [t for t in TASK_NAMES if _status(ev[_drop(t, "alibi", 2)]) != "kept"]
        summary += ("Press et al. 2021 find that ALiBi keeps its perplexity on longer inputs; here it does not on the "
                    + " and ".join(lost) + " task. ALiBi has no position parameters, so beyond T only the amount of "
                    "context changes, and its accuracy already falls within T: " + "; ".join(
                        f"{ev[f'acc_{t}_alibi_x1_first_half'].number:.2f} in the first half of the sequence and "
                        f"{ev[f'acc_{t}_alibi_x1_second_half'].number:.2f} in the second ({t} task); measured from the "
                        f"second half, the drop is {rules.fmt(ev[_drop(t, 'alibi', 2)])} at 2T and "
                        f"{rules.fmt(ev[_drop(t, 'alibi', 4)])} at 4T (from the whole of T: "
                        f"{ev[f'drop_{t}_alibi_x2'].number:.3f} and {ev[f'drop_{t}_alibi_x4'].number:.3f})"
                        for t in lost) + ". ")
        for t in lost:
            steps = ev[f"steps_{t}_alibi"]
            others = [ev[f"steps_{t}_{sc}"] for sc in SCHEMES if sc != "alibi"]
            if not isinstance(steps.value, str) and all(not isinstance(o.value, str) and o.number < steps.number
                                                        for o in others):
                summary += (f"ALiBi was also the slowest to learn the {t} task at T (median {steps.number:.0f} steps "
                            f"to {THRESHOLD}, the other schemes {min(o.number for o in others):.0f}-"
                            f"{max(o.number for o in others):.0f}) and stopped there, at "
                            f"{ev[f'acc_{t}_alibi_x1'].number:.3f}: it extrapolates from a training accuracy just past "
                            "the threshold, which these runs cannot separate from its position scheme. ")
    summary += _kazemnejad(ev) + " " + decision.rule
    answer_en, answer_zh = _answer(ev, decision)
    if decision.verdict == "inconclusive":
        answer_en, answer_zh = rules.undecided_answer(decision.claims)
    return Explanation(summary=summary, answer_en=answer_en, answer_zh=answer_zh)


def _on_tasks(tasks: list[str]) -> str:
    """``"on the local task"``, ``"on the local and global tasks"``, ``"on neither task"``."""
    if not tasks:
        return "on neither task"
    return f"on the {' and '.join(tasks)} task" + ("s" if len(tasks) > 1 else "")


def _kazemnejad(ev: EvidenceSet) -> str:
    """Where these runs agree and disagree with Kazemnejad et al. 2023 (the counter-literature), from the numbers
    at 2T, the nearest of our lengths to their test range (about twice the training length)."""
    t5_side = {t: rules.interval(ev[f"alibi_vs_t5_{t}_x2"]) for t in TASK_NAMES}
    t5_ahead = [t for t, (_, hi) in t5_side.items() if hi < 0]
    t5_behind = [t for t, (lo, _) in t5_side.items() if lo > 0]
    t5 = "; ".join(f"{t} {rules.fmt(ev[f'alibi_vs_t5_{t}_x2'])}" for t in TASK_NAMES)
    if len(t5_behind) == len(TASK_NAMES):
        t5_word = "we disagree on the T5 bias, which falls clearly behind ALiBi on both tasks"
    elif len(t5_ahead) == len(TASK_NAMES):
        t5_word = "we agree that the T5 bias extrapolates better than ALiBi, on both tasks"
    else:
        level = [t for t in TASK_NAMES if t not in t5_ahead and t not in t5_behind]
        t5_word = "on the T5 bias, " + ", ".join(
            [f"we agree on the {t} task (it is ahead of ALiBi)" for t in t5_ahead]
            + [f"we disagree on the {t} task (it is behind ALiBi)" for t in t5_behind]
            + [f"the {t} task shows no clear difference" for t in level])
    absolute = [(t, sc) for t in TASK_NAMES for sc in ("sinusoidal", "learned")
                if _status(ev[_drop(t, sc, 2)]) == "lost"]
    rope_lost = [t for t in TASK_NAMES if _status(ev[_drop(t, "rope", 2)]) == "lost"]
    alibi_lost = [t for t in TASK_NAMES if _status(ev[_drop(t, "alibi", 2)]) == "lost"]
    t5_lost = [t for t in TASK_NAMES if _status(ev[_drop(t, "t5", 2)]) == "lost"]
    return (f"Kazemnejad et al. 2023 (counter-literature: decoder-only models of about 107M parameters on algorithmic "
            "tasks, tested at about twice the training length) find ALiBi, rotary and absolute positions generalise "
            "poorly and the T5 bias (with no positions at all, NoPE, which we did not run) best. At 2T, ALiBi minus "
            f"the T5 bias is {t5}: {t5_word}. Absolute positions (sinusoidal, learned) lose their accuracy at 2T in "
            f"{len(absolute)} of {2 * len(TASK_NAMES)} (task, scheme) cases, RoPE {_on_tasks(rope_lost)}, ALiBi "
            f"{_on_tasks(alibi_lost)} and the T5 bias {_on_tasks(t5_lost)} (drops from the second half of T whose "
            f"interval lies above {MARGIN}). Their "
            "models and tasks differ from these "
            "2-layer models, so this places our numbers beside theirs rather than testing their claim.")


def _answer(ev: EvidenceSet, decision: Decision) -> tuple[str, str]:
    """The short answer (English, Chinese) from the numbers."""
    length = int(ev["train_length"].number)
    where = _where(ev, "alibi")
    lead = {"confirmed": ("Yes, on our tasks: ", "在我们的任务上成立:"),
            "qualified": ("Only in part: ", "只部分成立:"),
            "refuted": ("Not on our tasks: ", "在我们的任务上不成立:")}.get(decision.verdict, ("", ""))

    def acc(t: str, sc: str, f: int) -> str:
        return f"{ev[f'acc_{t}_{sc}_x{f}'].number:.2f}"

    def late(t: str) -> str:
        return f"{ev[f'acc_{t}_alibi_x1_second_half'].number:.2f}"

    alibi_en = " and ".join(f"from {acc(t, 'alibi', 1)} at T ({late(t)} on its second half) to {acc(t, 'alibi', 2)} "
                            f"at 2T and {acc(t, 'alibi', 4)} at 4T on the {TASK_SHORT[t][0]} task "
                            f"({_fate(where, t)[0]} against that second half)" for t in TASK_NAMES)
    alibi_zh = ",".join(f"在{TASK_SHORT[t][1]}任务上从 T 时的 {acc(t, 'alibi', 1)}(后半段 {late(t)})变为 2T 时的 "
                        f"{acc(t, 'alibi', 2)}、4T 时的 {acc(t, 'alibi', 4)}(相对后半段:{_fate(where, t)[1]})"
                        for t in TASK_NAMES)
    first = (f"{lead[0]}trained on {length} tokens and scored only on the positions beyond them, ALiBi's accuracy "
             f"went {alibi_en}.")
    rel_items = _vs_rel()
    rel = [n for n, _, _ in rel_items]
    up, down = _count_sides(ev, rel)
    behind = [(n, en, zh) for n, en, zh in rel_items if rules.interval(ev[n])[1] < 0]
    behind_en = (" (" + "; ".join(f"{en}: {ev[n].number:+.2f}" for n, en, _ in behind) + ")") if behind else ""
    behind_zh = ("(" + ";".join(f"{zh}:{ev[n].number:+.2f}" for n, _, zh in behind) + ")") if behind else ""
    others_en = "; ".join(f"{SCHEME_EN[sc]} scored " + " and ".join(f"{acc(t, sc, 4)} ({t})" for t in TASK_NAMES)
                          for sc in ("sinusoidal", "learned"))
    others_zh = ",".join(f"{SCHEME_ZH[sc]}在" + "、".join(TASK_ZH[t] for t in TASK_NAMES) + "上分别为 "
                         + " 和 ".join(acc(t, sc, 4) for t in TASK_NAMES) for sc in ("sinusoidal", "learned"))
    n = ev["acc_local_alibi_x1"].n
    conf = f"{stats.CONFIDENCE:.0%}"
    en = [first[0].upper() + first[1:],
          f"At 4T, {others_en}; against RoPE and the T5 bias at 2T and 4T, ALiBi is clearly ahead (interval above 0) "
          f"in {up} of {len(rel)} paired comparisons and clearly behind in {down}{behind_en}.",
          f"Each scheme ran {n} seeds with paired {conf} intervals, and a drop counts only when its interval clears "
          f"{MARGIN}; these are small models on synthetic tasks, not the language models of Press et al. 2021."]
    zh = [f"{lead[1]}训练长度为 {length}、只统计超出训练长度的位置时,ALiBi 的准确率{alibi_zh}。",
          f"4T 时,{others_zh};在 2T 和 4T 上与 RoPE、T5 相对位置偏置的 {len(rel)} 组配对比较中,ALiBi 在 {up} 组中"
          f"明显领先(区间高于 0),在 {down} 组中明显落后{behind_zh}。",
          f"每种编码 {n} 个种子(配对 {conf} 区间),下降的区间越过 {MARGIN} 才算数;这些是在合成任务上训练的小模型,"
          "不是 Press 等人 2021 年研究的语言模型。"]
    return " ".join(en), "".join(zh)


EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain))
