"""Hook points: a language model's forward with no hook set, after hooks were used and cleared, against a
never-hooked copy with the same weights (the zero-cost claim of :mod:`attnlab.attention.hooks`), and what a
set hook costs.

Shape legend: B batch, T sequence length, C model dim, H heads, L layers, V vocabulary.
"""

from __future__ import annotations

import copy

import torch

from attnlab.bench.spec import CaseContext, Target, Timed, TimedCase

__all__ = ["HOOKS"]


def _no_hook_set(ctx: CaseContext) -> Timed:
    from attnlab.models import TransformerLM

    s = ctx.pick(dict(B=8, T=256, C=256, H=8, L=4, V=1000), dict(B=2, T=32, C=64, H=4, L=2, V=100))
    torch.manual_seed(0)
    fresh = TransformerLM(vocab_size=s["V"], d_model=s["C"], n_heads=s["H"], n_layers=s["L"],
                          max_len=s["T"]).to(ctx.device)
    used = copy.deepcopy(fresh)
    ids = torch.randint(0, s["V"], (s["B"], s["T"]), device=ctx.device)  # (B, T)
    used.run_with_cache(ids)  # every point hooked once (scores/pattern included), then cleared
    resid = {n: (lambda t, name: None) for n in used.hook_names() if ".resid_" in n}

    def one_hook_per_point() -> object:
        with used.hooks(resid):
            return used(ids)

    def check() -> dict:
        return {"bitwise_equal": bool(torch.equal(used(ids).logits, fresh(ids).logits))}

    return Timed(
        attnlab=lambda: used(ids),
        peer=lambda: fresh(ids),
        title=f"LM forward, no hook set B={s['B']} T={s['T']} C={s['C']} H={s['H']} L={s['L']}",
        modules=(used, fresh),
        details={"shapes": s},
        check=check,
        others={"identity hooks on every residual point": one_hook_per_point},
    )


HOOKS = [
    TimedCase("hooks.none", "LM forward with no hook set, after hooks were used (eval, no_grad)",
              "the same LM never hooked", _no_hook_set, target=Target("<=", 1.02)),
]
