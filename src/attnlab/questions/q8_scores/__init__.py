"""q8: what are the common ways to compute attention weights?

The seed answers with a list and makes no claim about it. The built-in score functions
(:mod:`attnlab.attention.scores`) are that list: ``dot`` :math:`q^\\top k`, ``scaled_dot``
:math:`q^\\top k / \\sqrt{d_k}` (Vaswani et al. 2017), ``general`` :math:`q^\\top W k` (Luong et al. 2015; the
"multiplicative" attention of Britz et al. 2017), ``additive`` :math:`v^\\top \\tanh(W_1 q + W_2 k)`
(Bahdanau et al. 2015) and ``cosine`` with a learned temperature. What *is* claimed about them comes
from the literature, and those claims are tested:

- **Britz et al. 2017**: additive attention beats (unscaled) multiplicative attention, and the gap
  grows with the dimension; they suspected the growing variance of the dot product.
- **Vaswani et al. 2017, §3.2.1**: scaling by :math:`1/\\sqrt{d_k}` closes that gap; and dot-product
  attention is much faster and more space-efficient than additive attention in practice.
- **Luong et al. 2015**: the multiplicative scores (dot, general) work as well as concat (additive)
  for global attention in an RNN encoder-decoder.

Two models, the same for every score (an explicit list, :data:`SCORES`, never the registry's contents; the
cosine score exists too and is not trained here): a one-layer Transformer encoder (no positions) on
key-value lookup (:class:`attnlab.data.LookupTask`, where one attention layer must retrieve by content), with
one head whose width d_k alone varies (:data:`HEAD_DIMS`, ``head_dim=``) at ``d_model = 64``, and an LSTM
encoder-decoder with Luong-style global attention (:class:`attnlab.models.RNNSeq2Seq`) on sequence reversal.
Every condition trains at the learning rate its own sweep chose (:mod:`attnlab.lab.tuning`) for the same
budget (no early stop) and reports steps-to-threshold read off its curve; comparisons rest on the paired ratio
of steps per seed. The cost of each score is timed and measured on the same materialising kernel (an explicit
scores matrix, one code path), with the library's fast kernels (fused SDPA, chunked additive) beside it.

Britz et al. measured BLEU of 1024-unit LSTM NMT models; Luong et al. BLEU of 1000-unit NMT models;
these are different regimes, so their numbers are cited as literature, not set beside ours.

The package: :mod:`.settings` (profiles, thresholds, condition names, literature), :mod:`.trials`,
:mod:`.evidence` (the evidence names and ``aggregate``), :mod:`.plots`, :mod:`.rule` (``decide``),
:mod:`.words` with :mod:`.phrases` and :mod:`.answer` (en, zh).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q8_scores import evidence, rule, trials, words
from attnlab.questions.q8_scores.settings import SCORES

__all__ = ["EXPERIMENT", "QUESTION", "SCORES"]

QUESTION = Question(
    qid="q8",
    title="Ways to compute attention weights",
    question="What are the common ways to compute attention weights?",
    question_zh="Attention中权重的常见计算方式有哪些？",
    claim="The seed lists score functions and makes no claim about them. Tested instead: the literature's "
          "claims that additive attention beats unscaled multiplicative attention as the dimension grows "
          "(Britz et al. 2017), that scaling by 1/√d_k closes the gap and that dot products are faster and "
          "smaller (Vaswani et al. 2017), and that dot / general scores are as good as additive in an RNN "
          "encoder-decoder (Luong et al. 2015).",
    claim_zh="（原文只列举了计算方式，没有给出结论。）检验文献中的结论：维度增大时加性注意力优于未缩放的"
             "乘性注意力（Britz et al. 2017）；除以 √d_k 可消除差距，点积更快更省内存（Vaswani et al. 2017）；"
             "在 RNN 编码器-解码器中点积和通用打分与加性注意力效果相当（Luong et al. 2015）。",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
