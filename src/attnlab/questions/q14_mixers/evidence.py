"""q14's evidence: trial outcomes -> named evidence (the names are defined here, once)."""

from __future__ import annotations

from collections.abc import Mapping

from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.tuning import sweep_evidence, sweep_plot
from attnlab.questions.q14_mixers.models import flops_per_token, state_numbers
from attnlab.questions.q14_mixers.settings import (
    ACC,
    BASELINE_EN,
    BASELINE_ZH,
    DIFF,
    LITERATURE,
    LSTM_LAYERS,
    MIXER_ZH,
    MIXERS,
    N_HEADS,
    N_KEYS,
    N_LAYERS,
    N_VALUES,
    RECURRENT,
    SHIFT,
    THRESHOLD,
)
from attnlab.questions.q14_mixers.trials import recall_task
from attnlab.results import Evidence

# ---- evidence names ----
READ_AT = "read_at_step"  # the step counts at which the runs were read (one: equal budgets)
D_MODEL = "d_model"


def lr(mixer: str) -> str:
    """The learning rate the sweep chose for the mixer."""
    return f"lr_{mixer}"


def baseline(kind: str, pairs: int) -> str:
    return f"baseline_{kind}_p{pairs}"


def acc(mixer: str, pairs: int) -> str:  # final held-out recall accuracy
    return f"acc_{mixer}_p{pairs}"


def steps(mixer: str, pairs: int) -> str:
    return f"steps_{mixer}_p{pairs}"


def gap(mixer: str, pairs: int) -> str:  # softmax minus ``mixer`` (paired over seeds)
    return f"gap_{mixer}_p{pairs}"


def params(mixer: str) -> str:  # parameter count (exact)
    return f"params_{mixer}"


def state(mixer: str, pairs: int) -> str:  # numbers kept to decode the next token after the whole sequence (exact)
    return f"state_{mixer}_p{pairs}"


def flops(mixer: str, pairs: int) -> str:  # multiply-adds of the mixers to decode one token there (exact)
    return f"flops_{mixer}_p{pairs}"


def pair_counts(ev: Mapping[str, Evidence]) -> list[int]:
    """The pair counts measured, ascending (read off the softmax accuracies present)."""
    return sorted(int(n.rsplit("_p", 1)[1]) for n in ev if n.startswith("acc_softmax_p"))


def best_baseline(ev: Mapping[str, Evidence], pairs: int) -> Evidence:
    """The strongest trivial baseline at ``pairs`` pairs."""
    return max((ev[n] for n in ev if n.startswith("baseline_") and n.endswith(f"_p{pairs}")), key=lambda e: e.number)


# ---- aggregate ----
def _accs(outcomes: Outcomes, mixer: str, pairs: int) -> list[float]:
    return outcomes.values("accuracy", mixer=mixer, pairs=pairs)


def _baselines(pairs: int) -> list[Evidence]:
    return [Evidence(baseline(kind, pairs), value, unit="accuracy", bounds=ACC,
                     label=f"{pairs} pairs: {BASELINE_EN[kind]} baseline (exact)",
                     label_zh=f"{pairs} 个键值对：{BASELINE_ZH[kind]}基线（精确值）")
            for kind, value in recall_task(pairs).baselines().items()]


def _mixer(outcomes: Outcomes, m: str, pairs: int, budget: int) -> list[Evidence]:
    zh = MIXER_ZH[m]
    ev = [stats.evidence_from(acc(m, pairs), _accs(outcomes, m, pairs), unit="accuracy", bounds=ACC,
                              label=f"recall accuracy, {m}, {pairs} pairs",
                              label_zh=f"回忆准确率，{zh}，{pairs} 个键值对"),
          stats.steps_evidence(steps(m, pairs), outcomes.values("steps_to_threshold", mixer=m, pairs=pairs), budget,
                               label=f"steps to {THRESHOLD}, {m}, {pairs} pairs",
                               label_zh=f"达到 {THRESHOLD} 准确率所需步数，{zh}，{pairs} 个键值对")]
    if m != "softmax":
        ev.append(stats.paired_evidence(
            gap(m, pairs), _accs(outcomes, "softmax", pairs), _accs(outcomes, m, pairs), unit="accuracy",
            bounds=DIFF, label=f"softmax minus {m}, recall accuracy, {pairs} pairs",
            label_zh=f"softmax 注意力减去{zh}的回忆准确率，{pairs} 个键值对"))
    return ev


def _cost(m: str, pairs: int, d_model: int, width: int) -> list[Evidence]:
    tokens = recall_task(pairs).seq_len
    hidden = width if m == "lstm" else None
    zh = MIXER_ZH[m]
    return [Evidence(state(m, pairs), state_numbers(m, d_model, tokens, lstm_hidden=hidden), unit="numbers",
                     label=f"state kept to decode the next token after {tokens} tokens ({pairs} pairs), {m} (exact)",
                     label_zh=f"读完 {tokens} 个词元（{pairs} 个键值对）后解码下一个词元要保存的状态，{zh}（精确值）"),
            Evidence(flops(m, pairs), flops_per_token(m, d_model, tokens, lstm_hidden=hidden), unit="multiply-adds",
                     label=f"mixer multiply-adds to decode one token after {tokens} tokens, {m} (exact)",
                     label_zh=f"读完 {tokens} 个词元后解码一个词元时混合层的乘加次数，{zh}（精确值）")]


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q14_mixers.plots import plots

    first = outcomes.where(mixer=MIXERS[0])[0].config
    pairs = sorted({o.config["pairs"] for o in outcomes})
    budget, d_model = first["steps"], first["d_model"]
    widths = {m: outcomes.where(mixer=m)[0].measurements["width"] for m in MIXERS}
    ev: list[Evidence] = [Evidence(D_MODEL, d_model, unit="width", label="model width d_model (the LSTM: "
                                   "parameter-matched width)", label_zh="模型宽度 d_model（LSTM 为参数量相当的宽度）")]
    for m in MIXERS:
        counts = sorted({o.measurements["n_parameters"] for o in outcomes.where(mixer=m)})
        ev.append(Evidence(params(m), counts[-1], unit="parameters", label=f"parameters, {m} (exact)",
                           label_zh=f"参数量，{MIXER_ZH[m]}（精确值）"))
    for p in pairs:
        ev.extend(_baselines(p))
        for m in MIXERS:
            ev.extend(_mixer(outcomes, m, p, budget))
            ev.extend(_cost(m, p, d_model, widths[m]))
    ev.append(protocol.budget_evidence(READ_AT, outcomes, label="steps at which every run's recall was read",
                                       label_zh="读取每次运行回忆准确率时的步数"))
    if outcomes.tuning is not None:
        ev.extend(sweep_evidence(outcomes.tuning, lambda c: lr(c.key[0]), lambda c: (
            f"learning rate chosen: {c.key[0]}", f"选中的学习率：{MIXER_ZH[c.key[0]]}")))
    config = {"task": {p: recall_task(p).config() for p in pairs}, "mixers": list(MIXERS),
              "recurrent": list(RECURRENT), "pairs": pairs, "threshold": THRESHOLD,
              "model": f"TransformerLM, {N_LAYERS} layers, {N_HEADS} heads, d_ff = 2 d_model, sinusoidal positions, "
                       f"untied output layer, mixer= switch; the LSTM: {LSTM_LAYERS} layers at the width whose "
                       f"parameter count is nearest the softmax model's; every model: a causal per-channel "
                       f"convolution of kernel {SHIFT} on its embeddings",
              "keys": N_KEYS, "values": N_VALUES, "widths": widths,
              "lr": {m: outcomes.where(mixer=m)[0].config["lr"] for m in MIXERS},
              **{k: first[k] for k in ("d_model", "steps", "batch_size", "eval_every")}}
    es = EvidenceSet(ev)
    figures = plots(es, outcomes)
    if outcomes.tuning is not None:
        figures.append(sweep_plot(outcomes.tuning, name="q14_lr_sweep", group="mixer", line="mixer",
                                  title="Each mixer at its own learning rate", title_zh="每种混合层各自的学习率",
                                  names_zh=MIXER_ZH))
    return Aggregate(ev, figures, config, list(LITERATURE))
