"""q9's settings: the position schemes and tasks compared, the profiles, every threshold, the literature."""

from __future__ import annotations

from typing import Any

from attnlab.attention.config import AttentionConfig
from attnlab.attention.rope_scaling import RopeScaling
from attnlab.lab.context import pick
from attnlab.lab.words import spaced  # noqa: F401 (q9's modules take it from here)
from attnlab.results import Reference

SCHEMES = ("sinusoidal", "learned", "rope", "alibi", "t5")
# RoPE scalings applied at test time to the trained RoPE weights (attnlab.attention.rope_scaling), factor s = the
# test length over T, no fine-tuning; YaRN with L = T and the paper's ramp (alpha = 1, beta = 32)
SCALINGS = ("linear", "ntk", "yarn")
SCALING_EN = {"linear": "position interpolation", "ntk": "NTK-aware scaling", "yarn": "YaRN"}
SCALING_ZH = {"linear": "位置插值", "ntk": "NTK 缩放", "yarn": "YaRN"}
# YaRN's ramp and RoPE's base as the trials apply them (RopeScaling's and AttentionConfig's defaults; the ramp is the
# paper's, set for Llama): a frequency turning more than beta times in L is left alone, fewer than alpha interpolated
YARN_ALPHA, YARN_BETA = RopeScaling.alpha, RopeScaling.beta
ROTARY_BASE = AttentionConfig.rotary_base
FACTORS = (1, 2, 4)  # test lengths, as multiples of the training length T
TASK_NAMES = ("local", "global")
TASK_ZH = {"local": "局部任务", "global": "全局任务"}
TASK_SHORT = {"local": ("local (block-copy)", "局部（块复制）"), "global": ("global (marker)", "全局（标记）")}
SCHEME_ZH = {"sinusoidal": "正弦位置编码", "learned": "可学习位置表", "rope": "RoPE", "alibi": "ALiBi",
             "t5": "T5 相对位置偏置"}
SCHEME_EN = {"sinusoidal": "sinusoidal positions", "learned": "a learned table", "rope": "RoPE", "alibi": "ALiBi",
             "t5": "the T5 bias"}
BASELINE_ZH = {"chance": "随机猜测", "order_free": "不看顺序（在块内尚未复制的符号中均匀猜）"}
# the global task's order-free baseline, computed here (the task itself only knows chance)
GLOBAL_ORDER_FREE = ("order-free (guess the most frequent symbol so far)", "不看顺序（猜目前为止出现最多的符号）")
N_HEADS, N_LAYERS = 4, 2  # the trained LMs
MARKER_SYMBOLS = 16  # symbols of the global (marker) task

THRESHOLD = 0.9  # accuracy at T that counts as learned (read off the curve; every run trains its whole budget)
MIN_REACHED = 0.8  # share of a condition's seeds that must reach the threshold
MARGIN = 0.05  # an accuracy drop whose interval lies below this: the scheme kept its accuracy; above: lost it
RECOVERY = 0.05  # a scaling's paired gain over plain RoPE whose interval lies above this: it recovers accuracy
NEAR_BASELINE = 0.1  # beyond-T accuracy within this of the best trivial baseline: nothing represented there
EVEN = 0.0  # a paired difference (ALiBi minus another scheme) whose interval lies above this: ALiBi is ahead
LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each (task, scheme)'s learning-rate sweep

# how far across a threshold a flip ("what would change it") moves a number
NUDGE = {"drop": 0.01, "baseline": 0.01, "difference": 0.01}

ACC = (0.0, 1.0)
DIFF = (-1.0, 1.0)

PRESS = Reference(
    "Press et al. 2021 (ALiBi), §4 and Figure 1", "Trained on 512 or 1024 tokens of WikiText-103, ALiBi keeps its "
    "perplexity (or improves it) on inputs several times longer; sinusoidal positions degrade after a few dozen "
    "extra tokens; rotary and the T5 bias extrapolate part of the way, the T5 bias further than rotary.",
    "language modelling perplexity, 247M-1.3B parameters", "supports", "https://arxiv.org/abs/2108.12409",
    finding_zh="在 WikiText-103 上用 512 或 1024 个词元训练后，ALiBi 在长几倍的输入上困惑度不变甚至更好；"
                "正弦位置编码多出几十个词元就开始变差；旋转位置编码和 T5 偏置能外推一段，T5 "
                "偏置比旋转位置编码外推得更远。",
    regime_zh="语言建模困惑度，247M 至 1.3B 参数")
KAZEMNEJAD = Reference(
    "Kazemnejad et al. 2023, §4", "On algorithmic and reasoning tasks (copy, reverse, addition, SCAN ...) with "
    "decoder-only models trained at length <= 20 and tested up to 40, ALiBi, rotary and absolute positions "
    "generalise poorly; no positions (NoPE) and the T5 bias do best.", "decoder-only, ~107M parameters, "
    "exact-match accuracy", "contradicts", "https://arxiv.org/abs/2305.19466",
    finding_zh="在算法和推理任务上（复制、反转、加法、SCAN 等），用长度不超过 20 的序列训练、在长至 40 "
                "的序列上测试的仅解码器模型，ALiBi、旋转位置编码和绝对位置编码都泛化得不好；不用位置编码（NoPE）和 "
                "T5 偏置最好。",
    regime_zh="仅解码器模型，约 107M 参数，完全匹配准确率")
VASWANI = Reference(
    "Vaswani et al. 2017, §3.5", "Sinusoids were chosen over a learned table because they 'may allow the model to "
    "extrapolate to sequence lengths longer than the ones encountered during training' (a hypothesis, not tested "
    "there).", "machine translation", "context", "https://arxiv.org/abs/1706.03762",
    finding_zh="选用正弦函数而不是可学习的位置表，是因为它「或许能让模型外推到比训练时更长的序列」（只是假设，"
                "论文里没有检验）。",
    regime_zh="机器翻译")
CHEN = Reference(
    "Chen et al. 2023 (position interpolation), §2 and §3", "RoPE models fail beyond their training length (perplexity "
    "explodes, passkey retrieval fails); dividing the positions by s brings them back into the trained range, and "
    "after at most 1000 steps of fine-tuning LLaMA works at up to 16 times its context. Before fine-tuning the "
    "interpolated model already models language to some extent, where direct extrapolation does not: their "
    "numbers are mostly after fine-tuning, which these runs do not do.", "LLaMA 7B-65B, context 2048 -> 32768, "
    "perplexity and passkey retrieval", "context", "https://arxiv.org/abs/2306.15595",
    finding_zh="用 RoPE 的模型一超出训练长度就失效（困惑度暴涨，密钥检索失败）；把位置除以 s 缩放回训练过的范围，"
                "再微调至多 1000 步，LLaMA 就能在长至 16 倍的上下文上工作。未经微调时，插值后的模型已能在一定程度上"
                "建模语言，而直接外推不能；他们的数字大多是微调之后的，这些运行没有微调。",
    regime_zh="LLaMA 7B 至 65B，上下文从 2048 扩到 32768，困惑度和密钥检索")
YARN = Reference(
    "Peng et al. 2023 (YaRN), §3 and §4", "NTK-aware scaling keeps the high frequencies that position interpolation "
    "squeezes; YaRN interpolates only the low frequencies (a ramp between α and β turns per trained context) and "
    "divides the logits by a temperature t, √(1/t) = 0.1 ln(s) + 1. Its headline numbers are after about 400 "
    "steps of fine-tuning (Llama 2 to 64k and 128k tokens); without fine-tuning, Dynamic NTK works on pre-trained "
    "models and Dynamic-YaRN extends Llama 2 to more than twice its context with little loss of perplexity.",
    "Llama 2 7B and 13B, perplexity, passkey retrieval and benchmarks", "context", "https://arxiv.org/abs/2309.00071",
    finding_zh="NTK 缩放保留了位置插值压缩掉的高频；YaRN 只对低频插值（按每个频率在训练长度内转过的圈数在 α 和 β "
                "之间渐变），并把 logits 除以温度 t，√(1/t) = 0.1 ln(s) + 1。其主要数字是微调约 400 步之后的"
                "（Llama 2 扩到 64k 和 128k 个词元）；未经微调时，动态 NTK 可直接用于预训练模型，动态 YaRN "
                "能把 Llama 2 的上下文扩到两倍以上而困惑度损失很小。",
    regime_zh="Llama 2 7B 和 13B，困惑度、密钥检索和基准测试")
LITERATURE = [PRESS, KAZEMNEJAD, VASWANI, CHEN, YARN]


def profile_settings(profile: str) -> dict[str, Any]:
    """Training length, model width, budget and test set of ``profile``.

    Every run trains the whole budget (no early stop) at the rate its own sweep chose, so every scheme's
    extrapolation is read at the same step. Measured before (early stop at 0.9, one rate per task): the
    reference scheme (sinusoidal) reached 0.9 at T in 125 steps (local) and 300 (global), ALiBi in 425 on the
    local task: 600 steps is about 3x the reference on the harder task and leaves ALiBi room to finish.
    """
    return pick(profile,
                tiny=dict(length=8, d_model=16, steps=20, batch_size=16, eval_every=10, n_eval=32),
                quick=dict(length=32, d_model=32, steps=600, batch_size=32, eval_every=25, n_eval=256),
                full=dict(length=64, d_model=64, steps=4000, batch_size=64, eval_every=50, n_eval=1024))



