"""q6's models at about equal parameter counts: a one-layer Transformer encoder, an LSTM (chrono or torch's default
initialisation) and a dilated CNN deep enough to cover the longest distance, each with a per-token head."""

from __future__ import annotations

import math

import torch
from torch import nn

from attnlab.data import make_task
from attnlab.questions.q6_cost.settings import (
    ATTENTION,
    ATTENTION_HEADS,
    ATTENTION_LAYERS,
    CNN,
    CNN_DILATION_BASE,
    CNN_KERNEL,
    LSTM,
    LSTM_DEFAULT,
    MODELS,
)

__all__ = ["build_model", "chrono_init_", "cnn_layers_for", "cnn_reach", "n_params", "receptive_reach",
           "width_for_budget"]


def chrono_init_(lstm: nn.LSTM, t_max: float) -> None:
    """Chrono initialisation (Tallec & Ollivier 2018) of every layer of ``lstm``, in place.

    Forget-gate bias b_f = log(u), u ~ U(1, t_max - 1), input-gate bias b_i = -b_f (torch's gate order is
    input, forget, cell, output; the recurrent biases of these two gates are zeroed so the sums are b_f, b_i).
    A forget gate near sigmoid(log u) keeps its cell for about u steps, so memories of every time scale up
    to ``t_max`` exist at initialisation.
    """
    if not t_max > 2:
        raise ValueError(f"t_max: expected a number > 2, got {t_max!r}")
    h = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            for suffix in ("", "_reverse") if lstm.bidirectional else ("",):
                b_ih = getattr(lstm, f"bias_ih_l{layer}{suffix}")
                b_hh = getattr(lstm, f"bias_hh_l{layer}{suffix}")
                b_f = torch.log(torch.empty(h).uniform_(1.0, t_max - 1.0))
                b_ih[h:2 * h] = b_f
                b_ih[:h] = -b_f
                b_hh[: 2 * h] = 0.0


def cnn_reach(n_layers: int) -> int:
    """Positions back a centred dilated stack reaches: (k - 1)/2 · Σ_l base**l (every offset up to it is reachable
    by a signed sum of the dilations)."""
    return (CNN_KERNEL - 1) // 2 * sum(CNN_DILATION_BASE**i for i in range(n_layers))


def cnn_layers_for(distance: int) -> int:
    """The fewest dilated layers whose reach covers ``distance`` (5 for 24: reach 31)."""
    layers = 1
    while cnn_reach(layers) < distance:
        layers += 1
    return layers


def build_model(model: str, d_model: int, *, vocab_size: int, n_classes: int, max_len: int,
                cnn_layers: int = 5) -> nn.Module:
    """The q6 model ``model`` (a key of :data:`~attnlab.questions.q6_cost.settings.MODELS`) at width ``d_model``
    with a per-token head."""
    from attnlab.models import CNNEncoder, RNNEncoder, TransformerEncoder

    if model == ATTENTION:
        return TransformerEncoder(vocab_size=vocab_size, d_model=d_model, n_heads=ATTENTION_HEADS,
                                  n_layers=ATTENTION_LAYERS, max_len=max_len, n_outputs=n_classes)
    if model in (LSTM, LSTM_DEFAULT):
        m = RNNEncoder(vocab_size=vocab_size, d_model=d_model, n_layers=1, cell="lstm", n_outputs=n_classes)
        if model == LSTM:
            chrono_init_(m.rnn, max_len)
        return m
    if model == CNN:
        return CNNEncoder(vocab_size=vocab_size, d_model=d_model, n_layers=cnn_layers, kernel_size=CNN_KERNEL,
                          dilation_base=CNN_DILATION_BASE, n_outputs=n_classes)
    raise ValueError(f"model: expected one of {tuple(MODELS)}, got {model!r}")


def n_params(model: str, d: int, task_kw: dict[str, int], cnn_layers: int) -> int:
    """Parameters of ``model`` at width ``d`` for the marked-recall task ``task_kw`` (built on the meta device)."""
    task = make_task("marked_recall", **task_kw)
    with torch.device("meta"):
        m = build_model(model, d, vocab_size=task.vocab_size, n_classes=task.n_classes, max_len=task.seq_len,
                        cnn_layers=cnn_layers)
    return sum(p.numel() for p in m.parameters())


def width_for_budget(model: str, budget: int, task_kw: dict[str, int], cnn_layers: int = 5) -> int:
    """The width whose ``model`` has the parameter count closest to ``budget`` (even for attention's 2 heads)."""
    best, gap = 2, math.inf
    for d in range(2, 1025, ATTENTION_HEADS if model == ATTENTION else 1):
        n = n_params(model, d, task_kw, cnn_layers)
        if abs(n - budget) < gap:
            best, gap = d, abs(n - budget)
        if n > budget:
            break
    return best


def receptive_reach(model: nn.Module, length: int, vocab_size: int) -> int:
    """How far back the output at the last position depends on the input: the largest offset whose input
    embedding gets a non-zero gradient from the last position's logits (float64, so a long chain of small
    factors does not underflow)."""
    model = model.double().eval()
    ids = torch.randint(1, vocab_size, (1, length), generator=torch.Generator().manual_seed(0))
    emb = model.embed
    x = emb(ids).detach().requires_grad_(True)  # (1, T, C)
    out = model(inputs_embeds=x).logits  # (1, T, K)
    (g,) = torch.autograd.grad(out[0, -1].sum(), x)
    reached = (g[0].abs().sum(-1) > 0).nonzero().flatten()
    model.float()
    return int(length - 1 - reached.min()) if len(reached) else 0
