"""q1: why does the Transformer need multi-head attention?

The seed's answer has four parts, each tested:

1. **Heads attend to different things** (sub-spaces). On the multi-relation task
   (:class:`attnlab.data.MultiRelationTask`: each output needs the symbols at offsets -1 and +2 and the
   first token at once), is each relation the dominant target of some head?
2. **More heads is not always better.** One encoder layer with d_model fixed (so the head width is
   d_model / h), h in {1, 2, 4, 8}, trained to 0.95 accuracy or a budget, 5 seeds: steps to the threshold
   and accuracy at a fixed step, compared paired per seed; on the multi-relation task and on a
   one-relation control.
3. **One head can be enough.** Does h = 1 reach the threshold, on the control and on three relations?
4. **Many heads can be removed.** Michel et al. 2019: head importance I_h = E|∂L/∂ξ_h| (ξ the head mask,
   :func:`attnlab.analysis.heads.head_importance`), heads gated off least important first without
   retraining; the fraction that can go with accuracy within 0.02 of the unpruned model, beside random
   order, and "one head at test time" (keep only the most important head). The same on all-MiniLM-L6-v2
   (6 x 12 heads, sentence embeddings; quality = agreement of each sentence's nearest neighbour with the
   full model).

Vaswani et al. 2017 Table 3 (A) varies h at fixed compute on WMT (BLEU): a different regime, so it is set
in the literature, not beside our accuracies.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

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
from attnlab.results import AttentionMap, Check, Evidence, Heatmap, Panel, Plot, Reference, RefLine, Series

__all__ = ["QUESTION", "minilm_trial", "prunable_fraction", "train_trial"]

QUESTION = Question(
    qid="q1",
    title="Why multi-head attention?",
    question="Why does the Transformer need multi-head attention?",
    question_zh="为什么Transformer 需要进行 Multi-head Attention?",
    claim="Heads form sub-spaces that attend to different things, an internal ensemble; but more heads is not "
          "always better, one head can be enough, and many heads can be removed.",
    claim_zh="将模型分为多个头,形成多个子空间,可以让模型去关注不同方面的信息;……并不是multi-head的参数设置越大越好,"
             "有的时候1就已经非常好了,去掉一些头效果依然有不错的效果",
)

HEADS = (1, 2, 4, 8)
TASKS: dict[str, dict[str, Any]] = {
    "multi": {"length": 16, "n_symbols": 4, "offsets": [-1, 2], "include_first": True},
    "single": {"length": 16, "n_symbols": 8, "offsets": [2], "include_first": False},
}
RELATIONS = {"-1": "previous token", "+2": "token two ahead", "first": "first token"}
THRESHOLD = 0.95
EXAMPLE = "The animal didn't cross the street because it was too tired."  # for the attention explorer
PRUNE_TOL = 0.02  # a pruned model keeps its accuracy when within this of the unpruned one
MANY = 0.25  # "many heads can be removed": at least a quarter (Michel et al.: ~20% WMT, ~40% BERT)
ROLE_MASS = 0.5  # a head's role is the offset (or the first token) holding more than this of its weight
MINILM_KEEP = 0.9  # MiniLM keeps its behaviour while >= 90% of sentences keep their nearest neighbour
BUDGET_FACTOR = 2  # the budget must be at least this many times the best condition's median steps
FIXED_STEP = 300  # accuracy compared at this step (or at an earlier stop, scored on the separate held-out set)
MIN_RATIO = 1.25  # steps ratio whose interval lies beyond this counts as a difference
MICHEL = Reference("Michel et al. 2019, §3-4 (Figure 2, Table 2)", "Without retraining, ~20% of a WMT "
                   "Transformer-large's heads and ~40% of BERT's heads (MNLI) can be pruned with no notable loss; "
                   "most layers can be reduced to one head at test time.", "WMT14 En-Fr BLEU, MNLI accuracy",
                   "supports", "https://arxiv.org/abs/1905.10650")
VOITA = Reference("Voita et al. 2019, §5-6", "In a WMT encoder, positional, syntactic and rare-token heads are the "
                  "important ones; pruning 38 of 48 encoder heads costs 0.15 BLEU.", "WMT En-Ru Transformer-base, "
                  "BLEU", "supports", "https://arxiv.org/abs/1905.09418")
VASWANI = Reference("Vaswani et al. 2017, Table 3 (A)", "At fixed compute, 1 head is 0.9 BLEU worse than 8; 32 "
                    "heads are worse than 16.", "WMT14 En-De dev, Transformer-base, BLEU", "supports",
                    "https://arxiv.org/abs/1706.03762")


# ----------------------------------------------------------------------------------------------------
# Trials
# ----------------------------------------------------------------------------------------------------


def prunable_fraction(fractions: list[float], accuracies: list[float], tol: float = PRUNE_TOL) -> float:
    """Largest fraction f such that every point up to f keeps accuracy >= accuracy(0) - ``tol``."""
    if len(fractions) != len(accuracies) or not fractions:
        raise ValueError(f"fractions, accuracies: expected equal non-empty lists, got {len(fractions)} and "
                         f"{len(accuracies)}")
    best = 0.0
    for f, a in zip(fractions, accuracies, strict=True):
        if a < accuracies[0] - tol:
            break
        best = f
    return float(best)


def _roles(mass: torch.Tensor, first: torch.Tensor) -> list[str]:
    """Per head: the relation holding > ROLE_MASS of its weight ("-1", "+2", "first", other offsets) or "mixed"."""
    t = (mass.shape[1] + 1) // 2
    out = []
    for h in range(mass.shape[0]):
        o = int(mass[h].argmax())
        if float(first[h]) > ROLE_MASS and float(first[h]) >= float(mass[h].max()):
            out.append("first")
        elif float(mass[h, o]) > ROLE_MASS:
            out.append(f"{o - (t - 1):+d}")
        else:
            out.append("mixed")
    return out


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one (task, h) for one seed; for the pruned head count also importance, pruning and roles."""
    from attnlab.analysis.heads import head_importance, importance_order, pruning_curve, random_order
    from attnlab.analysis.roles import offset_mass
    from attnlab.models import TransformerEncoder
    from attnlab.train import evaluate

    task = make_task("multi_relation", **TASKS[config["task"]])
    h = config["heads"]
    model = TransformerEncoder(vocab_size=task.vocab_size, d_model=config["d_model"], n_heads=h, n_layers=1,
                               max_len=task.seq_len, n_outputs=task.n_classes)
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"])
    at_fixed = [a for s, a in out["curve"] if s <= FIXED_STEP]
    # a run that stopped early is scored on the separate held-out set (its stopping evaluation is >= the
    # threshold by selection); one that went on is read from its curve at the step
    stopped_early = out["steps"] <= FIXED_STEP or not at_fixed
    out["accuracy_at_fixed_step"] = out["accuracy"] if stopped_early else at_fixed[-1]
    if h != config["prune_heads"]:
        return out
    model.eval()
    g = torch.Generator().manual_seed(50_000 + config["seed"])
    batches = [task.sample(config["batch_size"], g) for _ in range(4)]  # disjoint from training and evaluation

    def loss_fn(batch: Any, mask: torch.Tensor) -> torch.Tensor:
        logits = model(batch.inputs, head_mask=mask.permute(1, 0, 2)).logits  # mask (B, L, H) -> (L, B, H)
        ce = F.cross_entropy(logits.transpose(1, 2), batch.targets, reduction="none")  # (B, T)
        valid = (batch.targets != -100).to(ce.dtype)
        return (ce * valid).sum(1) / valid.sum(1).clamp_min(1.0)  # (B,)

    imp = head_importance(loss_fn, batches, 1, h, per_example=True).normalized  # (1, H)

    def accuracy(mask: torch.Tensor) -> dict[str, float]:
        m = evaluate(model, task, n_batches=8, batch_size=64, seed=90_000 + config["seed"],
                     forward_kwargs={"head_mask": mask})
        return {"accuracy": m["accuracy"]}

    fractions = [k / h for k in range(h)]
    curve = [p.metrics["accuracy"] for p in pruning_curve(accuracy, importance_order(imp), 1, h, fractions)]
    rnd = [[p.metrics["accuracy"] for p in pruning_curve(accuracy, random_order(1, h, 1000 * config["seed"] + r),
                                                        1, h, fractions)] for r in range(3)]
    with torch.no_grad():
        batch = task.sample(256, torch.Generator().manual_seed(70_000 + config["seed"]))
        w = model(batch.inputs, need_weights=True).attentions[0]  # (B, H, T, T)
    mass = offset_mass(w)
    out.update(importance=imp[0].tolist(), prune_fractions=fractions, prune_curve=curve,
               prune_random=[sum(c[i] for c in rnd) / len(rnd) for i in range(h)],
               prunable=prunable_fraction(fractions, curve),
               prunable_random=sum(prunable_fraction(fractions, c) for c in rnd) / len(rnd),
               one_head=curve[-1], roles=_roles(mass, w.mean((0, 2))[:, 0]))
    return out


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Michel et al. importance and pruning curves of all-MiniLM-L6-v2 on held-out corpus sentences."""
    from attnlab.analysis import heads
    from attnlab.analysis.corpus import load_corpus
    from attnlab.pretrained import PretrainedUnavailable, load

    try:
        model = load("all-MiniLM-L6-v2")
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    corpus = load_corpus(n=config["n_importance"] + config["n_eval"], seed=config["seed"])
    imp_texts, eval_texts = corpus[:config["n_importance"]], corpus[config["n_importance"]:]
    n_layers, n_heads = model.n_layers, model.n_heads
    imp = heads.encoder_head_importance(model, imp_texts, batch_size=16)
    quality = heads.embedding_quality(model, eval_texts, batch_size=16)
    fractions = [i / 10 for i in range(10)]
    by_imp = heads.pruning_curve(quality, heads.importance_order(imp.normalized), n_layers, n_heads, fractions)
    rnd = [heads.pruning_curve(quality, heads.random_order(n_layers, n_heads, s), n_layers, n_heads, fractions)
           for s in range(config["n_random"])]
    curve = [p.metrics["retrieval_at_1"] for p in by_imp]
    random_curve = [sum(c[i].metrics["retrieval_at_1"] for c in rnd) / len(rnd) for i in range(len(fractions))]

    def keep(values: list[float]) -> float:
        best = 0.0
        for f, v in zip(fractions, values, strict=True):
            if v < MINILM_KEEP:
                break
            best = f
        return best

    tokens, maps = model.attentions(EXAMPLE)
    return {"fractions": fractions, "curve": curve, "random_curve": random_curve, "prunable": keep(curve),
            "prunable_random": keep(random_curve), "importance": imp.normalized.tolist(),
            "n_importance": len(imp_texts), "n_eval": len(eval_texts), "objective": imp.objective,
            "tokens": tokens, "weights": torch.stack(maps).round(decimals=4).tolist()}


def _settings(profile: str) -> dict[str, Any]:
    return pick(profile,
                tiny=dict(d_model=16, steps=30, batch_size=32, lr=3e-3, eval_every=10, prune_heads=4,
                          minilm=dict(n_importance=8, n_eval=12, n_random=1)),
                quick=dict(d_model=32, steps=800, batch_size=32, lr=3e-3, eval_every=25, prune_heads=8,
                           minilm=dict(n_importance=24, n_eval=40, n_random=1)),
                full=dict(d_model=64, steps=5000, batch_size=64, lr=2e-3, eval_every=50, prune_heads=8,
                          minilm=dict(n_importance=400, n_eval=400, n_random=5)))


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = _settings(profile)
    minilm = s.pop("minilm")
    heads = [h for h in HEADS if s["d_model"] % h == 0]
    grid = [Trial(train_trial, {"kind": "train", "task": t, "heads": h, "seed": seed, **s})
            for t in TASKS for h in heads for seed in seeds]
    return [*grid, Trial(minilm_trial, {"kind": "minilm", "seed": 0, **minilm})]


# ----------------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------------

ACC = (0.0, 1.0)


TASK_ZH = {"multi": "三关系", "single": "单关系"}
BASELINE_ZH = {"chance": "随机猜测", "all_but_one_relation": "只读其余关系、猜测一个关系"}


def aggregate(outcomes: Outcomes) -> Aggregate:
    train = outcomes.where(kind="train")
    first = train[0].config
    heads = sorted({o.config["heads"] for o in train})
    ph = first["prune_heads"]
    ev: list[Evidence] = [Evidence("heads", heads, unit="heads", label="head counts compared (d_model fixed)",
                                   label_zh="比较的头数(d_model 固定)"),
                          Evidence("budget_steps", first["steps"], unit="steps", label="training budget per run",
                                   label_zh="每次训练的步数预算")]
    for t in TASKS:
        task = make_task("multi_relation", **TASKS[t])
        tz = TASK_ZH[t]
        ev += [Evidence(f"baseline_{t}_{k}", v, unit="accuracy", bounds=ACC,
                        label=f"{t} task: {k.replace('_', '-')} baseline (exact)",
                        label_zh=f"{tz}任务:{BASELINE_ZH.get(k, k)}基线(精确值)")
               for k, v in task.baselines().items()]
        for h in heads:
            runs = [o.measurements for o in outcomes.where(kind="train", task=t, heads=h)]
            what = f"{t} task, h={h} (head width {first['d_model'] // h})"
            what_zh = f"{tz}任务,h={h}(每头维度 {first['d_model'] // h})"
            ev.append(stats.evidence_from(f"acc_{t}_h{h}", [m["accuracy"] for m in runs],
                                          label=f"accuracy when training stopped: {what}", unit="accuracy",
                                          bounds=ACC, label_zh=f"训练停止时的准确率:{what_zh}"))
            ev.append(stats.evidence_from(f"acc_fixed_{t}_h{h}", [m["accuracy_at_fixed_step"] for m in runs],
                                          label=f"accuracy at step {FIXED_STEP} (held-out accuracy at the stop "
                                                f"where a run reached {THRESHOLD} earlier): {what}", unit="accuracy",
                                          bounds=ACC,
                                          label_zh=f"第 {FIXED_STEP} 步的准确率(提前达到 {THRESHOLD} 而停止的运行"
                                                   f"取停止时的留出准确率):{what_zh}"))
            ev.append(stats.steps_evidence(f"steps_{t}_h{h}", [m["steps_to_threshold"] for m in runs],
                                           first["steps"], label=f"steps to {THRESHOLD}: {what}",
                                           label_zh=f"达到 {THRESHOLD} 所需步数:{what_zh}"))
        top = heads[-1]
        for h in heads[:-1]:
            big = [o.measurements for o in outcomes.where(kind="train", task=t, heads=top)]
            small = [o.measurements for o in outcomes.where(kind="train", task=t, heads=h)]
            ev.append(stats.paired_ratio_evidence(
                f"steps_ratio_{t}_h{top}_h{h}", [m["steps_to_threshold"] for m in big],
                [m["steps_to_threshold"] for m in small],
                label=f"{t} task: steps to {THRESHOLD} with h={top} over h={h} (seeds where both reached it)",
                unit="x", label_zh=f"{tz}任务:h={top} 与 h={h} 达到 {THRESHOLD} 的步数之比(仅计两者都达到的种子)"))
            ev.append(stats.paired_evidence(
                f"acc_gain_{t}_h{top}_h{h}", [m["accuracy_at_fixed_step"] for m in big],
                [m["accuracy_at_fixed_step"] for m in small],
                label=f"{t} task: accuracy at step {FIXED_STEP}, h={top} minus h={h}", unit="accuracy", bounds=(-1, 1),
                label_zh=f"{tz}任务:第 {FIXED_STEP} 步准确率,h={top} 减 h={h}"))
        pruned = [o.measurements for o in outcomes.where(kind="train", task=t, heads=ph)]
        ev.append(stats.evidence_from(f"prunable_{t}", [m["prunable"] for m in pruned], unit="fraction", bounds=ACC,
                                      label=f"{t} task, h={ph}: share of heads removable (importance order, no "
                                            f"retraining) within {PRUNE_TOL} accuracy",
                                      label_zh=f"{tz}任务,h={ph}:按重要性删去、不重训、准确率下降不超过 {PRUNE_TOL} "
                                               "时可删的头的比例"))
        ev.append(stats.evidence_from(f"prunable_random_{t}", [m["prunable_random"] for m in pruned], unit="fraction",
                                      bounds=ACC, label=f"{t} task, h={ph}: the same in random order (3 orders)",
                                      label_zh=f"{tz}任务,h={ph}:同上,随机顺序(3 种顺序)"))
        ev.append(stats.evidence_from(f"one_head_{t}", [m["one_head"] for m in pruned], unit="accuracy", bounds=ACC,
                                      label=f"{t} task, h={ph}: accuracy keeping only the most important head",
                                      label_zh=f"{tz}任务,h={ph}:只保留最重要的一个头时的准确率"))
        ev.append(Evidence(f"prune_curve_{t}", [sum(m["prune_curve"][i] for m in pruned) / len(pruned)
                                                for i in range(ph)], unit="accuracy",
                           label=f"{t} task: accuracy at 0..{ph - 1} heads removed by importance (mean of seeds)",
                           label_zh=f"{tz}任务:按重要性删去 0..{ph - 1} 个头时的准确率(种子平均)"))
        ev.append(Evidence(f"prune_random_curve_{t}", [sum(m["prune_random"][i] for m in pruned) / len(pruned)
                                                       for i in range(ph)], unit="accuracy",
                           label=f"{t} task: the same in random order", label_zh=f"{tz}任务:同上,随机顺序"))
    roles = [o.measurements["roles"] for o in outcomes.where(kind="train", task="multi", heads=ph)]
    covered = [sum(r in heads_roles for r in RELATIONS) for heads_roles in roles]
    ev.append(stats.evidence_from("relations_covered", covered, unit="relations", bounds=(0, len(RELATIONS)),
                                  label=f"multi task, h={ph}: relations (of {len(RELATIONS)}) that are some head's "
                                        f"dominant target (> {ROLE_MASS} of its weight)",
                                  label_zh=f"三关系任务,h={ph}:{len(RELATIONS)} 个关系中,成为某个头主要目标"
                                           f"(占其权重 > {ROLE_MASS})的个数"))
    ev.append(Evidence("head_roles", roles, unit="role per head", label=f"multi task, h={ph}: each head's dominant "
                       "relative offset (or 'first'), per seed",
                       label_zh=f"三关系任务,h={ph}:每个种子中各头主要关注的相对位置(或首个词元)"))
    mini = outcomes.one(kind="minilm").measurements
    if "unavailable" not in mini:
        ev.append(Evidence("minilm_prunable", mini["prunable"], unit="fraction", bounds=ACC,
                           label=f"all-MiniLM-L6-v2: share of its 72 heads removable (importance order) with >= "
                                 f"{MINILM_KEEP:.0%} of {mini['n_eval']} sentences keeping their nearest neighbour",
                           label_zh=f"all-MiniLM-L6-v2:按重要性删头,{mini['n_eval']} 个句子中至少 {MINILM_KEEP:.0%} "
                                    "保持最近邻不变时,72 个头中可删的比例",
                           ci_method="one model, one corpus sample: no interval"))
        ev.append(Evidence("minilm_prunable_random", mini["prunable_random"], unit="fraction", bounds=ACC,
                           label="all-MiniLM-L6-v2: the same in random order",
                           label_zh="all-MiniLM-L6-v2:同上,随机顺序"))
        ev.append(Evidence("minilm_curve", mini["curve"], unit="agreement",
                           label="all-MiniLM-L6-v2: nearest-neighbour agreement at 0, 10, ..., 90% of heads removed",
                           label_zh="all-MiniLM-L6-v2:删去 0%、10%……90% 的头时最近邻一致的比例"))
        ev.append(Evidence("minilm_random_curve", mini["random_curve"], unit="agreement",
                           label="all-MiniLM-L6-v2: the same in random order",
                           label_zh="all-MiniLM-L6-v2:同上,随机顺序"))
    config = {"tasks": TASKS, "heads": heads, "threshold": THRESHOLD, "fixed_step": FIXED_STEP,
              "prune_tol": PRUNE_TOL, **{k: first[k] for k in ("d_model", "steps", "batch_size", "lr", "prune_heads")}}
    maps = []
    if "unavailable" not in mini and "tokens" in mini:
        maps.append(AttentionMap(f"all-MiniLM-L6-v2 on \"{EXAMPLE}\": which heads look where?", mini["tokens"],
                                 mini["weights"], f"all-MiniLM-L6-v2 读 \"{EXAMPLE}\":哪些头看向哪里?"))
    return Aggregate(ev, _plots(EvidenceSet(ev), outcomes, heads, ph), config, [MICHEL, VOITA, VASWANI], maps)


def _plots(es: EvidenceSet, outcomes: Outcomes, heads: list[int], ph: int) -> list[Plot]:
    panels = []
    budget = es["budget_steps"].number
    for t in TASKS:
        steps = [es[f"steps_{t}_h{h}"] for h in heads]
        per_seed = [[s for s in e.per_seed or [] if s is not None] for e in steps]
        panels.append(Panel(kind="bar", title=f"{t} task: steps to {THRESHOLD} accuracy", xlabel="heads h",
                            ylabel="steps", ylim=(0, budget * 1.12),
                            series=[Series("median (bar: fastest to slowest seed)", [str(h) for h in heads],
                                           [budget if isinstance(e.value, str) else e.number for e in steps],
                                           [min(p) if p else budget for p in per_seed],
                                           [max(p) if p else budget for p in per_seed],
                                           notes=[f"{len(p)}/{len(e.per_seed or [])} reached" for p, e in
                                                  zip(per_seed, steps, strict=True)])],
                            lines=[RefLine(budget, "budget")]))
    for t in TASKS:
        acc = [es[f"acc_{t}_h{h}"] for h in heads]
        panels.append(Panel(kind="bar", title=f"{t} task: accuracy when training stopped", xlabel="heads h",
                            ylabel="accuracy", ylim=(0, 1.1),
                            series=[Series("mean, 95% interval", [str(h) for h in heads], [e.number for e in acc],
                                           [rules.interval(e)[0] for e in acc], [rules.interval(e)[1] for e in acc])],
                            lines=[RefLine(max(v.number for k, v in es.items() if k.startswith(f"baseline_{t}_")),
                                           "best trivial baseline")]))
    headline = Plot("heads_compared", "One encoder layer, d_model fixed: how many heads?", panels, ncols=2,
                    caption=f"Training stops at {THRESHOLD} accuracy or at the budget. A bar at the budget line with "
                    "0/5 reached means no seed got there.", headline=True,
                    title_zh="一层编码器、d_model 固定:需要几个头?",
                    caption_zh=f"训练在准确率达到 {THRESHOLD} 或用完预算时停止。"
                               "柱子顶到预算线且标注 0/5 表示没有种子达到。")
    fracs = [k / ph for k in range(ph)]
    prune = [Panel(title=f"{t} task, h={ph}", xlabel="fraction of heads removed", ylabel="accuracy", ylim=(0, 1.02),
                   series=[Series("importance order (Michel et al.)", fracs, es[f"prune_curve_{t}"].value),
                           Series("random order", fracs, es[f"prune_random_curve_{t}"].value, style="dashed")])
             for t in TASKS]
    if "minilm_curve" in es:
        mf = [i / 10 for i in range(10)]
        prune.append(Panel(title="all-MiniLM-L6-v2 (72 heads)", xlabel="fraction of heads removed",
                           ylabel="nearest-neighbour agreement", ylim=(0, 1.02),
                           series=[Series("importance order", mf, es["minilm_curve"].value),
                                   Series("random order", mf, es["minilm_random_curve"].value, style="dashed")],
                           lines=[RefLine(MINILM_KEEP, "keeps its behaviour")]))
    plots = [headline, Plot("pruning", "Removing heads without retraining", prune,
                            caption="Means over seeds (ours) and one run (MiniLM).", title_zh="不重训地删去头",
                            caption_zh="我们的模型为种子平均,MiniLM 为一次运行。")]
    w = []
    for o in outcomes.where(kind="train", task="multi", heads=ph):
        w.append(o.measurements["importance"])
    plots.append(Plot("head_importance", f"Head importance, multi task, h={ph}",
                      title_zh=f"头的重要性,三关系任务,h={ph}",
                      panels=[
        Panel(kind="heatmap", title="normalised importance per seed", xlabel="head", ylabel="seed",
              heatmap=Heatmap(w, [str(i) for i in range(len(w))], [str(i + 1) for i in range(ph)]))]))
    return plots


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    heads = [int(h) for h in ev["heads"].value]
    top, budget = heads[-1], int(ev["budget_steps"].number)
    checks: list[Check] = []
    for t in TASKS:
        best = min(heads, key=lambda h: _median(ev[f"steps_{t}_h{h}"]))
        checks.append(rules.reached_check(f"learned_{t}", ev[f"steps_{t}_h{best}"], what=f"{t} task, best h={best}",
                                          what_zh=f"{TASK_ZH[t]}任务,最好的 h={best}"))
        checks.append(Check(f"budget_{t}", _median(ev[f"steps_{t}_h{best}"]) * BUDGET_FACTOR <= budget,
                            f"the budget ({budget} steps) is at least {BUDGET_FACTOR}x the best condition's median "
                            "steps on the "
                            f"{t} task ({ev[f'steps_{t}_h{best}'].value})",
                            f"步数预算({budget})至少是{TASK_ZH[t]}任务上最好条件中位步数"
                            f"({ev[f'steps_{t}_h{best}'].value})的 {BUDGET_FACTOR} 倍"))

    def specialise() -> rules.Ruling:
        cov = ev["relations_covered"]
        lo, hi = rules.interval(cov)
        n = len(RELATIONS)
        verdict = "confirmed" if lo > n - 0.5 else "refuted" if hi < n - 1 else "qualified"
        return rules.Ruling(
            verdict,
            f"{verdict}: with h={top} on the multi task, {rules.fmt(cov, 2)} of the {n} relations are some head's "
            f"dominant target (roles per seed: {ev['head_roles'].value}). Rule: confirmed if the interval lies "
            f"above {n - 0.5} (every relation has its own head), refuted if below {n - 1}, qualified otherwise.",
            f"With {top} heads, on average {cov.number:.1f} of the {n} relations (previous token, token two ahead, "
            "first token) have a head that puts most of its weight on exactly that position.",
            f"用 {top} 个头时,{n} 个关系(前一个词元、后两个词元、首个词元)中平均有 {cov.number:.1f} 个有专门的头把"
            "大部分权重放在那个位置上。",
            f"Heads that mix relations instead, so that the interval falls below {n - 1} (refuted), or every seed "
            "with a head per relation (confirmed).",
            f"若各头混合多个关系、区间落到 {n - 1} 以下则不成立;若每个种子都每个关系一个头则成立。")

    def not_always_better() -> rules.Ruling:
        notes, worse, no_gain, better = [], [], [], []
        for t in TASKS:
            worse_than_some = no_gain_over_some = False
            better_than_all = True
            for h in heads[:-1]:
                ratio, gain = ev[f"steps_ratio_{t}_h{top}_h{h}"], ev[f"acc_gain_{t}_h{top}_h{h}"]
                known = not isinstance(ratio.value, str)
                faster = known and rules.interval(ratio)[1] < 1 / MIN_RATIO
                slower = known and rules.interval(ratio)[0] > MIN_RATIO
                more_acc = rules.interval(gain)[0] > PRUNE_TOL
                less_acc = rules.interval(gain)[1] < -PRUNE_TOL
                learned = ev[f"steps_{t}_h{h}"].value != f"> {budget}"
                better_than_all &= faster or more_acc
                worse_than_some |= learned and (slower or less_acc) and not (faster or more_acc)
                no_gain_over_some |= learned and not (faster or more_acc)
                if known:
                    steps_note = f"steps ×{rules.fmt(ratio)}"
                else:  # too few seeds where both reached the threshold to form a ratio: say who reached it
                    k_top, n = rules.reached_count(ev[f"steps_{t}_h{top}"])
                    k_h, _ = rules.reached_count(ev[f"steps_{t}_h{h}"])
                    steps_note = (f"no steps ratio (h={top} reached {THRESHOLD} in {k_top}/{n} seeds, "
                                  f"h={h} in {k_h}/{n})")
                notes.append(f"{t} h={top} vs h={h}: {steps_note}, accuracy at step {FIXED_STEP} {rules.fmt(gain)}")
            worse.append(worse_than_some)
            no_gain.append(no_gain_over_some)
            better.append(better_than_all)
        verdict = ("confirmed" if any(worse) else "refuted" if all(better) else
                   "qualified" if any(no_gain) else "inconclusive")
        single = ev[f"steps_ratio_single_h{top}_h1"]
        multi = ev[f"steps_ratio_multi_h{top}_h{heads[-2]}"]
        return rules.Ruling(
            verdict,
            f"{verdict}: " + "; ".join(notes) + f". Rule: confirmed if on some task h={top} is worse than a smaller h "
            f"that learned (its steps ratio's interval above {MIN_RATIO}, or its accuracy {PRUNE_TOL} lower) and not "
            f"better in the other measure; refuted if on every task it is better than every smaller h ({MIN_RATIO}x "
            f"faster or {PRUNE_TOL} more accurate); qualified if it is only no better (no difference beyond the "
            "margins); else inconclusive.",
            f"On the one-relation task {top} heads need {rules.fmt(single, 2)} times the steps of one head; on three "
            f"relations {top} heads need {rules.fmt(multi, 2)} times the steps of {heads[-2]}.",
            f"单关系任务上 {top} 个头需要 1 个头的 {rules.fmt(single, 2)} 倍步数;三关系任务上 {top} 个头需要 "
            f"{heads[-2]} 个头的 {rules.fmt(multi, 2)} 倍步数。",
            f"{top} heads learning at least {MIN_RATIO}x faster (or {PRUNE_TOL} more accurately) than every smaller "
            "head count on both tasks (refuted), or only ties with fewer heads and no slower run (qualified).",
            f"两个任务上 {top} 个头都比所有更少的头数快至少 {MIN_RATIO} 倍(或准确率高 {PRUNE_TOL})则不成立;"
            "若只是与更少的头打平、没有更慢则为有条件成立。")

    def one_enough() -> rules.Ruling:
        single, multi = ev["steps_single_h1"], ev["steps_multi_h1"]
        ok = {t: rules.reached_count(e)[0] >= math.ceil(0.8 * rules.reached_count(e)[1])
              for t, e in (("single", single), ("multi", multi))}
        verdict = ("confirmed" if all(ok.values()) else "qualified" if ok["single"] else "refuted")
        acc1 = ev["acc_multi_h1"]
        return rules.Ruling(
            verdict,
            f"{verdict}: h=1 reaches {THRESHOLD}: one relation {rules.fmt(single)}, three relations "
            f"{rules.fmt(multi)} (budget {budget}). Rule: confirmed if it does (4 of 5 seeds) on both tasks, "
            "qualified if only on the one-relation task, refuted if on neither.",
            f"One head learns the one-relation task in {rules.fmt(single)} steps; on three relations in one layer it "
            f"{'also reaches' if ok['multi'] else 'does not reach'} {THRESHOLD} ({rules.fmt(multi)}; accuracy "
            f"{acc1.number:.2f}).",
            f"一个头学会单关系任务需要 {rules.fmt(single)} 步;一层里要同时读三个关系时"
            f"{'也能' if ok['multi'] else '达不到'} {THRESHOLD}({rules.fmt(multi)};准确率 {acc1.number:.2f})。",
            "One head reaching the threshold on three relations too (confirmed), or failing on the one-relation task "
            "as well (refuted).",
            "一个头在三关系任务上也达到阈值(成立),或连单关系任务都达不到(不成立)。")

    def removable() -> rules.Ruling:
        parts, verdicts = [], []
        for t in TASKS:
            e = ev[f"prunable_{t}"]
            lo, hi = rules.interval(e)
            verdicts.append("confirmed" if lo >= MANY else "refuted" if hi < MANY else "inconclusive")
            parts.append(f"{t} task {rules.fmt(e, 2)} (random order {rules.fmt(ev[f'prunable_random_{t}'], 2)}; one "
                         f"head kept: accuracy {rules.fmt(ev[f'one_head_{t}'], 2)})")
        if "minilm_prunable" in ev:
            m = ev["minilm_prunable"].number
            verdicts.append("confirmed" if m >= MANY else "refuted")
            parts.append(f"all-MiniLM-L6-v2 {_grid_share(m)} (random order "
                         f"{_grid_share(ev['minilm_prunable_random'].number)}; removed in steps of 10%)")
        verdict = ("confirmed" if all(v == "confirmed" for v in verdicts) else
                   "refuted" if all(v == "refuted" for v in verdicts) else
                   "qualified" if "confirmed" in verdicts else "inconclusive")
        mini = (f"; all-MiniLM-L6-v2: {_grid_share(ev['minilm_prunable'].number)} (nearest neighbours kept, not "
                "accuracy)" if "minilm_prunable" in ev else "")
        mini_zh = (f";all-MiniLM-L6-v2:{_grid_share(ev['minilm_prunable'].number)}(以最近邻不变为准,不是准确率)"
                   if "minilm_prunable" in ev else "")
        share = {t: ev[f"prunable_{t}"].number for t in TASKS}
        return rules.Ruling(
            verdict,
            f"{verdict}: share of heads removable without retraining: " + "; ".join(parts) + f". Rule per model: "
            f"confirmed if the share is at least {MANY} (its interval's lower end, where there is one), refuted if it "
            f"is below (the interval's upper end), undecided if the interval straddles {MANY}; overall confirmed if "
            "all are confirmed, refuted if all are refuted, qualified if some are confirmed, inconclusive otherwise.",
            f"Without retraining, by importance: {share['multi']:.0%} of the heads can go on three relations, "
            f"{share['single']:.0%} on one relation{mini} (Michel et al. 2019, by accuracy: ~20% of a WMT "
            "Transformer's heads, ~40% of BERT's on MNLI).",
            f"不重训、按重要性删头:三关系任务可删 {share['multi']:.0%},单关系任务可删 {share['single']:.0%}{mini_zh}"
            "(Michel 等人 2019,按准确率:WMT Transformer 约 20%,MNLI 上的 BERT 约 40%)。",
            f"Shares whose intervals all lie above {MANY} (confirmed) or all below (refuted); more seeds narrow them.",
            f"所有比例的区间都高于 {MANY}(成立)或都低于(不成立);增加种子数可以收窄区间。")

    c1 = rules.claim("heads_specialise", "Heads attend to different things (different sub-spaces).", checks[:2],
                     ["relations_covered", "head_roles"], specialise,
                     statement_zh="不同的头关注不同的信息(不同子空间)。")
    c2 = rules.claim("more_not_always_better", "More heads is not always better.", checks,
                     [*(f"steps_{t}_h{h}" for t in TASKS for h in heads),
                      *(f"steps_ratio_{t}_h{top}_h{h}" for t in TASKS for h in heads[:-1])], not_always_better,
                     statement_zh="头不是越多越好。")
    c3 = rules.claim("one_head_enough", "Sometimes one head is already enough.", checks,
                     ["acc_single_h1", "acc_multi_h1"], one_enough, statement_zh="有时一个头就够了。")
    c4 = rules.claim("heads_removable", "Many heads can be removed and the model still works.", checks,
                     ["prunable_multi", "prunable_single", "prunable_random_multi", "one_head_multi",
                      "one_head_single", "minilm_prunable", "minilm_prunable_random"], removable,
                     statement_zh="去掉不少头,模型依然有效。")
    claims = (c1, c2, c3, c4)
    decided = [c.verdict for c in claims if c.verdict != "inconclusive"]
    if any(not c.passed for c in checks) or not decided:
        verdict = "inconclusive"
    elif len(decided) == len(claims) and all(v == "confirmed" for v in decided):
        verdict = "confirmed"
    elif all(v == "refuted" for v in decided):
        verdict = "refuted"
    else:
        verdict = "qualified"
    rule = (f"{verdict}: heads specialise {c1.verdict}; more heads not always better {c2.verdict}; one head enough "
            f"{c3.verdict}; many removable {c4.verdict}. Rule: inconclusive if a check failed or no sub-claim is "
            "decided; confirmed if all four are confirmed; refuted if every decided one is refuted; qualified "
            "otherwise (the sub-claims say which parts hold).")
    return Decision(verdict, rule, checks, claims)


def _median(steps: Evidence) -> float:
    return math.inf if isinstance(steps.value, str) else steps.number


def _grid_share(x: float) -> str:
    """A share found on the grid 0, 10%, ..., 90%: "< 10%" when even the first step fails, else "30%"."""
    return "< 10%" if x < 0.1 else f"{x:.0%}"


def explain(evidence: list[Evidence], decision: Decision) -> Explanation:
    ev = EvidenceSet(evidence)
    heads = [int(h) for h in ev["heads"].value]
    parts = [f"{t}: " + ", ".join(f"h={h} {rules.fmt(ev[f'steps_{t}_h{h}'])}" for h in heads) for t in TASKS]
    summary = ("Median steps to the threshold for one encoder layer with d_model fixed, " + "; ".join(parts) + ". "
               + decision.rule)
    need = [h for h in heads if rules.reached_count(ev[f"steps_multi_h{h}"])[0] >= 4]
    fewest = need[0] if need else None
    acc1 = ev["acc_multi_h1"].number
    cov = ev["relations_covered"].number
    share = ev["prunable_multi"].number
    n = ev["acc_multi_h1"].n
    partial = ev.get("baseline_multi_all_but_one_relation")
    p_en = (f" (reading every relation but one and guessing it gives {partial.number:.2f}; chance "
            f"{ev['baseline_multi_chance'].number:.3f})" if partial is not None else "")
    p_zh = (f"(只读其余关系、猜测其中一个可得 {partial.number:.2f};随机猜测 {ev['baseline_multi_chance'].number:.3f})"
            if partial is not None else "")
    if fewest is not None:
        core_en = (f"one layer that must read three positions at once needs several heads: with {fewest} or more it "
                   f"learns the task, with one it stays at {acc1:.2f} accuracy{p_en}, and the heads split the "
                   f"positions between them ({cov:.1f} of 3 relations get a head of their own)")
        core_zh = (f"一层注意力要同时读三个位置时需要多个头:{fewest} 个及以上能学会,1 个头只有 {acc1:.2f} 的准确率"
                   f"{p_zh},而且各头分工(3 个关系中平均 {cov:.1f} 个有专门的头)")
    else:
        core_en = f"no head count learned the three-relation task within the budget (one head: {acc1:.2f} accuracy)"
        core_zh = f"在预算内没有哪种头数学会了三关系任务(1 个头:准确率 {acc1:.2f})"
    top = heads[-1]
    ratio = ev[f"steps_ratio_single_h{top}_h1"]
    verdicts = {c.name: c.verdict for c in decision.claims}
    if isinstance(ratio.value, str):
        more_en = f"on a single relation the steps of {top} heads and of one head cannot be compared ({ratio.value})"
        more_zh = f"单关系任务上 {top} 个头与 1 个头的步数无法比较({ratio.value})"
    else:
        more_en = (f"on a single relation {top} heads need {ratio.number:.2f}x the steps of one head "
                   f"({verdicts.get('more_not_always_better', 'inconclusive')} that more is not always better)")
        more_zh = (f"单关系任务上 {top} 个头需要 1 个头的 {ratio.number:.2f} 倍步数"
                   f"(“头越多不一定越好”:{rules.VERDICT_ZH[verdicts.get('more_not_always_better', 'inconclusive')]})")
    mini = ev["minilm_prunable"].number if "minilm_prunable" in ev else None
    removable = verdicts.get("heads_removable", "inconclusive")
    mini_en = f", all-MiniLM-L6-v2 {_grid_share(mini)}" if mini is not None else ""
    mini_zh = f",all-MiniLM-L6-v2 为 {_grid_share(mini)}" if mini is not None else ""
    answer_en = (f"Because {core_en}. But more is not always better: {more_en}. Whether many heads can be removed "
                 f"without retraining is {removable} here: {share:.0%} of {top} heads on average ({n} seeds){mini_en}, "
                 f"against the {MANY:.0%} the claim needs.")
    answer_zh = (f"因为{core_zh}。但头不是越多越好:{more_zh}。不重训能否删掉许多头,这里的结论是"
                 f"“{rules.VERDICT_ZH[removable]}”:{top} 个头平均可删 {share:.0%}({n} 个种子){mini_zh},"
                 f"而该说法需要 {MANY:.0%}。")
    if decision.verdict == "inconclusive":
        answer_en, answer_zh = rules.undecided_answer(decision.claims)
    return Explanation(summary=summary, answer_en=answer_en, answer_zh=answer_zh)


EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain))
