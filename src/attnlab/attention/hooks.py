"""Hook points: read or replace any intermediate activation of an attnlab model for one forward pass.

Every hook point is named here, once. A model's points are its blocks' points under ``blocks.{i}.``
(``encoder.`` / ``decoder.`` before that in an encoder-decoder); a lone ``MultiHeadAttention`` has its
own points without a prefix.

=========================== ============== =========================================================
name                        shape          what
=========================== ============== =========================================================
``blocks.{i}.attn.q``       (B, H, Tq, D)  queries, after RoPE when ``positions="rope"``
``blocks.{i}.attn.k``       (B, Hkv, T, D) keys of the new tokens (after RoPE, before a KV cache
                                           stores them: a replacement is what the cache keeps)
``blocks.{i}.attn.v``       (B, Hkv, T, D) values of the new tokens
``blocks.{i}.attn.scores``  (B, H, Tq, Tk) logits after scaling, soft-cap, position bias and masking
                                           (-inf where masked; 0 on a row with nothing to attend to),
                                           before the softmax
``blocks.{i}.attn.pattern`` (B, H, Tq, Tk) attention weights, the softmax of the scores
``blocks.{i}.attn.z``       (B, H, Tq, D)  each head's output, after the gate and ``head_mask``: what the
                                           output projection reads
``blocks.{i}.attn.out``     (B, Tq, C)     the attention's output, after the output projection
``blocks.{i}.resid_pre``    (B, T, C)      the residual stream entering block i
``blocks.{i}.resid_mid``    (B, T, C)      after the (self-)attention branch
``blocks.{i}.resid_cross``  (B, T, C)      decoder blocks only: after the cross-attention branch
``blocks.{i}.resid_post``   (B, T, C)      after the feed-forward branch: block i's output
=========================== ============== =========================================================

A block whose ``mixer`` is not softmax attention (:mod:`attnlab.models.mixers`) has ``q``, ``k``, ``v``,
``z`` and ``out`` under ``blocks.{i}.attn.`` (each mixer's docstring gives their shapes), and no
``scores`` or ``pattern``.

A decoder block's cross-attention has the attention points under ``blocks.{i}.cross_attn.`` (its
``k``/``v`` fire only when they are computed, not when a cross-attention cache is reused).

``model.hooks({name: fn})`` is a context manager: inside it, ``fn(tensor, name)`` runs each time the point
is reached and may return a replacement (same shape) or None to leave it. ``model.run_with_cache(*inputs,
names=None, **kw)`` runs ``model(*inputs, **kw)`` and returns ``(output, cache)``, the cache holding only
the activations asked for. A point reached twice in one call (generation) keeps the last tensor.

Cost: a module with no hook set checks one attribute per point and runs exactly the code it runs without
this feature (same kernels, bitwise equal outputs). ``scores`` and ``pattern`` hooks need the materialised
weights, so while one is set that attention runs the reference kernel (as ``need_weights=True`` does; its
outputs match the fast path to rounding).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from torch import Tensor, nn

__all__ = [
    "ATTENTION_POINTS",
    "BLOCK_POINTS",
    "DECODER_BLOCK_POINTS",
    "HookFn",
    "HookPoints",
    "HookedModel",
    "block_hook_modules",
]

ATTENTION_POINTS = ("q", "k", "v", "scores", "pattern", "z", "out")
BLOCK_POINTS = ("resid_pre", "resid_mid", "resid_post")
DECODER_BLOCK_POINTS = ("resid_pre", "resid_mid", "resid_cross", "resid_post")
# the points that need the attention weights materialised (the reference kernel)
WEIGHT_POINTS = frozenset({"scores", "pattern"})

HookFn = Callable[[Tensor, str], Tensor | None]


class HookPoints:
    """Mixin for a module with hook points: ``hook_points`` names them, :meth:`run_hook` runs the hooks.

    ``_hook_fns`` is None unless a :meth:`HookedModel.hooks` context set a hook on this module; the
    module's forward tests it once and skips every :meth:`run_hook` call when it is None.
    """

    hook_points: tuple[str, ...] = ()
    # {point: [(full name, fn), ...]} while hooks are set, else None (a class default: no __init__ needed)
    _hook_fns: dict[str, list[tuple[str, HookFn]]] | None = None

    def run_hook(self, point: str, x: Tensor) -> Tensor:
        """``x`` after every hook set on ``point`` (in the order they were set); each may replace it."""
        fns = self._hook_fns.get(point, ()) if self._hook_fns is not None else ()
        for name, fn in fns:
            y = fn(x, name)
            if y is None:
                continue
            if not isinstance(y, Tensor):
                raise TypeError(f"hook {name!r}: expected None or a tensor, got {type(y).__name__}")
            if y.shape != x.shape:
                raise ValueError(f"hook {name!r}: expected a replacement of shape {tuple(x.shape)}, "
                                 f"got {tuple(y.shape)}")
            x = y
        return x

    def hooks_on(self, *points: str) -> bool:
        """True when a hook is set on any of ``points``."""
        return self._hook_fns is not None and any(p in self._hook_fns for p in points)


def block_hook_modules(blocks: Iterable[nn.Module], prefix: str = "") -> dict[str, HookPoints]:
    """``{f"{prefix}blocks.{i}.": block, f"{prefix}blocks.{i}.attn.": block.attn, ...}``: each block and
    each of its direct children with hook points (``attn``, ``cross_attn``), named by attribute."""
    found: dict[str, HookPoints] = {}
    for i, block in enumerate(blocks):
        if isinstance(block, HookPoints):
            found[f"{prefix}blocks.{i}."] = block
        for child_name, child in block.named_children():
            if isinstance(child, HookPoints):
                found[f"{prefix}blocks.{i}.{child_name}."] = child
    return found


def _summary(names: Iterable[str]) -> str:
    """The valid names, block indices folded: ``blocks.{i}.attn.q|k|v (i in 0..5)``."""
    groups: dict[str, dict[str, None]] = {}  # stem -> its points, in order, once each
    indices: set[int] = set()
    for name in names:
        for i in re.findall(r"\.(\d+)\.", f".{name}"):
            indices.add(int(i))
        stem, _, point = re.sub(r"(^|\.)\d+\.", r"\1{i}.", name).rpartition(".")
        groups.setdefault(stem, {})[point] = None
    parts = [f"{stem}.{'|'.join(points)}" if stem else "|".join(points) for stem, points in groups.items()]
    span = f" (i in 0..{max(indices)})" if indices else ""
    return ", ".join(parts) + span


class HookedModel:
    """``hooks``, ``run_with_cache`` and ``hook_names`` for a module whose hook points are found by
    :meth:`_hook_modules` (``{name prefix: module with HookPoints}``)."""

    def _hook_modules(self) -> dict[str, HookPoints]:
        raise NotImplementedError

    def _hook_table(self) -> dict[str, tuple[HookPoints, str]]:
        """{full name: (module, point)} in forward order."""
        return {prefix + point: (module, point)
                for prefix, module in self._hook_modules().items() for point in module.hook_points}

    def hook_names(self) -> list[str]:
        """Every hook point of this model, block by block."""
        return list(self._hook_table())

    def hook_module(self, name: str) -> HookPoints:
        """The module whose forward reaches hook point ``name`` (``blocks.2.attn.z``: block 2's attention)."""
        table = self._hook_table()
        self._check_name(name, table, "name")
        return table[name][0]

    def _check_name(self, name: Any, table: Mapping[str, Any], arg: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{arg}: expected hook point names (str), got {type(name).__name__} {name!r}")
        if name not in table:
            close = difflib.get_close_matches(name, list(table), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{arg}: unknown hook point {name!r}{hint}; valid names: {_summary(table)}")

    @contextmanager
    def hooks(self, fns: Mapping[str, HookFn]) -> Iterator[None]:
        """Set ``{name: fn}`` for the forward passes inside the ``with`` block.

        ``fn(tensor, name)`` returns a replacement of the same shape, or None to keep the tensor. Contexts
        nest: an inner one's hooks run after the outer one's on the same point.

        Raises:
            TypeError: ``fns`` is not a mapping, a name is not a str or an fn is not callable.
            ValueError: an unknown name (the message lists the valid ones).
        """
        if not isinstance(fns, Mapping):
            raise TypeError(f"fns: expected a dict {{hook point name: fn}}, got {type(fns).__name__}")
        table = self._hook_table()
        for name, fn in fns.items():
            self._check_name(name, table, "fns")
            if not callable(fn):
                raise TypeError(f"fns[{name!r}]: expected a callable fn(tensor, name), got {type(fn).__name__}")
        added = []
        try:
            for name, fn in fns.items():
                module, point = table[name]
                if module._hook_fns is None:
                    module._hook_fns = {}
                entry = (name, fn)
                module._hook_fns.setdefault(point, []).append(entry)
                added.append((module, point, entry))
            yield
        finally:
            for module, point, entry in reversed(added):
                entries = module._hook_fns[point]
                entries.remove(entry)
                if not entries:
                    del module._hook_fns[point]
                if not module._hook_fns:
                    module._hook_fns = None  # back to the fast path

    def run_with_cache(self, *inputs: Any, names: Iterable[str] | Callable[[str], bool] | str | None = None,
                       detach: bool = True, **kw: Any) -> tuple[Any, dict[str, Tensor]]:
        """Run ``self(*inputs, **kw)`` and return ``(output, cache)``.

        Args:
            names: the hook points to keep: None (all), a list of names, one name, or a predicate
                ``name -> bool``. Only these are stored (the others cost nothing).
            detach: store detached tensors (default); False keeps them in the autograd graph, so that
                ``torch.autograd.grad(y, cache[name])`` gives the gradient at that point.

        Returns:
            (the model's output, {name: tensor}) in the order the points were reached.

        Raises:
            TypeError, ValueError: for names of the wrong type or unknown names.
        """
        table = self._hook_table()
        if names is None:
            chosen = list(table)
        elif isinstance(names, str):
            chosen = [names]
        elif callable(names):
            chosen = [n for n in table if names(n)]
        elif isinstance(names, Iterable):
            chosen = list(names)
        else:
            raise TypeError(f"names: expected None, a list of names or a predicate, got {type(names).__name__}")
        for name in chosen:
            self._check_name(name, table, "names")
        cache: dict[str, Tensor] = {}

        def store(t: Tensor, name: str) -> None:
            cache[name] = t.detach() if detach else t

        with self.hooks(dict.fromkeys(chosen, store)):
            out = self(*inputs, **kw)
        return out, cache
