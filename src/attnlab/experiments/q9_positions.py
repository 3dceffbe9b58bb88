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

The decision rests on paired per-seed differences: the drop from T to 2T or 4T (accuracy at T minus beyond-T
accuracy at the longer length) and each scheme minus sinusoidal at the same length. A drop whose interval lies
below 0.05 means the scheme kept its accuracy; above 0.05, it lost it.
"""

from __future__ import annotations

from typing import Any

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

__all__ = ["QUESTION", "accuracy_beyond", "make_length_task", "train_trial"]

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
TASK_TITLES = {"local": "local rule (block copy: look 8 back)", "global": "global rule (marker: look back anywhere)"}
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
    ev: list[Evidence] = [Evidence("train_length", length, unit="tokens", label="training length T")]
    for t in TASK_NAMES:
        for f in FACTORS:
            for base, value in make_length_task(t, length, f).baselines().items():
                ev.append(Evidence(f"baseline_{t}_{base}_x{f}", value, unit="accuracy", bounds=ACC,
                                   label=f"{t} task at {f}T: {base.replace('_', '-')} baseline (exact)"))
        for sc in SCHEMES:
            where = dict(task=t, scheme=sc)
            ev.append(stats.steps_evidence(f"steps_{t}_{sc}", outcomes.values("steps_to_threshold", **where),
                                           budget, label=f"steps to {THRESHOLD} at T, {sc}, {t} task"))
            for f in FACTORS:
                what = "all targets" if f == 1 else "targets beyond T"
                ev.append(stats.evidence_from(f"acc_{t}_{sc}_x{f}", _acc(outcomes, t, sc, f), unit="accuracy",
                                              bounds=ACC, label=f"accuracy at {f}T ({what}), {sc}, {t} task"))
            for f in FACTORS[1:]:
                ev.append(stats.paired_evidence(
                    f"drop_{t}_{sc}_x{f}", _acc(outcomes, t, sc, 1), _acc(outcomes, t, sc, f), unit="accuracy",
                    bounds=DIFF, label=f"accuracy lost from T to {f}T (beyond T), {sc}, {t} task"))
                if sc != "sinusoidal":
                    ev.append(stats.paired_evidence(
                        f"vs_sin_{t}_{sc}_x{f}", _acc(outcomes, t, sc, f), _acc(outcomes, t, "sinusoidal", f),
                        unit="accuracy", bounds=DIFF, label=f"{sc} minus sinusoidal at {f}T (beyond T), {t} task"))
            halves = [_halves(o.measurements["by_factor"]["1"]["bins"]) for o in outcomes.where(**where)]
            for i, half in enumerate(("first", "second")):
                ev.append(stats.evidence_from(f"acc_{t}_{sc}_x1_{half}_half", [h[i] for h in halves], unit="accuracy",
                                              bounds=ACC, label=f"accuracy at T in the {half} half of the sequence "
                                                                f"(mean over position bins), {sc}, {t} task"))
        for other in ("rope", "t5"):
            ev.append(stats.paired_evidence(
                f"alibi_vs_{other}_{t}_x4", _acc(outcomes, t, "alibi", 4), _acc(outcomes, t, other, 4),
                unit="accuracy", bounds=DIFF, label=f"alibi minus {other} at 4T (beyond T), {t} task"))
    lrs = {t: outcomes.where(task=t, scheme=SCHEMES[0])[0].config["lr"] for t in TASK_NAMES}
    config = {"tasks": {t: make_length_task(t, length, 1).config() for t in TASK_NAMES}, "schemes": list(SCHEMES),
              "factors": list(FACTORS), "threshold": THRESHOLD, "margin": MARGIN, "model": "TransformerLM, 2 layers, "
              "4 heads, d_ff = 2 d_model, untied output layer, max_len = 4T",
              "lr": lrs, **{k: first[k] for k in ("length", "d_model", "steps", "batch_size", "eval_every", "n_eval")}}
    return Aggregate(ev, _plots(EvidenceSet(ev), outcomes, length), config, [PRESS, KAZEMNEJAD, VASWANI, CHEN])


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
        panels.append(Panel(title=TASK_TITLES[t], xlabel=f"test length (trained at T = {length})",
                            ylabel="accuracy (beyond T)", xscale="log2", ylim=(0, 1.02), series=series,
                            lines=[RefLine(THRESHOLD, f"{THRESHOLD}: learned at T"),
                                   RefLine(base.number, f"best trivial baseline at {max(FACTORS)}T")]))
    headline = Plot("extrapolation", "Accuracy at T, 2T and 4T by position scheme", panels, headline=True,
                    caption="Mean over seeds with 95% intervals. At 2T and 4T only the targets at positions never seen "
                            "in training (>= T) count.")
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
        pos_panels.append(Panel(title=TASK_TITLES[t], xlabel="position", ylabel="accuracy", ylim=(0, 1.02),
                                series=series, lines=[RefLine(length, "T (training length)", axis="x")]))
    by_position = Plot("accuracy_by_position", f"Accuracy by position in sequences of {max(FACTORS)}T", pos_panels,
                       caption=f"Mean over seeds, positions in bins of {bin_size}; the vertical line is the training "
                               "length.")
    return [headline, by_position]


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------


def _status(drop: Evidence) -> str:
    """"kept" (drop interval below MARGIN), "lost" (above MARGIN) or "unclear"."""
    lo, hi = rules.interval(drop)
    return "kept" if hi < MARGIN else "lost" if lo > MARGIN else "unclear"


def _where(ev: EvidenceSet, scheme: str) -> dict[tuple[str, int], str]:
    return {(t, f): _status(ev[f"drop_{t}_{scheme}_x{f}"]) for t in TASK_NAMES for f in FACTORS[1:]}


def _describe(ev: EvidenceSet, scheme: str) -> str:
    return "; ".join(f"{t}: {rules.fmt(ev[f'acc_{t}_{scheme}_x1'])} at T, drop to 2T "
                     f"{rules.fmt(ev[f'drop_{t}_{scheme}_x2'])}, to 4T {rules.fmt(ev[f'drop_{t}_{scheme}_x4'])}"
                     for t in TASK_NAMES)


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    learned = {(t, sc): rules.reached_check(f"learned_{t}_{sc}", ev[f"steps_{t}_{sc}"], what=f"{sc}, {t} task at T")
               for t in TASK_NAMES for sc in SCHEMES}
    beats = [ev[f"acc_{t}_{sc}_x1"].number > _best_baseline(ev, t, 1).number for t in TASK_NAMES for sc in SCHEMES]
    above = Check("above_baselines_at_T", all(beats), f"{sum(beats)} of {len(beats)} (task, scheme) accuracies at T "
                  "lie above the task's best trivial baseline")

    def need(*schemes: str) -> list[Check]:
        return [learned[(t, sc)] for sc in schemes for t in TASK_NAMES] + [above]

    def alibi() -> tuple[str, str]:
        where = _where(ev, "alibi")
        kept_all = all(s == "kept" for s in where.values())
        kept_2 = [t for t in TASK_NAMES if where[(t, 2)] == "kept"]
        lost_2 = all(where[(t, 2)] == "lost" for t in TASK_NAMES)
        verdict = ("confirmed" if kept_all else "refuted" if lost_2 else "qualified" if kept_2 else "inconclusive")
        return verdict, (f"{verdict}: ALiBi {_describe(ev, 'alibi')}. Rule: confirmed if the paired drop's interval "
                         f"lies below {MARGIN} on both tasks at 2T and 4T; refuted if it lies above {MARGIN} on both "
                         "tasks already at 2T; qualified if it is kept at 2T on some task (the others named above); "
                         "else inconclusive.")

    def sinusoidal() -> tuple[str, str]:
        where = _where(ev, "sinusoidal")
        lost = [t for t in TASK_NAMES if where[(t, 2)] == "lost"]
        kept_all = all(s == "kept" for s in where.values())
        verdict = ("confirmed" if len(lost) == len(TASK_NAMES) else "refuted" if kept_all
                   else "qualified" if lost else "inconclusive")
        return verdict, (f"{verdict}: sinusoidal {_describe(ev, 'sinusoidal')}. Rule: confirmed if the drop's interval "
                         f"lies above {MARGIN} on both tasks at 2T; refuted if it lies below {MARGIN} everywhere up to "
                         "4T; qualified if lost on one task only; else inconclusive.")

    def learned_table() -> tuple[str, str]:
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
        return verdict, (f"{verdict}: learned table, {accs}. Rule: confirmed if on both tasks the beyond-T accuracy "
                         f"at 2T stays below the best trivial baseline + {NEAR_BASELINE} (nothing represented at "
                         f"untrained rows); qualified if it drops by more than {MARGIN} on both tasks but stays above "
                         f"that; refuted if it is kept on a task; else inconclusive.")

    def versus(a: str, others: list[str], names: list[str]) -> tuple[str, str]:
        cmp = {n: rules.interval(ev[n]) for n in names}
        better = [n for n, (lo, _) in cmp.items() if lo > 0]
        worse = [n for n, (_, hi) in cmp.items() if hi < 0]
        verdict = ("confirmed" if len(better) == len(names) else "refuted" if len(worse) == len(names)
                   else "qualified" if better else "inconclusive")
        text = "; ".join(f"{ev[n].label}: {rules.fmt(ev[n])}" for n in names)
        return verdict, (f"{verdict}: {text}. Rule: confirmed if every paired difference's interval lies above 0 "
                         f"({a} better than {' and '.join(others)}), refuted if every one lies below 0, qualified if "
                         "some lie above 0, else inconclusive.")

    vs_sin = [f"vs_sin_{t}_alibi_x{f}" for t in TASK_NAMES for f in FACTORS[1:]]
    vs_rel = [f"alibi_vs_{o}_{t}_x4" for t in TASK_NAMES for o in ("rope", "t5")]
    c1 = rules.claim("alibi_extrapolates", "ALiBi keeps its accuracy at 2T and 4T.", need("alibi"),
                     [f"drop_{t}_alibi_x{f}" for t in TASK_NAMES for f in FACTORS[1:]], alibi)
    c2 = rules.claim("sinusoidal_does_not", "Sinusoidal positions lose accuracy beyond T.", need("sinusoidal"),
                     [f"drop_{t}_sinusoidal_x{f}" for t in TASK_NAMES for f in FACTORS[1:]], sinusoidal)
    c3 = rules.claim("learned_cannot", "A learned table cannot represent positions it never trained.",
                     need("learned"), [f"acc_{t}_learned_x2" for t in TASK_NAMES], learned_table)
    c4 = rules.claim("alibi_beats_sinusoidal", "ALiBi extrapolates better than sinusoidal positions.",
                     need("alibi", "sinusoidal"), vs_sin, lambda: versus("alibi", ["sinusoidal"], vs_sin))
    c5 = rules.claim("alibi_beats_rope_t5", "ALiBi extrapolates further than RoPE and the T5 bias (Press et al.).",
                     need("alibi", "rope", "t5"), vs_rel, lambda: versus("alibi", ["rope", "t5"], vs_rel))
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
        parts.append(f"{TASK_TITLES[t]}: {accs}")
    top = {t: sorted(SCHEMES, key=lambda sc: -ev[f"acc_{t}_{sc}_x4"].number)[:2] for t in TASK_NAMES}
    tops = {t: " then ".join(f"{sc} {ev[f'acc_{t}_{sc}_x4'].number:.2f}" for sc in top[t]) for t in TASK_NAMES}
    summary = (f"Causal LMs trained at T = {length}, accuracy at T → 2T → 4T (beyond T; mean over "
               f"{ev['acc_local_alibi_x1'].n} seeds). " + "; ".join(parts) + ". Highest at 4T: "
               + "; ".join(f"{tops[t]} ({t})" for t in TASK_NAMES) + ". ")
    verdicts = {c.name: c.verdict for c in decision.claims}
    if verdicts["alibi_extrapolates"] in ("qualified", "refuted"):
        lost = [t for t in TASK_NAMES if _status(ev[f"drop_{t}_alibi_x2"]) != "kept"]
        summary += ("Press et al. 2021 find that ALiBi keeps its perplexity on longer inputs; here it does not on the "
                    + " and ".join(lost) + " task. ALiBi has no position parameters, so beyond T only the amount of "
                    "context changes: its accuracy at T is " + "; ".join(
                        f"{ev[f'acc_{t}_alibi_x1_first_half'].number:.2f} in the first half of the sequence and "
                        f"{ev[f'acc_{t}_alibi_x1_second_half'].number:.2f} in the second ({t} task)" for t in lost)
                    + ", against the beyond-T accuracy at 4T above. ")
    summary += decision.rule
    answer_en = (f"{decision.verdict.capitalize()}. Trained at {length} tokens, ALiBi's extrapolation is "
                 f"{verdicts['alibi_extrapolates']}, sinusoidal's failure {verdicts['sinusoidal_does_not']}, the "
                 f"learned table's failure {verdicts['learned_cannot']}; highest accuracy at 4T: "
                 + "; ".join(f"{tops[t]} on the {t} task" for t in TASK_NAMES) + ".")
    zh = {"confirmed": "成立", "qualified": "有条件成立", "refuted": "不成立", "inconclusive": "无定论"}
    answer_zh = (f"结论:{zh[decision.verdict]}。训练长度 {length},ALiBi 外推:{zh[verdicts['alibi_extrapolates']]};"
                 f"正弦位置编码不能外推:{zh[verdicts['sinusoidal_does_not']]};可学习位置表无法表示未见位置:"
                 f"{zh[verdicts['learned_cannot']]}。4T 时准确率最高:"
                 + ";".join(f"{'局部' if t == 'local' else '全局'}任务 {tops[t].replace(' then ', ',其次 ')}"
                            for t in TASK_NAMES) + "。")
    return Explanation(summary=summary, answer_en=answer_en, answer_zh=answer_zh)


EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain))
