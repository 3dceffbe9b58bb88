"""Run a loaded model on a text and collect its tokens and per-layer attention weights."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["model_attentions"]


def _is_pattern(name: str) -> bool:
    return name.endswith(".attn.pattern")


def _token_ids(tokenizer: Any, text: str) -> tuple[torch.Tensor, list[str], dict[str, Any]]:
    """(input_ids (1, T), the T token strings, extra keyword arguments for a Hugging Face model)."""
    from attnlab.pretrained.tokenizer import HFTokenizer

    if isinstance(tokenizer, HFTokenizer):  # a folder's tokenizer.json, as attnlab.pretrained.load reads it
        batch = tokenizer(text)
        return batch.input_ids, batch.tokens[0], {}
    if hasattr(tokenizer, "convert_ids_to_tokens"):  # a Hugging Face tokenizer
        enc = tokenizer(text, return_tensors="pt")
        ids = enc["input_ids"]
        extra = {k: v for k, v in enc.items() if k == "attention_mask"}
        return ids, list(tokenizer.convert_ids_to_tokens(ids[0].tolist())), extra
    if hasattr(tokenizer, "encode") and hasattr(tokenizer, "decode"):  # attnlab's WordTokenizer / CharTokenizer
        ids = list(tokenizer.encode(text))
        if not ids:
            raise ValueError(f"text: the tokenizer made no tokens of {text!r}")
        return torch.tensor([ids]), [str(t) for t in tokenizer.decode(ids)], {}
    raise TypeError(f"tokenizer: expected a Hugging Face tokenizer or one with encode() and decode(), got "
                    f"{type(tokenizer).__name__}")


@torch.no_grad()
def model_attentions(model: Any, text: str, *, tokenizer: Any = None) -> tuple[list[str], list[torch.Tensor]]:
    """Tokens and per-layer weights (H, T, T) of ``model`` on ``text``, in evaluation mode (restored after).

    ``model`` is one of: a pretrained encoder (:func:`attnlab.pretrained.load`; its ``attentions(text)``);
    an attnlab model with hook points (``run_with_cache``) and a ``tokenizer`` (attribute or argument), such
    as a GPT-2 or Llama that :func:`attnlab.pretrained.load` read with its ``tokenizer.json``;
    a Hugging Face model that takes ``output_attentions=True``, with its ``tokenizer``.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text: expected a non-empty str, got {text!r:.60}")
    tokenizer = tokenizer if tokenizer is not None else getattr(model, "tokenizer", None)
    if tokenizer is None and callable(getattr(model, "attentions", None)):
        return model.attentions(text)
    if tokenizer is None:
        raise ValueError(f"tokenizer: {type(model).__name__} has no tokenizer; pass tokenizer=... (a Hugging Face "
                         "tokenizer, or attnlab.data.WordTokenizer / CharTokenizer fitted on your texts)")
    if callable(getattr(model, "attentions", None)) and tokenizer is getattr(model, "tokenizer", None):
        return model.attentions(text)
    ids, tokens, extra = _token_ids(tokenizer, text)
    weight = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    if weight is not None:  # the ids go where the model is (a GPU-loaded model)
        ids, extra = ids.to(weight.device), {k: v.to(weight.device) for k, v in extra.items()}
    training = getattr(model, "training", False)
    model.eval()
    try:
        if hasattr(model, "run_with_cache"):
            _, cache = model.run_with_cache(ids, names=_is_pattern)
            maps = [cache[k] for k in sorted(cache, key=lambda k: int(k.split(".")[1]))]
        elif callable(model):
            out = model(input_ids=ids, output_attentions=True, **extra)
            maps = list(getattr(out, "attentions", None) or [])
            if not maps:
                raise ValueError(f"model: {type(model).__name__} returned no attentions with output_attentions=True")
        else:
            raise TypeError(f"model: expected an attnlab model or a Hugging Face model, got {type(model).__name__}")
    finally:
        model.train(training)
    return tokens, [m[0].float().cpu() for m in maps]
