"""q5's words: the rulings of ``rule.py`` as sentences, in English and Chinese (no threshold defined here)."""

from __future__ import annotations

from attnlab.lab.rules import GATE_FAILED, Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, join, load_sentence, num, sci
from attnlab.questions.q5_parallel.answer import answer
from attnlab.questions.q5_parallel.evidence import (
    CACHE_GROWTH,
    MAX_ABS_DIFF,
    cache_speedup,
    device_speedup,
    excess_decoder_vs_encoder,
    excess_vs_lstm,
    generation_lengths,
    generation_vs_parallel,
    gflops,
    speedup,
    thread_lengths,
    token_by_token_vs_parallel,
    us_per_token,
)
from attnlab.questions.q5_parallel.oneline import oneline
from attnlab.questions.q5_parallel.rule import DECODER, ENCODER, GENERATION, KV_CACHE, ONE_PASS, no_gain_lengths
from attnlab.questions.q5_parallel.settings import ARCHS, BATCH, FLAT_STEP_COST, MARGIN, SHORT

STATEMENTS = {
    ENCODER: ("The encoder processes all positions in parallel; an RNN must go in order.",
              "编码器对所有位置并行计算；RNN 必须按顺序计算。"),
    DECODER: ("The decoder side is not parallel (the seed does not restrict this to generation, so it is tested where "
              "it can fail: in training, one token at a time or all at once).",
              "解码器侧不能并行（原文没有限定为生成阶段，所以在可能出错的地方检验：训练时是逐词元还是一次处理全部）。"),
    ONE_PASS: ("(Derivation check.) With teacher forcing, one causal pass computes what decoding token by token "
               "computes, in less time.",
               "（推导检验）用教师强制时，一次因果前向就能算出逐词元解码所算的内容，而且更快。"),
    GENERATION: ("Generation decodes one token at a time, each input depending on the previous output.",
                 "生成时一次解码一个词元，每一步的输入依赖上一步的输出。"),
    KV_CACHE: ("(Not in the seed.) The KV cache's speed-up grows with the generated length.",
               "（原文未提及）KV 缓存带来的加速随生成长度增大。"),
}
IN_PRACTICE = {  # the derivation checks: why nothing measured can change them in practice
    ONE_PASS: ("Nothing measured can in practice: a per-call cost alone makes n calls slower than one; only a time "
               "ratio whose interval lies below 1 would, and that would be a bug, not a finding",
               "实际上任何测量都改变不了：仅每次调用的固定开销就让 n 次调用慢于一次；"
               "只有区间低于 1 的耗时之比才会改变它，而那是代码有错，不是新发现"),
    GENERATION: ("Nothing measured can in practice: token t+1 needs token t by construction, and a per-call cost alone "
                 "makes a generated token dearer; only an interval below 1 would, and that would be a bug",
                 "实际上任何测量都改变不了：按构造第 t+1 个词元需要第 t 个，仅每次调用的固定开销就让生成的词元更贵；"
                 "只有区间低于 1 才会改变它，而那是代码有错"),
}


def no_gain_text(ev, lang: str) -> str:
    """The lengths where the encoder's own speed-up shows no gain, said as what they show ("" if none)."""
    flat = no_gain_lengths(ev)
    if not flat:
        return ""
    zh, longest = lang == "zh", thread_lengths(ev)[-1]
    where = join([f"T={t}" for t in flat], lang)
    if zh:
        nums = "，".join(f"T={t} 时为 {fmt(ev[speedup('encoder', t)], lang, 2)}" for t in flat)
        if max(flat) < longest:
            return (f"序列较短时编码器从第二个线程得不到明确的好处（它自身的加速比 {nums}）：批大小为 {BATCH} 时，"
                    f"只有位置足够多，位置维度上的并行才有回报，所以 {where} 没有优势。")
        return (f"编码器在 {where} 都没有从第二个线程得到明确的好处（它自身的加速比 {nums}），包括测量的最长长度："
                "这些计时没有显示编码器自身的加速，更长的序列才能说明它何时有回报。")
    nums = ", ".join(f"{fmt(ev[speedup('encoder', t)], lang, 2)} at T={t}" for t in flat)
    if max(flat) < longest:
        return (f"At shorter sequences the encoder shows no clear gain from the second thread (its own speed-up "
                f"{nums}): with batch {BATCH}, parallelism over positions pays only once there are enough positions, "
                f"so {where} {'shows' if len(flat) == 1 else 'show'} no advantage.")
    return (f"The encoder shows no clear gain of its own from the second thread at {where} (its own speed-up {nums}), "
            "the longest length timed included: these timings do not show the encoder's own gain, and only longer "
            "sequences can show when it pays.")


def second_run(ev, name: str, case: str, lang: str) -> str:
    """The deciding ratio in the second, independent timing run, and whether the two runs agree."""
    zh, other = lang == "zh", ev.get(f"{name}_replicate")
    if other is None:
        return ("没有第二次独立计时，因此不下结论。" if zh
                else " There is no second, independent timing run, so no verdict.")
    value = fmt(other, lang, 2)
    if case == "runs_disagree":
        return (f"第二次独立计时得到 {value}，两次结论不一致，因此不下结论。" if zh
                else f" A second, independent timing run gives {value}; the two runs disagree, so no verdict.")
    return (f"第二次独立计时得到 {value}，结论相同。" if zh
            else f" A second, independent timing run gives {value}, to the same verdict.")


class ParallelWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return STATEMENTS[r.name][lang == "zh"]

    def gate(self, g: Gate, ev, lang: str) -> str:
        v, zh = g.values, lang == "zh"
        if g.kind == "repeats":
            short = (("；次数不足：" + "、".join(v["short"])) if zh else "; short: " + ", ".join(v["short"])) \
                if v["short"] else ""
            return (f"这些比值背后最少的计时重复次数：{v['fewest']}"
                    f"（需要 {v['need']} 次；机器繁忙时试验会提前停止）{short}" if zh
                    else f"fewest timing repeats behind these ratios: {v['fewest']} (need {v['need']}; a busy "
                         f"machine stops a trial early){short}")
        if g.kind == "match":
            return (f"一次因果前向与逐词元计算：logits 的最大 |差| 为 {sci(v['diff'])}（容差 {sci(v['tol'])}）" if zh
                    else f"one causal pass vs token by token: max |logit difference| {sci(v['diff'])} (tolerance "
                         f"{sci(v['tol'])})")
        return super().gate(g, ev, lang)

    def rule(self, r: Ruling, ev) -> str:
        v, m = r.values, num(MARGIN, 1)
        if r.name == ENCODER:
            t = v["T"]
            enc_s, enc_x, lstm = (fmt(ev[x], "en", 2) for x in (speedup("encoder", t), excess_vs_lstm("encoder", t),
                                                                  speedup("lstm", t)))
            short = no_gain_text(ev, "en")
            return (f"{r.verdict}: at T={t}, batch {BATCH}, the encoder block's 2-thread speed-up is {enc_s}x and "
                    f"{enc_x} times the LSTM's ({lstm}x); the LSTM has T dependent steps, attention 1 (derivation). "
                    f"Rule (at the longest length timed): confirmed if the ratio's interval lies above {m} and the "
                    f"encoder's own speed-up above 1; qualified if only the ratio does (the encoder gains more than "
                    f"the LSTM without a clear gain of its own); refuted if the ratio's interval lies below {m}; else "
                    f"inconclusive." + (f" {short}" if short else ""))
        if r.name == DECODER:
            t, lo_m = v["T"], num(1 / MARGIN, 2)
            dec_x, dec_e, enc_x = (fmt(ev[x], "en", 2) for x in (excess_vs_lstm("decoder", t),
                                                                 excess_decoder_vs_encoder(t),
                                                                 excess_vs_lstm("encoder", t)))
            return (f"{r.verdict}: in training (teacher forcing) the causal block's 2-thread speed-up is {dec_x} times "
                    f"the LSTM's at T={t} and {dec_e} times the encoder's (the encoder's: {enc_x} times the LSTM's). "
                    f"Rule (for the claim that the decoder is not parallel; only the thread speed-ups, which can fail, "
                    f"decide it): refuted if the causal block / LSTM ratio's interval lies above {m} (training "
                    f"parallelises over positions), qualified instead if moreover the causal block / encoder ratio's "
                    f"interval lies below {lo_m} (parallel, but clearly less than the encoder); confirmed if the "
                    f"causal block / LSTM ratio's interval lies below {m} while the encoder's lies above it (the "
                    f"measure sees the encoder's parallelism but not the decoder's); else inconclusive. That one "
                    f"causal pass is faster than feeding the tokens one at a time "
                    f"({fmt(ev[token_by_token_vs_parallel(v['L'])], 'en', 1)} times at {v['L']} tokens) cannot fail "
                    "(a per-call cost alone makes it so) and is a separate derivation check.")
        if r.name == ONE_PASS:
            return (f"{r.verdict} (derivation check, not part of the overall verdict): one causal pass gives the same "
                    f"logits as token by token (max |difference| {sci(ev[MAX_ABS_DIFF].number)}), and feeding "
                    f"{v['L']} given tokens one at a time takes {fmt(ev[token_by_token_vs_parallel(v['L'])], 'en', 1)} "
                    "times as long. Rule: confirmed if the time ratio's interval lies above 1, refuted if below, else "
                    "inconclusive; it could fail only if n calls cost no more than one, so it shows the size of the "
                    "gain, not whether there is one.")
        if r.name == GENERATION:
            return (f"{r.verdict} (derivation check, not part of the overall verdict): a generated token (with the KV "
                    f"cache) against a token of a teacher-forced pass over the same number of tokens: "
                    f"{_generation_numbers(v, ev, 'en')}. That token t+1 needs token t is a derivation; the rule "
                    "(confirmed if every interval lies above 1, refuted if one lies below) could fail only if a pass "
                    "over all positions gained nothing over one position at a time, which a per-call cost alone rules "
                    "out, so it shows the cost of sequential generation, not whether it is sequential.")
        n = v["L"]
        return (f"{r.verdict}: the cache speeds generation of {n} tokens up {fmt(ev[cache_speedup(n)], 'en', 2)}x, and "
                f"its speed-up at {n} tokens is {fmt(ev[CACHE_GROWTH], 'en', 2)} times that at {v['from']}. Rule: "
                "confirmed if both intervals lie above 1, refuted if one lies below, else inconclusive.")

    def because(self, r: Ruling, ev, lang: str) -> str:
        v, zh = r.values, lang == "zh"
        if r.name == ENCODER:
            t = v["T"]
            enc_s, enc_x, lstm = (fmt(ev[x], lang, 2) for x in (speedup("encoder", t), excess_vs_lstm("encoder", t),
                                                                  speedup("lstm", t)))
            short = no_gain_text(ev, lang)
            if zh:
                return (f"T={t}、批大小 {BATCH} 时，第二个线程带来的加速比：编码器块为 {enc_s}，LSTM 为 {lstm}；"
                        f"编码器的加速比是 LSTM 的 {enc_x} 倍。{short}"
                        + second_run(ev, excess_vs_lstm("encoder", t), r.case, lang))
            return (f"At T={t}, batch {BATCH}, a second thread gives the encoder block a speed-up of {enc_s} and the "
                    f"LSTM one of {lstm}: the encoder's speed-up is {enc_x} times the LSTM's." + (f" {short}" if short
                                                                                                   else "")
                    + second_run(ev, excess_vs_lstm("encoder", t), r.case, lang))
        if r.name == DECODER:
            t = v["T"]
            dec_x = fmt(ev[excess_vs_lstm("decoder", t)], lang, 2)
            dec_e = fmt(ev[excess_decoder_vs_encoder(t)], lang, 2)
            return (f"训练时（教师强制），T={t} 下第二个线程对因果掩码块的加速比是对 LSTM 的 {dec_x} 倍，"
                    f"是对编码器块的 {dec_e} 倍。" if zh
                    else f"In training (teacher forcing), a second thread's speed-up on the causal block is {dec_x} "
                         f"times its speed-up on the LSTM at T={t}, and {dec_e} times its speed-up on the encoder "
                         "block.") + second_run(ev, excess_vs_lstm("decoder", t), r.case, lang)
        if r.name == ONE_PASS:
            n, diff = v["L"], sci(ev[MAX_ABS_DIFF].number)
            tbt = fmt(ev[token_by_token_vs_parallel(n)], lang, 1)
            return (f"用教师强制时，一次因果前向算出的 logits 与逐词元计算相同（最大差 {diff}）；"
                    f"把 {n} 个词元逐个送入要 {tbt} 倍的时间。" if zh
                    else f"With teacher forcing one causal pass computes the same logits as token by token (max "
                         f"difference {diff}); feeding the {n} tokens one at a time takes {tbt} times as long.")
        if r.name == GENERATION:
            nums = _generation_numbers(v, ev, lang)
            return (f"按每个词元计，使用 KV 缓存生成的耗时是同样多词元教师强制前向的：{nums}。" if zh
                    else f"Per token, generating with the KV cache takes this many times as long as a teacher-forced "
                         f"pass over the same number of tokens: {nums}.")
        n, sp, gr = v["L"], fmt(ev[cache_speedup(v["L"])], lang, 2), fmt(ev[CACHE_GROWTH], lang, 2)
        return (f"不用 KV 缓存时，生成 {n} 个词元的耗时是使用时的 {sp} 倍；{n} 个词元时的这一加速比是 {v['from']} "
                f"个词元时的 {gr} 倍。" if zh
                else f"Without the cache, generating {n} tokens takes {sp} times as long as with it, and this speed-up "
                     f"at {n} tokens is {gr} times the one at {v['from']} tokens.")

    def would_change(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        if r.case == GATE_FAILED:
            return super().would_change(r, ev, lang)
        flips = ("；" if zh else "; ").join(self.flip(f, ev, lang) for f in r.flips)
        if r.name in IN_PRACTICE and r.verdict == "confirmed":
            return f"{IN_PRACTICE[r.name][zh]}：{flips}。" if zh else f"{IN_PRACTICE[r.name][zh]}: {flips}."
        if r.verdict == "inconclusive" or not r.flips:
            more = ("增加计时重复次数，使每个区间都落到其阈值的一侧" if zh
                    else "More timing repeats, so that every interval falls on one side of its threshold")
            return (f"{more}：{flips}。" if zh else f"{more}: {flips}.") if flips else f"{more}{'。' if zh else '.'}"
        return super().would_change(r, ev, lang)

    def summary(self, rs: Rulings, ev) -> str:
        t, n = rs.values["T"], rs.values["L"]
        n_lo = generation_lengths(ev)[0]
        step_lo, step_hi = ev[us_per_token("cached", n_lo)].number, ev[us_per_token("cached", n)].number
        sp = {a: fmt(ev[speedup(a, t)], "en", 2) for a in ARCHS}
        short = no_gain_text(ev, "en")
        return (
            f"One layer, batch {BATCH}, T={t}: a second thread gives the encoder block a speed-up of "
            f"{sp['encoder']}, the same block with a causal mask {sp['decoder']}, the convolution {sp['cnn']} and the "
            f"LSTM {sp['lstm']}; with 2 threads they achieve "
            + ", ".join(f"{SHORT[a]} {num(ev[gflops(a, t, '2')].number, 1)}" for a in ARCHS)
            + " GFLOP/s (1 thread: " + ", ".join(num(ev[gflops(a, t, "1")].number, 1) for a in ARCHS) + "). "
            f"Feeding {n} given tokens one at a time through a causal LM takes "
            f"{fmt(ev[token_by_token_vs_parallel(n)], 'en', 1)} times as long as one pass over them, which gives the "
            f"same logits (max difference {sci(ev[MAX_ABS_DIFF].number)}); a generated token costs "
            f"{fmt(ev[generation_vs_parallel(n)], 'en', 1)} times a teacher-forced one, and generating {n} tokens "
            f"without the KV cache takes {fmt(ev[cache_speedup(n)], 'en', 2)} times as long as with it. With the cache "
            f"a generated token costs {num(step_lo, 0)} µs at {n_lo} tokens and {num(step_hi, 0)} µs at {n}"
            + (": nearly flat, so each step's cost is mostly fixed per call (a small model), which is what one pass "
               "over all positions saves. " if step_hi < FLAT_STEP_COST * step_lo else
               ": it grows with the keys each step attends to. ") + _device_text(ev, t)
            + load_sentence(ev, "en") + " " + (f"{short} " if short else "")
            + f"Regime: one CPU process, 1 vs 2 torch threads, batch {BATCH}, one seed for the inputs; each interval "
            "is over repeats of this one process on this machine (a descriptive spread, not over machines or seeds), "
            "and two CPU threads are a narrow stand-in for parallel hardware. Timings vary from run to run. "
            + self.overall(rs, ev))

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return answer(rs, ev, lang)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return oneline(rs, ev, lang)


def _generation_numbers(v: dict, ev, lang: str) -> str:
    lengths = v["lengths"]
    if lang == "zh":
        return "，".join(f"{x} 个词元时为 {fmt(ev[generation_vs_parallel(x)], lang, 1)} 倍" for x in lengths)
    return ", ".join(f"{x} tokens {fmt(ev[generation_vs_parallel(x)], lang, 1)}x" for x in lengths)


def _device_text(ev, t: int) -> str:
    """A sentence on the GPU's speed-up over the CPU, when a GPU was measured (full profile)."""
    found = {a: ev[device_speedup(a, t)] for a in ARCHS if device_speedup(a, t) in ev}
    if not found:
        return ""
    return (f"On the GPU, one layer's forward+backward pass at T={t} runs "
            + ", ".join(f"{SHORT[a]} {fmt(e, 'en', 1)}x" for a, e in found.items()) + " faster than on the CPU. ")


WORDS = ParallelWords()
