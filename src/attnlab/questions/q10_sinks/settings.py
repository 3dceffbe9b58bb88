"""q10's settings: the attention variants compared, the task and profiles, every threshold, the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

CONDITIONS = ("softmax", "zero", "learned")  # the full profile adds "gate"
ALL_CONDITIONS = (*CONDITIONS, "gate")
VARIANT_KW = {"softmax": {}, "zero": {"sink": "zero"}, "learned": {"sink": "learned"}, "gate": {"gate": "sigmoid"}}
VARIANT_LABEL = {"softmax": "softmax", "zero": "off-by-one (sink logit 0)", "learned": "learned sink logit",
                 "gate": "sigmoid output gate"}
VARIANT_SHORT = {"softmax": "softmax", "zero": "off-by-one", "learned": "learned sink", "gate": "gate"}
VARIANT_ZH = {"softmax": "softmax", "zero": "off-by-one（汇聚 logit 为 0）", "learned": "可学习的汇聚 logit",
              "gate": "sigmoid 输出门"}
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

# how far across a threshold a flip ("what would change it") moves a number
NUDGE = {"park": 0.1, "little": 0.05, "rise": 0.05, "acc": 0.005, "steps": 0.1, "ceiling": 0.01}

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
LITERATURE = [CLARK, KOBAYASHI, XIAO, QIU, GU, BARBERO]


def profile_settings(profile: str) -> dict[str, Any]:
    """The LM task, model width, training budget, test set and MiniLM sentences of ``profile``."""
    return pick(profile,
                tiny=dict(n_blocks=1, block_len=4, d_model=16, steps=30, batch_size=16, lr=3e-3, eval_every=10,
                          n_eval=32, n_texts=8, conditions=list(CONDITIONS)),
                quick=dict(n_blocks=2, block_len=8, d_model=32, steps=400, batch_size=32, lr=3e-3, eval_every=25,
                           n_eval=256, n_texts=64, conditions=list(CONDITIONS)),
                full=dict(n_blocks=4, block_len=8, d_model=64, steps=3000, batch_size=64, lr=2e-3, eval_every=50,
                          n_eval=1024, n_texts=800, conditions=[*CONDITIONS, "gate"]))
