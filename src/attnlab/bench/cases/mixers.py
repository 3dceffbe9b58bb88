"""The mixers: MLA's decode (bytes and time per token) against MHA and GQA, and one decoding step of linear
attention and the delta rule against softmax attention as the context T grows (where the recurrent state's
constant cost overtakes a KV cache that grows with T).

Shape legend: B batch, T context length, C model dim, H heads, L layers, V vocabulary.
"""

from __future__ import annotations

import torch

from attnlab.bench.spec import CaseContext, Timed, TimedCase

__all__ = ["MIXERS"]


def _lm(s: dict, positions: str = "rope", **switches):
    from attnlab.models import TransformerLM

    torch.manual_seed(0)
    return TransformerLM(vocab_size=s["V"], d_model=s["C"], n_heads=s["H"], n_layers=s["L"], max_len=s["T"] + s["N"],
                         positions=positions, **switches).eval()


def _mla_decode(ctx: CaseContext) -> Timed:
    from attnlab.models import kv_cache_bytes

    s = ctx.pick(dict(B=1, T=512, N=64, C=256, H=8, L=4, V=1000), dict(B=1, T=16, N=4, C=64, H=4, L=2, V=100))
    mha = _lm(s)
    gqa = _lm(s, n_kv_heads=s["H"] // 4)
    absorbed = _lm(s, mixer="mla", latent_absorb=True)
    naive = _lm(s, mixer="mla")
    naive.load_state_dict(absorbed.state_dict())
    prompt = torch.randint(0, s["V"], (s["B"], s["T"]), device=ctx.device)
    for m in (mha, gqa, absorbed, naive):
        m.to(ctx.device)

    def run(model):
        return lambda: model.generate(prompt, s["N"])

    def check() -> dict:
        return {"same_tokens_absorbed_and_naive": bool(torch.equal(run(absorbed)(), run(naive)()))}

    return Timed(
        attnlab=run(absorbed),
        peer=run(mha),
        title=f"greedy decode, MLA absorbed vs MHA, B={s['B']} prompt T={s['T']} new={s['N']} C={s['C']} "
              f"H={s['H']} L={s['L']}",
        modules=(mha, gqa, absorbed, naive),
        details={"shapes": s, "cache_bytes_per_token": {
            "mha": kv_cache_bytes(mha), "gqa": kv_cache_bytes(gqa), "mla": kv_cache_bytes(absorbed)}},
        check=check,
        others={f"GQA (n_kv_heads={s['H'] // 4})": run(gqa), "MLA naive decode": run(naive)},
        work=(s["B"] * s["N"], s["B"] * s["N"]),
    )


def _restoring_step(model, caches, token):
    """One decoding step after the prefix the caches hold, then the caches put back (a KV cache's length;
    a recurrent state's tensors), so that every timed call sees the same context."""
    saved = [(c.length, getattr(c, "tensors", None)) for c in caches]

    def step():
        out = model(token, caches=caches).logits
        for c, (length, tensors) in zip(caches, saved, strict=True):
            c.length = length
            if tensors is not None:
                c.tensors = tensors
        return out

    return step


def _decode_step(t: int):
    def build(ctx: CaseContext) -> Timed:
        s = ctx.pick(dict(B=1, T=t, N=1, C=256, H=8, L=4, V=1000), dict(B=1, T=t // 16, N=1, C=64, H=4, L=2, V=100))
        # the same widths and depth: only the mixer differs
        models = {m: _lm(s, "learned", mixer=m).to(ctx.device) for m in ("softmax", "linear", "delta", "gated_delta")}
        prefix = torch.randint(0, s["V"], (s["B"], s["T"]), device=ctx.device)
        token = torch.randint(0, s["V"], (s["B"], 1), device=ctx.device)
        steps = {}
        with torch.no_grad():
            for name, model in models.items():
                caches = model.make_caches(s["B"], s["T"] + 1)
                model(prefix, caches=caches)
                steps[name] = _restoring_step(model, caches, token)
        return Timed(
            attnlab=steps["linear"],
            peer=steps["softmax"],
            title=f"one decode step after T={s['T']} tokens, linear attention vs softmax (KV cache), "
                  f"B={s['B']} C={s['C']} H={s['H']} L={s['L']}",
            modules=tuple(models.values()),
            details={"shapes": s},
            others={"delta rule": steps["delta"], "gated delta rule": steps["gated_delta"]},
        )

    return build


MIXERS = [
    TimedCase("mixers.mla_decode", "LM greedy decode with MLA's latent cache (absorbed)",
              "the same LM with MHA's KV cache", _mla_decode, unit="tok/s", warmup=1, repeats=(5, 2)),
    *(TimedCase(f"mixers.decode_step.T{t}", f"one decode step after T={t}: linear attention, delta rules",
                "softmax attention with a KV cache", _decode_step(t), quick=t == 256) for t in (256, 1024, 4096)),
]
