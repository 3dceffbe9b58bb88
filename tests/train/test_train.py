"""attnlab.train: config, schedule, training on tasks, determinism, logs, checkpoints."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from attnlab.data import IGNORE_INDEX, TextClassificationDataset, make_task
from attnlab.train import (
    TrainConfig,
    TrainResult,
    batch_loss,
    evaluate,
    load_checkpoint,
    lr_at,
    save_checkpoint,
    train,
)


@pytest.fixture(autouse=True)
def _few_threads():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


class TinyModel(nn.Module):
    """Embeddings + learned positions + one torch attention layer + MLP; per-token or mean-pooled logits."""

    def __init__(self, vocab: int, n_out: int, max_len: int, d: int = 32, classify: bool = False) -> None:
        super().__init__()
        self.classify = classify
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_len, d)
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.ff = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 2 * d), nn.ReLU(), nn.Linear(2 * d, d))
        self.head = nn.Linear(d, n_out)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.emb(x) + self.pos(torch.arange(x.shape[1], device=x.device))  # (B, T, d)
        pad = None if key_mask is None else ~key_mask  # torch's polarity: True = ignore
        h = h + self.attn(h, h, h, key_padding_mask=pad, need_weights=False)[0]
        h = h + self.ff(h)
        if self.classify:
            m = torch.ones(x.shape, device=x.device) if key_mask is None else key_mask.float()
            h = (h * m[..., None]).sum(1) / m.sum(1, keepdim=True)  # (B, d)
        return self.head(h)


def tiny_for(task, **kw) -> TinyModel:
    torch.manual_seed(0)
    return TinyModel(
        task.vocab_size, task.n_classes, task.seq_len, classify=task.kind == "classification", **kw
    )


FAST = dict(steps=30, batch_size=32, lr=1e-2, warmup=5, eval_batches=2)


# ---------------------------------------------------------------------------------------------- config
def test_config_validation():
    with pytest.raises(ValueError, match="steps: expected an int >= 1, got 0"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match=r"lr: expected a number in \(0, inf\)"):
        TrainConfig(lr=-1.0)
    with pytest.raises(ValueError, match="min_lr_ratio"):
        TrainConfig(min_lr_ratio=2.0)
    with pytest.raises(ValueError, match="device: expected"):
        TrainConfig(device="tpu")
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['epochs'\]"):
        TrainConfig.from_dict({"epochs": 3})
    cfg = TrainConfig.from_dict({"steps": 5, "betas": [0.9, 0.95]})
    assert cfg.betas == (0.9, 0.95) and json.dumps(cfg.to_dict())
    with pytest.raises(dataclasses_frozen_error()):
        cfg.steps = 3  # frozen


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_lr_schedule():
    cfg = TrainConfig(steps=110, lr=1.0, warmup=10, min_lr_ratio=0.1)
    lrs = [lr_at(s, cfg) for s in range(110)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)  # linear warm-up
    assert lrs[10] == pytest.approx(1.0) and lrs[-1] == pytest.approx(0.1)  # cosine to the floor
    assert lrs[60] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 50 / 99)))
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:], strict=False))
    assert lr_at(0, TrainConfig(steps=5, lr=0.5, warmup=0, min_lr_ratio=0.0)) == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------- training
def test_learns_copy_and_reports_metrics():
    task = make_task("copy", length=5, n_symbols=5)
    model = tiny_for(task)
    cfg = TrainConfig(steps=120, batch_size=32, lr=1e-2, warmup=10, eval_every=60, eval_batches=2)
    res = train(model, task, cfg, seed=0, progress=False)
    assert isinstance(res, TrainResult) and res.steps == 120 and len(res.history) == 120
    assert res.eval_accuracy > task.chance_accuracy + 0.4, res.summary()
    assert 0.0 <= res.eval_seq_accuracy <= res.eval_accuracy <= 1.0
    assert res.history[-1]["loss"] < res.history[0]["loss"]
    assert [e["step"] for e in res.evals] == [60, 120]
    assert res.tokens_per_second > 0 and res.seconds > 0 and res.world_size == 1
    assert res.n_parameters == sum(p.numel() for p in model.parameters())
    assert res.history[0]["lr"] == pytest.approx(1e-3)
    json.dumps(res.to_dict())


def test_same_seed_same_metrics():
    task = make_task("multi_relation", length=8, n_symbols=3)
    runs = [train(tiny_for(task), task, TrainConfig(**FAST), seed=s, progress=False) for s in (3, 3, 4)]
    assert runs[0].history == runs[1].history and runs[0].evals == runs[1].evals
    assert runs[0].eval_loss == runs[1].eval_loss
    assert runs[0].history != runs[2].history


def test_classification_with_key_mask_and_eval_task():
    task = make_task("needle", length=12, min_len=4)
    model = tiny_for(task)
    cfg = TrainConfig(steps=60, batch_size=32, lr=1e-2, warmup=5, eval_batches=2)
    res = train(
        model, task, cfg, seed=0, eval_task=make_task("needle", length=12, min_len=12), progress=False
    )
    assert res.eval_accuracy > 0.8, res.summary()
    assert res.eval_seq_accuracy == res.eval_accuracy
    with pytest.raises(ValueError, match="eval_task.kind"):
        train(model, task, TrainConfig(steps=1), seed=0, eval_task=make_task("copy"), progress=False)


def test_text_dataset_trains(tmp_path):
    rows = [
        (f"the film was {w} and long", "pos" if w in ("great", "fine") else "neg")
        for w in ("great", "awful", "fine", "bad")
    ] * 4
    ds = TextClassificationDataset([t for t, _ in rows], [y for _, y in rows])
    model = tiny_for(ds)
    res = train(
        model,
        ds,
        TrainConfig(steps=40, batch_size=16, lr=1e-2, warmup=2, eval_batches=2),
        seed=0,
        progress=False,
    )
    assert res.eval_accuracy == 1.0


def test_evaluate_and_forward_kwargs():
    task = make_task("copy", length=4, n_symbols=4)
    calls = []

    class Recorder(TinyModel):
        def forward(self, x, key_mask=None, scale=1.0):
            calls.append(scale)
            return super().forward(x, key_mask) * scale

    torch.manual_seed(0)
    model = Recorder(task.vocab_size, task.n_classes, task.seq_len)
    m1 = evaluate(model, task, n_batches=2, batch_size=8, seed=1)
    m2 = evaluate(model, task, n_batches=2, batch_size=8, seed=1, forward_kwargs={"scale": 0.0})
    assert set(m1) == {"loss", "accuracy", "seq_accuracy", "n_targets"} and m1["n_targets"] == 2 * 8 * 4
    assert m2["loss"] == pytest.approx(math.log(4)) and calls == [1.0, 1.0, 0.0, 0.0]
    assert model.training  # mode restored


def test_bad_model_outputs():
    task = make_task("copy", length=4, n_symbols=4)

    class Pooled(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 4)

        def forward(self, x):
            return self.lin(x[:, :1].float())  # (B, K): wrong for tagging

    with pytest.raises(ValueError, match=r"logits: expected \(B, T, K\)"):
        train(Pooled(), task, TrainConfig(steps=1), seed=0, progress=False)

    class NoHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)

        def forward(self, x):
            return type("Out", (), {"logits": None})()

    with pytest.raises(TypeError, match="logits is None"):
        train(NoHead(), task, TrainConfig(steps=1), seed=0, progress=False)


def test_targets_ignore_index_respected():
    task = make_task("assoc_recall", n_pairs=2, n_keys=4, n_values=4)
    model = tiny_for(task)
    m = evaluate(model, task, n_batches=1, batch_size=10, seed=0)
    assert m["n_targets"] == 10  # one query per sequence; the -100 positions are not counted
    assert IGNORE_INDEX == -100


# ---------------------------------------------------------------------------------- logs, checkpoints
def test_jsonl_log_and_checkpoint(tmp_path):
    task = make_task("copy", length=4, n_symbols=4)
    model = tiny_for(task)
    cfg = TrainConfig(
        steps=6,
        batch_size=8,
        warmup=1,
        eval_every=3,
        eval_batches=1,
        log_every=2,
        log_path=str(tmp_path / "logs" / "m.jsonl"),
        checkpoint_dir=tmp_path / "ckpt",
        checkpoint_every=3,
    )
    res = train(model, task, cfg, seed=0, progress=False)
    lines = [json.loads(x) for x in (tmp_path / "logs" / "m.jsonl").read_text().splitlines()]
    events = [x["event"] for x in lines]
    assert events == ["start", "train", "eval", "train", "train", "eval", "final"]
    assert lines[0]["task"] == {"name": "copy", "length": 4, "n_symbols": 4} and lines[0]["seed"] == 0
    assert lines[-1]["eval_accuracy"] == res.eval_accuracy
    assert res.checkpoint == str(tmp_path / "ckpt" / "model.safetensors")
    info = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    assert info["model_class"].endswith("TinyModel") and info["extra"]["step"] == 6
    fresh = TinyModel(task.vocab_size, task.n_classes, task.seq_len)
    load_checkpoint(tmp_path / "ckpt", fresh)
    for (n, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items(), strict=True):
        assert torch.equal(a, b), n
    with pytest.raises(ValueError, match="no model class/config stored"):
        load_checkpoint(tmp_path / "ckpt")  # TinyModel has no config dataclass
    model.config = TrainConfig()  # any dataclass: the class is stored, but only attnlab classes are imported
    save_checkpoint(model, tmp_path / "ckpt2")
    with pytest.raises(ValueError, match="only attnlab classes are rebuilt"):
        load_checkpoint(tmp_path / "ckpt2")
    other = TinyModel(task.vocab_size, task.n_classes, task.seq_len)
    other.extra = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="missing"):
        load_checkpoint(tmp_path / "ckpt", other)


def test_tied_weights_checkpoint(tmp_path):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 4)
            self.out = nn.Linear(4, 5, bias=False)
            self.out.weight = self.emb.weight

        def forward(self, x):
            return self.out(self.emb(x))

    torch.manual_seed(0)
    m = Tied()
    save_checkpoint(m, tmp_path)
    m2 = Tied()
    load_checkpoint(tmp_path / "model.safetensors", m2)
    assert torch.equal(m2.emb.weight, m.emb.weight) and m2.out.weight is m2.emb.weight


# ------------------------------------------------------------------------------------- attnlab models
@pytest.fixture
def models():
    return pytest.importorskip("attnlab.models")


def test_transformer_encoder_learns_copy_and_rebuilds_from_checkpoint(tmp_path, models):
    task = make_task("copy", length=6, n_symbols=6)
    torch.manual_seed(0)
    model = models.TransformerEncoder(
        vocab_size=task.vocab_size,
        d_model=32,
        n_heads=2,
        n_layers=1,
        max_len=task.seq_len,
        n_outputs=task.n_classes,
        positions="learned",
    )
    cfg = TrainConfig(
        steps=120, batch_size=32, lr=3e-3, warmup=10, eval_batches=2, checkpoint_dir=str(tmp_path)
    )
    res = train(model, task, cfg, seed=0, progress=False)
    assert res.eval_accuracy > task.chance_accuracy + 0.5, res.summary()
    rebuilt = load_checkpoint(tmp_path)
    assert type(rebuilt) is models.TransformerEncoder and rebuilt.config == model.config
    x = task.sample(4, 0).inputs
    model.eval()
    rebuilt.eval()
    assert torch.equal(model(x).logits, rebuilt(x).logits)


def test_forward_hook_trains_an_encoder_decoder(models):
    task = make_task("reverse", length=4, n_symbols=4)
    bos = task.n_symbols  # decoder start id, after the symbols
    torch.manual_seed(0)
    model = models.RNNSeq2Seq(src_vocab_size=task.vocab_size, tgt_vocab_size=task.n_symbols + 1, d_model=32)

    def forward(m, batch):
        src = batch.inputs[:, : task.length]  # (B, L) the symbols
        out = batch.targets[:, task.length + 1 :]  # (B, L) reversed symbols (teacher forcing)
        tgt_in = torch.cat([torch.full_like(out[:, :1], bos), out[:, :-1]], dim=1)  # (B, L)
        logits = m(src, tgt_in)
        logits = getattr(logits, "logits", logits)  # (B, L, K)
        pad = logits.new_zeros(logits.shape[0], task.length + 1, logits.shape[-1])  # ignored positions
        return torch.cat([pad, logits], dim=1)  # (B, 2L+1, K), aligned with batch.targets

    cfg = TrainConfig(steps=80, batch_size=32, lr=1e-2, warmup=5, eval_batches=2)
    res = train(model, task, cfg, seed=0, progress=False, forward=forward)
    assert res.eval_accuracy > task.chance_accuracy + 0.3, res.summary()
    m = evaluate(model, task, n_batches=1, batch_size=8, seed=0, forward=forward)
    assert m["n_targets"] == 8 * 4


def test_batch_loss_gives_head_mask_gradients(models):
    task = make_task("copy", length=4, n_symbols=4)
    torch.manual_seed(0)
    model = models.TransformerEncoder(
        vocab_size=task.vocab_size,
        d_model=16,
        n_heads=2,
        n_layers=2,
        max_len=task.seq_len,
        n_outputs=task.n_classes,
    )
    batch = task.sample(8, 0)
    head_mask = torch.ones(2, 2, requires_grad=True)
    loss = batch_loss(model, batch, task.kind, forward_kwargs={"head_mask": head_mask})
    logits = model(batch.inputs).logits
    valid = batch.targets != IGNORE_INDEX
    ref = torch.nn.functional.cross_entropy(logits[valid], batch.targets[valid])
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    loss.backward()
    assert head_mask.grad is not None and head_mask.grad.abs().sum() > 0
