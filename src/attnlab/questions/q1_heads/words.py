"""q1's words: the rulings of :mod:`attnlab.questions.q1_heads.rule` in English and Chinese."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.rules import Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, join, num, pct, verdict
from attnlab.questions.q1_heads import evidence as names
from attnlab.questions.q1_heads import oneline as short
from attnlab.questions.q1_heads.rule import MIN_WORSE, MOST_BETTER
from attnlab.questions.q1_heads.settings import (
    ARM_EN,
    ARM_ZH,
    ARMS,
    FIXED_STEP,
    MANY,
    MIN_RATIO,
    MINILM_STEP,
    PRUNE_TOL,
    RELATIONS,
    TASK_ZH,
    TASKS,
    THRESHOLD,
)

STATEMENTS = {
    "heads_specialise": ("Heads attend to different things (different sub-spaces).",
                         "不同的头关注不同的信息（不同子空间）。"),
    "more_not_always_better": ("More heads is not always better.", "头不是越多越好。"),
    "one_head_enough": ("Sometimes one head is already enough.", "有时一个头就够了。"),
    "heads_removable": ("Many heads can be removed and the model still works.", "去掉不少头，模型依然有效。"),
}
RELATIONS_ZH = "前一个词元、往后第二个词元、首个词元"


def setting(x: float) -> str:
    """A setting as it is written (2, 2.5, 0.02, 1.25): the fewest decimals that show it exactly."""
    return next((num(x, d) for d in range(4) if abs(round(x, d) - x) < 1e-12), num(x))


_THRESHOLD = setting(THRESHOLD)  # as the sentences print it


def grid_share(x: float) -> str:
    """A share found on MiniLM's grid (steps of MINILM_STEP): "< 10%" when even the first step fails."""
    return f"< {pct(MINILM_STEP)}" if x < MINILM_STEP else pct(x)


def _no_ratio(ev, task: str, top: int, h: int, lang: str, arm: str = ARMS[0]) -> str:
    """Who reached the threshold, where too few seeds reached it in both to form a steps ratio."""
    k_top, n = rules.reached_count(ev[names.steps(task, top, arm)])
    k_h, _ = rules.reached_count(ev[names.steps(task, h, arm)])
    if lang == "zh":
        return f"h={top} 有 {k_top}/{n} 个种子达到 {_THRESHOLD}，h={h} 有 {k_h}/{n} 个"
    return f"h={top} reached {_THRESHOLD} in {k_top}/{n} seeds, h={h} in {k_h}/{n}"


def steps_times(ev, task: str, top: int, h: int, lang: str, arm: str = ARMS[0]) -> str:
    """"8 heads need 1.45 [1.31, 1.60] times the steps of 1" (or why they cannot be compared)."""
    ratio = ev[names.steps_ratio(task, top, h, arm)]
    fewer = f"{h} 个头" if lang == "zh" else ("one head" if h == 1 else f"{h} heads")
    if isinstance(ratio.value, str):
        why = _no_ratio(ev, task, top, h, lang, arm)
        return (f"{top} 个头与 {fewer}的步数无法比较（{why}）" if lang == "zh"
                else f"the steps of {top} heads and of {fewer} cannot be compared ({why})")
    return (f"{top} 个头需要 {fewer}的 {fmt(ratio, lang, 2)} 倍步数" if lang == "zh"
            else f"{top} heads need {fmt(ratio, lang, 2)} times the steps of {fewer}")


def _count(rows: list, lang: str) -> str:
    """"2 (single h=1, h=2)": how many comparisons, and which."""
    if not rows:
        return "0"
    which = join([f"{TASK_ZH[t]}任务 h={h}" if lang == "zh" else f"{t} h={h}" for t, h in rows], lang)
    return f"{len(rows)}（{which}）" if lang == "zh" else f"{len(rows)} ({which})"


class HeadsWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return STATEMENTS[r.name][lang == "zh"]

    def gate(self, g: Gate, ev, lang: str) -> str:
        if g.kind != "equal_budget":
            return super().gate(g, ev, lang)
        per = g.values["per_task"]
        if lang == "zh":
            text = "；".join(f"{TASK_ZH[t]}任务 {'、'.join(str(x) for x in v)} 步" for t, v in per.items())
            return (f"每个任务上所有条件和种子都训练满同样的步数并在该步读取（{text}）" if g.passed
                    else f"同一任务上各条件在不同步数读取（{text}）")
        text = "; ".join(f"{t} task {', '.join(str(x) for x in v)}" for t, v in per.items())
        return (f"on each task every condition and seed trained the same steps and was read at that step ({text})"
                if g.passed else f"conditions on one task were read at different steps ({text})")

    def rule(self, r: Ruling, ev) -> str:
        v = r.values
        if r.name == "heads_specialise":
            return (f"{r.verdict}: with h={v['heads']} on the multi task, {fmt(ev[names.RELATIONS_COVERED], 'en', 2)} "
                    f"of the {v['relations']} relations are some head's dominant target and those heads are used "
                    f"(masking them together costs more than {setting(PRUNE_TOL)} accuracy); "
                    f"{fmt(ev[names.RELATIONS_TARGETED], 'en', 2)} are targeted, used or not (roles per seed: "
                    f"{ev[names.HEAD_ROLES].value}). Rule: confirmed if the interval of the used count lies above "
                    f"{setting(v['above'])} (every relation has its own head), refuted if below "
                    f"{setting(v['below'])}, qualified otherwise.")
        if r.name == "more_not_always_better":
            heads = names.head_counts(ev)
            top = heads[-1]
            notes = []
            for a in names.arms(ev):
                for t in TASKS:
                    for h in heads[:-1]:
                        ratio = ev[names.steps_ratio(t, top, h, a)]
                        steps = (f"no steps ratio ({_no_ratio(ev, t, top, h, 'en', a)})"
                                 if isinstance(ratio.value, str) else f"steps ×{fmt(ratio)}")
                        notes.append(f"{ARM_EN[a]}, {t} h={top} vs h={h}: {steps}, accuracy at step "
                                     f"{FIXED_STEP} {fmt(ev[names.acc_gain(t, top, h, a)])}")
            n = v["n"]
            return (f"{r.verdict}: " + "; ".join(notes) + f". A comparison counts as worse when h={top} is slower "
                    f"(its steps ratio's interval above {setting(MIN_RATIO)}) or {setting(PRUNE_TOL)} less accurate "
                    "than a smaller h that learned, and not better in the other measure. Rule, over the "
                    f"{n} comparisons of each arm (d_model fixed; head width fixed): confirmed if h={top} is worse in "
                    f"at least {MIN_WORSE} of every arm; qualified if in at least {MIN_WORSE} of one arm only, or if "
                    f"it is no better (worse or no gain) in at least {MIN_WORSE} of every arm; refuted if it is better "
                    f"({setting(MIN_RATIO)}x faster or {setting(PRUNE_TOL)} more accurate) in at least "
                    f"{n - MOST_BETTER} of every arm and worse in none; else inconclusive.")
        if r.name == "one_head_enough":
            return (f"{r.verdict}: h=1 (d_model fixed) reaches {_THRESHOLD}: one relation "
                    f"{fmt(ev[names.steps('single', 1)])}, three relations {fmt(ev[names.steps('multi', 1)])} "
                    f"(budgets {int(ev[names.budget('single')].number)} and {int(ev[names.budget('multi')].number)}); "
                    f"its accuracy on three relations {fmt(ev[names.acc('multi', 1)])} against the "
                    f"{num(v['partial'], 3)} of reading all relations but one. Rule: confirmed if it reaches the "
                    f"threshold ({v['need']} of {v['seeds']} seeds) on both tasks; refuted if not on the one-relation "
                    "task; qualified if only there and, on three relations, its interval lies above the "
                    "all-but-one baseline (it learned some relations, not all); inconclusive if it does not (a model "
                    "that did not even learn two relations says nothing about what one head can read).")
        parts = [f"{t} task {fmt(ev[names.prunable(t)], 'en', 2)} (random order "
                 f"{fmt(ev[names.prunable_random(t)], 'en', 2)}; one head kept: accuracy "
                 f"{fmt(ev[names.one_head(t)], 'en', 2)})" for t in TASKS]
        if names.MINILM_PRUNABLE in ev:
            parts.append(f"all-MiniLM-L6-v2 {grid_share(ev[names.MINILM_PRUNABLE].number)} (random order "
                         f"{grid_share(ev[names.MINILM_PRUNABLE_RANDOM].number)}; removed in steps of "
                         f"{pct(MINILM_STEP)})")
        return (f"{r.verdict}: share of heads removable without retraining: " + "; ".join(parts) + ". Rule per "
                f"model: confirmed if the share is at least {setting(MANY)} (its interval's lower end, where there is "
                f"one), refuted if it is below (the interval's upper end), undecided if the interval straddles "
                f"{setting(MANY)}; overall confirmed if all are confirmed, refuted if all are refuted, qualified if "
                "some are confirmed, inconclusive otherwise.")

    def because(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        v = r.values
        if r.name == "heads_specialise":
            cov, n = num(ev[names.RELATIONS_COVERED].number, 1), v["relations"]
            tgt = num(ev[names.RELATIONS_TARGETED].number, 1)
            return (f"用 {v['heads']} 个头时，{n} 个关系（{RELATIONS_ZH}）中平均有 {cov} 个有专门的头把大部分权重放在"
                    f"那个位置上，而且屏蔽这些头会损失准确率（只看注意力权重则为 {tgt} 个）。" if zh else
                    f"With {v['heads']} heads, on average {cov} of the {n} relations ({', '.join(RELATIONS.values())})"
                    f" have a head that puts most of its weight on exactly that position and is used (masking it "
                    f"costs accuracy); by attention alone, {tgt}.")
        if r.name == "more_not_always_better":
            top, n = v["top"], v["n"]
            parts = []
            for a, rows in v["arms"].items():
                w = _count(rows["worse"], lang)
                parts.append(f"{ARM_ZH[a]}时，{top} 个头在 {n} 个比较中有 {w} 个更差" if zh
                             else f"{ARM_EN[a]}, {top} heads are worse in {w} of {n} comparisons")
            single = steps_times(ev, "single", top, 1, lang)
            return (f"{'；'.join(parts)}（单关系任务上 {single}）。" if zh
                    else f"{'; '.join(parts)} (on one relation {single}).")
        if r.name == "one_head_enough":
            single, multi = ev[names.steps("single", 1)], ev[names.steps("multi", 1)]
            ok, acc1, p = v["learns"], num(ev[names.acc("multi", 1)].number, 2), num(v["partial"], 2)
            low = r.case == "multi_untrained"
            if zh:
                also = ("也能达到" if ok["single"] else "能达到") if ok["multi"] else "达不到"
                tail = f"，连只读其余关系可得的 {p} 都不到，是没训练出来，不能说明一个头读不了" if low else ""
                return (f"一个头在单关系任务上{'能' if ok['single'] else '不能'}达到 {_THRESHOLD}（所需步数："
                        f"{fmt(single, lang)}）；一层里要同时读三个关系时{also}（所需步数：{fmt(multi, lang)}；"
                        f"准确率 {acc1}{tail}）。")
            tail = (f", below the {p} that reading all relations but one gives: it did not train, which says nothing "
                    "about what one head can read" if low else "")
            return (f"One head {'reaches' if ok['single'] else 'does not reach'} {_THRESHOLD} on the one-relation task "
                    f"(steps: {fmt(single)}); on three relations in one layer it "
                    f"{('also reaches it' if ok['single'] else 'reaches it') if ok['multi'] else 'does not'} "
                    f"(steps: {fmt(multi)}; accuracy {acc1}{tail}).")
        share = {t: pct(ev[names.prunable(t)].number) for t in TASKS}
        mini = ev[names.MINILM_PRUNABLE].number if names.MINILM_PRUNABLE in ev else None
        if zh:
            m = f"；all-MiniLM-L6-v2：{grid_share(mini)}（以最近邻不变为准，不是准确率）" if mini is not None else ""
            return (f"不重训、按重要性删头：三关系任务可删 {share['multi']}，单关系任务可删 {share['single']}{m}"
                    "（Michel 等人 2019，按准确率：WMT Transformer 约 20%，MNLI 上的 BERT 约 40%）。")
        m = (f"; all-MiniLM-L6-v2: {grid_share(mini)} (nearest neighbours kept, not accuracy)"
             if mini is not None else "")
        return (f"Without retraining, by importance: {share['multi']} of the heads can go on three relations, "
                f"{share['single']} on one relation{m} (Michel et al. 2019, by accuracy: ~20% of a WMT Transformer's "
                "heads, ~40% of BERT's on MNLI).")

    def would_change(self, r: Ruling, ev, lang: str) -> str:
        if r.name != "more_not_always_better" or r.flips or r.case != "worse_in_every_arm":
            return super().would_change(r, ev, lang)
        # several comparisons in every arm show more heads worse: no one number changes the verdict
        top = r.values["top"]

        def by_task(rows: list) -> dict[str, list[int]]:
            out: dict[str, list[int]] = {}
            for t, h in rows:
                out.setdefault(t, []).append(h)
            return out

        arms = r.values["arms"]
        if lang == "zh":
            pairs = "；".join(f"{ARM_ZH[a]}时，{top} 个头不如" + join(
                [f"{TASK_ZH[t]}任务上的 " + join([f"h={h}" for h in hs], lang) for t, hs in by_task(
                    rows["worse"]).items()], lang) for a, rows in arms.items())
            return (f"没有哪一个数能单独改变它：{pairs}；要让某一组的更差比较少于 {MIN_WORSE} 个"
                    f"（步数比不超过 {setting(MIN_RATIO)}，准确率低不超过 {setting(PRUNE_TOL)}），结论才会变为「"
                    f"{verdict('qualified', lang)}」。")
        pairs = "; ".join(f"with {ARM_EN[a]}, {top} heads are worse than " + join(
            [join([f"h={h}" for h in hs], lang) + f" on the {t} task" for t, hs in by_task(rows["worse"]).items()],
            lang) for a, rows in arms.items())
        return (f"No single number would change it: {pairs}; only if one arm had fewer than "
                f"{MIN_WORSE} such comparisons (steps ratio at most {setting(MIN_RATIO)}, accuracy at most "
                f"{setting(PRUNE_TOL)} lower) would it be qualified.")

    def summary(self, rs: Rulings, ev) -> str:
        heads = names.head_counts(ev)
        parts = [f"{t}, {ARM_EN[a]}: " + ", ".join(f"h={h} {fmt(ev[names.steps(t, h, a)])}" for h in heads)
                 for t in TASKS for a in names.arms(ev)]
        return (f"Median steps to the threshold for one encoder layer (d_model fixed; and the head width fixed at "
                f"{int(ev[names.FIXED_DK].number)}), every condition at its own learning rate and trained for its "
                "task's whole budget: " + "; ".join(parts) + ". " + self.overall(rs, ev))

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        zh = lang == "zh"
        top, pruned, fewest = rs.values["top"], rs.values["pruned"], rs.values["fewest_learning_multi"]
        untrained = rs.claim("one_head_enough").case == "multi_untrained"
        acc1 = num(ev[names.acc("multi", 1)].number, 2)
        partial = names.baseline("multi", "all_but_one_relation")
        chance = num(ev[names.baseline("multi", "chance")].number, 3)
        cov = num(ev[names.RELATIONS_COVERED].number, 1)
        if fewest is None:
            core = (f"在预算内没有哪种头数学会了三关系任务（1 个头：准确率 {acc1}）" if zh else
                    f"No head count learned the three-relation task within the budget (one head: {acc1} accuracy)")
        elif untrained and fewest > 1:  # one head learned less than reading two relations gives: not a head limit
            p = num(ev[partial].number, 2)
            core = (f"{fewest} 个及以上的头能学会三关系任务；1 个头只有 {acc1} 的准确率，连只读其余关系可得的 {p} "
                    f"都不到，说明它没训练出来，因此这里不能断定一层需要多个头；各头分工（3 个关系中平均 {cov} 个"
                    "有专门且被用到的头）" if zh else
                    f"With {fewest} or more heads one layer learns the three-relation task; one head stays at {acc1}, "
                    f"below the {p} that reading all relations but one gives, so it did not train and this run cannot "
                    "tell whether one layer must have several heads; the heads split the positions "
                    f"({cov} of 3 relations "
                    "get a head of their own that is used)")
        elif fewest == 1:
            core = (f"一层注意力即使只有 1 个头也能同时读三个位置（准确率 {acc1}）；头多时各头分工（3 个关系中平均 "
                    f"{cov} 个有专门的头）" if zh else
                    f"One layer reads three positions at once even with one head ({acc1} accuracy); with more heads, "
                    f"the heads split the positions between them ({cov} of 3 relations get a head of their own)")
        else:
            p = num(ev[partial].number, 2) if partial in ev else None
            if zh:
                base = f"（只看其余关系、对剩下一个随机猜测可得 {p}；随机猜测 {chance}）" if p is not None else ""
                core = (f"因为一层注意力要同时读三个位置时需要多个头：{fewest} 个及以上能学会，1 个头只有 {acc1} 的"
                        f"准确率{base}，而且各头分工（3 个关系中平均 {cov} 个有专门的头）")
            else:
                base = (f" (reading every relation but one and guessing it gives {p}; chance {chance})"
                        if p is not None else "")
                core = (f"Because one layer that must read three positions at once needs several heads: with "
                        f"{fewest} or more it learns the task, with one it stays at {acc1} accuracy{base}, and the "
                        f"heads split the positions between them ({cov} of 3 relations get a head of their own)")
        more, removable = rs.verdicts["more_not_always_better"], rs.verdicts["heads_removable"]
        single = steps_times(ev, "single", top, 1, lang)
        if ARMS[1] in names.arms(ev):
            w, fixed = int(ev[names.FIXED_DK].number), steps_times(ev, "single", top, 1, lang, ARMS[1])
            single += (f"；每头维度固定为 {w} 时，{fixed}" if zh else f"; at a fixed head width of {w}, {fixed}")
        share, n = pct(ev[names.prunable("multi")].number), ev[names.acc("multi", 1)].n
        mini = ev[names.MINILM_PRUNABLE].number if names.MINILM_PRUNABLE in ev else None
        if zh:
            m = f"，all-MiniLM-L6-v2 为 {grid_share(mini)}" if mini is not None else ""
            return (f"{core}。「头不是越多越好」在这里的结论是「{verdict(more, lang)}」：单关系任务上 {single}。"
                    f"不重训能否删掉许多头，这里的结论是「{verdict(removable, lang)}」：{pruned} 个头平均可删 {share}"
                    f"（{n} 个种子）{m}，而该说法需要 {pct(MANY)}。")
        m = f", all-MiniLM-L6-v2 {grid_share(mini)}" if mini is not None else ""
        return (f"{core}. That more heads is not always better is {more} here: on a "
                f"single relation {single}. Whether many heads can be removed without retraining is {removable} here: "
                f"{share} of {pruned} heads on average ({n} seeds){m}, against the {pct(MANY)} the claim needs.")

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return short.oneline(rs, ev, lang)


WORDS = HeadsWords()
