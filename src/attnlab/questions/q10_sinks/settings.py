"""q10's settings: the attention variants compared, the task and profiles, every threshold, the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

CONDITIONS = ("softmax", "zero", "learned")  # the full profile adds "gate"
DIFFERENTIAL = "differential"  # differential attention (Ye et al. 2025): a second map subtracted, no sink key
SINK_VARIANTS = ("zero", "learned", "gate")  # the variants that give the softmax somewhere else to put weight
ALL_CONDITIONS = (*CONDITIONS, "gate", DIFFERENTIAL)
VARIANT_KW = {"softmax": {}, "zero": {"sink": "zero"}, "learned": {"sink": "learned"}, "gate": {"gate": "sigmoid"},
              DIFFERENTIAL: {"mixer": "differential"}}
VARIANT_LABEL = {"softmax": "softmax", "zero": "off-by-one (sink logit 0)", "learned": "learned sink logit",
                 "gate": "sigmoid output gate", DIFFERENTIAL: "differential attention"}
VARIANT_SHORT = {"softmax": "softmax", "zero": "off-by-one", "learned": "learned sink", "gate": "gate",
                 DIFFERENTIAL: "differential"}
VARIANT_ZH = {"softmax": "softmax", "zero": "off-by-one（汇聚 logit 为 0）", "learned": "可学习的汇聚 logit",
              "gate": "sigmoid 输出门", DIFFERENTIAL: "差分注意力"}
BASELINE_ZH = {"chance": "随机猜测", "order_free": "不看顺序（在块内尚未复制的符号中均匀猜）"}
SENTENCE = "The cat sat on the mat."  # a short sentence for the report's attention explorer: [CLS]/[SEP] parking
MINILM = "all-MiniLM-L6-v2"
N_HEADS, N_LAYERS = 4, 2  # the trained LMs

THRESHOLD = 0.9  # accuracy on the predictable tokens that counts as learned
MIN_REACHED = 0.8  # share of a condition's seeds that must reach the threshold
PARK_FACTOR = 2.0  # a share at least twice the uniform share counts as parked
LITTLE = 0.5  # norm-based share below half the weight share: the parked weight carries little
SAME = 1.0  # norm-based share over weight share: below it "less", above it "more"
NO_RISE = 0.0  # the first-token share's rise over the untrained model must lie above this
ACC_MARGIN = 0.02  # accuracy cost within this is no cost
CEILING = 1.0 - ACC_MARGIN  # every condition's mean accuracy at or above this: no accuracy cost beyond the margin can
#   show (the paired difference of two means >= CEILING lies within ACC_MARGIN), so the accuracy test cannot fail
STEP_MARGIN = 1.5  # steps ratio beyond this is a cost
SINK_MOVED = 0.5  # a learned sink logit within +-this of its initial 0 scales the sink's pull e^σ by under 1.65
START = 1  # first query counted in the first-token share (query 0 can only see key 0)

# the streaming arm (Xiao et al. 2023): the same trained weights, evaluated with fewer keys visible
WINDOW_FRACTION = 0.5  # the recent window W is this fraction of the training length (W = T // 2, 16 of 33 tokens)
KEPT_TOKENS = (1, 4)  # first tokens kept beside the window (1: BOS alone; 4: as Xiao et al.)
KEEP = 4  # the kept arm the rule reads (Xiao et al. keep 4 initial tokens)
LOSS_MARGIN = 0.1  # nats: a loss change within this (perplexity x 1.105) is no change
SAME_WEIGHTS_TOL = 1e-6  # the streaming trial's full-attention accuracy equals the LM trial's within this
ARM_PROFILES = ("tiny", "standard", "full")  # profiles that run the differential and streaming arms; quick leaves
#   them out to keep the quick report under ten minutes (about +90 s of training on 2 cores)

# how far across a threshold a flip ("what would change it") moves a number
NUDGE = {"park": 0.1, "little": 0.05, "rise": 0.05, "acc": 0.005, "steps": 0.1, "ceiling": 0.01, "drop": 0.02,
         "loss": 0.05}

RATIO = (0.0, None)
ACC = (0.0, 1.0)
DIFF = (-1.0, 1.0)

CLARK = Reference("Clark et al. 2019, §3 and §4", "In BERT-base over half of the attention of layers 6-10 goes "
                  "to [SEP]; gradients show it hardly matters (a no-op); early layers attend to [CLS].",
                  "BERT-base, Wikipedia segments", "supports", "https://arxiv.org/abs/1906.04341",
                  finding_zh="BERT-base 第 6 至 10 层有一半以上的注意力落在 [SEP] 上；"
                              "梯度显示这部分注意力几乎不起作用，相当于空操作；浅层的注意力则多落在 [CLS] 上。",
                  regime_zh="BERT-base，维基百科文本片段")
KOBAYASHI = Reference("Kobayashi et al. 2020, §4-5", "Weighting each attention weight by the norm of its "
                      "transformed value, attention to [CLS]/[SEP] and punctuation shrinks sharply: those tokens "
                      "get large weights but small transformed vectors.", "BERT-base, Wikipedia", "supports",
                      "https://arxiv.org/abs/2004.10102",
                      finding_zh="把每个注意力权重乘上对应值向量变换后的范数，[CLS]、[SEP] "
                                  "和标点分到的注意力就大幅缩小：这些词元权重虽大，变换后的向量却很小。",
                      regime_zh="BERT-base，维基百科")
XIAO = Reference("Xiao et al. 2023 (StreamingLLM), §3", "LLMs put a large share of attention on the initial "
                 "tokens whatever they are; keeping 4 of them in a sliding window restores streaming perplexity. In "
                 "160M models pre-trained from scratch (§3.3, Table 3), the off-by-one softmax ('Zero Sink', "
                 "SoftMax1) only partly relieves this (the model still needs other initial tokens), while a "
                 "dedicated learnable sink token suffices on its own.",
                 "Llama-2, MPT, Falcon, Pythia 7B-70B; 160M models pre-trained", "supports",
                 "https://arxiv.org/abs/2309.17453",
                 finding_zh="大语言模型不论开头几个词元是什么，都把很大一部分注意力放在它们身上；滑动窗口里保留其中 "
                             "4 个，流式生成的困惑度就能恢复。在从头预训练的 160M 模型中（第 3.3 节，表 3），"
                             "改用分母加一的 softmax（零汇聚，即 SoftMax1）只能部分缓解这一问题，"
                             "模型仍需要其他开头词元；"
                             "加入一个专门的可学习汇聚词元则单独保留它就够了。",
                 regime_zh="Llama-2、MPT、Falcon、Pythia，7B 至 70B；另有预训练的 160M 模型")
QIU = Reference("Qiu et al. 2025 (gated attention), §4.3", "A sigmoid gate after attention cuts the first-token "
                "share of attention from 46.7% to 4.8% (averaged over layers and heads).",
                "1.7B dense and 15B MoE LMs, 3.5T tokens", "supports", "https://arxiv.org/abs/2505.06708",
                finding_zh="在注意力输出后加一个 sigmoid 门控，首个词元分到的注意力从 46.7% 降到 "
                            "4.8%（各层各头的平均）。",
                regime_zh="1.7B 稠密模型和 15B MoE 语言模型，3.5T 词元")
GU = Reference("Gu et al. 2024, §3-7", "Sinks emerge during pre-training once the model is optimised on enough "
               "data, even in small LMs and on random tokens; they act like key biases and vanish when softmax is "
               "replaced by un-normalised sigmoid attention.", "LLaMA-style LMs, 14M-1B parameters", "context",
               "https://arxiv.org/abs/2410.10781",
               finding_zh="只要训练数据足够，注意力汇聚点就会在预训练中出现，小模型和随机词元上也不例外；"
                           "它的作用类似键上的偏置，把 softmax 换成不归一化的 sigmoid 注意力后就消失了。",
               regime_zh="LLaMA 式语言模型，14M 至 1B 参数")
BARBERO = Reference("Barbero et al. 2025, §3-5", "Sinks are useful: they keep deep, long-context models from "
                    "over-mixing token representations, and grow with depth and context length.",
                    "Gemma 7B, LLaMA 3.1; pre-training ablations", "context", "https://arxiv.org/abs/2504.02732",
                    finding_zh="注意力汇聚点有用处：它让层数深、上下文长的模型不至于把各词元的表示混得过匀，"
                                "而且随层数和上下文长度的增加而增强。",
                    regime_zh="Gemma 7B、LLaMA 3.1；预训练消融实验")
YE = Reference("Ye et al. 2025 (Differential Transformer, ICLR), abstract, §1 and §3 (activation outliers)",
               "Subtracting a second softmax map "
               "cancels the attention a Transformer over-allocates to irrelevant context ('attention noise'), gives "
               "sparser maps and lower top activations in attention logits and hidden states (fewer outliers). The "
               "paper does not measure the first-token share; that differential attention removes sinks is an "
               "inference from these findings.", "3B-parameter LMs, 1T tokens; 830M-13B scaling runs", "context",
               "https://arxiv.org/abs/2410.05258",
               finding_zh="减去第二张 softmax 注意力图，可以抵消模型分给无关上下文的注意力（注意力噪声），"
                           "使注意力图更稀疏，并降低注意力 logit 和隐藏状态中的最大激活值（离群值更少）。"
                           "论文没有测量首个词元的份额；差分注意力能消除汇聚点，是由这些结果推断出来的。",
               regime_zh="3B 参数语言模型，1T 词元；另有 830M 至 13B 的规模实验")
LITERATURE = [CLARK, KOBAYASHI, XIAO, QIU, GU, BARBERO, YE]


def profile_settings(profile: str) -> dict[str, Any]:
    """The LM task, model width, training budget, test set and MiniLM sentences of ``profile``.

    Every LM trains the whole budget and every probe (first-token shares, sink weight, accuracy) is read after
    it. Quick/standard: 450 steps, three times softmax's median steps to 0.9 (150 at 3e-3, 5 seeds). The task
    stays at two blocks of 8: harder versions were measured (one seed, softmax, 3e-3) and still reach 1.0 (blocks
    of 10 by step 225 of 600; three blocks of 8 by 175 of 450; blocks of 12 by 175 of 900, while a 450-step run
    stalled at 0.76 without a sink), and a narrower model (d_model 16) reaches it by 225: the copy is learned all
    or nothing, so accuracy ends at its ceiling and the cost of a sink is read off the steps to 0.9 (off the
    ceiling), stated as "at most" their ratio's upper bound times as many steps.
    """
    return pick(profile,
                tiny=dict(n_blocks=1, block_len=4, d_model=16, steps=30, batch_size=16, eval_every=10,
                          n_eval=32, n_texts=8, conditions=[*CONDITIONS, DIFFERENTIAL]),
                quick=dict(n_blocks=2, block_len=8, d_model=32, steps=450, batch_size=32, eval_every=25,
                           n_eval=256, n_texts=64, conditions=[*CONDITIONS, DIFFERENTIAL]),
                full=dict(n_blocks=4, block_len=8, d_model=64, steps=3000, batch_size=64, eval_every=50,
                          n_eval=1024, n_texts=800, conditions=[*CONDITIONS, "gate", DIFFERENTIAL]))


def runs_arms(profile: str) -> bool:
    """Whether ``profile`` trains the differential LMs and runs the streaming arm (every profile but quick; the
    quick profile still lists the differential condition for the learning-rate sweep it reuses)."""
    return profile in ARM_PROFILES


LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each condition's learning-rate sweep
