"""q3: why is the attention in the Transformer scaled?

The seed's answer: when the logits differ a lot the softmax saturates (softmax([1, 2, 10]) puts 0.99954 on
the largest) and then the gradients are hard to update with. Three sub-claims, each measured:

1. **Large logits saturate the softmax.** At initialisation, in the regime that is then trained, the share
   of query rows whose largest attention weight exceeds 0.9.
2. **Then the gradients vanish.** Two gradients in early training, paired against 1/√d_k: the mean norm of
   ∂L/∂s at the softmax input per query row (:func:`attnlab.analysis.softmax.softmax_probe`), which a
   saturated softmax's Jacobian diag(a) - aaᵀ makes small, and the norm of ∂L/∂W_Q, what the parameters
   receive. They differ by the temperature itself: ∂L/∂(q·k) = t · ∂L/∂s, so 1/√d_k shrinks the scaled
   model's gradient at the raw scores by √d_k while it keeps its softmax out of saturation.
3. **So training is hard.** Steps to 0.95 accuracy on key-value lookup (:class:`attnlab.data.LookupTask`),
   where one attention layer must put its weight on the one matching key out of 16.

Only the logit temperature varies: one encoder layer with d_model fixed (64), no positions, the same
initialisation per seed, logits q·k multiplied by 1, 1/√d_k or 1/d_k; d_k = 64 (one head) and d_k = 8
(eight heads). Comparisons are paired per seed against 1/√d_k. Vaswani et al. 2017 (§3.2.1) expect the
unscaled form to suffer for large d_k and "for small values of d_k the two mechanisms perform similarly".
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from attnlab.analysis.curves import mean_curve
from attnlab.data import make_task
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

__all__ = ["QUESTION", "build_model", "temperature", "train_trial"]

QUESTION = Question(
    qid="q3",
    title="Why scale the scores?",
    question="Why is the attention in the Transformer scaled?",
    question_zh="Transformer中的attention为什么要进行scaled?",
    claim="Large differences between logits saturate the softmax (softmax([1,2,10]) gives 0.99954 to the "
          "largest) and the gradients then vanish, which makes training hard.",
    claim_zh="只要我们的数字中,出现了差异相对较大的情况,例如[1,2,10]……0.999541338035342。"
             "这种情况还会带来一个问题,梯度更新困难",
)

TEMPERATURES = ("1", "1/sqrt(d_k)", "1/d_k")
REFERENCE = "1/sqrt(d_k)"
THRESHOLD = 0.95
SATURATED_AT = 0.9  # a row is saturated when its largest weight exceeds this
PROBE_STEPS = (10, 25, 50, 100, 200, 400)  # steps at which saturation and gradients are measured
TASK = {"n_pairs": 16, "n_keys": 32, "n_values": 16, "n_queries": 4}
MIN_RATIO = 1.5  # "training is harder": steps ratio whose interval lies above this
SIMILAR = (1 / 1.5, 1.5)  # "perform similarly": steps ratio interval inside this
VASWANI = Reference("Vaswani et al. 2017, §3.2.1", "Additive and dot-product attention perform similarly for "
                    "small d_k; additive outperforms unscaled dot products for larger d_k, which the authors "
                    "attribute to large dot products pushing the softmax into regions of extremely small "
                    "gradients.", "WMT translation (no table for the unscaled variant)", "supports",
                    "https://arxiv.org/abs/1706.03762")


def temperature(name: str, d_k: int) -> float:
    """The logit multiplier called ``name`` ("1", "1/sqrt(d_k)", "1/d_k") for head width ``d_k``."""
    factors = {"1": 1.0, "1/sqrt(d_k)": 1.0 / math.sqrt(d_k), "1/d_k": 1.0 / d_k}
    if name not in factors:
        raise ValueError(f"temperature: expected one of {TEMPERATURES}, got {name!r}")
    return factors[name]


def build_model(*, vocab_size: int, n_classes: int, max_len: int, d_model: int, d_k: int, factor: float):
    """One encoder layer, no positions, ``d_model / d_k`` heads, logits ``factor · q·k``."""
    from attnlab.models import TransformerEncoder

    if d_model % d_k:
        raise ValueError(f"d_k: expected a divisor of d_model={d_model}, got {d_k}")
    return TransformerEncoder(vocab_size=vocab_size, d_model=d_model, n_heads=d_model // d_k, n_layers=1,
                              max_len=max_len, n_outputs=n_classes, positions="none", score="dot", scale=factor)


def _settings(profile: str) -> dict[str, Any]:
    return pick(profile,
                tiny=dict(d_model=16, dks=[2, 16], steps=30, batch_size=32, lr=3e-3, eval_every=10),
                quick=dict(d_model=64, dks=[8, 64], steps=800, batch_size=32, lr=3e-3, eval_every=25),
                full=dict(d_model=256, dks=[8, 64, 256], steps=4000, batch_size=64, lr=2e-3, eval_every=50))


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Softmax saturation and gradients over training (query rows only), and steps to the threshold."""
    task = make_task("lookup", **TASK)
    factor = temperature(config["temperature"], config["d_k"])
    model = build_model(vocab_size=task.vocab_size, n_classes=task.n_classes, max_len=task.seq_len,
                        d_model=config["d_model"], d_k=config["d_k"], factor=factor)
    batch = task.sample(256, torch.Generator().manual_seed(555_000 + config["seed"]))
    probes: dict[str, dict[str, float]] = {"0": query_softmax_stats(model, batch)}

    def probe(step: int, m: Any) -> None:
        if step in PROBE_STEPS:
            probes[str(step)] = query_softmax_stats(m, batch)

    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"], callback=probe)
    probes["end"] = query_softmax_stats(model, batch)
    return {**out, "probes": probes}


def query_softmax_stats(model: Any, batch: Any) -> dict[str, float]:
    """Over the query rows of a lookup batch (heads averaged): how peaked attention is, whether it is
    saturated on the wrong key, the weight on the right key, and the gradient at the softmax input."""
    from attnlab.analysis.softmax import softmax_probe

    def loss(out: Any) -> torch.Tensor:
        return F.cross_entropy(out.logits.transpose(1, 2), batch.targets, ignore_index=-100)

    p = softmax_probe(model, lambda m: m(batch.inputs, need_weights=True), loss)
    n_pairs = TASK["n_pairs"]
    w = p["weights"][0][:, :, n_pairs + 1:, :]  # (B, H, Q, T): the query rows
    right = batch.extra["answer_pos"][:, None, :, None].expand(-1, w.shape[1], -1, 1)  # (B, H, Q, 1)
    top, arg = w.max(-1)  # (B, H, Q)
    on_right = w.gather(-1, right).squeeze(-1)  # (B, H, Q)
    wrong = (top > SATURATED_AT) & (arg != right.squeeze(-1))
    return {"max_weight": float(top.mean()), "weight_on_right_key": float(on_right.mean()),
            "saturated": float((top > SATURATED_AT).float().mean()), "saturated_wrong": float(wrong.float().mean()),
            "grad_scores": float(p["grad_scores"][0][:, :, n_pairs + 1:].mean()), "grad_w_q": p["grad_w_q"][0]}


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = _settings(profile)
    dks = s.pop("dks")
    return [Trial(train_trial, {"d_k": dk, "temperature": t, "seed": seed, **s})
            for dk in dks for t in TEMPERATURES for seed in seeds]


# ----------------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------------

ACC = (0.0, 1.0)
BASELINE_ZH = {"chance": "随机猜测", "no_lookup": "不查找(猜上下文中最常见的值)"}
EARLY = ("25", "50", "100")  # probes of early training, before any model here reaches the threshold


def _key(d_k: int, temp: str) -> str:
    return f"dk{d_k}_" + {"1": "unscaled", "1/sqrt(d_k)": "sqrt", "1/d_k": "dk"}[temp]


def _early(m: dict[str, Any], stat: str) -> float:
    """Mean of a probe statistic over the early-training probes the run reached (init if none)."""
    values = [m["probes"][s][stat] for s in EARLY if s in m["probes"]] or [m["probes"]["0"][stat]]
    return sum(values) / len(values)


def aggregate(outcomes: Outcomes) -> Aggregate:
    first = outcomes[0].config
    dks = sorted({o.config["d_k"] for o in outcomes})
    task = make_task("lookup", **TASK)
    ev: list[Evidence] = [Evidence(f"baseline_{k}", v, unit="accuracy", bounds=ACC,
                                   label=f"{k.replace('_', '-')} baseline (exact)",
                                   label_zh=f"{BASELINE_ZH[k]}基线(精确值)")
                          for k, v in task.baselines().items()]
    ev.append(Evidence("d_ks", dks, unit="d_k", label="head widths compared (d_model fixed)",
                       label_zh="比较的每头维度(d_model 固定)"))
    ev.append(Evidence("budget_steps", first["steps"], unit="steps",
                       label="training budget per run (early stop at the threshold)",
                       label_zh="每次训练的步数预算(达到阈值即停)"))
    ev.append(Evidence("softmax_1_2_10_max", float(torch.softmax(torch.tensor([1.0, 2.0, 10.0],
                                                                               dtype=torch.float64), 0)[-1]),
                       unit="weight", label="softmax([1, 2, 10]): weight on the largest (the seed's example)",
                       label_zh="softmax([1, 2, 10]) 中最大项的权重(原文的例子)", ci_method="exact"))
    early = "in early training (steps 25-100)"
    early_zh = "训练初期(第 25-100 步)"
    for dk in dks:
        for t in TEMPERATURES:
            k, what = _key(dk, t), f"d_k={dk}, logits × {t}"
            what_zh = f"d_k={dk},logits 乘以 {t}"
            runs = [o.measurements for o in outcomes.where(d_k=dk, temperature=t)]
            ev.append(stats.evidence_from(f"acc_{k}", [m["accuracy"] for m in runs],
                                          label=f"accuracy: {what}", unit="accuracy", bounds=ACC,
                                          label_zh=f"准确率:{what_zh}"))
            ev.append(stats.steps_evidence(f"steps_{k}", [m["steps_to_threshold"] for m in runs],
                                           first["steps"], label=f"steps to {THRESHOLD}: {what}",
                                           label_zh=f"达到 {THRESHOLD} 所需步数:{what_zh}"))
            ev.append(stats.evidence_from(f"init_max_weight_{k}", [m["probes"]["0"]["max_weight"] for m in runs],
                                          label=f"largest weight of a query row at initialisation: {what}",
                                          unit="weight", bounds=ACC, label_zh=f"初始化时查询行的最大权重:{what_zh}"))
            ev.append(stats.evidence_from(f"sat_wrong_{k}", [_early(m, "saturated_wrong") for m in runs],
                                          label=f"query rows saturated (> {SATURATED_AT}) on a wrong key {early}: "
                                                f"{what}", unit="fraction", bounds=ACC,
                                          label_zh=f"{early_zh}饱和(> {SATURATED_AT})在错误键上的查询行比例:{what_zh}"))
            ev.append(stats.evidence_from(f"grad_{k}", [_early(m, "grad_scores") for m in runs],
                                          label=f"mean ‖∂L/∂s‖ of a query row {early}: {what}", unit="norm",
                                          bounds=(0, None), label_zh=f"{early_zh}查询行 ‖∂L/∂s‖ 的平均值:{what_zh}"))
        ref = [o.measurements for o in outcomes.where(d_k=dk, temperature=REFERENCE)]
        for t in ("1", "1/d_k"):
            other = [o.measurements for o in outcomes.where(d_k=dk, temperature=t)]
            k = _key(dk, t)
            ev.append(stats.paired_ratio_evidence(
                f"steps_ratio_{k}", [m["steps_to_threshold"] for m in other], [m["steps_to_threshold"] for m in ref],
                label=f"steps to {THRESHOLD}, logits × {t} over × 1/√d_k, d_k={dk} (seeds where both reached it)",
                unit="x", label_zh=f"达到 {THRESHOLD} 的步数之比:乘 {t} 比乘 1/√d_k,d_k={dk}(仅计两者都达到的种子)"))
            ev.append(stats.paired_ratio_evidence(
                f"grad_ratio_{k}", [_early(m, "grad_scores") for m in other], [_early(m, "grad_scores") for m in ref],
                label=f"‖∂L/∂s‖ {early}, logits × {t} over × 1/√d_k, d_k={dk}", unit="x",
                label_zh=f"{early_zh}的 ‖∂L/∂s‖ 之比:乘 {t} 比乘 1/√d_k,d_k={dk}"))
            ev.append(stats.paired_ratio_evidence(
                f"grad_wq_ratio_{k}", [_early(m, "grad_w_q") for m in other], [_early(m, "grad_w_q") for m in ref],
                label=f"‖∂L/∂W_Q‖ {early}, logits × {t} over × 1/√d_k, d_k={dk}", unit="x",
                label_zh=f"{early_zh}的 ‖∂L/∂W_Q‖ 之比:乘 {t} 比乘 1/√d_k,d_k={dk}"))
            ev.append(stats.paired_evidence(
                f"sat_wrong_gain_{k}", [_early(m, "saturated_wrong") for m in other],
                [_early(m, "saturated_wrong") for m in ref],
                label=f"rows saturated on a wrong key {early}, logits × {t} minus × 1/√d_k, d_k={dk}",
                unit="fraction", bounds=(-1.0, 1.0),
                label_zh=f"{early_zh}饱和在错误键上的行比例之差:乘 {t} 减去乘 1/√d_k,d_k={dk}"))
    config = {"task": {"name": "lookup", **TASK}, "d_ks": dks, "temperatures": list(TEMPERATURES),
              "threshold": THRESHOLD, "saturated_at": SATURATED_AT, "probe_steps": list(PROBE_STEPS),
              **{k: first[k] for k in ("d_model", "steps", "batch_size", "lr", "eval_every")}}
    return Aggregate(ev, _plots(ev, outcomes, dks), config, [VASWANI])


def _plots(ev: list[Evidence], outcomes: Outcomes, dks: list[int]) -> list[Plot]:
    es = EvidenceSet(ev)
    panels = []
    for dk in dks:
        series = []
        for t in TEMPERATURES:
            runs = outcomes.where(d_k=dk, temperature=t)
            steps, means = mean_curve([o.measurements["curve"] for o in runs])
            series.append(Series(f"logits × {t}", steps, means))
        panels.append(Panel(title=f"d_k = {dk}", xlabel="training step", ylabel="accuracy (held out)",
                            ylim=(0, 1.02), series=series,
                            lines=[RefLine(THRESHOLD, "threshold"),
                                   RefLine(es["baseline_no_lookup"].number, "no-lookup baseline")]))
    headline = Plot("learning_curves", "Key-value lookup: learning curves by logit temperature", panels,
                    caption="Mean held-out accuracy over seeds (a run that reached the threshold keeps its last "
                    "value). Only the logit temperature differs between the lines of a panel.", headline=True,
                    title_zh="键值查找:不同 logit 温度下的学习曲线",
                    caption_zh="各种子在留出数据上的平均准确率(达到阈值后保持最后的值)。"
                               "同一子图中只有 logit 的缩放不同。")
    large = dks[-1]
    sat, grad = [], []
    for t in TEMPERATURES:
        runs = [o.measurements for o in outcomes.where(d_k=large, temperature=t)]
        xs = ["0", *(str(s) for s in PROBE_STEPS)]
        xs = [x for x in xs if all(x in m["probes"] for m in runs)]
        sat.append(Series(f"× {t}", [int(x) for x in xs],
                          [sum(m["probes"][x]["saturated_wrong"] for m in runs) / len(runs) for x in xs]))
        grad.append(Series(f"× {t}", [int(x) for x in xs],
                           [sum(m["probes"][x]["grad_scores"] for m in runs) / len(runs) for x in xs]))
    during = Plot("saturation_during_training", f"d_k = {large}: what the softmax does while training", [
        Panel(title=f"query rows saturated (> {SATURATED_AT}) on a wrong key", xlabel="training step",
              ylabel="fraction", ylim=(0, 1), series=sat),
        Panel(title="mean ‖∂L/∂s‖ of a query row", xlabel="training step", ylabel="norm", yscale="log",
              series=grad)],
        caption="Means over seeds at the probe steps every run reached, on 256 fixed held-out sequences.",
        title_zh=f"d_k = {large}:训练过程中 softmax 的状态",
        caption_zh="在 256 条固定留出序列上测得,各种子平均,只取所有运行都到达的测量步。")
    return [headline, during]


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------

MIN_SATURATION_GAIN = 0.1  # paired difference in rows saturated on a wrong key that counts as "saturates"
MAX_GRAD_RATIO = 0.5  # gradient ratio whose interval lies below this counts as "vanishes"


def _dks(ev: EvidenceSet) -> list[int]:
    return [int(d) for d in ev["d_ks"].value]


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    dks = _dks(ev)
    small, large = dks[0], dks[-1]
    budget = int(ev["budget_steps"].number)
    checks: list[Check] = []
    for dk in dks:
        ref = ev[f"steps_{_key(dk, REFERENCE)}"]
        checks.append(rules.reached_check(f"learned_dk{dk}_sqrt", ref, what=f"logits × 1/√d_k, d_k={dk}",
                                          what_zh=f"logits 乘 1/√d_k,d_k={dk}"))
        med = ref.value if not isinstance(ref.value, str) else math.inf
        checks.append(Check(f"budget_dk{dk}", med * 3 <= budget, f"the budget ({budget} steps) is at least 3x the "
                            f"reference's median steps ({ref.value}) at d_k={dk}",
                            f"步数预算({budget})至少是 d_k={dk} 时参照条件中位步数({ref.value})的 3 倍"))
    large_key = _key(large, "1")

    def saturates() -> rules.Ruling:
        gain, sat = ev[f"sat_wrong_gain_{large_key}"], ev[f"sat_wrong_{large_key}"]
        init, init_ref = ev[f"init_max_weight_{large_key}"], ev[f"init_max_weight_{_key(large, REFERENCE)}"]
        lo, hi = rules.interval(gain)
        verdict = ("confirmed" if lo > MIN_SATURATION_GAIN else "refuted" if hi < MIN_SATURATION_GAIN
                   else "inconclusive")
        return rules.Ruling(
            verdict,
            f"{verdict}: at d_k={large}, in early training {rules.fmt(sat)} of unscaled query rows are saturated on "
            f"a wrong key, {rules.fmt(gain)} more than with 1/√d_k (paired); at initialisation the largest weight "
            f"is already {rules.fmt(init)} against {rules.fmt(init_ref)}. Rule: confirmed if the paired "
            f"difference's interval lies above {MIN_SATURATION_GAIN}, refuted if below, else inconclusive.",
            f"Without scaling (d_k={large}), {sat.number:.0%} of query rows put over {SATURATED_AT:.0%} of their "
            f"attention on a wrong key early in training ({rules.fmt(gain, 2)} more than with 1/√d_k).",
            f"不缩放时(d_k={large}),训练初期有 {sat.number:.0%} 的查询行把超过 {SATURATED_AT:.0%} 的注意力放在"
            f"错误的键上(比 1/√d_k 多 {rules.fmt(gain, 2)})。",
            f"A paired difference whose interval lies below {MIN_SATURATION_GAIN}.",
            f"配对差的区间落到 {MIN_SATURATION_GAIN} 以下。")

    def vanishes() -> rules.Ruling:
        ratio, wq = ev[f"grad_ratio_{large_key}"], ev.get(f"grad_wq_ratio_{large_key}")
        if isinstance(ratio.value, str) or wq is None or isinstance(wq.value, str):
            return rules.Ruling("inconclusive", "inconclusive: a gradient ratio is undefined or missing")
        lo, hi = rules.interval(ratio)
        wlo, whi = rules.interval(wq)
        softmax_small = hi < MAX_GRAD_RATIO
        params_small = whi < MAX_GRAD_RATIO
        if softmax_small and params_small:
            verdict = "confirmed"
        elif lo > 1.0:
            verdict = "refuted"
        elif softmax_small and wlo > 1.0:
            verdict = "qualified"
        else:
            verdict = "inconclusive"
        return rules.Ruling(
            verdict,
            f"{verdict}: at d_k={large}, in early training, unscaled over scaled (paired, geometric mean): the "
            f"gradient at the softmax input of a query row {rules.fmt(ratio)}, the gradient reaching W_Q "
            f"{rules.fmt(wq)}. "
            f"Rule: confirmed if both intervals lie below {MAX_GRAD_RATIO} (the parameters get less gradient); "
            f"qualified if only the softmax-input gradient does and W_Q's lies above 1 (the softmax passes less, but "
            f"the missing 1/√d_k multiplier more than makes up for it); refuted if the softmax-input ratio lies "
            "above 1; else inconclusive.",
            f"Through the saturated softmax the unscaled model passes {rules.fmt(ratio, 2)} times the scaled model's "
            f"gradient, but its W_Q receives {rules.fmt(wq, 2)} times as much: ∂L/∂(q·k) is the softmax-input "
            "gradient times the temperature, and the scaled model's temperature is 1/√d_k. So the size of the "
            "gradient does not vanish; a likely reason the unscaled runs still fail, not measured here, is where "
            "it points (rows saturated on a wrong key); Adam's updates do not scale with the size anyway.",
            f"经过饱和的 softmax,不缩放模型传回的梯度是缩放模型的 {rules.fmt(ratio, 2)} 倍,但它的 W_Q 收到的梯度却是"
            f" {rules.fmt(wq, 2)} 倍:∂L/∂(q·k) 等于 softmax 输入处的梯度乘以温度,而缩放模型的温度是 1/√d_k。"
            "所以梯度的大小并没有消失;不缩放仍然失败的一个可能原因(这里没有测量)是梯度的方向(行饱和在错误的键上);"
            "何况 Adam 的更新幅度本就不随梯度大小变化。",
            f"W_Q's gradient ratio falling below {MAX_GRAD_RATIO} too (confirmed), or the softmax-input ratio rising "
            "above 1 (refuted).",
            f"W_Q 的梯度之比也低于 {MAX_GRAD_RATIO}(成立),或 softmax 输入处的梯度之比高于 1(不成立)。")

    def hard(dk: int) -> rules.Ruling:
        steps, ratio = ev[f"steps_{_key(dk, '1')}"], ev[f"steps_ratio_{_key(dk, '1')}"]
        k, n = rules.reached_count(steps)
        if k < n / 2:
            verdict = "confirmed"
            how = f"unscaled reached {THRESHOLD} in only {k} of {n} seeds within {budget} steps"
            how_zh = f"不缩放时 {n} 个种子中只有 {k} 个在 {budget} 步内达到 {THRESHOLD}"
        elif isinstance(ratio.value, str):
            verdict, how, how_zh = "inconclusive", "the step ratio is undefined", "步数比无定义"
        else:
            lo, hi = rules.interval(ratio)
            verdict = ("confirmed" if lo > MIN_RATIO else "refuted" if SIMILAR[0] < lo and hi < SIMILAR[1]
                       else "inconclusive")
            how = f"unscaled needs {rules.fmt(ratio, 2)} times the steps of scaled (paired)"
            how_zh = f"不缩放需要缩放版本 {rules.fmt(ratio, 2)} 倍的步数(配对)"
        return rules.Ruling(
            verdict,
            f"{verdict}: d_k={dk}: {how}. Rule: confirmed if fewer than half of the unscaled seeds reach the "
            f"threshold or the step ratio's interval lies above {MIN_RATIO}; refuted if it lies inside "
            f"[{SIMILAR[0]:.2f}, {SIMILAR[1]}]; else inconclusive.",
            f"At d_k={dk}, {how}.", f"d_k={dk} 时,{how_zh}。",
            f"Unscaled runs reaching the threshold with a step ratio inside [{SIMILAR[0]:.2f}, {SIMILAR[1]}]"
            if verdict == "confirmed" else f"A step ratio whose interval lies above {MIN_RATIO}, or most unscaled "
            "runs failing to reach the threshold.",
            f"不缩放的运行达到阈值且步数比落在 [{SIMILAR[0]:.2f}, {SIMILAR[1]}] 内" if verdict == "confirmed"
            else f"步数比的区间高于 {MIN_RATIO},或多数不缩放的运行达不到阈值。")

    c_sat = rules.claim("saturation", f"Without scaling, large logits saturate the softmax (d_k={large}).", [],
                        [f"sat_wrong_gain_{large_key}", f"sat_wrong_{large_key}", f"init_max_weight_{large_key}",
                         "softmax_1_2_10_max"], saturates,
                        statement_zh=f"不缩放时,过大的 logits 会让 softmax 饱和(d_k={large})。")
    c_grad = rules.claim("gradients_vanish", f"A saturated softmax passes little gradient (d_k={large}).", [],
                         [f"grad_ratio_{large_key}", f"grad_wq_ratio_{large_key}", f"grad_{large_key}"], vanishes,
                         statement_zh=f"饱和的 softmax 几乎传不回梯度(d_k={large})。")
    c_large = rules.claim("training_hard_large_dk", f"Without scaling training is hard (d_k={large}).", checks,
                          [f"steps_{large_key}", f"steps_ratio_{large_key}", f"acc_{large_key}"], lambda: hard(large),
                          statement_zh=f"不缩放时训练困难(d_k={large})。")
    c_small = rules.claim("training_hard_small_dk", f"Without scaling training is hard (d_k={small}).", checks,
                          [f"steps_{_key(small, '1')}", f"steps_ratio_{_key(small, '1')}"], lambda: hard(small),
                          statement_zh=f"不缩放时训练困难(d_k={small})。")
    claims = (c_sat, c_grad, c_large, c_small)
    if any(not c.passed for c in checks) or "inconclusive" in (c_sat.verdict, c_grad.verdict, c_large.verdict):
        verdict = "inconclusive"
    elif "refuted" in (c_sat.verdict, c_grad.verdict, c_large.verdict):
        verdict = "refuted"
    elif c_small.verdict == "confirmed":
        verdict = "confirmed"
    else:
        verdict = "qualified"
    rule = (f"{verdict}: saturation {c_sat.verdict}, vanishing gradient {c_grad.verdict}, harder training at "
            f"d_k={large} {c_large.verdict}, at d_k={small} {c_small.verdict}. Rule: inconclusive if a check failed "
            f"or one of the three large-d_k claims is; refuted if one of them is refuted; confirmed if training is "
            f"also harder at d_k={small}; qualified otherwise (it holds at large d_k only, as Vaswani et al. "
            "expect).")
    return Decision(verdict, rule, checks, claims)


def _fmt_opt(ev: EvidenceSet, name: str, digits: int = 3) -> str:
    """An evidence item as text, or "not measured" in results from before it existed."""
    return rules.fmt(ev[name], digits) if name in ev else "not measured"


def explain(evidence: list[Evidence], decision: Decision) -> Explanation:
    ev = EvidenceSet(evidence)
    dks = _dks(ev)
    small, large = dks[0], dks[-1]
    parts = []
    for dk in dks:
        steps = {t: rules.fmt(ev[f"steps_{_key(dk, t)}"]) for t in TEMPERATURES}
        parts.append(f"d_k={dk}: median steps to {THRESHOLD} {steps['1']} unscaled, {steps['1/sqrt(d_k)']} with "
                     f"1/√d_k, {steps['1/d_k']} with 1/d_k")
    lk = _key(large, "1")
    summary = ("One attention layer learning key-value lookup, only the logit temperature changed: " + "; ".join(parts)
               + f". In early training at d_k={large}, {rules.fmt(ev[f'sat_wrong_{lk}'])} of unscaled query "
               f"rows are saturated on a wrong key, the gradient at the softmax input is "
               f"{rules.fmt(ev[f'grad_ratio_{lk}'])} times the scaled model's and the gradient reaching W_Q "
               f"{_fmt_opt(ev, f'grad_wq_ratio_{lk}')} times. " + decision.rule)
    big_steps, big_ref = ev[f"steps_{lk}"], ev[f"steps_{_key(large, REFERENCE)}"]
    k, n = rules.reached_count(big_steps)
    small_ratio, big_ratio = ev[f"steps_ratio_{_key(small, '1')}"], ev[f"steps_ratio_{lk}"]
    sr = small_ratio.value if isinstance(small_ratio.value, str) else f"{small_ratio.number:.2f}"
    sat = ev[f"sat_wrong_{lk}"].number
    grad = ev[f"grad_ratio_{lk}"]
    gr = grad.value if isinstance(grad.value, str) else f"{grad.number:.2f}"
    ref_steps = big_ref.value if isinstance(big_ref.value, str) else f"{big_ref.number:.0f}"
    wq = _fmt_opt(ev, f"grad_wq_ratio_{lk}", 2)
    acc_unscaled, budget = ev[f"acc_{lk}"].number, int(ev["budget_steps"].number)
    if k < n:
        hard_en = (f"{n - k} of {n} unscaled runs do not reach {THRESHOLD} within {budget} steps (accuracy "
                   f"{acc_unscaled:.2f}) on a task that 1/√d_k learns in about {ref_steps}")
        hard_zh = (f"{n} 次不缩放的运行中有 {n - k} 次在 {budget} 步内达不到 {THRESHOLD}(准确率 "
                   f"{acc_unscaled:.2f}),而 1/√d_k 约 {ref_steps} 步就能学会")
    else:
        br = big_ratio.value if isinstance(big_ratio.value, str) else f"{big_ratio.number:.2f}"
        hard_en = f"unscaled runs need {br} times the steps of scaled ones"
        hard_zh = f"不缩放的运行需要缩放版本 {br} 倍的步数"
    lead = {"refuted": ("In our runs the seed's mechanism did not show:", "在我们的运行中,原文所说的机制没有出现:"),
            "inconclusive": ("Our runs could not settle it:", "我们的运行还不能下结论:")}.get(
        decision.verdict, ("Because without it the logits grow with d_k:", "因为不缩放时 logits 会随 d_k 变大:"))
    answer_en = (f"{lead[0]} at d_k={large}, {sat:.0%} of unscaled query rows put over {SATURATED_AT:.0%} of their "
                 f"attention on a wrong key early in training, the gradient through the softmax is {gr} times the "
                 f"scaled model's (yet W_Q receives {wq} times as much, so the size of the gradient is not what "
                 f"fails), and {hard_en}. At d_k={small} unscaled needs {sr} times the steps of scaled (Vaswani et "
                 f"al. expect little difference at small d_k; with d_model fixed, d_k={small} also means "
                 f"{large // small} times as many heads as d_k={large}).")
    answer_zh = (f"{lead[1]}d_k={large} 时,训练初期有 {sat:.0%} 的不缩放查询行把超过 {SATURATED_AT:.0%} 的注意力放在"
                 f"错误的键上,经 softmax 传回的梯度是缩放模型的 {gr} 倍(但 W_Q 收到的梯度是 {wq} 倍,"
                 f"所以失败的不是梯度的大小),{hard_zh}。d_k={small} 时不缩放需要缩放版本 {sr} 倍的步数"
                 "(Vaswani 等人认为小 d_k 时差别不大;"
                 f"d_model 固定时,d_k={small} 的头数也是 d_k={large} 的 {large // small} 倍)。")
    if decision.verdict == "inconclusive":
        answer_en, answer_zh = rules.undecided_answer(decision.claims)
    return Explanation(summary=summary, answer_en=answer_en, answer_zh=answer_zh)


EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain))
