"""q12's plot data: the phase change (loss on the repeat and induction score over training), the heads the
detectors find, and what patching and ablating them does."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.lab.words import num
from attnlab.questions.q12_induction import evidence as names
from attnlab.questions.q12_induction.settings import INDUCTION_MARK, MOST, SHORT, SOME
from attnlab.results import Heatmap, Panel, Plot, RefLine, Series

SHORT_ZH = {"two_layer": "2 层", "one_layer": "1 层"}


def _mean_curve(curves: list[list[list[float]]], column: int) -> tuple[list, list, list, list]:
    """Steps, and per step the mean, min and max over seeds of ``column``."""
    steps = [row[0] for row in curves[0]]
    cols = [[c[i][column] for c in curves] for i in range(len(steps))]
    return steps, [sum(v) / len(v) for v in cols], [min(v) for v in cols], [max(v) for v in cols]


def _curves(outcomes: Outcomes, conditions: list[str], es: EvidenceSet) -> Plot:
    loss_series, score_series = [], []
    for c in conditions:
        curves = [o.measurements["curve"] for o in outcomes.where(kind="lm", condition=c)]
        x, y, lo, hi = _mean_curve(curves, 1)
        loss_series.append(Series(SHORT[c], x, y, lo, hi, label_zh=SHORT_ZH[c]))
        x, y, lo, hi = _mean_curve(curves, 3)
        score_series.append(Series(SHORT[c], x, y, lo, hi, label_zh=SHORT_ZH[c]))  # its colour in both panels
    curves = [o.measurements["curve"] for o in outcomes.where(kind="lm", condition="two_layer")]
    x, y, lo, hi = _mean_curve(curves, 4)
    score_series.append(Series("2 layers, previous-token (layer 1)", x, y, lo, hi, style="dashed",
                               label_zh="2 层，前一词元（第 1 层）"))
    step = es[names.steps_loss("two_layer")]
    marks = [] if isinstance(step.value, str) else [
        RefLine(step.number, f"2 layers: loss below the mark (median step {num(step.number, 0)})", axis="x",
                label_zh=f"2 层：损失降到标记以下（中位步数 {num(step.number, 0)}）")]
    loss_lines = [RefLine(es[names.loss_baseline("chance")].number, "chance", label_zh="随机猜测"),
                  RefLine(es[names.loss_baseline("order_free")].number, "order-free guess",
                          label_zh="不看顺序的猜测"), *marks]
    panels = [Panel(title="loss on the repeat's targets", xlabel="training step", ylabel="loss (nats)",
                    series=loss_series, lines=loss_lines, title_zh="重复段目标上的损失", xlabel_zh="训练步数",
                    ylabel_zh="损失（奈特）"),
              Panel(title="induction score (last layer); dashed: previous-token (layer 1)", xlabel="training step",
                    ylabel="largest score of a head", ylim=(0, 1),
                    series=score_series, lines=[RefLine(INDUCTION_MARK, "induction mark", label_zh="归纳标记线"),
                                                *marks],
                    title_zh="归纳得分（最后一层）；虚线：前一词元得分（第 1 层）", xlabel_zh="训练步数",
                    ylabel_zh="单个头的最大得分")]
    return Plot("phase_change", "The phase change: induction heads and the loss on the repeat", panels,
                headline=True, caption="The 2-layer model's loss on the repeat falls in a few hundred steps, at the "
                "step its induction score rises; the 1-layer control stays near the order-free guess. Mean over "
                "seeds, band: min to max.",
                title_zh="相变：归纳头与重复段上的损失",
                caption_zh="2 层模型在重复段上的损失在几百步内骤降，恰在其归纳得分上升之时；1 层对照一直停在不"
                           "看顺序的猜测附近。"
                           "各种子平均，阴影为最小到最大。")


def _heads(outcomes: Outcomes) -> Plot:
    runs = [o.measurements for o in outcomes.where(kind="lm", condition="two_layer")]
    panels = []
    for key, title, title_zh in (("previous", "previous-token score", "前一词元得分"),
                                 ("induction", "induction score", "归纳得分")):
        mats = [r[key] for r in runs]
        mean = [[sum(m[l][h] for m in mats) / len(mats) for h in range(len(mats[0][0]))] for l in range(len(mats[0]))]
        panels.append(Panel(kind="heatmap", title=title, xlabel="head", ylabel="layer", title_zh=title_zh,
                            xlabel_zh="头", ylabel_zh="层",
                            heatmap=Heatmap(mean, [str(i + 1) for i in range(len(mean))],
                                            [str(i + 1) for i in range(len(mean[0]))], vmin=0.0, vmax=1.0)))
    return Plot("detector_heads", "Which heads the detectors find in the 2-layer model (mean over seeds)", panels,
                caption="Previous-token heads sit in layer 1, induction heads in layer 2: the two halves of the "
                        "circuit.", title_zh="检测器在 2 层模型中找到的头（各种子平均）",
                caption_zh="前一词元头在第 1 层，归纳头在第 2 层：电路的两半。")


def _bars(es: EvidenceSet, items: list[tuple[str, str, str]], title: str, title_zh: str) -> Panel | None:
    shown = [(n, en, zh) for n, en, zh in items if not isinstance(es[n].value, str)]
    if not shown:
        return None
    e = [es[n] for n, _, _ in shown]
    series = Series("2-layer models", [en for _, en, _ in shown], [x.number for x in e],
                    [rules.interval(x)[0] for x in e], [rules.interval(x)[1] for x in e], label_zh="2 层模型")
    return Panel(kind="bar", title=title, ylabel="share", series=[series], title_zh=title_zh, ylabel_zh="份额",
                 categories_zh={en: zh for _, en, zh in shown},
                 lines=[RefLine(MOST, f"most ({num(MOST)})", label_zh=f"大部分（{num(MOST)}）"),
                        RefLine(SOME, f"little ({num(SOME)})", label_zh=f"很少（{num(SOME)}）")])


def _patching(es: EvidenceSet) -> Plot | None:
    patched = _bars(es, [(names.RECOVERED, "induction heads", "归纳头"),
                         (names.RECOVERED_PREVIOUS, "previous-token heads", "前一词元头"),
                         (names.RECOVERED_OTHERS, "every other head", "其余的头")],
                    "patched in: share of the loss gap recovered", "修补回去：恢复的损失差距份额")
    ablated = _bars(es, [(names.REMOVED_FOUND, "induction heads", "归纳头"),
                         (names.REMOVED_PREVIOUS, "previous-token heads", "前一词元头"),
                         (names.REMOVED_OTHERS, "every other head", "其余的头")],
                    "mean-ablated: share of the gain removed", "均值消融：去掉的收益份额")
    panels = [p for p in (patched, ablated) if p is not None]
    if not panels:
        return None
    return Plot("patching", "Which heads carry the repeat: patching and ablating them", panels,
                caption="Left: each group of heads' clean output patched into a run whose earlier copy was replaced, "
                        "the share of the repeat's loss gap it recovers. Right: each group mean-ablated, the share of "
                        "the gain over the order-free guess that goes (above 1: the loss ends worse than that guess). "
                        "Mean over seeds, 95% intervals.",
                title_zh="哪些头承担了重复段：修补与消融",
                caption_zh="左：把每组头的干净输出修补进早先副本被替换的运行，恢复的重复段损失差距份额。右：对每组头做均值消融，"
                           "去掉的、相对不看顺序猜测的收益份额（大于 1：损失比那个猜测还差）。各种子平均，95% 区间。")


def plots(es: EvidenceSet, outcomes: Outcomes, conditions: list[str]) -> list[Plot]:
    out = [_curves(outcomes, conditions, es), _heads(outcomes)]
    patching = _patching(es)
    return out + ([patching] if patching is not None else [])
