"""The language model against Hugging Face GPT-2 with the same weights: greedy tokens, generation speed,
the KV cache, and a training step.

Shape legend: B batch, T sequence length.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from attnlab.bench.spec import Case, CaseContext, CaseResult, Target, Timed, TimedCase
from attnlab.timing import measure, time_call

__all__ = ["GPT2"]


def _gpt2_setup(ctx: CaseContext):
    """A random Hugging Face GPT2LMHeadModel and attnlab's LM built from it (shared by the cases)."""
    if "gpt2" in ctx.store:
        return ctx.store["gpt2"]
    from transformers import GPT2Config, GPT2LMHeadModel

    from attnlab.pretrained import from_hf_gpt2

    cfg_kw = ctx.pick(
        dict(n_layer=6, n_embd=512, n_head=8),
        dict(n_layer=2, n_embd=64, n_head=4, vocab_size=512, n_positions=256),
    )
    torch.manual_seed(0)
    hf_cfg = GPT2Config(**cfg_kw, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    hf = GPT2LMHeadModel(hf_cfg).to(ctx.device).eval()
    hf.generation_config.eos_token_id = None  # decode the full length, as attnlab does with eos_token_id=None
    hf.generation_config.pad_token_id = 0
    ours = from_hf_gpt2(hf).to(ctx.device).eval()
    ctx.store["gpt2"] = (hf, ours, cfg_kw)
    return ctx.store["gpt2"]


def _size(cfg: dict) -> str:
    return f"GPT-2 {cfg['n_layer']}x{cfg['n_embd']}"


def _prompt(ctx: CaseContext, vocab: int, batch: int = 1, length: int = 32) -> torch.Tensor:
    g = torch.Generator().manual_seed(1234)
    return torch.randint(0, vocab, (batch, length), generator=g).to(ctx.device)  # (B, T)


def _hf_generate(hf, ids: torch.Tensor, n: int) -> torch.Tensor:
    with torch.no_grad():
        return hf.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, min_new_tokens=n,
                           do_sample=False, use_cache=True, num_beams=1)


def _our_generate(lm, ids: torch.Tensor, n: int, use_cache: bool = True) -> torch.Tensor:
    with torch.no_grad():
        return lm.generate(ids, n, use_cache=use_cache)


def _tokens(ctx: CaseContext) -> CaseResult:
    hf, ours, cfg = _gpt2_setup(ctx)
    n = ctx.pick(256, 16)
    ids = _prompt(ctx, hf.config.vocab_size)
    a = _our_generate(ours, ids, n)
    b = _hf_generate(hf, ids, n)
    new_a, new_b = a[:, ids.shape[1] :], b[:, ids.shape[1] :]
    same = new_a.shape == new_b.shape and bool(torch.equal(new_a, new_b))
    if new_a.shape == new_b.shape:
        eq = (new_a == new_b).all(dim=0)
        first_diff = None if bool(eq.all()) else int((~eq).nonzero()[0, 0])
        matching = int(eq.cumprod(0).sum())  # identical prefix length
    else:
        first_diff, matching = 0, 0
    return CaseResult(
        name="generate.tokens",
        title=f"greedy {n} new tokens, {_size(cfg)}: identical prefix",
        peer_name="transformers GPT2LMHeadModel.generate(do_sample=False)",
        unit="tokens",
        attnlab=float(matching),
        peer=float(n),
        ratio=matching / n,
        notes="identical" if same else f"first difference at new token {first_diff}",
        details={"config": cfg, "prompt_len": ids.shape[1], "first_difference": first_diff,
                 "shapes": {"ours": list(a.shape), "hf": list(b.shape)}},
    )


def _speed(ctx: CaseContext) -> Timed:
    hf, ours, cfg = _gpt2_setup(ctx)
    n = ctx.pick(256, 16)
    ids = _prompt(ctx, hf.config.vocab_size)
    return Timed(
        attnlab=lambda: _our_generate(ours, ids, n),
        peer=lambda: _hf_generate(hf, ids, n),
        title=f"greedy {n} new tokens, B=1, prompt {ids.shape[1]}, {_size(cfg)}",
        modules=(hf, ours),
        details={"config": cfg},
        work=(n, n),
    )


def _cache(ctx: CaseContext) -> CaseResult:
    """Cached against uncached generation; the uncached run is quadratic in length, so it runs once."""
    hf, ours, cfg = _gpt2_setup(ctx)
    n = ctx.pick(512, 32)
    ids = _prompt(ctx, hf.config.vocab_size)
    _our_generate(ours, ids, 8)  # warm-up
    cached = measure(lambda: _our_generate(ours, ids, n), warmup=0, repeats=ctx.pick(3, 2), device=ctx.device)
    uncached_out: list[torch.Tensor] = []
    uncached = [time_call(lambda: uncached_out.append(_our_generate(ours, ids, n, use_cache=False)), ctx.device)]
    same = bool(torch.equal(uncached_out[0], _our_generate(ours, ids, n)))
    tc, tu = cached.median, uncached[0]
    return CaseResult(
        name="generate.cache",
        title=f"attnlab greedy {n} new tokens, cached vs uncached, {_size(cfg)}",
        peer_name="attnlab generate(use_cache=False)",
        unit="tok/s",
        attnlab=n / tc,
        peer=n / tu,
        ratio=tu / tc,
        notes="same tokens" if same else "cached and uncached tokens differ",
        details={"config": cfg, "cached_s": list(cached.times), "uncached_s": uncached, "same_tokens": same},
    )


def _train_step(ctx: CaseContext) -> Timed:
    hf0, ours0, cfg = _gpt2_setup(ctx)
    hf, ours = copy.deepcopy(hf0), copy.deepcopy(ours0)
    B, T = ctx.pick((8, 128), (2, 32))
    ids = _prompt(ctx, hf.config.vocab_size, batch=B, length=T)
    opt_ours = torch.optim.AdamW(ours.parameters(), lr=1e-4)
    opt_hf = torch.optim.AdamW(hf.parameters(), lr=1e-4)

    def lm_loss(logits: torch.Tensor) -> torch.Tensor:
        # next-token loss, the same code for both models: (B, T-1, V) vs (B, T-1)
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))

    def step(opt, loss):
        def run():
            opt.zero_grad(set_to_none=True)
            loss().backward()
            opt.step()

        return run

    return Timed(
        attnlab=step(opt_ours, lambda: lm_loss(ours(ids).logits)),
        peer=step(opt_hf, lambda: lm_loss(hf(input_ids=ids, use_cache=False).logits)),
        title=f"LM train step (fwd+bwd+AdamW) B={B} T={T}, {_size(cfg)}",
        modules=(hf, ours),
        details={"config": cfg, "batch": B, "seq_len": T},
        work=(B * T, B * T),
    )


GPT2 = [
    Case("generate.tokens", "greedy generation: tokens identical to Hugging Face", _tokens, Target("==", 1.0)),
    TimedCase("generate.speed", "greedy generation tokens/s vs Hugging Face (both cached)",
              "transformers generate (use_cache=True)", _speed, target=Target(">=", 1.5), unit="tok/s",
              warmup=1, repeats=(3, 2)),
    Case("generate.cache", "attnlab generation with KV cache vs without", _cache, Target(">=", 5.0)),
    TimedCase("train.vs_hf", "LM training step tokens/s vs Hugging Face GPT-2",
              "transformers GPT2LMHeadModel (sdpa)", _train_step, target=Target(">=", 1.0), grad=True,
              unit="tok/s", warmup=1, repeats=(5, 2)),
]
