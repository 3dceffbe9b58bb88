"""q4's figures: the trained logits' scale against d_k (the headline), and the Monte Carlo's Var(q·k)."""

from __future__ import annotations

from attnlab.lab.rules import interval
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q4_variance.evidence import (
    MC_DIMS,
    MINILM_PER_LAYER,
    mc_curve,
    scaled_std,
    trained_dks,
)
from attnlab.questions.q4_variance.settings import WHEN
from attnlab.results import Evidence, Panel, Plot, RefLine, Series

_WHEN = {"init": ("at initialisation", "初始化时"), "trained": ("after training", "训练后")}


def _series(label: tuple[str, str], xs: list[int], evs: list[Evidence], style: str = "solid") -> Series:
    return Series(label[0], xs, [e.number for e in evs], [interval(e)[0] for e in evs],
                  [interval(e)[1] for e in evs], style=style, label_zh=label[1])


def plots(es: EvidenceSet) -> list[Plot]:
    dks = trained_dks(es)
    trained_series = [_series(_WHEN[when], dks, [es[scaled_std(when, dk)] for dk in dks]) for when in WHEN]
    if MINILM_PER_LAYER in es:
        layers = es[MINILM_PER_LAYER].value
        trained_series.append(Series("all-MiniLM-L6-v2 layers (d_k=32)", [32] * len(layers), layers, style="points",
                                     label_zh="all-MiniLM-L6-v2 各层（d_k=32）"))
    headline = Plot("scaled_logit_std", "The std of q·k/√d_k in trained models, against d_k", [
        Panel(title="our encoders (mean, 95% interval over seeds) and MiniLM", xlabel="d_k",
              ylabel="std of q·k/√d_k", xscale="log2", yscale="log2", series=trained_series,
              lines=[RefLine(1.0, "1 (the derivation's premise)", label_zh="1（推导的前提）")],
              title_zh="我们的编码器（种子平均与 95% 区间）和 MiniLM", ylabel_zh="q·k/√d_k 的标准差")],
        caption="d_model and the head count fixed, every d_k read after the same steps. Flat in d_k means the "
                "scaling removed the dependence on d_k; the height shows how far trained logits are from unit "
                "variance.", headline=True,
        title_zh="训练后模型中 q·k/√d_k 的标准差随 d_k 的变化",
        caption_zh="d_model 和头数固定，每个 d_k 都在同一步读取。曲线平坦说明缩放去掉了对 d_k 的依赖；"
                   "高度表示训练后的 logits 离单位方差有多远。")
    dims = es[MC_DIMS].value
    mc = Plot("variance_vs_dk", "Derivation check: Var(q·k) for independent components", [
        Panel(title="Monte Carlo, mean over seeds", xlabel="d_k", ylabel="variance", xscale="log2", yscale="log2",
              series=[Series("q·k, N(0,1)", dims, es[mc_curve("gaussian")].value),
                      Series("q·k, ±1", dims, es[mc_curve("rademacher")].value, style="dashed"),
                      Series("q·k/√d_k", dims, es[mc_curve("scaled")].value),
                      Series("d_k (theory)", dims, dims, style="dotted", label_zh="d_k（理论值）")],
              title_zh="蒙特卡洛估计，种子平均", ylabel_zh="方差")],
        caption="Monte Carlo estimates of Var(q·k) for independent components (mean over seeds): it follows d_k "
                "(dotted), and dividing by √d_k keeps it at 1. A derivation check: another slope would be a bug.",
        title_zh="推导检验：分量独立时的 Var(q·k)",
        caption_zh="分量独立时 Var(q·k) 的蒙特卡洛估计（种子平均）：它沿着 d_k（点线）增长，除以 √d_k 后保持在 1。"
                   "这是推导检验：斜率不同只能说明代码有错。")
    return [headline, mc]
