"""Greedy and beam-search decoding shared by every autoregressive model in :mod:`attnlab.models`.

A model plugs in through a *stepper*: an object with

* ``step(ids) -> logits``: ``ids`` (N, t) is the whole sequence so far (prompt + tokens chosen so far);
  it returns the next-token logits (N, V). A cached stepper feeds only the tokens its KV caches have not
  seen yet (``ids[:, cache.length:]``), an uncached one re-runs the whole prefix.
* ``reorder(index)``: ``index`` (N,) long; row ``j`` of every piece of decoder state becomes old row
  ``index[j]`` (beam search; ``KVCache.reorder``).

The loops keep per-token Python work small: the output buffer is preallocated, no per-step validation,
and a host synchronisation happens only when an ``eos_token_id`` can end the search early.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch


class Stepper(Protocol):
    def step(self, ids: torch.Tensor) -> torch.Tensor: ...

    def reorder(self, index: torch.Tensor) -> None: ...


@dataclass
class GenerationOutput:
    """Result of ``generate(..., output_scores=True)``.

    Attributes:
        sequences: (B, T + new) long, the prompt followed by the generated tokens.
        scores: (B, new, V) float, the next-token logits at each step of the returned hypothesis
            (for beam search: of the beam that produced each returned token).
        sequence_scores: (B,) float, sum of log-probabilities of the new tokens (beam search: divided by
            ``length ** length_penalty``), or None for greedy search.
    """

    sequences: torch.Tensor
    scores: torch.Tensor | None = None
    sequence_scores: torch.Tensor | None = None


def check_generate_args(prompt: torch.Tensor, max_new_tokens: int, num_beams: int, max_len: int | None,
                        name: str = "input_ids") -> None:
    """Validate the common ``generate`` arguments (before any computation)."""
    if not isinstance(prompt, torch.Tensor) or prompt.dim() != 2:
        got = tuple(prompt.shape) if isinstance(prompt, torch.Tensor) else type(prompt).__name__
        raise ValueError(f"{name}: expected a (B, T) long tensor, got {got}")
    if prompt.dtype != torch.long:
        raise TypeError(f"{name}: expected dtype torch.long, got {prompt.dtype}")
    if prompt.shape[1] < 1:
        raise ValueError(f"{name}: expected at least one token per row, got shape {tuple(prompt.shape)}")
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens: expected an int >= 0, got {max_new_tokens!r}")
    if isinstance(num_beams, bool) or not isinstance(num_beams, int) or num_beams < 1:
        raise ValueError(f"num_beams: expected an int >= 1, got {num_beams!r}")
    if max_len is not None and prompt.shape[1] + max_new_tokens > max_len:
        raise ValueError(
            f"max_new_tokens: expected prompt length + max_new_tokens <= max_len={max_len}, "
            f"got {prompt.shape[1]} + {max_new_tokens}"
        )


def greedy_search(stepper: Stepper, prompt: torch.Tensor, max_new_tokens: int, *,
                  eos_token_id: int | None = None, pad_token_id: int | None = None,
                  output_scores: bool = False) -> GenerationOutput:
    """Pick the arg-max token at each step.

    Rows that produced ``eos_token_id`` are padded with ``pad_token_id`` (default: the eos id) and the
    loop stops once every row has finished (the result is then shorter than T + max_new_tokens).

    Args:
        stepper: see the module docstring.
        prompt: (B, T) long.
        max_new_tokens: tokens to add.

    Returns:
        GenerationOutput with ``sequences`` (B, T + n) and, when ``output_scores``, ``scores`` (B, n, V).
    """
    b, t = prompt.shape
    seq = prompt.new_empty(b, t + max_new_tokens)  # preallocated output buffer
    seq[:, :t] = prompt
    pad = eos_token_id if pad_token_id is None else pad_token_id
    finished = torch.zeros(b, dtype=torch.bool, device=prompt.device) if eos_token_id is not None else None
    scores: list[torch.Tensor] = []
    end = t + max_new_tokens
    for cur in range(t, t + max_new_tokens):
        logits = stepper.step(seq[:, :cur])  # (B, V)
        nxt = logits.argmax(-1)  # (B,)
        if output_scores:
            scores.append(logits)
        if finished is not None:
            nxt = nxt.masked_fill(finished, pad)
            finished = finished | (nxt == eos_token_id)
        seq[:, cur] = nxt
        if finished is not None and bool(finished.all()):
            end = cur + 1
            break
    return GenerationOutput(seq[:, :end], torch.stack(scores, 1) if output_scores and scores else None)


def beam_search(stepper: Stepper, prompt: torch.Tensor, max_new_tokens: int, num_beams: int, *,
                eos_token_id: int | None = None, pad_token_id: int | None = None,
                length_penalty: float = 1.0, output_scores: bool = False) -> GenerationOutput:
    r"""Beam search with ``num_beams`` hypotheses per row, scored by the sum of log-probabilities.

    The stepper must already hold state for ``B * num_beams`` rows (row ``b * K + k`` is beam ``k`` of
    example ``b``); ``prompt`` is the un-expanded (B, T) prompt. A beam that emits ``eos_token_id`` is
    frozen: it is continued only by ``pad_token_id`` at log-probability 0 and keeps competing with its
    final score. At the end the best beam per row is chosen by ``score / length ** length_penalty``, where
    ``length`` counts new tokens up to and including eos.

    Returns:
        GenerationOutput with ``sequences`` (B, T + n), ``sequence_scores`` (B,) and, when
        ``output_scores``, ``scores`` (B, n, V): the logits behind each returned token.
    """
    b, t = prompt.shape
    k = num_beams
    device = prompt.device
    seq = prompt.new_empty(b * k, t + max_new_tokens)
    seq[:, :t] = prompt.repeat_interleave(k, 0)  # (B*K, T)
    pad = eos_token_id if pad_token_id is None else pad_token_id
    beam_scores = torch.zeros(b, k, device=device)
    beam_scores[:, 1:] = float("-inf")  # all beams start identical: keep only the first alive
    base = (torch.arange(b, device=device) * k).unsqueeze(1)  # (B, 1) row offset of each example
    finished = torch.zeros(b * k, dtype=torch.bool, device=device)
    lengths = torch.zeros(b * k, dtype=torch.long, device=device)
    step_logits: list[torch.Tensor] = []
    step_src: list[torch.Tensor] = []
    end = t + max_new_tokens
    for cur in range(t, t + max_new_tokens):
        logits = stepper.step(seq[:, :cur])  # (B*K, V)
        v = logits.shape[-1]
        logp = torch.log_softmax(logits.float(), -1)  # (B*K, V)
        if eos_token_id is not None:
            frozen = torch.full_like(logp, float("-inf"))
            frozen[:, pad] = 0.0
            logp = torch.where(finished.unsqueeze(1), frozen, logp)
        cand = (beam_scores.reshape(-1, 1) + logp).reshape(b, k * v)  # (B, K*V)
        beam_scores, flat = cand.topk(k, dim=-1)  # (B, K)
        src = (flat // v + base).reshape(-1)  # (B*K,) old row of each new beam
        tok = (flat % v).reshape(-1)  # (B*K,)
        if output_scores:
            step_logits.append(logits)
            step_src.append(src)
        seq = seq.index_select(0, src)
        seq[:, cur] = tok
        stepper.reorder(src)
        finished = finished.index_select(0, src)
        lengths = lengths.index_select(0, src) + (~finished).long()
        if eos_token_id is not None:
            finished = finished | (tok == eos_token_id)
            if bool(finished.all()):
                end = cur + 1
                break
    norm = beam_scores.reshape(-1) / lengths.clamp_min(1).float() ** length_penalty  # (B*K,)
    best = norm.reshape(b, k).argmax(-1) + base.squeeze(1)  # (B,) flat index of the best beam
    out = GenerationOutput(seq.index_select(0, best)[:, :end], sequence_scores=norm[best])
    if output_scores and step_logits:
        picked = []
        j = best
        for logits, src in zip(reversed(step_logits), reversed(step_src), strict=True):
            j = src[j]  # the row that produced this step's token
            picked.append(logits[j])
        out.scores = torch.stack(picked[::-1], 1)  # (B, n, V)
    return out


def run_search(stepper: Stepper, prompt: torch.Tensor, max_new_tokens: int, *, num_beams: int = 1,
               eos_token_id: int | None = None, pad_token_id: int | None = None, length_penalty: float = 1.0,
               output_scores: bool = False) -> GenerationOutput:
    """Dispatch to :func:`greedy_search` (``num_beams == 1``) or :func:`beam_search`."""
    if num_beams == 1:
        return greedy_search(stepper, prompt, max_new_tokens, eos_token_id=eos_token_id,
                             pad_token_id=pad_token_id, output_scores=output_scores)
    return beam_search(stepper, prompt, max_new_tokens, num_beams, eos_token_id=eos_token_id,
                       pad_token_id=pad_token_id, length_penalty=length_penalty, output_scores=output_scores)


def finish_search(out: GenerationOutput, output_scores: bool) -> torch.Tensor | GenerationOutput:
    """What ``generate`` returns: the whole :class:`GenerationOutput` with ``output_scores``, else the
    sequences (B, T + new)."""
    return out if output_scores else out.sequences
