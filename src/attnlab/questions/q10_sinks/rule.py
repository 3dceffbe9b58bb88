"""q10's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q10_sinks import arm_evidence as arms
from attnlab.questions.q10_sinks import evidence as names
from attnlab.questions.q10_sinks.condition_rules import SAME_WEIGHTS_GATE as SAME_WEIGHTS_GATE
from attnlab.questions.q10_sinks.condition_rules import (
    at_ceiling,
    cost_of,
    diff_cost,
    diff_removes,
    eviction,
    lower,
    same_weights_gate,
    upper,
    with_sinks,
)
from attnlab.questions.q10_sinks.settings import (
    ACC_MARGIN,
    CEILING,
    DIFFERENTIAL,
    KEEP,
    LITTLE,
    LOSS_MARGIN,
    MIN_REACHED,
    NO_RISE,
    NUDGE,
    PARK_FACTOR,
    SAME,
    STEP_MARGIN,
)
from attnlab.results import Evidence

ENCODER_PARKS = "encoder_parks"
CARRIES_LITTLE = "parked_carries_little"
LM_SINK = "lm_first_token_sink"
SINK_REMOVES = "sink_removes_parking"
NO_COST = "sink_costs_nothing"
DIFF_REMOVES = "differential_removes_parking"
DIFF_COST = "differential_costs_nothing"
EVICTION = "evicting_first_tokens_hurts"

MINILM_GATE = "minilm_available"  # kind "available": the encoder was measured
PARKS_GATE = "minilm_parks_somewhere"  # kind "parks_somewhere": values k of n layers park
HAS_SINK_GATE = "softmax_lm_has_sink"  # kind "above": values evidence, bound

Ev = Mapping[str, Evidence]
Outcome = tuple[str, str, dict[str, Any]]


def learned_gate(ev: Ev, c: str) -> Gate:
    return rules.reached_gate(f"learned_{c}", ev[names.steps(c)], min_fraction=MIN_REACHED)


def parked_layers(ev: Ev) -> list[int]:
    """MiniLM layers whose [CLS]+[SEP] ratio's interval lies above the parking factor."""
    return [l for l in names.layers(ev) if lower(ev, names.special_ratio(l)) > PARK_FACTOR]


def standard_gates(ev: Ev) -> tuple[Gate, ...]:
    """The four standard checks of the trained LMs: every condition's accuracy on the predictable tokens above
    the order-free baseline; no chosen rate at its sweep's edge; every LM read at one step; and off the ceiling
    in steps to the threshold (accuracy ends at its ceiling, so the steps are the measure that can differ)."""
    conds = names.conditions(ev)
    base = ev[names.baseline("order_free")].number
    learned = protocol.learned(ev, [(names.acc(c), base) for c in conds])
    lr_names = [names.lr(c) for c in conds]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    return protocol.standard_gates(
        learned, tuned, protocol.equal_budget(ev, names.READ_AT),
        protocol.below_ceiling(ev, [names.steps(c) for c in conds], float(ev[names.EVAL_EVERY].number),
                               higher_is_better=False, margin=0.0))


def _minilm_gate(ev: Ev) -> Gate:
    return Gate(MINILM_GATE, names.MINILM_LAYERS in ev, "available", {"evidence": names.MINILM_AVAILABLE})


def _parks_gate(ev: Ev) -> Gate:
    k, n = len(parked_layers(ev)), len(names.layers(ev))
    return Gate(PARKS_GATE, k > 0, "parks_somewhere", {"k": k, "n": n})


def _has_sink_gate(ev: Ev) -> Gate:
    ratio = names.first_max_ratio("softmax")
    return Gate(HAS_SINK_GATE, lower(ev, ratio) > PARK_FACTOR, "above", {"evidence": ratio, "bound": PARK_FACTOR})


def _around(threshold: float, nudge: float) -> tuple[float, float]:
    return threshold - nudge, threshold + nudge


# ---- the sub-claims: (verdict, case, values) from the evidence ----
def _encoder_parks(ev: Ev) -> Outcome:
    layers = names.layers(ev)
    parked = parked_layers(ev)
    not_parked = [l for l in layers if upper(ev, names.special_ratio(l)) < PARK_FACTOR]
    values = {"layers": layers, "parked": parked, "not_parked": not_parked}
    if 2 * len(parked) >= len(layers):
        return "confirmed", "most_park", values
    if len(not_parked) == len(layers):
        return "refuted", "none_park", values
    return ("qualified", "some_park", values) if parked else ("inconclusive", "unclear", values)


def _carries_little(ev: Ev) -> Outcome:
    parked = parked_layers(ev)
    r = {l: rules.interval(ev[names.norm_over_weight(l)]) for l in parked}
    little = [l for l, (_, hi) in r.items() if hi < LITTLE]
    less = [l for l, (_, hi) in r.items() if hi < SAME]
    more = [l for l, (lo, _) in r.items() if lo > SAME]
    values = {"parked": parked, "little": little, "less": less, "more": more}
    if len(little) == len(r):
        return "confirmed", "all_little", values
    if len(more) == len(r):
        return "refuted", "all_more", values
    return ("qualified", "all_less", values) if len(less) == len(r) else ("inconclusive", "unclear", values)


def _lm_sink(ev: Ev) -> Outcome:
    lo, hi = rules.interval(ev[names.first_max_ratio("softmax")])
    grew = lower(ev, names.first_max_growth("softmax")) > NO_RISE
    if lo > PARK_FACTOR:
        return ("confirmed", "parks_and_rose", {}) if grew else ("qualified", "parks_no_rise", {})
    return ("refuted", "below", {}) if hi < PARK_FACTOR else ("inconclusive", "unclear", {})


def _sink_removes(ev: Ev) -> Outcome:
    variants = names.sink_variants(ev)
    gone = [c for c in variants if upper(ev, names.first_max_ratio(c)) < PARK_FACTOR]
    stays = [c for c in variants if lower(ev, names.first_max_ratio(c)) > PARK_FACTOR]
    values = {"gone": gone, "stays": stays}
    if len(gone) == len(variants):
        return "confirmed", "all_gone", values
    if len(stays) == len(variants):
        return "refuted", "all_stay", values
    return ("qualified", "some_gone", values) if gone else ("inconclusive", "unclear", values)


def _no_cost(ev: Ev) -> Outcome:
    variants = names.sink_variants(ev)
    worse = [c for c in variants if cost_of(ev, c) == "worse"]
    fine = [c for c in variants if cost_of(ev, c) == "fine"]
    ceiling = at_ceiling(ev)
    values = {"fine": fine, "worse": worse, "ceiling": ceiling}
    if len(fine) == len(variants) and not ceiling:
        return "confirmed", "all_fine", values
    if len(worse) == len(variants):
        return "refuted", "all_worse", values
    if fine:
        return "qualified", ("ceiling" if ceiling and len(fine) == len(variants) else "some_fine"), values
    return "inconclusive", "unclear", values


# ---- gates, evidence and flip candidates of each sub-claim ----
def _gates(name: str, ev: Ev) -> list[Gate]:
    """A sub-claim's preconditions: the encoder's, or (the trained LMs) the standard checks and its own."""
    conds = names.conditions(ev)
    if name == ENCODER_PARKS:
        return [_minilm_gate(ev)]
    if name == CARRIES_LITTLE:
        return [_minilm_gate(ev), _parks_gate(ev)]
    standard = list(standard_gates(ev))
    if name == LM_SINK:
        return [*standard, learned_gate(ev, conds[0])]
    if name == EVICTION:
        return [*standard, *(learned_gate(ev, c) for c in arms.stream_conditions(ev)), same_weights_gate(ev)]
    compared = ["softmax", DIFFERENTIAL] if name in (DIFF_REMOVES, DIFF_COST) else with_sinks(ev)
    learned = [*standard, *(learned_gate(ev, c) for c in compared)]
    return [*learned, _has_sink_gate(ev)] if name in (SINK_REMOVES, DIFF_REMOVES) else learned


def _evidence(name: str, ev: Ev) -> list[str]:
    layers, conds = names.layers(ev), with_sinks(ev)
    variants = conds[1:]
    if name == ENCODER_PARKS:
        return ([names.special_ratio(l) for l in layers] + [names.MINILM_UNIFORM] * bool(layers)
                + [names.MINILM_AVAILABLE])
    if name == CARRIES_LITTLE:
        return [names.norm_over_weight(l) for l in layers] + [names.MINILM_AVAILABLE]
    if name == LM_SINK:
        return [names.first_max_ratio("softmax"), names.first_max("softmax"), names.sink_heads("softmax"),
                names.first_max_ratio_init("softmax"), names.first_max_growth("softmax")]
    if name == DIFF_REMOVES:
        d = DIFFERENTIAL
        return [names.first_max_ratio(d), names.first_max(d), names.first_max_drop(d), names.first_mean_drop(d),
                names.sink_heads(d), arms.DIFF_LAMBDA]
    if name == DIFF_COST:
        return [names.acc_diff(DIFFERENTIAL), names.steps_ratio(DIFFERENTIAL), names.acc("softmax"),
                names.acc(DIFFERENTIAL)]
    if name == EVICTION:
        cs = arms.stream_conditions(ev)
        return ([arms.evict_cost(c, KEEP) for c in cs] + [arms.keep_gap(c, KEEP) for c in cs]
                + [arms.evict_acc(c, KEEP) for c in cs] + [arms.STREAM_WINDOW, arms.STREAM_SAME_WEIGHTS]
                + [n for n in (arms.STREAM_SEQ_LEN, arms.STREAM_LOOKBACK) if n in ev])
    if name == SINK_REMOVES:
        return ([names.first_max_ratio(c) for c in variants] + [names.first_max_drop(c) for c in variants]
                + [names.sink_mass(c) for c in variants]
                + [n for n in (names.SINK_LOGIT_HEADS, names.SINK_LOGIT_MAX_ABS) if n in ev])
    return ([names.acc_diff(c) for c in variants] + [names.steps_ratio(c) for c in variants]
            + [names.acc(c) for c in conds])


def _candidates(name: str, ev: Ev) -> list[tuple[str, float]]:
    """Values just across each threshold, for each number the sub-claim reads."""
    park = _around(PARK_FACTOR, NUDGE["park"])
    variants = names.sink_variants(ev)
    loss = _around(LOSS_MARGIN, NUDGE["loss"])
    if name == DIFF_REMOVES:
        return ([(names.first_max_ratio(DIFFERENTIAL), x) for x in park]
                + [(names.first_max_drop(DIFFERENTIAL), x) for x in _around(0.0, NUDGE["drop"])])
    if name == DIFF_COST:
        return ([(names.acc_diff(DIFFERENTIAL), x) for x in _around(-ACC_MARGIN, NUDGE["acc"])]
                + [(names.steps_ratio(DIFFERENTIAL), x) for x in _around(STEP_MARGIN, NUDGE["steps"])]
                + [(names.acc(c), x) for c in ("softmax", DIFFERENTIAL) for x in _around(CEILING, NUDGE["ceiling"])])
    if name == EVICTION:
        return ([(arms.evict_cost(c, KEEP), x) for c in arms.stream_conditions(ev) for x in loss]
                + [(arms.keep_gap("softmax", KEEP), x) for x in loss])
    if name == ENCODER_PARKS:
        return [(names.special_ratio(l), x) for l in names.layers(ev) for x in park]
    if name == CARRIES_LITTLE:
        return ([(names.norm_over_weight(l), x) for l in parked_layers(ev)
                 for x in (*_around(LITTLE, NUDGE["little"]), *_around(SAME, NUDGE["little"]))]
                + [(names.special_ratio(l), park[0]) for l in parked_layers(ev)])
    if name == LM_SINK:
        return ([(names.first_max_ratio("softmax"), x) for x in park]
                + [(names.first_max_growth("softmax"), x) for x in _around(NO_RISE, NUDGE["rise"])])
    if name == SINK_REMOVES:
        return [(names.first_max_ratio(c), x) for c in variants for x in park]
    return ([(names.acc_diff(c), x) for c in variants for x in _around(-ACC_MARGIN, NUDGE["acc"])]
            + [(names.steps_ratio(c), x) for c in variants for x in _around(STEP_MARGIN, NUDGE["steps"])]
            + [(names.acc(c), x) for c in with_sinks(ev) for x in _around(CEILING, NUDGE["ceiling"])])


_RULES: dict[str, Callable[[Ev], Outcome]] = {ENCODER_PARKS: _encoder_parks, CARRIES_LITTLE: _carries_little,
                                              LM_SINK: _lm_sink, SINK_REMOVES: _sink_removes, NO_COST: _no_cost,
                                              DIFF_REMOVES: diff_removes, DIFF_COST: diff_cost,
                                              EVICTION: eviction}
CLAIMS = tuple(_RULES)
ARM_CLAIMS = (DIFF_REMOVES, DIFF_COST, EVICTION)  # decided where their arm ran (not in the quick profile)


def claims_of(ev: Ev) -> list[str]:
    """The sub-claims ``ev`` can speak to: the five of the sinks, and each arm's where that arm ran."""
    ran = {DIFF_REMOVES: names.has_differential(ev), DIFF_COST: names.has_differential(ev),
           EVICTION: bool(arms.stream_conditions(ev))}
    return [n for n in CLAIMS if ran.get(n, True)]


def _flips(name: str, ev: Ev, current: str) -> list[Flip]:
    """The first true flip toward each other decided verdict (applied as the tests apply them)."""
    return rules.rerun_flips(ev, _candidates(name, ev), lambda alt: claim(name, alt, flips=False).verdict, current,
                             first_per_verdict=True)


def claim(name: str, ev: Ev, *, flips: bool = True) -> rules.Ruling:
    """Sub-claim ``name`` as its rule decides it on ``ev``."""

    def run() -> tuple[str, str, dict[str, Any], list[Flip]]:
        verdict, case, values = _RULES[name](ev)
        return verdict, case, values, _flips(name, ev, verdict) if flips else []

    return rules.sub_claim(name, _gates(name, ev), _evidence(name, ev), run)


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    claims = tuple(claim(name, ev) for name in claims_of(ev))
    gates = (*standard_gates(ev), _minilm_gate(ev), *(learned_gate(ev, c) for c in names.conditions(ev)))
    return rules.combine(claims, gates)
