"""q13's evidence: trial outcomes -> named evidence (the names are defined here, once)."""

from __future__ import annotations

from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.timings import load_evidence, ratio_evidence
from attnlab.lab.tuning import sweep_evidence, sweep_plot
from attnlab.questions.q13_kv_cache.settings import (
    ACC,
    BASELINE_ZH,
    DIFF,
    FF_REFERENCE,
    KIND_EN,
    KIND_SHORT,
    KIND_ZH,
    KINDS,
    LITERATURE,
    LOSS,
    LOSS_DIFF,
    MATCH,
    REDUCED,
    TASK_EN,
    TASK_NAMES,
    TASK_ZH,
)
from attnlab.questions.q13_kv_cache.trials import DECODE_VARIANTS, cache_formula, recall_task
from attnlab.results import Evidence

# ---- evidence names ----
READ_AT = "read_at_step"  # the step counts at which the runs were read (one: equal budgets)
ABSORB_DIFF = "absorb_max_diff"  # MLA: largest |logit difference| between the absorbed and the naive decode
ABSORB_SAME = "absorb_same_tokens"  # MLA: 1 if both chose the same greedy tokens, else 0
DECODE_BATCH, DECODE_CONTEXT = "decode_batch", "decode_context"  # the decoding regime: sequences, cached positions
VARIANT_EN = {"mha": "MHA", "gqa": "GQA", "mqa": "MQA", "mla_naive": "MLA (naive: up-projected cache)",
              "mla_absorbed": "MLA (absorbed)"}
VARIANT_ZH = {"mha": "MHA", "gqa": "GQA", "mqa": "MQA", "mla_naive": "MLA（朴素路径：上投影整个缓存）",
              "mla_absorbed": "MLA（吸收路径）"}


def lr(task: str, kind: str) -> str:
    """The learning rate the sweep chose for the condition."""
    return f"lr_{task}_{kind}"


def params(task: str, kind: str) -> str:
    return f"params_{task}_{kind}"


def param_gap(task: str, kind: str) -> str:  # (kind's parameters - MHA's) / MHA's
    return f"param_gap_{task}_{kind}"


def cache_bytes(kind: str) -> str:  # bytes per token per sequence, measured on the model (kv_cache_bytes)
    return f"cache_bytes_{kind}"


def cache_expected(kind: str) -> str:  # the same by the formula
    return f"cache_formula_{kind}"


def cache_share(kind: str) -> str:  # kind's bytes over MHA's
    return f"cache_share_{kind}"


def loss(kind: str) -> str:  # held-out loss of the character LM, nats per character
    return f"loss_{kind}"


def text_acc(kind: str) -> str:
    return f"text_acc_{kind}"


def loss_vs_mha(kind: str) -> str:  # kind minus MHA, paired over seeds (positive: worse than MHA)
    return f"loss_vs_mha_{kind}"


def recall(kind: str) -> str:  # held-out recall accuracy
    return f"recall_{kind}"


def recall_vs_mha(kind: str) -> str:  # kind minus MHA, paired over seeds (negative: worse than MHA)
    return f"recall_vs_mha_{kind}"


def baseline(task: str, which: str) -> str:
    return f"baseline_{task}_{which}"


def decode_ms(variant: str) -> str:  # milliseconds per decoded token
    return f"decode_ms_{variant}"


def decode_vs_mha(variant: str) -> str:  # the variant's time per token over MHA's (paired per repeat)
    return f"decode_vs_mha_{variant}"


def best_recall_baseline(ev) -> Evidence:
    return max((ev[n] for n in ev if n.startswith("baseline_recall_")), key=lambda e: e.number)


# ---- aggregate ----
def _values(outcomes: Outcomes, key: str, task: str, kind: str) -> list[float]:
    return [float(o.measurements[key]) for o in outcomes.where(task=task, kind=kind)]


def _one(outcomes: Outcomes, key: str, task: str, kind: str) -> float:
    """A measurement every seed of the condition shares (parameters, cache bytes): its value."""
    vals = set(_values(outcomes, key, task, kind))
    if len(vals) != 1:
        raise ValueError(f"{key}: expected one value over the seeds of ({task}, {kind}), got {sorted(vals)}")
    return vals.pop()


def _structure(outcomes: Outcomes, d_model: int) -> list[Evidence]:
    ev = []
    for t in TASK_NAMES:
        ref = _one(outcomes, "n_parameters", t, "mha")
        for k in KINDS:
            n = _one(outcomes, "n_parameters", t, k)
            d_ff = int(_one(outcomes, "d_ff", t, k))
            ev.append(Evidence(params(t, k), n, unit="parameters",
                               label=f"parameters, {KIND_EN[k]}, {TASK_EN[t]} (d_ff = {d_ff})",
                               label_zh=f"参数量，{KIND_ZH[k]}，{TASK_ZH[t]}（d_ff = {d_ff}）"))
            ev.append(Evidence(param_gap(t, k), (n - ref) / ref, unit="fraction", bounds=(-MATCH, MATCH),
                               label=f"parameters relative to MHA, {KIND_EN[k]}, {TASK_EN[t]}",
                               label_zh=f"参数量相对 MHA 的差，{KIND_ZH[k]}，{TASK_ZH[t]}"))
    for k in KINDS:
        got = _one(outcomes, "cache_bytes", "text", k)
        ev.append(Evidence(cache_bytes(k), got, unit="bytes",
                           label=f"KV cache per token per sequence, {KIND_EN[k]} (float32, measured on the model)",
                           label_zh=f"每个序列每个词元的 KV 缓存，{KIND_ZH[k]}（float32，在模型上测得）"))
        ev.append(Evidence(cache_expected(k), cache_formula(k, d_model), unit="bytes",
                           label=f"KV cache per token by the formula, {KIND_EN[k]}",
                           label_zh=f"按公式算出的每个词元的 KV 缓存，{KIND_ZH[k]}"))
    mha = _one(outcomes, "cache_bytes", "text", "mha")
    for k in REDUCED:
        ev.append(Evidence(cache_share(k), _one(outcomes, "cache_bytes", "text", k) / mha, unit="fraction",
                           bounds=(0, None), label=f"KV cache of {KIND_EN[k]} as a share of MHA's",
                           label_zh=f"{KIND_ZH[k]}的 KV 缓存占 MHA 的比例"))
    return ev


def _quality(outcomes: Outcomes) -> list[Evidence]:
    first = outcomes.where(task="text", kind="mha")[0].measurements
    ev = [Evidence(baseline("text", "unigram"), first["unigram_loss"], unit="nats/char", bounds=LOSS,
                   label="character LM: loss of the character frequencies (unigram, exact)",
                   label_zh=f"{TASK_ZH['text']}：{BASELINE_ZH['unigram']}的损失（单字频率，精确值）"),
          Evidence(baseline("text", "majority"), first["majority_accuracy"], unit="accuracy", bounds=ACC,
                   label="character LM: accuracy of always the most frequent character (exact)",
                   label_zh=f"{TASK_ZH['text']}：总猜最常见字符的准确率（精确值）")]
    n_pairs = outcomes.where(task="recall", kind="mha")[0].config["n_pairs"]
    for which, value in recall_task(n_pairs).baselines().items():
        ev.append(Evidence(baseline("recall", which), value, unit="accuracy", bounds=ACC,
                           label=f"associative recall: {which.replace('_', '-')} baseline (exact)",
                           label_zh=f"{TASK_ZH['recall']}：{BASELINE_ZH[which]}基线（精确值）"))
    for k in KINDS:
        ev.append(stats.evidence_from(loss(k), _values(outcomes, "heldout_loss", "text", k), unit="nats/char",
                                      bounds=LOSS, label=f"held-out loss, character LM, {KIND_EN[k]}",
                                      label_zh=f"留出文本上的损失，{TASK_ZH['text']}，{KIND_ZH[k]}"))
        ev.append(stats.evidence_from(text_acc(k), _values(outcomes, "heldout_accuracy", "text", k),
                                      unit="accuracy", bounds=ACC,
                                      label=f"held-out next-character accuracy, {KIND_EN[k]}",
                                      label_zh=f"留出文本上预测下一个字符的准确率，{KIND_ZH[k]}"))
        ev.append(stats.evidence_from(recall(k), _values(outcomes, "heldout_accuracy", "recall", k),
                                      unit="accuracy", bounds=ACC, label=f"recall accuracy, {KIND_EN[k]}",
                                      label_zh=f"{TASK_ZH['recall']}准确率，{KIND_ZH[k]}"))
    base_loss = _values(outcomes, "heldout_loss", "text", "mha")
    base_recall = _values(outcomes, "heldout_accuracy", "recall", "mha")
    for k in REDUCED:
        ev.append(stats.paired_evidence(loss_vs_mha(k), _values(outcomes, "heldout_loss", "text", k), base_loss,
                                        unit="nats/char", bounds=LOSS_DIFF,
                                        label=f"held-out loss, {KIND_EN[k]} minus MHA (paired)",
                                        label_zh=f"留出文本上的损失，{KIND_ZH[k]}减去 MHA（配对）"))
        ev.append(stats.paired_evidence(recall_vs_mha(k), _values(outcomes, "heldout_accuracy", "recall", k),
                                        base_recall, unit="accuracy", bounds=DIFF,
                                        label=f"recall accuracy, {KIND_EN[k]} minus MHA (paired)",
                                        label_zh=f"{TASK_ZH['recall']}准确率，{KIND_ZH[k]}减去 MHA（配对）"))
    return ev


def _decode(outcomes: Outcomes) -> list[Evidence]:
    runs = outcomes.where(task="decode")
    if not runs:
        return []
    m, c = runs[0].measurements, runs[0].config
    times = m["times"]
    ev = [Evidence(DECODE_BATCH, c["batch"], unit="sequences", label="decoding: sequences decoded together (batch)",
                   label_zh="解码：同时解码的序列数（批大小）"),
          Evidence(DECODE_CONTEXT, c["context"], unit="positions",
                   label="decoding: positions already in the cache at every measured step",
                   label_zh="解码：每个计时步骤时缓存中已有的位置数")]
    for v in DECODE_VARIANTS:
        ev.append(stats.evidence_from(decode_ms(v), [1e3 * x for x in times[v]], unit="ms", bounds=(0, None),
                                      over="repeats", label=f"decoding time per token, {VARIANT_EN[v]}",
                                      label_zh=f"每个词元的解码时间，{VARIANT_ZH[v]}"))
        if v != "mha":
            ratios = [a / b for a, b in zip(times[v], times["mha"], strict=True)]
            ev.append(ratio_evidence(decode_vs_mha(v), ratios, label=f"decoding time per token, {VARIANT_EN[v]} "
                                     "over MHA (paired per repeat)",
                                     label_zh=f"每个词元的解码时间，{VARIANT_ZH[v]}与 MHA 之比（每次重复配对）"))
    ev.append(Evidence(ABSORB_DIFF, m["absorb_max_diff"], unit="logit",
                       label="MLA: largest |logit difference|, absorbed minus naive decode (float32)",
                       label_zh="MLA：吸收路径与朴素路径解码的 logit 之差的最大绝对值（float32）"))
    ev.append(Evidence(ABSORB_SAME, 1.0 if m["absorb_same_tokens"] else 0.0, unit="bool",
                       label="MLA: the absorbed and the naive decode chose the same greedy tokens (1 yes, 0 no)",
                       label_zh="MLA：吸收路径与朴素路径贪心解码选出的词元是否相同（1 相同，0 不同）"))
    ev.extend(load_evidence(runs))
    return ev


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q13_kv_cache.plots import plots

    first = outcomes.where(task="text", kind="mha")[0].config
    trained = [o for o in outcomes if o.config.get("task") in TASK_NAMES]
    ev: list[Evidence] = [*_structure(outcomes, first["d_model"]), *_quality(outcomes), *_decode(outcomes)]
    ev.append(protocol.budget_evidence(READ_AT, trained, label="steps at which every trained model was read",
                                       label_zh="读取每个训练好的模型时的步数"))
    if outcomes.tuning is not None:
        ev.extend(sweep_evidence(outcomes.tuning, lambda c: lr(*c.key), lambda c: (
            f"learning rate chosen: {KIND_EN[c.key[1]]}, {TASK_EN[c.key[0]]}",
            f"选中的学习率：{KIND_ZH[c.key[1]]}，{TASK_ZH[c.key[0]]}")))
    recall_first = outcomes.where(task="recall", kind="mha")[0].config
    decode = next((o.config for o in outcomes if o.config.get("task") == "decode"), None)
    config = {"kinds": {k: KIND_EN[k] for k in KINDS},
              "model": f"TransformerLM, 2 layers, 4 heads, rotary positions, untied output layer; MHA's d_ff = "
                       f"{FF_REFERENCE} d_model, the other kinds' d_ff set so parameters match MHA's within "
                       f"{MATCH:.0%}; MLA: d_c = 4 D, d_R = D / 2",
              "tasks": {"text": {"seq_len": first["seq_len"]},
                        "recall": recall_task(recall_first["n_pairs"]).config()},
              "lr": {f"{o.config['task']}, {o.config['kind']}": o.config["lr"] for o in trained},
              **{k: first[k] for k in ("d_model", "steps", "batch_size", "eval_every", "eval_batches")}}
    if decode is not None:
        config["decode"] = {k: decode[k] for k in ("batch", "context", "repeats", "vocab_size", "tokens")}
        config["decode"]["regime"] = "CPU, 1 torch thread, float32, random weights, cache rewound each step"
    figures = plots(EvidenceSet(ev))
    if outcomes.tuning is not None:
        figures.append(sweep_plot(outcomes.tuning, name="q13_lr_sweep", group="task", line="kind",
                                  title="Each attention kind at its own learning rate",
                                  title_zh="每种注意力各自的学习率",
                                  metric_label="final validation accuracy", metric_label_zh="最终验证准确率",
                                  names_zh={**TASK_ZH, **KIND_ZH}))
    return Aggregate(ev, figures, config, list(LITERATURE))


__all__ = ["ABSORB_DIFF", "ABSORB_SAME", "DECODE_BATCH", "DECODE_CONTEXT", "KIND_SHORT", "READ_AT", "aggregate"]
