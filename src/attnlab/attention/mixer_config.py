"""The ``mixer`` switch of :class:`~attnlab.attention.AttentionConfig`: which token mixer a block runs, and
the combinations of switches each mixer refuses (at construction, with what to change).

* ``softmax``: :class:`~attnlab.attention.MultiHeadAttention`, every switch of the config.
* ``mla``: multi-head latent attention (DeepSeek-V2, 2024); own sizes ``kv_latent_dim``, ``rope_head_dim``
  and the decode path ``latent_absorb``.
* ``differential``: differential attention (Ye et al. 2025).
* ``linear``: linear attention with the elu + 1 feature map (Katharopoulos et al. 2020).
* ``delta``, ``gated_delta``: the delta rule (Schlag et al. 2021; Yang et al. 2024), without and with a
  decay gate; own size ``delta_chunk``.

The modules live in :mod:`attnlab.models.mixers`; this module only checks the config.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CAUSAL_ONLY_MIXERS", "MIXERS", "MIXER_FIELDS", "RECURRENT_MIXERS", "check_mixer"]

MIXERS = ("softmax", "mla", "differential", "linear", "delta", "gated_delta")
RECURRENT_MIXERS = ("linear", "delta", "gated_delta")
CAUSAL_ONLY_MIXERS = ("delta", "gated_delta")  # recurrences that read left to right only
# each mixer's own fields: their defaults and the mixers they apply to
_OWN = {"kv_latent_dim": (None, ("mla",)), "rope_head_dim": (None, ("mla",)), "latent_absorb": (False, ("mla",)),
        "delta_chunk": (16, ("delta", "gated_delta"))}
MIXER_FIELDS = ("mixer", "kv_latent_dim", "rope_head_dim", "latent_absorb", "delta_chunk")


def _refuse(config: Any, name: str, allowed: tuple, hint: str) -> None:
    value = getattr(config, name)
    if value not in allowed:
        raise ValueError(f"{name}: mixer={config.mixer!r} takes {name} in {list(allowed)}, got {value!r}; {hint}")


def _positive(name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value!r}")


def check_mixer(config: Any) -> None:
    """Check ``config.mixer`` against the other switches and resolve the mixer's sizes given as None.

    Raises:
        ValueError naming the field, with the value the mixer needs.
    """
    mixer = config.mixer
    if mixer not in MIXERS:
        raise ValueError(f"mixer: expected one of {list(MIXERS)}, got {mixer!r}")
    for name, (default, owners) in _OWN.items():
        if mixer not in owners and getattr(config, name) != default:
            raise ValueError(f"{name}: applies to mixer={' or '.join(map(repr, owners))}, got "
                             f"{name}={getattr(config, name)!r} with mixer={mixer!r}; leave it at {default!r}")
    if mixer == "softmax":
        return
    fix = "use mixer='softmax' for this switch"
    _refuse(config, "score", ("scaled_dot",), fix)
    _refuse(config, "shared_qk", (False,), fix)
    _refuse(config, "scale", (None,), f"mixer={mixer!r} scales its scores itself; {fix}")
    _refuse(config, "rotary_fraction", (1.0,), fix)
    for name in ("kdim", "vdim"):
        _refuse(config, name, (None, config.d_model), "the mixers are self-attention only")
    if mixer in ("mla", *RECURRENT_MIXERS):
        _refuse(config, "n_kv_heads", (None, config.n_heads), "grouped keys/values are MHA's, use mixer='softmax'")
    if mixer == "mla":
        _check_latent(config)
    elif mixer == "differential":
        if config.head_dim % 2:
            raise ValueError(f"head_dim: mixer='differential' splits each head's queries and keys in two halves, "
                             f"so expected an even head_dim, got {config.head_dim} (change d_model or n_heads)")
        for name in ("sink", "softcap", "gate"):
            _refuse(config, name, (None,), f"the differential map takes no {name}; {fix}")
    else:
        for name in ("window", "sink", "softcap", "gate", "positions"):
            _refuse(config, name, (None,), f"{mixer} attention forms no softmax map; {fix}")
        _refuse(config, "impl", ("auto",), f"{mixer} attention has its own kernels")
        _positive("delta_chunk", config.delta_chunk)


def _check_latent(config: Any) -> None:
    d = config.head_dim
    if config.kv_latent_dim is None:
        object.__setattr__(config, "kv_latent_dim", 4 * d)  # DeepSeek-V2: d_c = 4 d_h
    _positive("kv_latent_dim", config.kv_latent_dim)
    rope = config.positions == "rope"
    if config.rope_head_dim is None:
        object.__setattr__(config, "rope_head_dim", max(2, d // 2 // 2 * 2) if rope else 0)  # DeepSeek-V2: d_h / 2
    r = config.rope_head_dim
    if rope:
        _positive("rope_head_dim", r, 2)
        if r % 2:
            raise ValueError(f"rope_head_dim: expected an even int (features turn in pairs), got {r}")
    elif r != 0:
        raise ValueError(f"rope_head_dim: the decoupled rotary part needs positions='rope', got rope_head_dim={r} "
                         f"with positions={config.positions!r}; set positions='rope' or rope_head_dim=0")
    if not isinstance(config.latent_absorb, bool):
        raise ValueError(f"latent_absorb: expected a bool, got {config.latent_absorb!r}")
