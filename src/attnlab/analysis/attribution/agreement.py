"""How well each attribution agrees with erasure: per method, the Spearman rank correlation between its
token scores and leave-one-out erasure, per sentence, then the mean over sentences with a percentile
bootstrap interval over sentences (the quantity is bounded in [-1, 1]; so is the interval).

Importance is read as magnitude: every method's scores and the erasure effects enter as absolute values
(``signed=False``), since attention weights carry no sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr
from torch import Tensor

from attnlab.analysis.attribution.erasure import erasure
from attnlab.analysis.attribution.gradients import attention_grad, grad_input
from attnlab.analysis.attribution.graph import flow, raw_attention, rollout
from attnlab.analysis.attribution.norms import norm_based
from attnlab.analysis.attribution.points import Target, check_model, patterns_of
from attnlab.validation import check_choice, check_float, check_int

__all__ = ["METHODS", "Agreement", "attribution_agreement", "bootstrap_mean", "spearman_agreement", "token_scores"]

METHODS = ("raw", "rollout", "flow", "norm", "attention_grad", "grad_input")
CI_METHOD = "percentile bootstrap over sentences"


@dataclass(frozen=True)
class Agreement:
    """One method's agreement with erasure.

    Attributes:
        method: a name from :data:`METHODS`.
        rho: mean Spearman correlation over sentences.
        ci: (low, high) interval of the mean, ``ci_method``.
        n: sentences with a defined correlation (a constant score vector has none).
        per_sentence: each sentence's correlation (NaN where undefined).
    """

    method: str
    rho: float
    ci: tuple[float, float]
    ci_method: str
    n: int
    per_sentence: tuple[float, ...]


def bootstrap_mean(values: Sequence[float], *, n_boot: int = 2000, seed: int = 0,
                   confidence: float = 0.95) -> tuple[float, tuple[float, float]]:
    """Mean of the finite ``values`` and its percentile bootstrap interval (NaN when none is finite;
    the mean itself as both ends when there is one)."""
    x = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if x.size == 0:
        return float("nan"), (float("nan"), float("nan"))
    if x.size == 1:
        return float(x[0]), (float(x[0]), float(x[0]))
    means = x[np.random.default_rng(seed).integers(0, x.size, (n_boot, x.size))].mean(1)
    tail = 100 * (1 - confidence) / 2
    return float(x.mean()), (float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail)))


def spearman_agreement(scores: Tensor, reference: Tensor, keep: Sequence[int], *,
                       signed: bool = False) -> float | None:
    """Spearman correlation of ``scores`` (T,) with ``reference`` (T,) over the positions ``keep``, as magnitudes
    (``signed=False``); None where either is constant there or fewer than three positions are kept (no ranking)."""
    keep = list(keep)
    s, ref = scores.double().cpu()[keep], reference.double().cpu()[keep]
    if not signed:
        s, ref = s.abs(), ref.abs()
    if len(keep) < 3 or bool((s == s[0]).all() or (ref == ref[0]).all()):
        return None
    return float(spearmanr(s.numpy(), ref.numpy()).statistic)


def _row(m: Tensor, row: int | None) -> Tensor:
    """One example's map (T, T) read at query ``row`` (None: the mean over query rows) -> (T,)."""
    return m[0].mean(0) if row is None else m[0, row]


def token_scores(model: Any, input_ids: Tensor, *, target: Target, methods: Sequence[str] = METHODS,
                 row: int | None = None, **kw: Any) -> dict[str, Tensor]:
    """Each method's score per token for one sentence (1, T) -> {method: (T,)}.

    Maps (raw, rollout, flow, norm, attention_grad) are read at query ``row``, the token whose output the
    target reads (0 for a [CLS] readout, -1 for an LM's next token; None averages the rows, as for mean
    pooling); raw, norm and attention_grad use the last layer.
    """
    for m in methods:
        check_choice("methods", m, METHODS)
    scores: dict[str, Tensor] = {}
    if {"raw", "rollout", "flow"} & set(methods):
        _, patterns = patterns_of(model, input_ids, **kw)
        graphs = {"raw": lambda: raw_attention(patterns), "rollout": lambda: rollout(patterns),
                  "flow": lambda: flow(patterns)}
        scores.update({m: _row(graphs[m](), row) for m in methods if m in graphs})
    if "norm" in methods:
        scores["norm"] = _row(norm_based(model, input_ids, **kw)[-1], row)
    if "attention_grad" in methods:
        scores["attention_grad"] = _row(attention_grad(model, input_ids, target=target, **kw)[-1], row)
    if "grad_input" in methods:
        scores["grad_input"] = grad_input(model, input_ids, target=target, **kw)[0]
    return {m: scores[m].double().cpu() for m in methods}


def _as_ids(model: Any, sentence: Any, i: int) -> Tensor:
    if isinstance(sentence, str):
        if not callable(getattr(model, "encode", None)):
            raise TypeError(f"sentences[{i}]: a str needs a model with .encode (a tokenizer); pass ids (1, T)")
        return model.encode(sentence).input_ids
    if not isinstance(sentence, Tensor) or sentence.dtype != torch.long or sentence.dim() not in (1, 2):
        raise TypeError(f"sentences[{i}]: expected a str or a long tensor (T,) or (1, T), got {sentence!r:.60}")
    ids = sentence.reshape(1, -1)
    if sentence.dim() == 2 and sentence.shape[0] != 1:
        raise ValueError(f"sentences[{i}]: expected one sentence (1, T), got {tuple(sentence.shape)}")
    return ids


def attribution_agreement(model: Any, sentences: Sequence[Any], *, target: Target,
                          methods: Sequence[str] = METHODS, row: int | None = None, replace: int | None = None,
                          skip: Sequence[int] = (), signed: bool = False, n_boot: int = 2000, seed: int = 0,
                          confidence: float = 0.95) -> dict[str, Agreement]:
    """Per method, the Spearman agreement of its token scores with leave-one-out erasure, over sentences.

    Args:
        model: an attnlab model with hook points (a ``BertEncoder`` from :func:`attnlab.pretrained.load`
            also takes ``str`` sentences).
        sentences: token ids (T,) or (1, T) each, or texts.
        target: output -> (B,) the number to explain (e.g. ``lambda out: out.logits[:, -1, tok]``).
        methods: a subset of :data:`METHODS`.
        row: the query row the maps are read at (see :func:`token_scores`).
        replace: erasure by deletion (None) or by this token id.
        skip: positions left out of the comparison (e.g. ``(0, -1)`` for [CLS] and [SEP]).
        signed: compare signed scores instead of magnitudes.
        n_boot, seed, confidence: the bootstrap over sentences.

    Returns:
        {method: :class:`Agreement`}.
    """
    check_model(model)
    check_int("n_boot", n_boot, 100)
    check_float("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    if isinstance(sentences, (str, Tensor)) or not isinstance(sentences, Sequence) or not sentences:
        raise ValueError("sentences: expected a non-empty list of sentences (texts or token ids)")
    per: dict[str, list[float]] = {m: [] for m in methods}
    for i, sentence in enumerate(sentences):
        ids = _as_ids(model, sentence, i)
        reference = erasure(model, ids, target=target, replace=replace)[0].double().cpu()
        scores = token_scores(model, ids, target=target, methods=methods, row=row)
        keep = [t for t in range(ids.shape[1]) if t not in {s % ids.shape[1] for s in skip}]
        for m, s in scores.items():
            rho = spearman_agreement(s, reference, keep, signed=signed)
            per[m].append(float("nan") if rho is None else rho)
    out = {}
    for m, rhos in per.items():
        rho, ci = bootstrap_mean(rhos, n_boot=n_boot, seed=seed, confidence=confidence)
        out[m] = Agreement(m, rho, ci, CI_METHOD, int(np.isfinite(rhos).sum()), tuple(rhos))
    return out
