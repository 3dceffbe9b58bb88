"""q13's settings: the attention kinds compared, the tasks and profiles, every threshold, the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

KINDS = ("mha", "gqa", "mqa", "mla")
REDUCED = KINDS[1:]  # the kinds with a smaller cache, each compared with MHA
KIND_KW: dict[str, dict[str, Any]] = {"mha": {}, "gqa": {"n_kv_heads": 2}, "mqa": {"n_kv_heads": 1},
                                      "mla": {"mixer": "mla"}}  # MLA: d_c = 4 D and d_R = D / 2 (its defaults)
KIND_EN = {"mha": "MHA", "gqa": "GQA (2 KV heads)", "mqa": "MQA (1 KV head)", "mla": "MLA (latent cache)"}
KIND_SHORT = {"mha": "MHA", "gqa": "GQA", "mqa": "MQA", "mla": "MLA"}
KIND_ZH = {"mha": "MHA", "gqa": "GQA（2 个 KV 头）", "mqa": "MQA（1 个 KV 头）", "mla": "MLA（潜在向量缓存）"}
TASK_NAMES = ("text", "recall")
TASK_EN = {"text": "character LM", "recall": "associative recall"}
TASK_ZH = {"text": "字符语言模型", "recall": "关联回忆"}
BASELINE_ZH = {"chance": "随机猜测", "no_lookup": "不查键（猜上下文中出现最多的值）", "unigram": "只看字符频率"}
RECALL_VALUES, RECALL_QUERIES = 8, 16  # associative recall: the value alphabet, the queries after the pairs
N_HEADS, N_LAYERS = 4, 2  # every trained LM
FF_REFERENCE = 2  # MHA's feed-forward width, in multiples of d_model; the other kinds' is set to match parameters
MATCH = 0.01  # every kind's parameter count lies within this fraction of MHA's (per task)
DTYPE_BYTES = 4  # float32: the cache bytes are counted at this element size

LOSS_MARGIN = 0.05  # held-out loss (nats per character) above MHA's by less than this: little cost
ACC_MARGIN = 0.05  # recall accuracy below MHA's by less than this: little cost

# how far across a threshold a flip ("what would change it") moves a number
NUDGE = {"loss": 0.01, "acc": 0.01}

ACC = (0.0, 1.0)
DIFF = (-1.0, 1.0)
LOSS = (0.0, None)
LOSS_DIFF = (None, None)

SHAZEER = Reference(
    "Shazeer 2019 (multi-query attention), §3", "One key/value head shared by every query head cuts the decoder's "
    "memory traffic many times and speeds incremental decoding about 10x, at a small loss in quality "
    "(translation BLEU and perplexity slightly worse than multi-head).", "WMT14 English-German, Transformer base; "
    "billion-word LM", "supports", "https://arxiv.org/abs/1911.02150",
    finding_zh="所有查询头共用一个键值头，解码时的显存读写减少许多倍，增量解码快约 10 倍，质量只略有损失（翻译 BLEU "
                "和困惑度比多头注意力稍差）。",
    regime_zh="WMT14 英德翻译，Transformer 基础版；十亿词语言模型")
AINSLIE = Reference(
    "Ainslie et al. 2023 (GQA), §4", "Grouped-query attention with 8 groups, uptrained from a multi-head checkpoint "
    "with 5% of the pre-training compute, comes close to multi-head quality at close to multi-query speed; "
    "multi-query loses more.", "T5-XXL, summarisation, translation, question answering", "supports",
    "https://arxiv.org/abs/2305.13245",
    finding_zh="分 8 组的分组查询注意力，从多头注意力的检查点出发再训练 5% 的预训练计算量，质量接近多头注意力，"
                "速度接近多查询注意力；多查询注意力损失更多。",
    regime_zh="T5-XXL，摘要、翻译、问答")
DEEPSEEK = Reference(
    "DeepSeek-AI 2024 (DeepSeek-V2), §2.1 and Appendix D.2", "Multi-head latent attention caches a shared latent "
    "(plus a small rotary key) instead of keys and values per head: a 93% smaller KV cache than their dense "
    "model, and quality above multi-head attention in their ablations, while GQA and MQA fall below it.",
    "MoE LMs of 16B-236B parameters; ablations at 7B", "supports", "https://arxiv.org/abs/2405.04434",
    finding_zh="多头潜在注意力缓存一个各头共用的潜在向量（外加一个小的旋转位置键），而不是每个头的键和值："
                "KV 缓存比他们的稠密模型小 93%，消融实验中质量还高于多头注意力，而 GQA 和 MQA 低于多头注意力。",
    regime_zh="16B 至 236B 参数的 MoE 语言模型；消融实验在 7B")
ARORA = Reference(
    "Arora et al. 2023 (Zoology), §3", "Associative recall separates architectures that perplexity hardly separates: "
    "most of the quality gap between attention and its efficient replacements is recall.",
    "LMs of 70M-1.4B parameters on the Pile; synthetic multi-query associative recall", "context",
    "https://arxiv.org/abs/2312.04927",
    finding_zh="关联回忆能把困惑度几乎分不开的结构分开：注意力和它的高效替代品之间的质量差距，大部分在于回忆。",
    regime_zh="Pile 上 70M 至 1.4B 参数的语言模型；合成的多查询关联回忆")
LITERATURE = [SHAZEER, AINSLIE, DEEPSEEK, ARORA]


def profile_settings(profile: str) -> dict[str, Any]:
    """Model width, the tasks' sizes, the training budget, the test sets and the decoding regime of ``profile``.

    Every run trains the whole budget (no early stop) and is read after it. Learning curves measured first (MHA
    and MQA, one seed, d_model 32, batch 32, lr 3e-3): the character LM's held-out loss falls from 1.95 at step
    100 to 1.68 at 400 and is still falling; recall with 32 pairs (8 values) reaches 0.55 at step 150, 0.92 at 225
    and 0.98 at 300, then sits at 0.99-1.0 by 450 for both kinds. 300 steps reads recall where MHA has just
    learned it (before the ceiling hides any difference) and the LM well past its steepest part. The two-token
    form of recall (``AssociativeRecallTask``: key and value in separate tokens, an induction circuit) stayed at
    its order-free baseline (0.40-0.41 against 0.41, 4 pairs, 1200 steps) at this width, so recall here is the
    one-token form.
    """
    return pick(profile,
                tiny=dict(d_model=16, seq_len=32, n_pairs=4, steps=20, batch_size=16, eval_every=10,
                          eval_batches=2, decode=dict(batch=2, context=16, repeats=3)),
                quick=dict(d_model=32, seq_len=64, n_pairs=32, steps=300, batch_size=32, eval_every=50,
                           eval_batches=8, decode=dict(batch=8, context=512, repeats=7)),
                full=dict(d_model=64, seq_len=128, n_pairs=64, steps=2000, batch_size=64, eval_every=100,
                          eval_batches=32, decode=dict(batch=8, context=2048, repeats=11)))


LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each (task, kind)'s learning-rate sweep

