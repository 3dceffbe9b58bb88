"""The language model against Hugging Face GPT-2 with the same weights: greedy tokens, generation speed
(one row and a batch of 8, at GPT-2's vocabulary and at 8192; beam search), decode speed as a share of the
limit the machine's matrix-vector bandwidth sets, the cost of decoding switches, the KV cache, and a
training step.

Shape legend: B batch, T sequence length, V vocabulary.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from attnlab.bench.spec import Case, CaseContext, CaseResult, Target, Timed, TimedCase
from attnlab.timing import measure, time_call

__all__ = ["GPT2"]


GPT2_VOCAB = 50257
SMALL_VOCAB = 8192


def _gpt2_setup(ctx: CaseContext, vocab: int = GPT2_VOCAB):
    """A random Hugging Face GPT2LMHeadModel (6 layers x 512, vocabulary ``vocab``) and attnlab's LM built
    from it (shared by the cases)."""
    key = f"gpt2-{vocab}"
    if key in ctx.store:
        return ctx.store[key]
    from transformers import GPT2Config, GPT2LMHeadModel

    from attnlab.pretrained import from_hf_gpt2

    cfg_kw = ctx.pick(
        dict(n_layer=6, n_embd=512, n_head=8, vocab_size=vocab),
        dict(n_layer=2, n_embd=64, n_head=4, vocab_size=512 if vocab == GPT2_VOCAB else 256, n_positions=256),
    )
    torch.manual_seed(0)
    hf_cfg = GPT2Config(**cfg_kw, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    hf = GPT2LMHeadModel(hf_cfg).to(ctx.device).eval()
    hf.generation_config.eos_token_id = None  # decode the full length, as attnlab does with eos_token_id=None
    hf.generation_config.pad_token_id = 0
    ours = from_hf_gpt2(hf).to(ctx.device).eval()
    ctx.store[key] = (hf, ours, cfg_kw)
    return ctx.store[key]


def _size(cfg: dict) -> str:
    return f"GPT-2 {cfg['n_layer']}x{cfg['n_embd']} V={cfg['vocab_size']}"


def _prompt(ctx: CaseContext, vocab: int, batch: int = 1, length: int = 32) -> torch.Tensor:
    g = torch.Generator().manual_seed(1234)
    return torch.randint(0, vocab, (batch, length), generator=g).to(ctx.device)  # (B, T)


def _hf_generate(hf, ids: torch.Tensor, n: int, num_beams: int = 1) -> torch.Tensor:
    with torch.no_grad():
        return hf.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, min_new_tokens=n,
                           do_sample=False, use_cache=True, num_beams=num_beams)


def _our_generate(lm, ids: torch.Tensor, n: int, use_cache: bool = True, num_beams: int = 1) -> torch.Tensor:
    with torch.no_grad():
        return lm.generate(ids, n, use_cache=use_cache, num_beams=num_beams)


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


def _speed(vocab: int, batch: int, beams: int = 1, prompt: int = 32, new: int = 256):
    """Tokens per second of greedy (or beam) decoding, attnlab and Hugging Face on the same weights."""

    def build(ctx: CaseContext) -> Timed:
        hf, ours, cfg = _gpt2_setup(ctx, vocab)
        n = ctx.pick(new, 16)
        ids = _prompt(ctx, hf.config.vocab_size, batch=batch, length=prompt)

        def check() -> dict:
            same = torch.equal(_our_generate(ours, ids, n, num_beams=beams), _hf_generate(hf, ids, n, beams))
            return {"same_tokens_as_hf": bool(same)}

        search = "greedy" if beams == 1 else f"beam search ({beams} beams)"
        return Timed(
            attnlab=lambda: _our_generate(ours, ids, n, num_beams=beams),
            peer=lambda: _hf_generate(hf, ids, n, beams),
            title=f"{search} {n} new tokens, B={batch}, prompt {prompt}, {_size(cfg)}",
            modules=(hf, ours),
            details={"config": cfg, "batch": batch, "num_beams": beams},
            check=check,
            work=(n * batch, n * batch),
        )

    return build


def _bandwidth(ctx: CaseContext) -> CaseResult:
    """Greedy decoding at B = 1 against the limit the weights set: every weight matrix a token reads, read
    once as a row times the matrix in the layout decoding uses, is the floor of a token's time."""
    from attnlab.models.decode_plan import DecodePlan

    hf, ours, cfg = _gpt2_setup(ctx, SMALL_VOCAB)
    n = ctx.pick(192, 16)
    ids = _prompt(ctx, cfg["vocab_size"], length=24)
    plan = DecodePlan.build(ours, ours.make_caches(1, 8), 8)  # the weights as the plan reads them
    mats = [(lin, torch.zeros(1, lin.weight.shape[0 if lin.transposed else 1], device=ctx.device))
            for layer in plan.layers for lin in (layer.attend.project, layer.out, layer.fc1, layer.fc2)]
    mats.append((plan.head, torch.zeros(1, plan.head.weight.shape[0], device=ctx.device)))
    weight_bytes = sum(lin.weight.numel() * lin.weight.element_size() for lin, _ in mats)

    def read_weights() -> None:
        for lin, x in mats:
            lin(x)

    with torch.no_grad():
        floor = measure(read_weights, warmup=3, repeats=ctx.pick(41, 5), device=ctx.device)
        decode = measure(lambda: _our_generate(ours, ids, n), warmup=1, repeats=ctx.pick(5, 2), device=ctx.device)
    limit = 1.0 / floor.median  # tokens/s if a token cost nothing but its weight reads
    speed = n / decode.median
    return CaseResult(
        name="generate.bandwidth",
        title=f"greedy {n} new tokens, B=1, {_size(cfg)}: share of the weight-read limit",
        peer_name="the limit: 1 / (time to read every weight matrix once, row times matrix)",
        unit="tok/s",
        attnlab=speed,
        peer=limit,
        ratio=speed / limit,
        notes=f"{weight_bytes / 1e6:.1f} MB of weights per token read at {weight_bytes / floor.median / 1e9:.1f} GB/s "
              f"(median of {len(floor.times)} passes)",
        details={"config": cfg, "weight_bytes": weight_bytes, "weight_read_s": list(floor.times),
                 "decode_s": list(decode.times), "bandwidth_gb_s": weight_bytes / floor.median / 1e9},
    )


def _switches(ctx: CaseContext) -> Timed:
    """RoPE, a window of 256 and learned sinks against the same LM with learned positions and none of them,
    past the window's length so that the window cuts."""
    from attnlab.models import TransformerLM

    s = ctx.pick(dict(V=SMALL_VOCAB, C=512, H=8, L=6, T=32, N=384, W=256), dict(V=256, C=64, H=4, L=2, T=8, N=24, W=16))
    common = dict(vocab_size=s["V"], d_model=s["C"], n_heads=s["H"], n_layers=s["L"], max_len=s["T"] + s["N"],
                  activation="gelu_tanh")
    torch.manual_seed(0)
    plain = TransformerLM(**common, positions="learned").to(ctx.device).eval()
    torch.manual_seed(0)
    switched = TransformerLM(**common, positions="rope", window=s["W"], sink="learned").to(ctx.device).eval()
    ids = _prompt(ctx, s["V"], length=s["T"])
    return Timed(
        attnlab=lambda: _our_generate(switched, ids, s["N"]),
        peer=lambda: _our_generate(plain, ids, s["N"]),
        title=f"greedy {s['N']} new tokens after {s['T']}, B=1, {s['L']}x{s['C']} V={s['V']}: RoPE + window "
              f"{s['W']} + learned sinks vs learned positions",
        modules=(plain, switched),
        details={"shapes": s},
        work=(s["N"], s["N"]),
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
    TimedCase("generate.speed", "greedy generation tokens/s vs Hugging Face (both cached), B=1",
              "transformers generate (use_cache=True)", _speed(GPT2_VOCAB, 1), target=Target(">=", 1.5),
              unit="tok/s", warmup=1, repeats=(3, 2)),
    TimedCase("generate.speed_v8192", "greedy generation tokens/s vs Hugging Face, B=1, V=8192",
              "transformers generate (use_cache=True)", _speed(SMALL_VOCAB, 1, prompt=24, new=192),
              target=Target(">=", 1.5), unit="tok/s", warmup=1, repeats=(5, 2)),
    TimedCase("generate.batch8", "greedy generation tokens/s vs Hugging Face, B=8",
              "transformers generate (use_cache=True)", _speed(GPT2_VOCAB, 8, new=128), target=Target(">=", 1.5),
              unit="tok/s", warmup=1, repeats=(3, 2)),
    TimedCase("generate.batch8_v8192", "greedy generation tokens/s vs Hugging Face, B=8, V=8192",
              "transformers generate (use_cache=True)", _speed(SMALL_VOCAB, 8, prompt=24, new=192),
              target=Target(">=", 1.5), unit="tok/s", warmup=1, repeats=(3, 2)),
    TimedCase("generate.beam3", "beam search (3 beams) tokens/s vs Hugging Face, V=8192",
              "transformers generate (num_beams=3)", _speed(SMALL_VOCAB, 1, beams=3, prompt=24, new=64),
              target=Target(">=", 1.5, aim=True), unit="tok/s", warmup=1, repeats=(3, 2)),
    Case("generate.bandwidth", "greedy decoding at B=1 as a share of the limit its weight reads set",
         _bandwidth, Target(">=", 0.8)),
    TimedCase("generate.switches", "decoding with RoPE, a window of 256 and learned sinks vs plain decoding",
              "attnlab, learned positions, no window or sink", _switches, target=Target(">=", 0.909),
              unit="tok/s", warmup=1, repeats=(3, 2)),
    Case("generate.cache", "attnlab generation with KV cache vs without", _cache, Target(">=", 5.0)),
    TimedCase("train.vs_hf", "LM training step tokens/s vs Hugging Face GPT-2",
              "transformers GPT2LMHeadModel (sdpa)", _train_step, target=Target(">=", 1.2), grad=True,
              unit="tok/s", warmup=1, repeats=(9, 2)),  # 9: one step moves 0.4 GB; 5 read 0.86-1.13 on one build
]
