"""q10: why do attention heads put so much weight on the first token?

The common answer (Clark et al. 2019; Xiao et al. 2023, StreamingLLM; Miller 2023, "attention is off by
one"): softmax weights must sum to one, so a head with nothing to do must still put its weight somewhere; it
parks it on a token every query can see ([CLS]/[SEP] in BERT, the first token in a causal LM), where it
changes little (Kobayashi et al. 2020: what moves is weight x ‖value‖). Give the softmax somewhere else to put
the weight (a sink key with value 0: logit 0, the off-by-one softmax, or a learned logit) and the parking
should go away, at no cost. Five sub-claims, each measured:

1. **A pretrained encoder parks on [CLS]/[SEP].** all-MiniLM-L6-v2 on the built-in corpus: per layer, the
   mean weight on [CLS] and [SEP] (over heads and query tokens) against 2/T, the share of uniform attention
   (ratio per sentence; t interval over sentences). The report's attention explorer shows its maps on a short
   sentence (:data:`SENTENCE`).
2. **The parked attention carries little.** The same share measured with a_ij ‖f_h(x_j)‖, f_h(x) =
   (x W_V + b_V) W_O (Kobayashi et al. 2020), over the share measured with a_ij.
3. **Trained causal LMs grow a first-token sink.** :class:`attnlab.models.TransformerLM` (2 layers, 4 heads,
   learned positions as GPT-2, a BOS token first) trained by next-token prediction on a block-copy stream
   (:class:`attnlab.data.BlockCopyTask` with ``dense=True``): the copies are predictable, the blocks are not,
   so heads that retrieve inside a copy have nothing to retrieve in a block. Per model, the largest
   first-token share of a head (queries 1 .. T - 1) against the uniform causal share, 5 seeds. Its null is
   the same statistic of the same model before training (a maximum over heads exceeds the uniform share
   by itself); the parking must rise over it.
4. **A sink removes it.** The same models with ``sink="zero"`` (off-by-one) and ``sink="learned"``: does the
   largest first-token share fall below twice the uniform share (no head parks any more)? The paired per-seed
   drop of that share and the weight the sink takes are reported beside it, and so are the learned sink
   logits after training (trained from 0 like every parameter; if they stay near 0 the learned sink is
   close to the off-by-one one and not an independent second test).
5. **At no cost.** Paired accuracy on the predictable tokens, and steps to 0.9 there. When every condition's
   mean accuracy is at the ceiling (>= 1 - the 0.02 margin) the accuracy half cannot fail, so a pass there is
   only qualified: no cost detectable at the ceiling.

All models train for the same fixed budget (sinks form with training, so there is no early stop); the
accuracy on the predictable tokens and the steps to reach 0.9 there are the convergence check.
"""

from __future__ import annotations

from typing import Any

import torch

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

__all__ = ["QUESTION", "SENTENCE", "lm_trial", "minilm_trial", "predictable_accuracy"]

QUESTION = Question(
    qid="q10",
    title="Why do heads attend to the first token?",
    question="Why do attention heads put so much of their weight on the first token ([CLS]/[SEP] in BERT, the "
             "first token in a language model)?",
    question_zh="为什么注意力头会把大量权重放在第一个 token 上(BERT 的 [CLS]/[SEP],语言模型的首个 token)?",
    claim="Softmax weights must sum to one, so heads with nothing to attend to park their weight on a token every "
          "query sees, where it changes little; a sink (off-by-one softmax) removes the parking at no cost "
          "(Clark et al. 2019; Kobayashi et al. 2020; Xiao et al. 2023).",
    claim_zh="softmax 的权重之和必须为 1,无事可做的头只能把权重“停放”在每个查询都能看到的 token 上,几乎不改变输出;"
             "加一个 sink(off-by-one softmax)即可消除这种停放,且不损失效果。",
    group="beyond",
)

CONDITIONS = ("softmax", "zero", "learned")  # the full profile adds "gate"
VARIANT_KW = {"softmax": {}, "zero": {"sink": "zero"}, "learned": {"sink": "learned"}, "gate": {"gate": "sigmoid"}}
VARIANT_LABEL = {"softmax": "softmax", "zero": "off-by-one (sink logit 0)", "learned": "learned sink logit",
                 "gate": "sigmoid output gate"}
VARIANT_SHORT = {"softmax": "softmax", "zero": "off-by-one", "learned": "learned sink", "gate": "gate"}
VARIANT_ZH = {"softmax": "softmax", "zero": "off-by-one(sink logit 为 0)", "learned": "可学习的 sink logit",
              "gate": "sigmoid 输出门"}
BASELINE_ZH = {"chance": "随机猜测", "order_free": "不看顺序(在块内尚未复制的符号中均匀猜)"}
SENTENCE = "The cat sat on the mat."  # a short sentence for the report's attention explorer: [CLS]/[SEP] parking
THRESHOLD = 0.9
PARK_FACTOR = 2.0  # a share at least twice the uniform share counts as parked
LITTLE = 0.5  # norm-based share below half the weight share: the parked weight carries little
MIN_DROP = 0.05  # first-token share removed by a sink: a drop whose interval lies above this
ACC_MARGIN = 0.02  # accuracy cost within this is no cost
CEILING = 1.0 - ACC_MARGIN  # every condition's mean accuracy at or above this: no accuracy cost beyond the margin can
#   show (the paired difference of two means >= CEILING lies within ACC_MARGIN), so the accuracy test cannot fail
SINK_MOVED = 0.5  # a learned sink logit within +-this of its initial 0 scales the sink's pull e^σ by under 1.65
STEP_MARGIN = 1.5  # steps ratio beyond this is a cost
START = 1  # first query counted in the first-token share (query 0 can only see key 0)
RATIO = (0.0, None)
ACC = (0.0, 1.0)
DIFF = (-1.0, 1.0)

CLARK = Reference("Clark et al. 2019, §3 and §4", "In BERT-base over half of the attention of layers 6-10 goes "
                  "to [SEP]; gradients show it hardly matters (a no-op); early layers attend to [CLS].",
                  "BERT-base, Wikipedia segments", "supports", "https://arxiv.org/abs/1906.04341")
KOBAYASHI = Reference("Kobayashi et al. 2020, §4-5", "Weighting each attention weight by the norm of its "
                      "transformed value, attention to [CLS]/[SEP] and punctuation shrinks sharply: those tokens "
                      "get large weights but small transformed vectors.", "BERT-base, Wikipedia", "supports",
                      "https://arxiv.org/abs/2004.10102")
XIAO = Reference("Xiao et al. 2023 (StreamingLLM), §3", "LLMs put a large share of attention on the initial "
                 "tokens whatever they are; keeping 4 of them in a sliding window restores streaming perplexity; "
                 "pre-training with a dedicated sink token (or off-by-one softmax, 'SoftMax1') gives one sink.",
                 "Llama-2, MPT, Falcon, Pythia 7B-70B; 160M models pre-trained", "supports",
                 "https://arxiv.org/abs/2309.17453")
QIU = Reference("Qiu et al. 2025 (gated attention), §4.3", "A sigmoid gate after attention cuts the first-token "
                "share of attention from 46.7% to 4.8% (averaged over layers and heads).",
                "1.7B dense and 15B MoE LMs, 3.5T tokens", "supports", "https://arxiv.org/abs/2505.06708")
GU = Reference("Gu et al. 2024, §3-7", "Sinks emerge during pre-training once the model is optimised on enough "
               "data, even in small LMs and on random tokens; they act like key biases and vanish when softmax is "
               "replaced by un-normalised sigmoid attention.", "LLaMA-style LMs, 14M-1B parameters", "context",
               "https://arxiv.org/abs/2410.10781")
BARBERO = Reference("Barbero et al. 2025, §3-5", "Sinks are useful: they keep deep, long-context models from "
                    "over-mixing token representations, and grow with depth and context length.",
                    "Gemma 7B, LLaMA 3.1; pre-training ablations", "context", "https://arxiv.org/abs/2504.02732")


# ----------------------------------------------------------------------------------------------------
# Trials
# ----------------------------------------------------------------------------------------------------


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """[CLS]/[SEP] weight and norm-based shares per sentence, layer and head of all-MiniLM-L6-v2, and the
    attention maps (L, H, T, T) of :data:`SENTENCE`."""
    from attnlab.analysis.corpus import load_corpus
    from attnlab.analysis.sinks import special_token_shares
    from attnlab.pretrained import PretrainedUnavailable, load

    try:
        model = load("all-MiniLM-L6-v2")
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    texts = load_corpus(n=config["n_texts"], seed=config["seed"])
    s = special_token_shares(model, texts)
    tokens, maps = model.attentions(SENTENCE)  # for the report's explorer
    return {"tokens": tokens, "weights": torch.stack(maps).round(decimals=4).tolist(),
            "weight": s.weight.mean(2).tolist(), "norm": s.norm.mean(2).tolist(),  # (N, L): mean over heads
            "weight_heads": s.weight.mean(0).tolist(), "norm_heads": s.norm.mean(0).tolist(),  # (L, H)
            "uniform": s.uniform.tolist(), "mean_tokens": float(s.n_tokens.float().mean())}


@torch.no_grad()
def predictable_accuracy(model: torch.nn.Module, batch: Any) -> float:
    """Accuracy of a causal LM on the targets marked ``batch.extra["predictable"]``."""
    was = model.training
    model.eval()
    pred = model(batch.inputs).logits.argmax(-1)  # (B, T)
    mask = batch.extra["predictable"]
    model.train(was)
    return float((pred == batch.targets)[mask].float().mean())


def _lm_task(config: dict[str, Any]):
    return make_task("block_copy", n_blocks=config["n_blocks"], block_len=config["block_len"],
                     n_symbols=2 * config["block_len"], bos=True, dense=True)


def lm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one sink condition for one seed for a fixed budget; accuracy, steps and attention on the first token
    (after training and, as the statistic's null, at initialisation), and the learned sink logits (L, H)."""
    from attnlab.analysis.sinks import first_token_share, sink_mass
    from attnlab.attention.multihead import MultiHeadAttention
    from attnlab.models import TransformerLM

    task = _lm_task(config)
    d = config["d_model"]
    model = TransformerLM(vocab_size=task.vocab_size, d_model=d, n_heads=4, n_layers=2, d_ff=2 * d,
                          max_len=task.seq_len, positions="learned", tie_embeddings=False,
                          **VARIANT_KW[config["condition"]])
    test = task.sample(config["n_eval"], torch.Generator().manual_seed(20_000 + config["seed"]))
    model.eval()
    with torch.no_grad():  # the same statistic before any training: what a max over heads gives by itself
        first_init = first_token_share(model(test.inputs, need_weights=True).attentions, START)  # (L, H)
    probe = task.sample(128, torch.Generator().manual_seed(10_000 + config["seed"]))  # the learning curve's batch
    curve: list[list[float]] = []

    def track(step: int, m: torch.nn.Module) -> None:
        if step % config["eval_every"] == 0 or step == config["steps"]:
            curve.append([step, round(predictable_accuracy(m, probe), 4)])

    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["steps"], early_stop=False, callback=track)
    model.eval()
    with torch.no_grad():
        weights = model(test.inputs, need_weights=True).attentions  # per layer (B, H, T, T)
    first = first_token_share(weights, START)  # (L, H)
    sink_logits = [m.sink_logits.detach().tolist() for m in model.modules()
                   if isinstance(m, MultiHeadAttention) and m.sink_logits is not None]  # (L, H), trained from 0
    return {"accuracy": predictable_accuracy(model, test), "lm_accuracy": out["accuracy"],
            "steps_to_threshold": next((int(s) for s, a in curve if a >= THRESHOLD), None), "curve": curve,
            "first_share": first.tolist(), "first_share_init": first_init.tolist(),
            "sink_mass": sink_mass(weights, START).tolist(), "sink_logits": sink_logits, "seq_len": task.seq_len}


def _settings(profile: str) -> dict[str, Any]:
    return pick(profile,
                tiny=dict(n_blocks=1, block_len=4, d_model=16, steps=30, batch_size=16, lr=3e-3, eval_every=10,
                          n_eval=32, n_texts=8, conditions=list(CONDITIONS)),
                quick=dict(n_blocks=2, block_len=8, d_model=32, steps=400, batch_size=32, lr=3e-3, eval_every=25,
                           n_eval=256, n_texts=64, conditions=list(CONDITIONS)),
                full=dict(n_blocks=4, block_len=8, d_model=64, steps=3000, batch_size=64, lr=2e-3, eval_every=50,
                          n_eval=1024, n_texts=800, conditions=[*CONDITIONS, "gate"]))


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = _settings(profile)
    train = {k: s[k] for k in ("n_blocks", "block_len", "d_model", "steps", "batch_size", "lr", "eval_every",
                               "n_eval")}
    return [*[Trial(lm_trial, {"kind": "lm", "condition": c, "seed": seed, **train})
              for c in s["conditions"] for seed in seeds],
            Trial(minilm_trial, {"kind": "minilm", "seed": 0, "n_texts": s["n_texts"]})]


# ----------------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------------


def _max_head(first: list[list[float]]) -> float:
    return max(x for row in first for x in row)


def _mean_head(first: list[list[float]]) -> float:
    flat = [x for row in first for x in row]
    return sum(flat) / len(flat)


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.analysis.sinks import uniform_first_share

    lms = outcomes.where(kind="lm")
    first = lms[0].config
    conditions = [c for c in (*CONDITIONS, "gate") if outcomes.where(kind="lm", condition=c)]
    seq_len = lms[0].measurements["seq_len"]
    uniform = uniform_first_share(seq_len, START)
    task = _lm_task(first)
    ev: list[Evidence] = [
        Evidence("lm_conditions", conditions, label="attention variants of the trained LMs",
                 label_zh="训练的语言模型所用的注意力变体"),
        Evidence("lm_uniform_first_share", uniform, unit="share", bounds=ACC, label=f"first-token share of uniform "
                 f"causal attention over queries {START} .. {seq_len - 1} (exact)",
                 label_zh=f"均匀因果注意力给首个 token 的份额,查询 {START} .. {seq_len - 1}(精确值)"),
    ]
    shape = lms[0].measurements["first_share"]  # (L, H)
    ev.append(Evidence("lm_heads", len(shape) * len(shape[0]), unit="heads", label="heads per trained LM (layers x "
                       "heads): the largest first-token share is a maximum over them",
                       label_zh="每个训练的语言模型中的头数(层数 x 头数):最大首 token 份额是在这些头上取的最大值"))
    for base, value in task.baselines().items():
        ev.append(Evidence(f"baseline_{base}", value, unit="accuracy", bounds=ACC,
                           label=f"predictable tokens: {base.replace('_', '-')} baseline (exact)",
                           label_zh=f"可预测的 token:{BASELINE_ZH[base]}基线(精确值)"))
    per: dict[str, dict[str, list[float]]] = {}
    for c in conditions:
        runs = outcomes.where(kind="lm", condition=c)
        m = [o.measurements for o in runs]
        per[c] = {"acc": [x["accuracy"] for x in m], "max": [_max_head(x["first_share"]) for x in m],
                  "mean": [_mean_head(x["first_share"]) for x in m],
                  "steps": [x["steps_to_threshold"] for x in m]}
        if all("first_share_init" in x for x in m):
            per[c]["init"] = [_max_head(x["first_share_init"]) for x in m]
        name, name_zh = VARIANT_LABEL[c], VARIANT_ZH[c]
        ev.append(stats.evidence_from(f"acc_{c}", per[c]["acc"], unit="accuracy", bounds=ACC,
                                      label=f"accuracy on the predictable tokens, {name}",
                                      label_zh=f"可预测 token 上的准确率,{name_zh}"))
        ev.append(stats.steps_evidence(f"steps_{c}", per[c]["steps"], first["steps"],
                                       label=f"steps to {THRESHOLD} on the predictable tokens, {name}",
                                       label_zh=f"可预测 token 上达到 {THRESHOLD} 准确率所需步数,{name_zh}"))
        ev.append(stats.evidence_from(f"first_max_{c}", per[c]["max"], unit="share", bounds=ACC,
                                      label=f"largest first-token share of a head, {name}",
                                      label_zh=f"单个头给首个 token 的最大份额,{name_zh}"))
        ev.append(stats.evidence_from(f"first_max_ratio_{c}", [v / uniform for v in per[c]["max"]], unit="x uniform",
                                      bounds=RATIO, label=f"largest first-token share of a head over the uniform "
                                                          f"share, {name}",
                                      label_zh=f"单个头给首个 token 的最大份额 / 均匀份额,{name_zh}"))
        if "init" in per[c]:
            init = [v / uniform for v in per[c]["init"]]
            ev.append(stats.evidence_from(f"first_max_ratio_init_{c}", init, unit="x uniform", bounds=RATIO,
                                          label=f"the same ratio at initialisation (untrained, same seed and test "
                                                f"batch): the statistic's null, {name}",
                                          label_zh=f"初始化时(未训练,同一种子和测试批)的同一比值:该统计量的零假设参照,"
                                                   f"{name_zh}"))
            ev.append(stats.paired_evidence(f"first_max_growth_{c}", [v / uniform for v in per[c]["max"]], init,
                                            unit="x uniform", bounds=(None, None),
                                            label=f"largest first-token share over uniform, trained minus "
                                                  f"initialisation, {name}",
                                            label_zh=f"单个头给首个 token 的最大份额 / 均匀份额,训练后减去初始化时,"
                                                     f"{name_zh}"))
        if c == "learned" and all(x.get("sink_logits") for x in m):
            logits = [x["sink_logits"] for x in m]  # per seed (L, H)
            heads = [[sum(r[l][h] for r in logits) / len(logits) for h in range(len(logits[0][0]))]
                     for l in range(len(logits[0]))]
            ev.append(Evidence("sink_logit_learned_heads", heads, unit="logit (layer x head)",
                               label="learned sink logit per head after training (mean over seeds; initialised at 0)",
                               label_zh="训练后每个头的可学习 sink logit(各种子平均;初始值为 0)"))
            ev.append(stats.evidence_from("sink_logit_learned_max_abs", [max(abs(v) for row in r for v in row)
                                                                         for r in logits], unit="logit",
                                          bounds=(0, None), label="largest |learned sink logit| of a head, per model",
                                          label_zh="每个模型中各头可学习 sink logit 绝对值的最大值"))
        ev.append(stats.evidence_from(f"first_mean_{c}", per[c]["mean"], unit="share", bounds=ACC,
                                      label=f"first-token share averaged over heads and layers, {name}",
                                      label_zh=f"首个 token 的份额,对头和层取平均,{name_zh}"))
        ev.append(stats.evidence_from(f"sink_heads_{c}", [sum(x >= PARK_FACTOR * uniform for row in o["first_share"]
                                                              for x in row) for o in m], unit="heads",
                                      bounds=(0, None), label=f"heads giving the first token >= {PARK_FACTOR:g}x the "
                                                              f"uniform share, {name}",
                                      label_zh=f"给首个 token 至少 {PARK_FACTOR:g} 倍均匀份额的头数,{name_zh}"))
        if c != "softmax":
            ev.append(stats.evidence_from(f"sink_mass_{c}", [sum(x for row in o["sink_mass"] for x in row) /
                                                             sum(len(row) for row in o["sink_mass"]) for o in m],
                                          unit="share", bounds=ACC, label=f"weight left to the sink (mean over "
                                                                          f"heads), {name}",
                                          label_zh=f"留给 sink 的权重(对头取平均),{name_zh}"))
    for c in conditions[1:]:
        name, name_zh = VARIANT_LABEL[c], VARIANT_ZH[c]
        ev.append(stats.paired_evidence(f"first_max_drop_{c}", per["softmax"]["max"], per[c]["max"], unit="share",
                                        bounds=DIFF, label=f"largest first-token share, softmax minus {name}",
                                        label_zh=f"单个头给首个 token 的最大份额,softmax 减去 {name_zh}"))
        ev.append(stats.paired_evidence(f"first_mean_drop_{c}", per["softmax"]["mean"], per[c]["mean"], unit="share",
                                        bounds=DIFF, label=f"mean first-token share, softmax minus {name}",
                                        label_zh=f"首个 token 的平均份额,softmax 减去 {name_zh}"))
        ev.append(stats.paired_evidence(f"acc_diff_{c}", per[c]["acc"], per["softmax"]["acc"], unit="accuracy",
                                        bounds=DIFF, label=f"accuracy on the predictable tokens, {name} minus "
                                                           "softmax",
                                        label_zh=f"可预测 token 上的准确率,{name_zh} 减去 softmax"))
        ev.append(stats.paired_ratio_evidence(f"steps_ratio_{c}", per[c]["steps"], per["softmax"]["steps"],
                                              label=f"steps to {THRESHOLD}, {name} / softmax (seeds where both "
                                                    "reached it)", unit="x",
                                              label_zh=f"达到 {THRESHOLD} 的步数之比,{name_zh} / softmax"
                                                       "(仅计两者都达到的种子)"))
    mini = outcomes.one(kind="minilm").measurements
    if "unavailable" not in mini:
        ev.append(Evidence("minilm_available", "yes", label="all-MiniLM-L6-v2 analysed",
                           label_zh="已分析 all-MiniLM-L6-v2"))
        ev.extend(_minilm_evidence(mini))
    else:
        ev.append(Evidence("minilm_available", "no", label=f"all-MiniLM-L6-v2 not analysed: {mini['unavailable']}",
                           label_zh=f"未分析 all-MiniLM-L6-v2:{mini['unavailable']}"))
    config = {"task": task.config(), "conditions": conditions, "threshold": THRESHOLD, "park_factor": PARK_FACTOR,
              "first_token_queries": f"{START} .. T - 1", "model": "TransformerLM, 2 layers, 4 heads, learned "
              "positions, d_ff = 2 d_model, untied output layer",
              **{k: first[k] for k in ("d_model", "steps", "batch_size", "lr", "eval_every", "n_eval")},
              "minilm_sentences": outcomes.one(kind="minilm").config["n_texts"]}
    maps = []
    if "unavailable" not in mini:
        maps.append(AttentionMap(f"all-MiniLM-L6-v2 on \"{SENTENCE}\": how much weight do the heads park on [CLS] "
                                 "and [SEP]?", mini["tokens"], mini["weights"],
                                 f"all-MiniLM-L6-v2 读 \"{SENTENCE}\":各个头把多少权重停放在 [CLS] 和 [SEP] 上?"))
    return Aggregate(ev, _plots(EvidenceSet(ev), outcomes, conditions),
                     config, [CLARK, KOBAYASHI, XIAO, QIU, GU, BARBERO], maps)


def _minilm_evidence(mini: dict[str, Any]) -> list[Evidence]:
    weight, norm, uniform = mini["weight"], mini["norm"], mini["uniform"]  # (N, L), (N, L), (N,)
    n_layers = len(weight[0])
    ev = [Evidence("minilm_layers", n_layers, unit="layers", label="all-MiniLM-L6-v2 layers",
                   label_zh="all-MiniLM-L6-v2 的层数"),
          stats.evidence_from("minilm_uniform_share", uniform, unit="share", bounds=ACC, over="sentences",
                              label=f"2/T: the [CLS]+[SEP] share of uniform attention (sentences of "
                                    f"{mini['mean_tokens']:.1f} tokens on average)",
                              label_zh=f"2/T:均匀注意力给 [CLS]+[SEP] 的份额(句子平均 {mini['mean_tokens']:.1f} 个 "
                                       "token)"),
          Evidence("minilm_special_share_heads", mini["weight_heads"], unit="share (layer x head)",
                   label="all-MiniLM-L6-v2: weight on [CLS]+[SEP] per head",
                   label_zh="all-MiniLM-L6-v2:每个头放在 [CLS]+[SEP] 上的权重"),
          Evidence("minilm_norm_share_heads", mini["norm_heads"], unit="share (layer x head)",
                   label="all-MiniLM-L6-v2: norm-based share on [CLS]+[SEP] per head",
                   label_zh="all-MiniLM-L6-v2:每个头在 [CLS]+[SEP] 上基于范数的份额")]
    for l in range(n_layers):
        w = [row[l] for row in weight]
        nb = [row[l] for row in norm]
        layer, layer_zh = f"all-MiniLM-L6-v2 layer {l + 1}", f"all-MiniLM-L6-v2 第 {l + 1} 层"
        ev.append(stats.evidence_from(f"minilm_special_share_l{l + 1}", w, unit="share", bounds=ACC, over="sentences",
                                      label=f"{layer}: weight on [CLS]+[SEP]",
                                      label_zh=f"{layer_zh}:放在 [CLS]+[SEP] 上的权重"))
        ratio = [a / u for a, u in zip(w, uniform, strict=True)]
        ev.append(stats.evidence_from(f"minilm_special_ratio_l{l + 1}", ratio,
                                      unit="x uniform", bounds=RATIO, over="sentences",
                                      label=f"{layer}: weight on [CLS]+[SEP] over 2/T",
                                      label_zh=f"{layer_zh}:放在 [CLS]+[SEP] 上的权重 / 2/T"))
        ev.append(stats.evidence_from(f"minilm_norm_share_l{l + 1}", nb, unit="share", bounds=ACC, over="sentences",
                                      label=f"{layer}: norm-based share on [CLS]+[SEP]",
                                      label_zh=f"{layer_zh}:[CLS]+[SEP] 上基于范数的份额"))
        ev.append(stats.evidence_from(f"minilm_norm_over_weight_l{l + 1}",
                                      [b / max(a, 1e-12) for a, b in zip(w, nb, strict=True)], unit="x",
                                      bounds=RATIO, over="sentences",
                                      label=f"{layer}: norm-based share over weight share",
                                      label_zh=f"{layer_zh}:基于范数的份额 / 权重份额"))
    return ev


def _plots(es: EvidenceSet, outcomes: Outcomes, conditions: list[str]) -> list[Plot]:
    uniform = es["lm_uniform_first_share"].number
    bars = []
    for stat, title in (("first_max", "largest first-token share of a head"),
                        ("first_mean", "mean first-token share (all heads)")):
        e = [es[f"{stat}_{c}"] for c in conditions]
        bars.append(Panel(kind="bar", title=title, ylabel="share of attention", ylim=(0, 1),
                          series=[Series("trained LMs", [VARIANT_SHORT[c] for c in conditions], [x.number for x in e],
                                         [rules.interval(x)[0] for x in e], [rules.interval(x)[1] for x in e])],
                          lines=[RefLine(uniform, "uniform causal attention"),
                                 RefLine(PARK_FACTOR * uniform, f"{PARK_FACTOR:g}x uniform")]))
    panels = []
    if "minilm_layers" in es:
        layers = list(range(1, int(es["minilm_layers"].number) + 1))
        series = []
        for key, label in (("special_share", "attention weight"), ("norm_share", "weight x ‖value‖ (Kobayashi)")):
            e = [es[f"minilm_{key}_l{l}"] for l in layers]
            series.append(Series(label, layers, [x.number for x in e], [rules.interval(x)[0] for x in e],
                                 [rules.interval(x)[1] for x in e]))
        panels.append(Panel(title="all-MiniLM-L6-v2: share on [CLS]+[SEP] by layer", xlabel="layer",
                            ylabel="share", ylim=(0, 1), series=series,
                            lines=[RefLine(es["minilm_uniform_share"].number, "2/T (uniform)")]))
    lms = ("our causal LMs after training, with and without a sink: the largest first-token share of a head and the "
           "mean over heads (mean over seeds, 95% intervals).",
           "我们训练后的因果语言模型,有无 sink:单个头给首个 token 的最大份额及各头平均份额(各种子平均,95% 区间)。")
    if panels:
        caption = ("Left: a pretrained encoder's attention on [CLS]/[SEP], by weight and by weight x norm of the "
                   "transformed value (mean over sentences, 95% intervals). Right: " + lms[0])
        caption_zh = ("左:预训练编码器放在 [CLS]/[SEP] 上的注意力,按权重和按权重 x 变换后 value 的范数计"
                      "(各句子平均,95% 区间)。右:" + lms[1])
    else:
        caption, caption_zh = lms[0][0].upper() + lms[0][1:], lms[1]
    headline = Plot("first_token_share", "Where the weight is parked", [*panels, *bars], headline=True,
                    caption=caption, title_zh="权重停放在哪里", caption_zh=caption_zh)
    plots = [headline]
    heat = []
    for c in conditions:
        runs = [o.measurements["first_share"] for o in outcomes.where(kind="lm", condition=c)]
        mean = [[sum(r[l][h] for r in runs) / len(runs) for h in range(len(runs[0][0]))] for l in range(len(runs[0]))]
        heat.append(Panel(kind="heatmap", title=VARIANT_LABEL[c], xlabel="head", ylabel="layer",
                          heatmap=Heatmap(mean, [str(i + 1) for i in range(len(mean))],
                                          [str(i + 1) for i in range(len(mean[0]))], vmin=0.0, vmax=0.5)))
    plots.append(Plot("first_token_heads", "First-token share per head of the trained LMs (mean over seeds)", heat,
                      caption=f"Uniform causal attention gives {uniform:.3f}.",
                      title_zh="训练的语言模型中每个头给首个 token 的份额(各种子平均)",
                      caption_zh=f"均匀因果注意力给出 {uniform:.3f}。"))
    if "minilm_special_share_heads" in es:
        two_t = es["minilm_uniform_share"].number
        for key, title, title_zh in (("special", "weight", "权重"), ("norm", "weight x ‖value‖", "权重 x ‖value‖")):
            values = es[f"minilm_{key}_share_heads"].value
            plots.append(Plot(f"minilm_{key}_heads", f"all-MiniLM-L6-v2: {title} on [CLS]+[SEP] per head", [
                Panel(kind="heatmap", title=title, xlabel="head", ylabel="layer",
                      heatmap=Heatmap(values, [str(i + 1) for i in range(len(values))],
                                      [str(i + 1) for i in range(len(values[0]))], vmin=0.0, vmax=1.0))],
                caption=f"Mean over sentences and query tokens; uniform attention gives 2/T, {two_t:.2f} on average.",
                title_zh=f"all-MiniLM-L6-v2:每个头在 [CLS]+[SEP] 上的{title_zh}",
                caption_zh=f"对句子和查询 token 取平均;均匀注意力给出 2/T,平均为 {two_t:.2f}。"))
    return plots


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------


def _span(values: list[float], digits: int = 1) -> str:
    """``"2.3–6.3"`` (or one value when they round alike): the range of point values."""
    lo, hi = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return lo if lo == hi else f"{lo}–{hi}"


_MORE_SEEDS = ("More seeds (or sentences), so that the intervals that straddle the bar fall on one side of it.",
               "增加种子数(或句子数),使跨过界线的区间落到它的一侧。")


def at_ceiling(ev: EvidenceSet | dict) -> bool:
    """Every condition's mean accuracy on the predictable tokens is at least :data:`CEILING`: then no paired
    accuracy difference can lie beyond -:data:`ACC_MARGIN`, and the accuracy half of "no cost" cannot fail."""
    return all(ev[f"acc_{c}"].number >= CEILING for c in ev["lm_conditions"].value)


def _learned_logits(ev: EvidenceSet | dict) -> tuple[str, str] | None:
    """Where the learned sink logits ended, in words (English, Chinese), or None without that evidence."""
    if "sink_logit_learned_heads" not in ev:
        return None
    flat = [v for row in ev["sink_logit_learned_heads"].value for v in row]
    big = ev["sink_logit_learned_max_abs"]
    lo, hi = min(flat), max(flat)
    near = rules.interval(big)[1] < SINK_MOVED
    tail = ((f"within ±{SINK_MOVED} of 0: the learned sink stayed close to the off-by-one sink (logit 0), so it is "
             "not an independent second test",
             f"在 0 的 ±{SINK_MOVED} 以内:可学习的 sink 几乎停在 off-by-one sink(logit 0)上,因此并不是独立的第二个检验")
            if near else (f"moved beyond ±{SINK_MOVED} from 0", f"离开 0 超过 ±{SINK_MOVED}"))
    return (f"the learned sink logits (initialised at 0) end at {lo:+.3f} to {hi:+.3f} per head (mean over seeds; "
            f"largest |logit| per model {rules.fmt(big)}), {tail[0]}",
            f"可学习的 sink logit(初始值为 0)训练后每个头在 {lo:+.3f} 到 {hi:+.3f} 之间(各种子平均;"
            f"每个模型的最大绝对值 {rules.fmt(big)}),{tail[1]}")


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    conditions = list(ev["lm_conditions"].value)
    variants = conditions[1:]
    learned = [rules.reached_check(f"learned_{c}", ev[f"steps_{c}"], what=VARIANT_LABEL[c], what_zh=VARIANT_ZH[c])
               for c in conditions]
    have_minilm = "minilm_layers" in ev
    minilm = Check("minilm_available", have_minilm, "all-MiniLM-L6-v2 measured" if have_minilm else
                   "all-MiniLM-L6-v2 weights not installed: the encoder sub-claims cannot be measured",
                   "已测量 all-MiniLM-L6-v2" if have_minilm else
                   "未安装 all-MiniLM-L6-v2 的权重:无法测量编码器的子结论")
    layers = list(range(1, int(ev["minilm_layers"].number) + 1)) if have_minilm else []
    parked_layers = [l for l in layers if rules.interval(ev[f"minilm_special_ratio_l{l}"])[0] > PARK_FACTOR]
    some_parked = Check("minilm_parks_somewhere", bool(parked_layers),
                        f"{len(parked_layers)} of {len(layers)} layers park (needed for the norm-based view)",
                        f"{len(layers)} 层中有 {len(parked_layers)} 层停放权重(基于范数的分析需要至少一层)")
    ratio = ev[f"first_max_ratio_{conditions[0]}"]
    has_sink = Check("softmax_lm_has_sink", rules.interval(ratio)[0] > PARK_FACTOR,
                     f"softmax LMs: largest first-token share {rules.fmt(ratio)} x uniform (need > {PARK_FACTOR:g})",
                     f"softmax 语言模型:单个头给首个 token 的最大份额是均匀份额的 {rules.fmt(ratio)} 倍"
                     f"(需要 > {PARK_FACTOR:g})")

    def encoder_parks() -> rules.Ruling:
        not_parked = [l for l in layers if rules.interval(ev[f"minilm_special_ratio_l{l}"])[1] < PARK_FACTOR]
        verdict = ("confirmed" if 2 * len(parked_layers) >= len(layers) else "refuted"
                   if len(not_parked) == len(layers) else "qualified" if parked_layers else "inconclusive")
        per = ", ".join(f"{rules.fmt(ev[f'minilm_special_ratio_l{l}'], 1)}" for l in layers)
        span = _span([ev[f"minilm_special_ratio_l{l}"].number for l in layers])
        n_sent = ev["minilm_uniform_share"].n
        change = {
            "confirmed": (f"Fewer than half of the layers with an interval above {PARK_FACTOR:g}x uniform, e.g. on "
                          "other text.", f"区间高于均匀份额 {PARK_FACTOR:g} 倍的层不到一半,例如换一批文本时。"),
            "qualified": (f"At least half of the layers above {PARK_FACTOR:g}x uniform (confirmed), or every layer "
                          "below it (refuted).",
                          f"至少一半的层高于均匀份额的 {PARK_FACTOR:g} 倍(成立),或每一层都低于它(不成立)。"),
            "refuted": (f"A layer whose interval lies above {PARK_FACTOR:g}x uniform.",
                        f"某一层的区间高于均匀份额的 {PARK_FACTOR:g} 倍。"),
            "inconclusive": _MORE_SEEDS,
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: weight on [CLS]+[SEP] over the uniform share 2/T ({rules.fmt(ev['minilm_uniform_share'])}), "
            f"layers 1-{len(layers)}: {per}. Rule: confirmed if at least half of the layers lie above "
            f"{PARK_FACTOR:g}x (interval), refuted if every layer lies below, qualified if some layers park, else "
            "inconclusive.",
            f"Over {n_sent} sentences, the layers of all-MiniLM-L6-v2 give [CLS] and [SEP] {span} times their "
            f"uniform share 2/T; the interval lies above {PARK_FACTOR:g}x in {len(parked_layers)} of {len(layers)} "
            f"layers and below it in {len(not_parked)}.",
            f"在 {n_sent} 个句子上,all-MiniLM-L6-v2 各层给 [CLS] 和 [SEP] 的注意力是均匀份额 2/T 的 {span} 倍;"
            f"{len(layers)} 层中区间高于 {PARK_FACTOR:g} 倍的有 {len(parked_layers)} 层,"
            f"低于的有 {len(not_parked)} 层。",
            *change)

    def carries_little() -> rules.Ruling:
        r = {l: rules.interval(ev[f"minilm_norm_over_weight_l{l}"]) for l in parked_layers}
        little = [l for l, (_, hi) in r.items() if hi < LITTLE]
        less = [l for l, (_, hi) in r.items() if hi < 1.0]
        more = [l for l, (lo, _) in r.items() if lo > 1.0]
        verdict = ("confirmed" if len(little) == len(r) else "refuted" if len(more) == len(r)
                   else "qualified" if len(less) == len(r) else "inconclusive")
        per = ", ".join(f"layer {l}: {rules.fmt(ev[f'minilm_norm_over_weight_l{l}'], 2)}" for l in parked_layers)
        span = _span([ev[f"minilm_norm_over_weight_l{l}"].number for l in parked_layers], 2)
        change = {
            "confirmed": (f"A parking layer whose norm-based share is not clearly below {LITTLE} of its weight share "
                          "(interval reaching it).",
                          f"某个停放层基于范数的份额不再明显低于其权重份额的 {LITTLE}(区间达到它)。"),
            "qualified": (f"Every parking layer below {LITTLE} (confirmed), or every one above 1 (refuted).",
                          f"每个停放层都低于 {LITTLE}(成立),或都高于 1(不成立)。"),
            "refuted": ("A parking layer whose norm-based share lies below its weight share (interval below 1).",
                        "某个停放层基于范数的份额低于其权重份额(区间低于 1)。"),
            "inconclusive": _MORE_SEEDS,
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: in the parking layers, the norm-based share over the weight share is {per}. Rule: confirmed "
            f"if every interval lies below {LITTLE}; qualified if below 1 (smaller, not by half); refuted if every "
            "one lies above 1; else inconclusive.",
            f"Weighting each attention weight by the norm of its transformed value turns the share on [CLS]/[SEP] "
            f"into {span} times the weight share in the {len(r)} parking layers (below {LITTLE} in {len(little)}, "
            f"below 1 in {len(less)}, above 1 in {len(more)}).",
            f"把每个注意力权重乘上变换后 value 的范数,{len(r)} 个停放层中 [CLS]/[SEP] 的份额变为权重份额的 {span} 倍"
            f"(低于 {LITTLE} 的 {len(little)} 层,低于 1 的 {len(less)} 层,高于 1 的 {len(more)} 层)。",
            *change)

    def lm_sink() -> rules.Ruling:
        lo, hi = rules.interval(ratio)
        growth = ev["first_max_growth_softmax"]
        grew = rules.interval(growth)[0] > 0
        verdict = ("confirmed" if lo > PARK_FACTOR and grew else "qualified" if lo > PARK_FACTOR
                   else "refuted" if hi < PARK_FACTOR else "inconclusive")
        u = ev["lm_uniform_first_share"].number
        init = ev["first_max_ratio_init_softmax"]
        change = {
            "confirmed": (f"A ratio whose interval reaches down to {PARK_FACTOR:g}x uniform, or a rise over the "
                          "untrained model whose interval reaches 0.",
                          f"该比值的区间向下达到均匀份额的 {PARK_FACTOR:g} 倍,或相对未训练模型的增幅区间达到 0。"),
            "qualified": ("A rise over the untrained model whose interval lies above 0 (confirmed), or a ratio below "
                          f"{PARK_FACTOR:g}x uniform (refuted).",
                          f"相对未训练模型的增幅区间高于 0(成立),或该比值低于均匀份额的 {PARK_FACTOR:g} 倍(不成立)。"),
            "refuted": (f"A ratio whose interval lies above {PARK_FACTOR:g}x uniform, e.g. after longer training "
                        "(sinks form with training).",
                        f"该比值的区间高于均匀份额的 {PARK_FACTOR:g} 倍,例如训练更久之后(sink 随训练形成)。"),
            "inconclusive": _MORE_SEEDS,
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: in causal LMs trained with softmax, the head that attends most to the first token gives it "
            f"{rules.fmt(ev['first_max_softmax'])} of its weight, {rules.fmt(ratio, 2)} times the uniform share "
            f"{u:.3f}; {rules.fmt(ev['sink_heads_softmax'], 1)} heads reach {PARK_FACTOR:g}x; the same statistic of "
            f"the untrained models (the null of a maximum over heads) is {rules.fmt(init, 2)}, a paired rise of "
            f"{rules.fmt(growth, 2)}. Rule: confirmed if the ratio's interval lies above {PARK_FACTOR:g} and the "
            f"rise's above 0; qualified if above {PARK_FACTOR:g} without a rise over the untrained models; refuted "
            f"if below {PARK_FACTOR:g}; else inconclusive.",
            f"In our causal LMs trained with softmax, the head that attends most to the first token gives it "
            f"{rules.fmt(ratio, 2)} times the uniform causal share {u:.3f}; before training the same statistic is "
            f"{rules.fmt(init, 2)} (paired rise {rules.fmt(growth, 2)}).",
            f"在用 softmax 训练的因果语言模型中,最关注首个 token 的头给它的注意力是均匀因果份额 {u:.3f} 的 "
            f"{rules.fmt(ratio, 2)} 倍;训练前同一统计量为 {rules.fmt(init, 2)}(配对增幅 {rules.fmt(growth, 2)})。",
            *change)

    def sink_removes() -> rules.Ruling:
        ratios = {c: rules.interval(ev[f"first_max_ratio_{c}"]) for c in variants}
        gone = [c for c, (_, hi) in ratios.items() if hi < PARK_FACTOR]
        stays = [c for c, (lo, _) in ratios.items() if lo > PARK_FACTOR]
        verdict = ("confirmed" if len(gone) == len(variants) else "refuted" if len(stays) == len(variants)
                   else "qualified" if gone else "inconclusive")
        per = "; ".join(f"{VARIANT_LABEL[c]}: largest head {rules.fmt(ev[f'first_max_ratio_{c}'], 2)}x uniform, "
                        f"paired drop of its share {rules.fmt(ev[f'first_max_drop_{c}'])} (mean over heads "
                        f"{rules.fmt(ev[f'first_mean_drop_{c}'])}), the sink takes {rules.fmt(ev[f'sink_mass_{c}'])}"
                        for c in variants)
        en = "; ".join(f"with {VARIANT_LABEL[c]} {rules.fmt(ev[f'first_max_ratio_{c}'], 2)} (the sink takes "
                       f"{ev[f'sink_mass_{c}'].number:.3f} of the weight)" for c in variants)
        zh = ";".join(f"{VARIANT_ZH[c]}:{rules.fmt(ev[f'first_max_ratio_{c}'], 2)}(sink 拿走 "
                      f"{ev[f'sink_mass_{c}'].number:.3f} 的权重)" for c in variants)
        logit = _learned_logits(ev)
        logit_en, logit_zh = (f"; {logit[0]}", f";{logit[1]}") if logit else ("", "")
        change = {
            "confirmed": (f"A variant whose largest first-token share reaches {PARK_FACTOR:g}x uniform (interval).",
                          f"某个变体中单个头给首个 token 的最大份额达到均匀份额的 {PARK_FACTOR:g} 倍(区间)。"),
            "qualified": (f"Every variant below {PARK_FACTOR:g}x uniform (confirmed), or every one above (refuted).",
                          f"所有变体都低于均匀份额的 {PARK_FACTOR:g} 倍(成立),或都高于(不成立)。"),
            "refuted": (f"A variant whose largest first-token share lies below {PARK_FACTOR:g}x uniform, e.g. with "
                        "longer training or larger models, where sinks are reported to take the weight.",
                        f"某个变体中单个头给首个 token 的最大份额低于均匀份额的 {PARK_FACTOR:g} 倍,例如训练更久或"
                        "模型更大时(文献报告 sink 在那里接过了权重)。"),
            "inconclusive": _MORE_SEEDS,
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: {per}{logit_en}. Rule: confirmed if with every variant the largest first-token share lies "
            f"below {PARK_FACTOR:g}x uniform (interval: no head parks any more), refuted if with every variant it "
            "still lies above, qualified if it is gone with some variants, else inconclusive.",
            f"The largest first-token share of a head, in uniform shares: with softmax {rules.fmt(ratio, 2)}; "
            f"{en}; it lies below {PARK_FACTOR:g}x with {len(gone)} of {len(variants)} sink variants{logit_en}. "
            "The mean first-token share over heads drops by "
            + ", ".join(f"{rules.fmt(ev[f'first_mean_drop_{c}'])} ({VARIANT_SHORT[c]})" for c in variants)
            + ": measured in these small 2-layer LMs, not at the scale where sinks are reported to take the weight.",
            f"单个头给首个 token 的最大份额(以均匀份额为单位):softmax:{rules.fmt(ratio, 2)};{zh};"
            f"{len(variants)} 个 sink 变体中有 {len(gone)} 个低于 {PARK_FACTOR:g} 倍{logit_zh}。"
            "各头平均的首 token 份额下降 "
            + "、".join(f"{rules.fmt(ev[f'first_mean_drop_{c}'])}({VARIANT_SHORT[c]})" for c in variants)
            + ":这是在小型 2 层语言模型上的测量,不是文献报告 sink 接过权重的那种规模。",
            *change)

    def no_cost() -> rules.Ruling:
        worse, fine = [], []
        for c in variants:
            lo, hi = rules.interval(ev[f"acc_diff_{c}"])
            s = ev[f"steps_ratio_{c}"]
            s_lo, s_hi = rules.interval(s) if not isinstance(s.value, str) else (1.0, 1.0)
            if hi < -ACC_MARGIN or s_lo > STEP_MARGIN:
                worse.append(c)
            elif lo > -ACC_MARGIN and s_hi < STEP_MARGIN:
                fine.append(c)
        ceiling = at_ceiling(ev)
        verdict = ("confirmed" if len(fine) == len(variants) and not ceiling
                   else "refuted" if len(worse) == len(variants) else "qualified" if fine else "inconclusive")
        accs = ", ".join(f"{VARIANT_SHORT[c]} {ev[f'acc_{c}'].number:.3f}" for c in conditions)
        accs_zh = "、".join(f"{VARIANT_SHORT[c]} {ev[f'acc_{c}'].number:.3f}" for c in conditions)
        ceil_en = (f" Every condition is at the ceiling (mean accuracy {accs}, all >= {CEILING:g}), where no accuracy "
                   f"cost beyond {ACC_MARGIN} can show: no cost detectable at the ceiling, only the step ratios tested."
                   if ceiling else "")
        ceil_zh = (f"所有条件都在准确率上限处(平均准确率 {accs_zh},均 >= {CEILING:g}),在那里不可能出现超过 "
                   f"{ACC_MARGIN} 的准确率代价:在上限处检测不到代价,真正被检验的只有步数比。" if ceiling else "")
        per = "; ".join(f"{VARIANT_LABEL[c]}: accuracy {rules.fmt(ev[f'acc_diff_{c}'])}, steps "
                        f"{rules.fmt(ev[f'steps_ratio_{c}'], 2)}x" for c in variants)
        per_zh = ";".join(f"{VARIANT_ZH[c]}:准确率差 {rules.fmt(ev[f'acc_diff_{c}'])},步数为 "
                          f"{rules.fmt(ev[f'steps_ratio_{c}'], 2)} 倍" for c in variants)
        change = {
            "confirmed": (f"A variant losing more than {ACC_MARGIN} accuracy or needing over {STEP_MARGIN}x the "
                          "steps (interval).",
                          f"某个变体的准确率损失超过 {ACC_MARGIN},或所需步数超过 {STEP_MARGIN} 倍(区间)。"),
            "qualified": (("A task hard enough that some condition's mean accuracy falls below "
                           f"{CEILING:g}, with every variant still within the margins (confirmed), or every variant "
                           "beyond them (refuted).",
                           f"换一个足够难、使某个条件的平均准确率低于 {CEILING:g} 的任务,且所有变体仍在界限之内(成立),"
                           "或所有变体都超出界限(不成立)。") if ceiling and len(fine) == len(variants) else
                          ("Every variant within the margins (confirmed), or every one beyond them (refuted).",
                           "所有变体都在界限之内(成立),或都超出界限(不成立)。")),
            "refuted": (f"A variant whose accuracy interval lies above -{ACC_MARGIN} and whose step ratio's lies "
                        f"below {STEP_MARGIN}.",
                        f"某个变体的准确率差区间高于 -{ACC_MARGIN},且步数比区间低于 {STEP_MARGIN}。"),
            "inconclusive": _MORE_SEEDS,
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: variant minus softmax (paired): {per}; mean accuracy {accs}. Rule: confirmed if for every "
            f"variant the accuracy interval lies above -{ACC_MARGIN} and the step ratio's below {STEP_MARGIN}, and "
            f"some condition's mean accuracy lies below the ceiling {CEILING:g}; qualified if every variant is fine "
            "but every condition is at the ceiling (no cost detectable at the ceiling: the accuracy test cannot fail "
            "there), or if some variants are fine; refuted if every variant is worse beyond these; else inconclusive.",
            f"Against softmax (paired, accuracy on the predictable tokens and steps to {THRESHOLD}): {per}; "
            f"{len(fine)} of {len(variants)} variants stay within -{ACC_MARGIN} accuracy and {STEP_MARGIN}x the steps."
            + ceil_en,
            f"与 softmax 相比(配对;可预测 token 上的准确率和达到 {THRESHOLD} 的步数):{per_zh};"
            f"{len(variants)} 个变体中有 {len(fine)} 个在 -{ACC_MARGIN} 准确率和 {STEP_MARGIN} 倍步数以内。" + ceil_zh,
            *change)

    c1 = rules.claim("encoder_parks", "Heads of a pretrained encoder park their weight on [CLS]/[SEP].", [minilm],
                     [f"minilm_special_ratio_l{l}" for l in layers] + ["minilm_uniform_share"] * have_minilm
                     + ["minilm_available"], encoder_parks,
                     statement_zh="预训练编码器的注意力头把权重停放在 [CLS]/[SEP] 上。")
    c2 = rules.claim("parked_carries_little", "The parked weight carries little (weight x ‖value‖).",
                     [minilm, some_parked], [f"minilm_norm_over_weight_l{l}" for l in layers] + ["minilm_available"],
                     carries_little,
                     statement_zh="停放的权重几乎不传递信息(按权重 x ‖value‖ 计)。")
    c3 = rules.claim("lm_first_token_sink", "Causal LMs trained with softmax park weight on the first token.",
                     learned[:1], ["first_max_ratio_softmax", "first_max_softmax", "sink_heads_softmax",
                                   "first_max_ratio_init_softmax", "first_max_growth_softmax"], lm_sink,
                     statement_zh="用 softmax 训练的因果语言模型把权重停放在首个 token 上。")
    c4 = rules.claim("sink_removes_parking", "A sink (off-by-one or learned logit) removes the parking.",
                     [*learned, has_sink], [f"first_max_ratio_{c}" for c in variants]
                     + [f"first_max_drop_{c}" for c in variants] + [f"sink_mass_{c}" for c in variants]
                     + [n for n in ("sink_logit_learned_heads", "sink_logit_learned_max_abs") if n in ev],
                     sink_removes, statement_zh="加一个 sink(off-by-one 或可学习的 logit)就能消除这种停放。")
    c5 = rules.claim("sink_costs_nothing", "The sink variants learn as well and as fast.", learned,
                     [f"acc_diff_{c}" for c in variants] + [f"steps_ratio_{c}" for c in variants]
                     + [f"acc_{c}" for c in conditions], no_cost,
                     statement_zh="带 sink 的变体学得一样好、一样快。")
    claims = (c1, c2, c3, c4, c5)
    checks = [minilm, *learned]
    v = {c.name: c.verdict for c in claims}
    if any(not c.passed for c in checks):
        verdict = "inconclusive"
    elif v["encoder_parks"] == "refuted" and v["lm_first_token_sink"] == "refuted":
        verdict = "refuted"
    elif all(x == "confirmed" for x in v.values()):
        verdict = "confirmed"
    elif v["encoder_parks"] == "inconclusive" and v["lm_first_token_sink"] == "inconclusive":
        verdict = "inconclusive"
    else:
        verdict = "qualified"
    rule = (f"{verdict}: " + ", ".join(f"{c.name} {c.verdict}" for c in claims) + ". Rule: inconclusive if a check "
            "failed or neither the encoder nor the LMs could be judged; refuted if neither parks; confirmed if every "
            "sub-claim is confirmed; qualified otherwise (the parking is real where measured, but not every part of "
            "the explanation holds in our models).")
    return Decision(verdict, rule, checks, claims)


def explain(evidence: list[Evidence], decision: Decision) -> Explanation:
    ev = EvidenceSet(evidence)
    conditions = list(ev["lm_conditions"].value)
    parts = []
    if "minilm_layers" in ev:
        layers = range(1, int(ev["minilm_layers"].number) + 1)
        w = [ev[f"minilm_special_share_l{l}"].number for l in layers]
        nb = [ev[f"minilm_norm_share_l{l}"].number for l in layers]
        parts.append(f"all-MiniLM-L6-v2 puts {min(w):.2f}-{max(w):.2f} of each layer's attention on [CLS]/[SEP] "
                     f"(uniform: {ev['minilm_uniform_share'].number:.2f}); weighted by the norm of the transformed "
                     f"values that becomes {min(nb):.2f}-{max(nb):.2f}.")
    lm = "; ".join(f"{VARIANT_LABEL[c]}: largest head {rules.fmt(ev[f'first_max_{c}'])}, accuracy "
                   f"{rules.fmt(ev[f'acc_{c}'])}" for c in conditions)
    parts.append(f"Causal LMs (first-token share; uniform {ev['lm_uniform_first_share'].number:.3f}): {lm}.")
    verdicts = {c.name: c.verdict for c in decision.claims}
    if verdicts["sink_removes_parking"] in ("refuted", "qualified"):
        kept = [c for c in conditions[1:] if rules.interval(ev[f"first_max_ratio_{c}"])[0] > PARK_FACTOR]
        parts.append("Xiao et al. 2023 report that a sink key takes the parked weight in LMs of 160M parameters and "
                     "more (Qiu et al. 2025: a gate cuts the first-token share); in our small LMs, with "
                     + " and with ".join(f"{VARIANT_LABEL[c]} the largest first-token share stays at "
                                         f"{ev[f'first_max_ratio_{c}'].number:.1f}x uniform while the sink takes "
                                         f"{ev[f'sink_mass_{c}'].number:.3f} of the weight" for c in kept)
                     + ": within this training budget most of the weight parked on the first token did not move to "
                       "the sink.")
    if "first_max_ratio_init_softmax" in ev and "lm_heads" in ev:
        drops = [c for c in conditions[1:] if rules.interval(ev[f"first_max_drop_{c}"])[0] <= 0]
        parts.append(f"The null for the largest-head statistic (a maximum over {ev['lm_heads'].number:.0f} heads) "
                     "is the same statistic before training: "
                     f"{rules.fmt(ev['first_max_ratio_init_softmax'], 2)}x uniform with softmax, a paired rise of "
                     f"{rules.fmt(ev['first_max_growth_softmax'], 2)} with training; no control key position was "
                     "measured in the trained models.")
        if drops:
            parts.append("The paired drop of that share with a sink includes 0 ("
                         + "; ".join(f"{VARIANT_LABEL[c]} {rules.fmt(ev[f'first_max_drop_{c}'])}" for c in drops)
                         + f"), so the verdict on the sinks rests on the level staying above {PARK_FACTOR:g}x uniform, "
                           "not on a measured absence of change.")
    else:
        parts.append("The largest-head statistic (a maximum over heads) has no null reference in these runs.")
    logit = _learned_logits(ev)
    if logit:
        parts.append(logit[0][0].upper() + logit[0][1:] + ".")
    summary = " ".join(parts) + " " + decision.rule
    answer_en, answer_zh = _answer(ev, decision)
    if decision.verdict == "inconclusive":
        answer_en, answer_zh = rules.undecided_answer(decision.claims)
    return Explanation(summary=summary, answer_en=answer_en, answer_zh=answer_zh)


# Each sub-claim's verdict in a few words (English, Chinese), for the short answer.
_CARRIES = {"confirmed": ("so the parked weight changes the output little", "所以停放的权重对输出影响很小"),
            "qualified": ("so the parked weight changes the output less than its size suggests, though not by half",
                          "所以停放的权重对输出的影响小于其大小所示,但不到一半"),
            "refuted": ("so by this measure the parked weight is not small", "所以按这个度量停放的权重并不小"),
            "inconclusive": ("so it is not settled how much the parked weight changes the output",
                             "所以还不能判断停放的权重对输出影响多大")}
_LM_SINK = {"confirmed": ("a first-token sink", "出现了首 token 汇聚"), "refuted": ("no sink", "没有汇聚"),
            "qualified": ("high, but no higher than before training", "偏高,但不高于训练前"),
            "inconclusive": ("not clearly a sink", "是否汇聚尚不明确")}
_REMOVES = {"confirmed": ("no head parks any more", "不再有头停放权重"),
            "qualified": ("the parking is gone with some sinks only", "只有部分 sink 消除了停放"),
            "refuted": ("the parking stays", "停放依然存在"),
            "inconclusive": ("whether the parking goes is not settled", "停放是否消失尚无定论")}
_COST = {"confirmed": ("no cost", "没有代价"), "qualified": ("a cost with some sinks only", "只有部分 sink 有代价"),
         "refuted": ("a cost", "有代价"), "inconclusive": ("the cost is not settled", "代价尚无定论")}
_WITH = {"zero": ("an off-by-one softmax", "用 off-by-one softmax 时"),
         "learned": ("a learned sink logit", "用可学习的 sink logit 时"), "gate": ("a sigmoid gate", "用 sigmoid 门时")}


def _answer(ev: EvidenceSet, decision: Decision) -> tuple[str, str]:
    """The short answer (English, Chinese) from the numbers."""
    v = {c.name: c.verdict for c in decision.claims}
    variants = list(ev["lm_conditions"].value)[1:]
    lead = {"confirmed": ("Our measurements support", "我们的测量支持常见的解释"),
            "qualified": ("Our measurements support only part of", "我们的测量只支持常见解释中的一部分"),
            "refuted": ("Our measurements do not support", "我们的测量不支持常见的解释")}.get(
        decision.verdict, ("We cannot yet test", "我们还无法检验常见的解释"))
    en = [f"{lead[0]} the usual explanation: softmax weights must sum to one, so a head with nothing to look up parks "
          "them on a token every query sees, where they change little."]
    zh = [f"{lead[1]}:softmax 的权重之和必须为 1,无事可做的头只能把权重停放在每个查询都能看到的 token 上,"
          "而那里几乎不改变输出。"]
    n_sent = 0
    if "minilm_layers" in ev:
        layers = list(range(1, int(ev["minilm_layers"].number) + 1))
        ratios = [ev[f"minilm_special_ratio_l{l}"] for l in layers]
        parked = [l for l, r in zip(layers, ratios, strict=True) if rules.interval(r)[0] > PARK_FACTOR]
        norm = [ev[f"minilm_norm_over_weight_l{l}"].number for l in (parked or layers)]
        span, norm_span = _span([r.number for r in ratios]), _span(norm, 2)
        n_sent = ev["minilm_uniform_share"].n
        where = ("the parking layers", "各停放层") if parked else ("the layers", "各层")
        carry = _CARRIES[v["parked_carries_little"]]
        en.append(f"In all-MiniLM-L6-v2, [CLS] and [SEP] receive {span} times their uniform share of attention "
                  f"({len(parked)} of {len(layers)} layers clearly above {PARK_FACTOR:g}x), and weighting each weight "
                  f"by the norm of its transformed value turns that into {norm_span} of the weight share in "
                  f"{where[0]}, {carry[0]}.")
        zh.append(f"在 all-MiniLM-L6-v2 中,[CLS] 和 [SEP] 得到的注意力是其均匀份额的 {span} 倍({len(layers)} 层中 "
                  f"{len(parked)} 层明显超过 {PARK_FACTOR:g} 倍);把每个权重乘上变换后 value 的范数,{where[1]}的份额"
                  f"变为权重份额的 {norm_span} 倍,{carry[1]}。")
    r0 = ev["first_max_ratio_softmax"].number
    with_sink = " and ".join(f"{ev[f'first_max_ratio_{c}'].number:.1f}x with {_WITH[c][0]}" for c in variants)
    with_sink_zh = "、".join(f"{_WITH[c][1]}为 {ev[f'first_max_ratio_{c}'].number:.1f} 倍" for c in variants)
    acc = " and ".join(f"{ev[f'acc_diff_{c}'].number:+.3f}" for c in variants)
    acc_zh = "、".join(f"{ev[f'acc_diff_{c}'].number:+.3f}" for c in variants)
    each = (" respectively", "分别") if len(variants) > 1 else ("", "")
    lm, removes = _LM_SINK[v["lm_first_token_sink"]], _REMOVES[v["sink_removes_parking"]]
    cost = _COST[v["sink_costs_nothing"]]
    if v["sink_costs_nothing"] == "qualified" and at_ceiling(ev):
        cost = (f"no cost detectable at the ceiling (every variant's accuracy >= {CEILING:g}, where no accuracy cost "
                "could show)", f"在准确率上限处检测不到代价(每个变体的准确率都 >= {CEILING:g},那里显示不出准确率代价)")
    en.append(f"In our small causal LMs trained with softmax, the head that attends most to the first token gives it "
              f"{r0:.1f}x the uniform share ({lm[0]}); with a sink key it is {with_sink}, so {removes[0]}, and "
              f"accuracy on the predictable tokens changes by {acc}{each[0]}: {cost[0]}.")
    zh.append(f"在我们用 softmax 训练的小型因果语言模型中,最关注首个 token 的头给它均匀份额 {r0:.1f} 倍的注意力"
              f"({lm[1]});加 sink key 后,{with_sink_zh},{removes[1]};可预测 token 上的准确率{each[1]}变化 "
              f"{acc_zh}:{cost[1]}。")
    n = ev["acc_softmax"].n
    conf = f"{stats.CONFIDENCE:.0%}"
    encoder = (f" and the encoder read {n_sent} sentences", f",编码器读了 {n_sent} 个句子") if n_sent else ("", "")
    en.append(f"Each LM variant ran {n} seeds{encoder[0]} ({conf} intervals); our LMs are small and briefly trained, "
              "unlike the large LMs in which Xiao et al. 2023 saw a sink key take the parked weight.")
    zh.append(f"每个语言模型变体 {n} 个种子{encoder[1]}({conf} 区间);我们的语言模型小、训练时间短,不同于 Xiao 等人 "
              "2023 年观察到 sink key 接过停放权重的大型语言模型。")
    return " ".join(en), "".join(zh)


EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain))
