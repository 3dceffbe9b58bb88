"""What every model config shares: ``to_dict`` / ``from_dict``, the field checks and the choice lists.

Each check raises ``ValueError`` (or ``TypeError`` for a wrong type) naming the field, with what was
expected and what was given.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from attnlab.attention.kernels import IMPLS
from attnlab.attention.position_schemes import POSITION_SCHEMES
from attnlab.attention.scores import list_scores

ACTIVATIONS = ("gelu", "relu", "gelu_tanh", "swiglu")
NORMS = ("layer", "rms")  # LayerNorm, RMSNorm (Zhang & Sennrich 2019)
POSITIONS = tuple(POSITION_SCHEMES)  # sinusoidal, learned (embeddings), rope, alibi, t5 (attention), none
ATTN_IMPLS = IMPLS
SEQ_POOLINGS = ("first", "mean", "max", "attention")
RNN_POOLINGS = ("last", "mean", "max", "attention")
CELLS = ("lstm", "gru")
SEQ2SEQ_STYLES = ("luong", "bahdanau")


def set_resolved(obj: Any, name: str, value: Any) -> None:
    """Assign a resolved default on a frozen dataclass (used only inside ``__post_init__``)."""
    object.__setattr__(obj, name, value)


def check_int(name: str, value: Any, *, minimum: int = 1, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__} ({value!r})")
    if value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value}")


def check_choice(name: str, value: Any, choices: tuple[str, ...] | list[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name}: expected one of {sorted(choices)}, got {value!r}")


def check_prob(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name}: expected a float in [0, 1), got {value!r}")


def check_score(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a registered score name (str), got {type(value).__name__}")
    check_choice(name, value, list(list_scores()))


def check_scale(value: Any) -> None:
    ok = value is None or isinstance(value, (bool, float, int)) or value == "learned"
    if not ok:
        raise ValueError(f"scale: expected None, True, False, a float or 'learned', got {value!r}")


class ConfigMixin:
    """Helpers shared by all configs: ``to_dict`` and ``from_dict``."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown field(s) {unknown}; expected a subset of {sorted(names)}")
        return cls(**data)
