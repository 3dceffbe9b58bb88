"""q5's short answer, in English and Chinese: what holds for the encoder, the decoder in training and generation."""

from __future__ import annotations

from attnlab.lab.rules import Rulings
from attnlab.lab.words import fmt, load_clause, num, sci
from attnlab.questions.q5_parallel.evidence import (
    MAX_ABS_DIFF,
    cache_speedup,
    excess_decoder_vs_encoder,
    excess_vs_lstm,
    generation_vs_parallel,
    speedup,
    token_by_token_vs_parallel,
)
from attnlab.questions.q5_parallel.rule import DECODER, ENCODER, GENERATION, no_gain_lengths
from attnlab.questions.q5_parallel.settings import BATCH

__all__ = ["answer", "sci"]

ENCODER_LEAD = {
    "confirmed": ("The encoder is parallel over positions and gains more from a second core than an LSTM:",
                  "编码器在位置维度上并行，从第二个核得到的好处比 LSTM 多："),
    "qualified": ("The encoder gains more than an LSTM from a second core, though its own gain is not clearly "
                  "above 1:", "编码器从第二个核得到的好处多于 LSTM，但它自身的加速比并不明显高于 1："),
    "refuted": ("Here the encoder did not gain clearly more than an LSTM from a second core:",
                "这里编码器从第二个核得到的好处并不明显多于 LSTM："),
    "inconclusive": ("Whether the encoder gains more than an LSTM from a second core is undecided:",
                     "编码器是否比 LSTM 更能利用第二个核，尚无定论："),
}
DECODER_LEAD = {  # for the seed's claim that the decoder is not parallel, in training
    "refuted": ("In training the decoder is parallel too:", "训练时解码器同样是并行的："),
    "confirmed": ("Here the decoder did not parallelise in training, though the encoder did:",
                  "这里解码器在训练时没有并行起来，编码器却并行了："),
    "qualified": ("In training the decoder parallelises, though clearly less than the encoder:",
                  "训练时解码器能并行，但明显不如编码器："),
    "inconclusive": ("Whether the decoder parallelises in training is undecided:", "解码器训练时能否并行，尚无定论："),
}
GENERATION_LEAD = {  # a derivation check
    "confirmed": ("Generation goes one token at a time by construction (a derivation), and it costs more per token:",
                  "生成按构造是逐个词元进行的（推导），每个词元也更贵："),
    "refuted": ("Generation goes one token at a time by construction (a derivation), yet here it did not cost more "
                "per token:", "生成按构造是逐个词元进行的（推导），但这里每个词元并没有更贵："),
    "inconclusive": ("Generation goes one token at a time by construction (a derivation); whether it costs more per "
                     "token is undecided:", "生成按构造是逐个词元进行的（推导）；每个词元是否更贵尚无定论："),
}


def answer(rs: Rulings, ev, lang: str) -> str:
    """The short answer from the numbers."""
    zh = lang == "zh"
    v, t, n = rs.verdicts, rs.values["T"], rs.values["L"]
    enc, lstm = num(ev[speedup("encoder", t)].number, 2), num(ev[speedup("lstm", t)].number, 2)
    dec_x, dec_e = ev[excess_vs_lstm("decoder", t)], ev[excess_decoder_vs_encoder(t)]
    tbt, gen, cache = ev[token_by_token_vs_parallel(n)], ev[generation_vs_parallel(n)], ev[cache_speedup(n)]
    repeats = min(e.n or 0 for e in (ev[excess_vs_lstm("encoder", t)], dec_x, tbt, gen, cache))
    diff = sci(ev[MAX_ABS_DIFF].number)
    lead = [ENCODER_LEAD[v[ENCODER]][zh], DECODER_LEAD[v[DECODER]][zh], GENERATION_LEAD[v[GENERATION]][zh]]
    flat = [(x, fmt(ev[speedup("encoder", x)], lang, 2)) for x in no_gain_lengths(ev)]
    where = load_clause(ev, lang)
    if zh:
        flat_zh = "；" + "，".join(f"T={x} 时编码器没有明确的加速（{e}）" for x, e in flat) if flat else ""
        return (f"{lead[0]}单层、T={t}（批大小 {BATCH}）时，第二个 CPU 线程带来的加速比：编码器块为 {enc}，"
                f"LSTM 为 {lstm}{flat_zh}。"
                f"{lead[1]}第二个线程对因果掩码块（教师强制）的加速比是对 LSTM 的 {num(dec_x.number, 2)} 倍、"
                f"对编码器的 {num(dec_e.number, 2)} 倍；一次因果前向就能算出全部 {n} 个已知词元的 logits"
                f"（与逐词元计算相同，最大差 {diff}），逐个送入则要 {num(tbt.number, 1)} 倍的时间，"
                "这一点仅由每次调用的固定开销就能保证（推导检验）。"
                f"{lead[2]}{n} 个词元时，生成一个词元的耗时是教师强制前向中一个词元的 {num(gen.number, 1)} 倍；"
                f"不用 KV 缓存时生成耗时是使用时的 {num(cache.number, 2)} 倍。"
                f"每个比值都是至少 {repeats} 次交替计时重复的几何平均，带 95% 区间，{where}；"
                "计时结果每次运行都会有波动。")
    flat_en = "; at " + ", ".join(f"T={x} there is no clear gain ({e})" for x, e in flat) if flat else ""
    return (f"{lead[0]} with one layer at T={t} (batch {BATCH}), a second CPU thread gives the encoder block a "
            f"speed-up of {enc} and the LSTM one of {lstm}{flat_en}. "
            f"{lead[1]} a second thread's speed-up on the causal block (teacher forcing) is {num(dec_x.number, 2)} "
            f"times the LSTM's and {num(dec_e.number, 2)} times the encoder's; one causal pass computes the logits of "
            f"all {n} given tokens (the same as token by token, max difference {diff}), and feeding them one at a "
            f"time takes {num(tbt.number, 1)} times as long, which a per-call cost alone guarantees (a derivation "
            f"check). {lead[2]} at {n} tokens a generated token takes {num(gen.number, 1)} times a teacher-forced "
            f"one, and without the KV cache generation takes {num(cache.number, 2)} times as long. Each ratio is a "
            f"geometric mean over at least {repeats} alternating timing repeats with a 95% interval, {where}; timings "
            "vary from run to run.")
