"""The sizes of a BERT-family encoder (BERT, MiniLM, RoBERTa, DistilBERT), read from a Hugging Face folder's
``config.json`` and, when present, sentence-transformers' pooling, normalization and length files.

Each family names its sizes in ``config.json`` its own way (DistilBERT: ``dim``, ``n_layers``...); the family's
reader (:func:`bert_sizes`, ``roberta_sizes``, ``distilbert_sizes``) turns them into :class:`BertConfig`'s fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attnlab.pretrained.errors import CheckpointError
from attnlab.pretrained.loader import read_json
from attnlab.validation import check_choice, check_float, check_int

__all__ = ["ACTIVATIONS", "ENCODER_FAMILIES", "POOLING", "BertConfig", "bert_sizes"]

# Hugging Face activation name -> attnlab's
ACTIVATIONS = {"gelu": "gelu", "gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "relu": "relu"}
POOLING = ("mean", "cls", "max")  # sentence pooling modes
# config.json's model_type -> the family's name; all of them load into a BertEncoder
ENCODER_FAMILIES = {"bert": "BERT", "roberta": "RoBERTa", "distilbert": "DistilBERT"}


@dataclass(frozen=True)
class BertConfig:
    """Sizes of a BERT-family encoder, read from ``config.json`` plus sentence-transformers files.

    The defaults are BERT's; RoBERTa sets ``position_offset`` and ``pad_token_id``, DistilBERT
    ``type_vocab_size=0`` (see :mod:`attnlab.pretrained.roberta` and :mod:`attnlab.pretrained.distilbert`).
    """

    vocab_size: int  # rows of the word embedding
    hidden_size: int  # C, the model width
    num_hidden_layers: int  # L, number of encoder blocks
    num_attention_heads: int  # H, heads per block (D = C / H)
    intermediate_size: int  # width of the feed-forward hidden layer
    max_position_embeddings: int  # rows of the learned position embedding
    type_vocab_size: int = 2  # rows of the token-type (segment) embedding; 0: none (DistilBERT)
    layer_norm_eps: float = 1e-12  # epsilon of every LayerNorm
    hidden_act: str = "gelu"  # feed-forward activation, as named by Hugging Face
    max_seq_length: int = 512  # truncation length in tokens, special tokens included
    pooling: str = "mean"  # sentence pooling: "mean", "cls" or "max"
    normalize: bool = True  # L2-normalize sentence embeddings
    model_type: str = "bert"  # config.json's model_type: which weight names and embedding rules apply
    position_offset: int = 0  # first position id (RoBERTa: pad_token_id + 1); pads take pad_token_id
    pad_token_id: int | None = None  # the padding id (RoBERTa derives positions from it; padding is masked)
    sinusoidal_positions: bool = False  # DistilBERT's sinusoidal_pos_embds: a fixed table, rebuilt if absent

    def __post_init__(self) -> None:
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                     "intermediate_size", "max_position_embeddings", "max_seq_length"):
            check_int(name, getattr(self, name), 1)
        check_int("type_vocab_size", self.type_vocab_size, 0)
        check_int("position_offset", self.position_offset, 0)
        check_choice("model_type", self.model_type, list(ENCODER_FAMILIES))
        if self.position_offset and self.pad_token_id is None:
            raise ValueError(f"pad_token_id: expected an int with position_offset={self.position_offset} "
                             "(positions count the tokens that are not padding), got None")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size: expected a multiple of num_attention_heads={self.num_attention_heads}, "
                f"got {self.hidden_size}"
            )
        check_choice("hidden_act", self.hidden_act, sorted(ACTIVATIONS))
        check_choice("pooling", self.pooling, POOLING)
        check_float("layer_norm_eps", self.layer_norm_eps, 0.0, low_open=True)
        if self.max_seq_length > self.max_positions:
            raise ValueError(
                f"max_seq_length: expected <= max_position_embeddings - position_offset = {self.max_positions}, "
                f"got {self.max_seq_length}"
            )

    @property
    def max_positions(self) -> int:
        """The longest input the position table covers: ``max_position_embeddings - position_offset``."""
        return self.max_position_embeddings - self.position_offset

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dir(cls, model_dir: Path) -> BertConfig:
        """Read ``config.json`` and, when present, sentence-transformers' pooling and length files."""
        cfg_path = model_dir / "config.json"
        raw = read_json(cfg_path)
        if not isinstance(raw, dict):
            raise CheckpointError(f"{cfg_path}: expected a JSON object, got {type(raw).__name__}")
        model_type = raw.get("model_type", "bert")  # sentence-transformers folders of old BERTs omit it
        readers = _family_sizes()
        if model_type not in readers:
            raise CheckpointError(f"{cfg_path}: expected model_type one of {sorted(readers)}, got {model_type!r}")
        try:
            sizes = readers[model_type](raw, cfg_path)
        except CheckpointError:
            raise
        except (TypeError, ValueError) as exc:  # a size that is not a number
            raise CheckpointError(f"{cfg_path}: {exc}") from exc
        max_pos = sizes["max_position_embeddings"] - sizes.get("position_offset", 0)  # the longest input
        st_cfg = read_json(model_dir / "sentence_bert_config.json", required=False) or {}
        tok_cfg = read_json(model_dir / "tokenizer_config.json", required=False) or {}
        if isinstance(st_cfg, dict) and "max_seq_length" in st_cfg:
            max_len = int(st_cfg["max_seq_length"])
        else:
            model_max = tok_cfg.get("model_max_length", max_pos) if isinstance(tok_cfg, dict) else max_pos
            max_len = min(int(model_max), max_pos) if isinstance(model_max, (int, float)) else max_pos
        pooling, normalize = "mean", True
        modules = read_json(model_dir / "modules.json", required=False)
        if isinstance(modules, list):
            types = [str(m.get("type", "")) for m in modules if isinstance(m, dict)]
            normalize = any(t.endswith("Normalize") for t in types)
            pool_dir = next((m.get("path", "") for m in modules
                             if isinstance(m, dict) and str(m.get("type", "")).endswith("Pooling")), None)
            if pool_dir is not None:
                pool_path = model_dir / pool_dir / "config.json"
                pool_cfg = read_json(pool_path)
                modes = [k for k in ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens",
                                     "weightedmean_tokens", "lasttoken")
                         if isinstance(pool_cfg, dict) and pool_cfg.get(f"pooling_mode_{k}")]
                names = {"mean_tokens": "mean", "cls_token": "cls", "max_tokens": "max"}
                if len(modes) != 1 or modes[0] not in names:
                    raise CheckpointError(
                        f"{pool_path}: expected exactly one of pooling_mode_mean_tokens / cls_token / "
                        f"max_tokens set, got {modes}"
                    )
                pooling = names[modes[0]]
        try:
            return cls(**sizes, max_seq_length=min(max_len, max_pos), pooling=pooling, normalize=normalize)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"{cfg_path}: {exc}") from exc


def bert_sizes(raw: dict[str, Any], cfg_path: Path) -> dict[str, Any]:
    """BERT's (and MiniLM's) ``config.json`` -> :class:`BertConfig` fields (sizes, norms, activation)."""
    if raw.get("position_embedding_type", "absolute") != "absolute":
        raise CheckpointError(
            f"{cfg_path}: expected position_embedding_type 'absolute', got {raw.get('position_embedding_type')!r}"
        )
    required = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "max_position_embeddings")
    missing = [k for k in required if k not in raw]
    if missing:
        raise CheckpointError(f"{cfg_path}: expected keys {missing} are missing")
    sizes: dict[str, Any] = {k: int(raw[k]) for k in required}
    sizes.update(type_vocab_size=int(raw.get("type_vocab_size", 2)),
                 layer_norm_eps=float(raw.get("layer_norm_eps", 1e-12)), hidden_act=str(raw.get("hidden_act", "gelu")),
                 model_type=str(raw.get("model_type", "bert")))
    return sizes


def _family_sizes() -> dict[str, Callable[[dict[str, Any], Path], dict[str, Any]]]:
    from attnlab.pretrained.distilbert import distilbert_sizes
    from attnlab.pretrained.roberta import roberta_sizes

    return {"bert": bert_sizes, "roberta": roberta_sizes, "distilbert": distilbert_sizes}
