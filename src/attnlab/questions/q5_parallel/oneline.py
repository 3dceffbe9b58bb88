"""q5's one-line answer (en, zh): the verdict in words and the one number that makes it stick, read off the rule.

The number is the thread speed-up ratio that decides: how much a second CPU thread helps a block, as a multiple of
how much it helps an LSTM (or, where the decoder parallelises less than the encoder, of how much it helps the
encoder). An undecided answer says which ratio is too close to its bar, or which precondition failed.
"""

from __future__ import annotations

from attnlab.lab.rules import GATE_FAILED, Rulings
from attnlab.lab.words import num, sci
from attnlab.questions.q5_parallel.evidence import excess_decoder_vs_encoder, excess_vs_lstm, speedup
from attnlab.questions.q5_parallel.rule import DECODER, ENCODER, MATCH
from attnlab.questions.q5_parallel.settings import MARGIN

__all__ = ["oneline"]


def _x(e) -> str:
    return num(e.number, 2)


def _gate(rs: Rulings, zh: bool) -> str:
    """Why nothing is decided: the first failed precondition, in a few words."""
    g = next(g for g in rs.gates if not g.passed)
    v = g.values
    if g.kind == "repeats":
        return (f"尚无定论：机器繁忙，计时只重复了 {v['fewest']} 次（需要 {v['need']} 次）。" if zh
                else f"Not settled yet: a busy machine stopped the timings after {v['fewest']} repeats "
                     f"(need {v['need']}).")
    if g.kind == "quiet":
        return (f"尚无定论：计时期间其他进程平均占用 {num(v['load'], 2)} 个核，需要在空闲时重新计时。" if zh
                else f"Not settled yet: other processes kept {num(v['load'], 2)} cores busy while timing; "
                     "time again on a quiet machine.")
    if g.name == MATCH:
        return (f"尚无定论：一次因果前向与逐词元计算的 logits 相差 {sci(v['diff'])}，两者本应相同。" if zh
                else f"Not settled yet: one causal pass and token-by-token decoding differ by {sci(v['diff'])} "
                     "in their logits; they should agree.")
    return "尚无定论：有一项前提条件未满足。" if zh else f"Not settled yet: the check {g.name} failed."


def _undecided(rs: Rulings, ev, zh: bool) -> str:
    """The first measured sub-claim left undecided: its ratio, too close to the bar."""
    t, m = rs.values["T"], num(MARGIN, 1)
    enc = _x(ev[excess_vs_lstm("encoder", t)])
    for name, arch in ((ENCODER, "encoder"), (DECODER, "decoder")):
        if rs.claim(name).case == "runs_disagree":
            a, b = _x(ev[excess_vs_lstm(arch, t)]), _x(ev[f"{excess_vs_lstm(arch, t)}_replicate"])
            return (f"尚无定论：两次独立计时不一致（{a} 倍与 {b} 倍）。" if zh
                    else f"Not settled yet: two independent timing runs disagree ({a}x and {b}x an LSTM's gain).")
        if rs.claim(name).case == "no_second_run":
            return ("尚无定论：只有一次计时，没有第二次独立计时。" if zh
                    else "Not settled yet: one timing run only, no second independent one.")
    if rs.claim(ENCODER).verdict == "inconclusive":
        return (f"尚无定论：第二个线程对编码器的帮助是对 LSTM 的 {enc} 倍，离 {m} 倍的界线太近。" if zh
                else f"Not settled yet: a second thread helps the encoder {enc}x as much as an LSTM, too close "
                     f"to the {m}x bar.")
    if rs.claim(DECODER).case == "encoder_not_parallel_either":
        return (f"尚无定论：第二个线程对编码器的帮助也只是对 LSTM 的 {enc} 倍，无从判断解码器。" if zh
                else f"Not settled yet: the encoder shows no clear parallel gain either ({enc}x an LSTM's), so the "
                     "decoder cannot be judged.")
    dec = _x(ev[excess_vs_lstm("decoder", t)])
    return (f"尚无定论：第二个线程对因果解码器的帮助是对 LSTM 的 {dec} 倍，离 {m} 倍的界线太近。" if zh
            else f"Not settled yet: a second thread helps the causal decoder {dec}x as much as an LSTM, too close "
                 f"to the {m}x bar.")


def oneline(rs: Rulings, ev, lang: str) -> str:
    """One sentence: the verdict in words and its deciding ratio (at most 25 words / 50 characters)."""
    zh, t = lang == "zh", rs.values["T"]
    if rs.case == GATE_FAILED:
        return _gate(rs, zh)
    if rs.verdict == "inconclusive":
        return _undecided(rs, ev, zh)
    enc, dec = (_x(ev[excess_vs_lstm(a, t)]) for a in ("encoder", "decoder"))
    enc_verdict, dec_verdict = rs.claim(ENCODER).verdict, rs.claim(DECODER).verdict
    if enc_verdict == "inconclusive":  # decided on the decoder alone
        if dec_verdict == "refuted":
            return (f"不成立：训练时解码器同样并行，第二个线程对它的帮助是对 LSTM 的 {dec} 倍。" if zh
                    else f"No: in training the decoder is parallel too, a second thread helping it {dec}x as much "
                         "as an LSTM.")
        return (f"部分成立：因果解码器从第二个线程得到的帮助不比 LSTM 多（{dec} 倍），编码器尚无定论。" if zh
                else f"Partly: the causal decoder gains no more from a second thread than an LSTM ({dec}x); the "
                     "encoder is not settled.")
    if dec_verdict == "inconclusive" and enc_verdict in ("confirmed", "qualified"):
        return (f"部分成立：第二个线程对编码器的帮助是 LSTM 的 {enc} 倍；解码器尚无定论（{dec} 倍）。" if zh
                else f"Partly: a second thread helps the encoder {enc}x as much as an LSTM; the decoder is not settled "
                     f"({dec}x).")
    if rs.verdict == "refuted":
        return (f"不成立：第二个线程对编码器的帮助只是对 LSTM 的 {enc} 倍，并不明显更多。" if zh
                else f"No, not here: a second thread helps the encoder only {enc}x as much as an LSTM, not "
                     "clearly more.")
    if rs.verdict == "confirmed":
        return (f"成立：第二个线程对编码器的帮助是对 LSTM 的 {enc} 倍，对因果解码器则不比 LSTM 多。" if zh
                else f"Yes, here: a second thread helps the encoder {enc}x as much as an LSTM, but the causal "
                     "decoder no more than an LSTM.")
    if dec_verdict == "refuted":  # the decoder parallelises in training: only generation is sequential
        return (f"只对生成成立：训练时解码器同样并行，第二个线程对它的帮助是对 LSTM 的 {dec} 倍。" if zh
                else f"True only for generation: in training the decoder is parallel too, a second thread helping it "
                     f"{dec}x as much as an LSTM.")
    if dec_verdict == "qualified":
        de = _x(ev[excess_decoder_vs_encoder(t)])
        return (f"部分成立：训练时解码器能并行，但第二个线程对它的帮助只有对编码器的 {de} 倍。" if zh
                else f"Partly: in training the decoder parallelises, but a second thread helps it only {de}x as "
                     "much as the encoder.")
    own = _x(ev[speedup("encoder", t)])  # the decoder did not parallelise; the encoder beat the LSTM only
    return (f"部分成立：解码器没有并行起来，编码器自身从第二个线程得到的加速（{own} 倍）也不明显。" if zh
            else f"Partly: the decoder did not parallelise, and the encoder's own speed-up from a second thread "
                 f"({own}x) is not clear either.")
