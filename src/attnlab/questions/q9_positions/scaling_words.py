"""q9's words for the RoPE scalings (position interpolation, NTK-aware, YaRN) applied at test time to the trained RoPE
weights: the sub-claim's rule and "because", a sentence for the short answer, the summary's paragraph beside Chen et
al. 2023 and Peng et al. 2023, and a clause for the one-line answer."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.rules import Ruling, Rulings
from attnlab.lab.words import fmt, num, plain, spaced
from attnlab.questions.q9_positions import evidence as names
from attnlab.questions.q9_positions.evidence import LONGER
from attnlab.questions.q9_positions.plots import copy_offset
from attnlab.questions.q9_positions.rule import (
    KEPT,
    LOST,
    NO_HELP,
    RECOVERS,
    SCALED,
    lost_places,
    scaling_status,
    status,
)
from attnlab.questions.q9_positions.settings import (
    MARGIN,
    RECOVERY,
    SCALING_EN,
    SCALING_ZH,
    SCALINGS,
    TASK_NAMES,
    TASK_SHORT,
    YARN_ALPHA,
    YARN_BETA,
)

M, R = plain(MARGIN), plain(RECOVERY)
SHORT = {"linear": "interpolation", "ntk": "NTK", "yarn": "YaRN"}  # the scalings in the one-line answer
STATEMENT = ("RoPE scaled at test time (position interpolation, NTK-aware scaling or YaRN, with no fine-tuning) "
             "recovers the accuracy beyond T that plain RoPE loses.",
             "测试时缩放 RoPE（位置插值、NTK 缩放或 YaRN，不微调）能找回原始 RoPE 超出 T 后损失的准确率。")
_STATE = {RECOVERS: ("recovers", "找回了"), NO_HELP: ("does not help", "没有帮助"), "unclear": ("unclear", "不确定")}
NEEDS = {"confirmed": (f"at every length where plain RoPE lost, some scaling's gain has its interval above {R} and its "
                       "accuracy's interval above the best trivial baseline",
                       f"在原始 RoPE 下降的每个长度上，都有某种缩放的增益区间高于 {R}，"
                       "且其准确率区间高于最好的平凡基线"),
         "qualified": ("some scaling recovers at some, not all, of the lengths where plain RoPE lost",
                       "在原始 RoPE 下降的部分（而非全部）长度上有某种缩放找回了准确率"),
         "refuted": (f"at every length where plain RoPE lost, every scaling's gain has its interval below {R}",
                     f"在原始 RoPE 下降的每个长度上，每种缩放的增益区间都低于 {R}")}
REGIME = ("the trained RoPE weights, each scaling applied at test time with factor s = the test length over T (YaRN "
          "with L = T), no fine-tuning")
REGIME_ZH = "同一组训练好的 RoPE 权重，测试时按 s = 测试长度 / T 缩放（YaRN 取 L = T），不微调"


def _where(t: str, f: int, zh: bool) -> str:
    return f"{TASK_SHORT[t][1]}任务 {f}T 时" if zh else f"{TASK_SHORT[t][0]} task at {f}T"


def _place(ev, t: str, f: int, lang: str) -> str:
    """Plain RoPE and each scaling at (task, fT): accuracies beyond T, each scaling's paired gain and its status."""
    zh = lang == "zh"
    plain_acc = num(ev[names.acc(t, "rope", f)].number, 2)
    lost = status(ev, t, "rope", f) == LOST
    items = [f"{SCALING_ZH[k] if zh else SCALING_EN[k]} {num(ev[names.scaled_acc(t, k, f)].number, 2)}"
             + (f"（增益 {fmt(ev[names.scaled_gain(t, k, f)], lang, 2)}"
                + (f"，{_STATE[scaling_status(ev, t, k, f)][1]}）" if lost else "）") if zh
                else f" (gain {fmt(ev[names.scaled_gain(t, k, f)], lang, 2)}"
                + (f", {_STATE[scaling_status(ev, t, k, f)][0]})" if lost else ")"))
             for k in SCALINGS]
    base = num(names.best_baseline(ev, t, f).number, 2)
    if zh:
        mark = "原始 RoPE 下降了" if lost else "原始 RoPE 未确定下降"
        return f"{_where(t, f, zh)}（{mark}）原始 RoPE {plain_acc}，" + "，".join(items) + f"，最好的平凡基线 {base}"
    mark = "plain RoPE lost" if lost else "plain RoPE not shown to lose"
    return (f"{_where(t, f, zh)} ({mark}): plain RoPE {plain_acc}, " + ", ".join(items)
            + f", best trivial baseline {base}")


def _places(ev, lang: str) -> str:
    parts = [_place(ev, t, f, lang) for t in TASK_NAMES for f in LONGER]
    return spaced("；".join(parts)) if lang == "zh" else "; ".join(parts)


def yarn_regime(ev, lang: str) -> str:
    """Where YaRN's ramp puts a head's rotary frequencies here, and so what its result can say: with none turning
    more than β times in L = T, YaRN leaves none unscaled and is (nearly) position interpolation with a temperature;
    how close, read off its accuracies beside interpolation's."""
    zh = lang == "zh"
    kept, full = ev[names.YARN_UNSCALED], ev[names.YARN_FULL]
    n, length, top = int(kept.n or 0), int(ev[names.TRAIN_LENGTH].number), ev[names.YARN_MAX_TURNS].number
    a, b = plain(YARN_ALPHA), plain(YARN_BETA)
    if kept.number > 0:
        return (spaced(f"YaRN 在这里处于它的适用范围内：L = T = {length} 时，每个头的 {n} 个旋转频率中有 "
                       f"{int(kept.number)} 个转过超过 β = {b} 圈，不被缩放。") if zh
                else f"YaRN runs in its regime here: with L = T = {length}, {int(kept.number)} of a head's {n} rotary "
                     f"frequencies turn more than β = {b} times and are left unscaled.")
    ramp = min(1.0, max(0.0, (top - YARN_ALPHA) / (YARN_BETA - YARN_ALPHA)))  # γ of the fastest frequency
    least = f"{round(100 * (1 - ramp))}%"
    gap = {t: max(abs(ev[names.scaled_acc(t, "yarn", f)].number - ev[names.scaled_acc(t, "linear", f)].number)
                  for f in LONGER) for t in TASK_NAMES}
    rest = n - int(full.number)
    if zh:
        part = f"其余 {rest} 个也至少插值 {least}" if rest else "没有哪个只被部分插值"
        close = "，".join(f"在{TASK_SHORT[t][1]}任务上相差不超过 {num(gap[t], 3)}" for t in TASK_NAMES)
        return spaced(f"这里的 YaRN 不在它的适用范围内：L = T = {length} 时，每个头的 {n} 个旋转频率最多转 "
                      f"{num(top, 1)} 圈，而 YaRN（α = {a}、β = {b}，为 Llama 设定）只让转过超过 β 圈的频率保持不缩放，"
                      f"这里一个也没有；{n} 个中有 {int(full.number)} 个被完全插值（不到 α 圈），{part}。"
                      f"所以 YaRN 在这里几乎就是带温度的位置插值，两者的准确率{close}："
                      "它的结果等于插值的结果，不是对 YaRN 的检验。")
    part = f", the other {rest} by at least {least}" if rest else ""
    close = " and ".join(f"{num(gap[t], 3)} on the {TASK_SHORT[t][0]} task" for t in TASK_NAMES)
    return (f"YaRN runs outside its regime here: in L = T = {length}, a head's {n} rotary frequencies turn at most "
            f"{num(top, 1)} times, and YaRN (α = {a}, β = {b}, set for Llama) leaves unscaled only those turning more "
            f"than β: none here; {int(full.number)} of {n} are interpolated fully (fewer than α turns){part}. So YaRN "
            f"is here (nearly) position interpolation with a temperature, and their accuracies differ by at most "
            f"{close}: its result is interpolation's, not a test of YaRN.")


def _largest_loss(ev) -> tuple[str, int, list[str]] | None:
    """The (task, f, scalings) of the most negative gain among the scalings whose accuracy's interval lies below the
    best trivial baseline, with every scaling below it at that place; ``None`` if none is."""
    below = [(ev[names.scaled_gain(t, k, f)].number, t, f) for t in TASK_NAMES for f in LONGER for k in SCALINGS
             if rules.interval(ev[names.scaled_acc(t, k, f)])[1] < names.best_baseline(ev, t, f).number]
    if not below:
        return None
    _, t, f = min(below)
    return t, f, [k for k in SCALINGS if rules.interval(ev[names.scaled_acc(t, k, f)])[1]
                  < names.best_baseline(ev, t, f).number]


def largest_loss(ev, lang: str) -> str:
    """The largest negative result: where a scaling falls below the best trivial baseline, the place with the most
    negative gain, with plain RoPE's accuracy there and, for position interpolation on the local task, why."""
    found = _largest_loss(ev)
    if found is None:
        return ""
    zh = lang == "zh"
    t, f, ks = found
    state = status(ev, t, "rope", f)
    plain_acc, base = num(ev[names.acc(t, "rope", f)].number, 2), num(names.best_baseline(ev, t, f).number, 2)
    back = copy_offset(int(ev[names.TRAIN_LENGTH].number))
    why = "linear" in ks and t == "local"
    if zh:
        held = {KEPT: "保持住了", LOST: "已经下降"}.get(state, "未确定下降")
        falls = "，".join(f"{SCALING_ZH[k]}跌到 {num(ev[names.scaled_acc(t, k, f)].number, 2)}" for k in ks)
        reason = (f"：位置插值把每个距离都除以 s = {f}，要复制的符号在往回 {back} 个位置处，看起来却像往回 "
                  f"{num(back / f, 0)} 个位置，按固定偏移 {back} 学到的规则就找不到它了" if why else "")
        return spaced(f"最大的损失：{_where(t, f, True)}，原始 RoPE {held}（{plain_acc}），{falls}，低于最好的平凡基线 "
                      f"{base}{reason}。")
    held = {KEPT: "kept its accuracy", LOST: "already lost"}.get(state, "was not shown to lose")
    falls = " and ".join(f"{SCALING_EN[k]} falls to {num(ev[names.scaled_acc(t, k, f)].number, 2)}" for k in ks)
    reason = (f": position interpolation divides every distance by s = {f}, so the symbol to copy, {back} back, "
              f"looks {num(back / f, 0)} back, and the rule learned at the fixed offset of {back} no longer finds it"
              if why else "")
    return (f"The largest loss: on the {TASK_SHORT[t][0]} task at {f}T, where plain RoPE {held} ({plain_acc}), "
            f"{falls}, below the best trivial baseline {base}{reason}.")


def rule(r: Ruling, ev) -> str:
    """The sub-claim's rule with its numbers (English)."""
    return (f"{r.verdict}: accuracy beyond T, {REGIME}; {_places(ev, 'en')}. Rule (gain = scaled minus plain RoPE "
            "accuracy beyond T on the same weights and test batch, paired by seed): at each length where plain RoPE "
            f"lost its accuracy (drop from the second half of T whose interval lies above {M}), a scaling recovers "
            f"if its gain's interval lies above {R} and its accuracy's interval above the best trivial baseline, and "
            f"does not help if its gain's interval lies below {R}; confirmed if some scaling recovers at every such "
            "length, refuted if no scaling helps at any, qualified if some scaling recovers at some of them, "
            "inconclusive if plain RoPE lost at none (nothing to recover) or the intervals straddle the bars. Beyond "
            "the seed's claim: shown, not counted in the verdict.")


def because(r: Ruling, ev, lang: str) -> str:
    """The deciding numbers in one plain sentence: the lengths where plain RoPE lost (the others are in the rule)."""
    zh = lang == "zh"
    v = r.values
    lost = [_place(ev, t, f, lang) for t, f in lost_places(ev)]
    if zh:
        if r.case == "nothing_lost":
            return spaced(f"原始 RoPE 在哪个长度上都没有确定下降（相对 T 后半段的下降区间都不高于 {M}），无可找回。")
        return (spaced(f"{REGIME_ZH}，超出 T 部分的准确率（增益为缩放后减去原始 RoPE，配对）：" + "；".join(lost)
                       + f"。原始 RoPE 下降的 {v['n']} 个长度中，有 {v['recovered']} 个被某种缩放找回。")
                + largest_loss(ev, lang) + yarn_regime(ev, lang))
    if r.case == "nothing_lost":
        return (f"Plain RoPE lost at no length (no drop from the second half of T with its interval above {M}): "
                "nothing to recover.")
    return " ".join(x for x in (
        f"Accuracy beyond T, {REGIME} (gain = scaled minus plain RoPE, paired): " + "; ".join(lost)
        + f". Some scaling recovers at {v['recovered']} of the {v['n']} lengths where plain RoPE lost.",
        largest_loss(ev, lang), yarn_regime(ev, lang)) if x)


def _best(ev) -> tuple[str, str, int] | None:
    """The (task, scaling, f) of the largest mean gain among the lengths where plain RoPE lost, if any."""
    cells = [(ev[names.scaled_gain(t, k, f)].number, t, k, f) for t, f in lost_places(ev) for k in SCALINGS]
    if not cells:
        return None
    _, t, k, f = max(cells)
    return t, k, f


def answer_sentence(rs: Rulings, ev, lang: str) -> str:
    """A sentence for the short answer: what test-time scaling did to RoPE's accuracy far beyond T."""
    zh = lang == "zh"
    c = rs.claim(SCALED)
    at4 = [(t, num(ev[names.acc(t, "rope", 4)].number, 2),
            [(k, num(ev[names.scaled_acc(t, k, 4)].number, 2)) for k in SCALINGS]) for t in TASK_NAMES]
    verdicts = {"confirmed": ("找回了", "recovered"), "qualified": ("只部分找回了", "partly recovered"),
                "refuted": ("没有找回", "did not recover"),
                "inconclusive": ("尚不能判断是否找回", "may or may not have recovered")}
    word = verdicts[c.verdict][not zh]
    if zh:
        items = "；".join(f"{TASK_SHORT[t][1]}任务原始 RoPE {p}，" + "、".join(f"{SCALING_ZH[k]} {a}" for k, a in ks)
                         for t, p, ks in at4)
        return (spaced(f"测试时缩放 RoPE（同一组权重，不微调）{word}原始 RoPE 损失的准确率：4T 时{items}。")
                + yarn_regime(ev, lang))
    items = "; ".join(f"{TASK_SHORT[t][0]} task plain RoPE {p}, " + ", ".join(f"{SCALING_EN[k]} {a}" for k, a in ks)
                      for t, p, ks in at4)
    return (f"Scaling RoPE at test time (the same weights, no fine-tuning) {word} what plain RoPE lost: at 4T, "
            f"{items}. " + yarn_regime(ev, lang))


def summary_paragraph(rs: Rulings, ev) -> str:
    """The summary's paragraph on the scalings, with the literature's regime beside ours (English)."""
    c = rs.claim(SCALED)
    best = _best(ev)
    lead = f"RoPE scaled at test time ({REGIME}): {c.verdict}. {yarn_regime(ev, 'en')} {_places(ev, 'en')}. "
    if best is not None:
        t, k, f = best
        lead += (f"The largest gain where plain RoPE lost: {SCALING_EN[k]} on the {TASK_SHORT[t][0]} task at {f}T, "
                 f"{fmt(ev[names.scaled_gain(t, k, f)])}. ")
    loss = largest_loss(ev, "en")
    lead += f"{loss} " if loss else ""
    return lead + (
        "Chen et al. 2023 (position interpolation) and Peng et al. 2023 (YaRN) report mostly fine-tuned numbers "
        "(up to 1000 and about 400 steps). Without fine-tuning, Chen et al. note that the interpolated model already "
        "models language to some extent where direct extrapolation's perplexity explodes, and Peng et al. that "
        "Dynamic NTK works on pre-trained models and Dynamic-YaRN extends Llama 2 to more than twice its context. "
        "Theirs are perplexities of 7B and larger language models; "
        "these are accuracies of 2-layer models on synthetic tasks, with few rotary frequencies per head.")


def oneline_clause(rs: Rulings, ev, zh: bool) -> str:
    """A short clause for the one-line answer when the scalings' sub-claim is decided, else ``""``."""
    c = rs.claim(SCALED)
    best = _best(ev)
    if c.verdict in ("confirmed", "qualified") and best is not None:
        t, k, f = best
        before, after = num(ev[names.acc(t, "rope", f)].number, 2), num(ev[names.scaled_acc(t, k, f)].number, 2)
        part = c.verdict == "qualified"
        if zh:
            return spaced(f"测试时{SCALING_ZH[k]}{'部分' if part else ''}有用：{f}T 时 {before} → {after}。")
        return f"Test-time {SHORT[k]} {'partly rescues' if part else 'rescues'} RoPE: {before} → {after} at {f}T."
    if c.verdict == "refuted":
        return "测试时缩放 RoPE 无济于事。" if zh else "Scaling RoPE at test time does not help."
    return ""


__all__ = ["NEEDS", "STATEMENT", "answer_sentence", "because", "largest_loss", "oneline_clause", "rule",
           "summary_paragraph", "yarn_regime"]
