"""q5's rule: the timings as verdicts, numbers only (the sentences are in ``words.py``).

Measured, and deciding (at the longest length timed, intervals against MARGIN):

- ``encoder_parallel``: the encoder's 2-thread speed-up over the LSTM's above MARGIN: confirmed if the encoder's own
  speed-up lies above 1, else qualified; below MARGIN: refuted; else inconclusive.
- ``decoder_training_not_parallel``: the causal block's speed-up over the LSTM's above MARGIN: refuted (training
  parallelises), qualified instead if it is also below 1/MARGIN of the encoder's; below MARGIN while the
  encoder's lies above it: confirmed; else inconclusive.

Derivation checks, not part of the verdict: ``teacher_forcing_one_pass`` (token by token / one pass above 1)
and ``generation_sequential`` (a generated token / a teacher-forced one above 1 at every length). Not in the seed:
``kv_cache_grows`` (the cache's speed-up and its growth with length, both above 1).

Both measured sub-claims must give the same verdict in a second, independent timing run of the deciding length
(else inconclusive, case ``runs_disagree``). Overall: the one combination rule (:func:`attnlab.lab.rules.combine`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attnlab.lab import rules
from attnlab.lab.rules import Flip, Gate, Ruling, Rulings
from attnlab.lab.spec import EvidenceSet
from attnlab.lab.timings import quiet_gate
from attnlab.questions.q5_parallel.evidence import (
    CACHE_GROWTH,
    MAX_ABS_DIFF,
    OTHERS_CORES,
    SEQUENTIAL_STEPS_ATTENTION,
    cache_speedup,
    excess_decoder_vs_encoder,
    excess_vs_lstm,
    generation_lengths,
    generation_vs_parallel,
    lengths_in,
    replicate,
    sequential_steps_lstm,
    speedup,
    thread_lengths,
    token_by_token_vs_parallel,
)
from attnlab.questions.q5_parallel.settings import FLIP_STEP, MARGIN, MATCH_TOL, MIN_REPEATS, NO_GAIN, TIMING_THREADS
from attnlab.results import Evidence

__all__ = ["DECODER", "ENCODER", "GENERATION", "KV_CACHE", "MATCH", "ONE_PASS", "decide", "no_gain_lengths"]

ENCODER, DECODER = "encoder_parallel", "decoder_training_not_parallel"  # measured, deciding
ONE_PASS, GENERATION = "teacher_forcing_one_pass", "generation_sequential"  # derivation checks
KV_CACHE = "kv_cache_grows"  # not in the seed
MATCH = "teacher_forcing_equals_token_by_token"  # gate kind "match"
Ev = Mapping[str, Evidence]


def _above(e: Evidence, x: float) -> bool:
    return rules.interval(e)[0] > x


def _below(e: Evidence, x: float) -> bool:
    return rules.interval(e)[1] < x


def no_gain_lengths(ev: Ev) -> list[int]:
    """The lengths T at which the encoder's own 2-thread speed-up does not lie above 1 (no gain there)."""
    ts = lengths_in(ev, lambda t: speedup("encoder", t))
    return [t for t in ts if not _above(ev[speedup("encoder", t)], NO_GAIN)]


def _repeats_gate(name: str, evs: list[Evidence]) -> Gate:
    short = [e.name for e in evs if (e.n or 0) < MIN_REPEATS]
    return Gate(name, not short, "repeats", {"fewest": min((e.n or 0) for e in evs), "need": MIN_REPEATS,
                                              "short": short})


def _around(name: str, x: float) -> list[tuple[str, float]]:
    """``name`` just below and just above the threshold ``x``."""
    return [(name, round(x - FLIP_STEP, 6)), (name, round(x + FLIP_STEP, 6))]


def _flips(ev: Ev, candidates: list[tuple[str, float]], verdict_of: Callable[[Ev], str], current: str) -> list[Flip]:
    """The candidates that change the verdict, one per (evidence, verdict)."""
    out: list[Flip] = []
    for f in rules.rerun_flips(ev, candidates, verdict_of, current):
        if all((g.evidence, g.verdict) != (f.evidence, f.verdict) for g in out):
            out.append(f)
    return out


def _encoder(ev: Ev, t: int) -> tuple[str, str]:
    enc_x, enc_s = ev[excess_vs_lstm("encoder", t)], ev[speedup("encoder", t)]
    if _above(enc_x, MARGIN):
        return ("confirmed", "ratio_and_own_gain") if _above(enc_s, NO_GAIN) else ("qualified", "ratio_only")
    if _below(enc_x, MARGIN):
        return "refuted", "ratio_below"
    return "inconclusive", "ratio_unclear"


def _decoder(ev: Ev, t: int) -> tuple[str, str]:
    dec_x, dec_e = ev[excess_vs_lstm("decoder", t)], ev[excess_decoder_vs_encoder(t)]
    if _above(dec_x, MARGIN):
        return ("qualified", "parallel_less_than_encoder") if _below(dec_e, 1 / MARGIN) else ("refuted", "parallel")
    if _below(dec_x, MARGIN):
        return ("confirmed", "not_parallel") if _above(ev[excess_vs_lstm("encoder", t)], MARGIN) \
            else ("inconclusive", "encoder_not_parallel_either")
    return "inconclusive", "ratio_unclear"


def in_both_runs(verdict_of: Callable[[Ev, int], tuple[str, str]], ev: Ev, t: int) -> tuple[str, str]:
    """A timing verdict that holds in two independent runs of the deciding length: the rule applied to the first
    run and to the second (its evidence in the first's place); where they differ, or the second is missing,
    inconclusive."""
    first = verdict_of(ev, t)
    names = [n for n in ev if n.endswith("_replicate")]
    if not names:
        return "inconclusive", "no_second_run"
    second = verdict_of({**ev, **{n[: -len("_replicate")]: ev[n] for n in names}}, t)
    return first if first[0] == second[0] else ("inconclusive", "runs_disagree")


def _above_one(ev: Ev, names: Sequence[str]) -> tuple[str, str]:
    """Every interval above 1: confirmed; one below 1: refuted; else inconclusive."""
    if all(_above(ev[n], NO_GAIN) for n in names):
        return "confirmed", "above_one"
    if any(_below(ev[n], NO_GAIN) for n in names):
        return "refuted", "below_one"
    return "inconclusive", "unclear"


def _claim(name: str, gates: list[Gate], evidence: list[str], ev: EvidenceSet,
           verdict_of: Callable[[Ev], tuple[str, str]], candidates: list[tuple[str, float]],
           values: dict[str, Any], basis: str = "measured", counted: bool = True) -> Ruling:
    def rule():
        verdict, case = verdict_of(ev)
        return verdict, case, values, _flips(ev, candidates, lambda e: verdict_of(e)[0], verdict)

    return rules.sub_claim(name, gates, evidence, rule, basis=basis, counted=counted)


def decide(evidence: Sequence[Evidence]) -> Rulings:
    ev = EvidenceSet(evidence)
    t, gl = thread_lengths(ev)[-1], generation_lengths(ev)
    n = gl[-1]
    gens = [generation_vs_parallel(x) for x in lengths_in(ev, generation_vs_parallel)]
    enc_x, enc_s = excess_vs_lstm("encoder", t), speedup("encoder", t)
    dec_x, dec_e = excess_vs_lstm("decoder", t), excess_decoder_vs_encoder(t)
    tbt, c_sp = token_by_token_vs_parallel(n), cache_speedup(n)
    check_enc = _repeats_gate("repeats_encoder", [ev[enc_x], ev[enc_s]])
    check_dec = _repeats_gate("repeats_decoder", [ev[dec_x], ev[dec_e]])
    check_gen = _repeats_gate("repeats_generation", [ev[x] for x in (tbt, *gens, c_sp, CACHE_GROWTH)])
    quiet = quiet_gate(ev, threads=TIMING_THREADS)
    diff = ev[MAX_ABS_DIFF].number
    same = Gate(MATCH, diff <= MATCH_TOL, "match", {"diff": diff, "tol": MATCH_TOL})
    others = [speedup("encoder", x) for x in lengths_in(ev, lambda x: speedup("encoder", x)) if x != t]

    second = [replicate(x) for x in (enc_x, enc_s, dec_x, dec_e) if replicate(x) in ev]
    c1 = _claim(ENCODER, [check_enc, quiet],
                [enc_x, enc_s, *second[:2], speedup("lstm", t), SEQUENTIAL_STEPS_ATTENTION, sequential_steps_lstm(t),
                 OTHERS_CORES, *others], ev, lambda e: in_both_runs(_encoder, e, t),
                [*_around(enc_x, MARGIN), *_around(enc_s, NO_GAIN)], {"T": t, "no_gain_at": no_gain_lengths(ev)})
    c2 = _claim(DECODER, [check_dec, quiet, same], [dec_x, dec_e, enc_x, *second[2:]], ev,
                lambda e: in_both_runs(_decoder, e, t),
                [*_around(dec_x, MARGIN), *_around(dec_e, 1 / MARGIN), *_around(enc_x, MARGIN)], {"T": t, "L": n})
    c2b = _claim(ONE_PASS, [check_gen, quiet, same], [tbt, MAX_ABS_DIFF], ev, lambda e: _above_one(e, [tbt]),
                 _around(tbt, NO_GAIN), {"L": n}, basis="derivation")
    c3 = _claim(GENERATION, [check_gen, quiet], gens, ev, lambda e: _above_one(e, gens),
                [c for g in gens for c in _around(g, NO_GAIN)], {"lengths": lengths_in(ev, generation_vs_parallel)},
                basis="derivation")
    c4 = _claim(KV_CACHE, [check_gen, quiet], [c_sp, CACHE_GROWTH], ev, lambda e: _above_one(e, [c_sp, CACHE_GROWTH]),
                [*_around(c_sp, NO_GAIN), *_around(CACHE_GROWTH, NO_GAIN)], {"L": n, "from": gl[0]},
                counted=False)  # not in the seed: shown, not counted

    return rules.combine((c1, c2, c2b, c3, c4), (check_enc, check_dec, quiet, same), {"T": t, "L": n})
