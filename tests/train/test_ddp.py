"""DDP: `train` under `torchrun --nproc_per_node=2` (gloo, CPU) matches a single-process run."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest
import torch

SCRIPT = textwrap.dedent(
    '''
    """Train a small model with attnlab.train.train; write params and metrics of this rank to OUT."""
    import json
    import os
    import sys

    import torch
    from safetensors.torch import save_file
    from torch import nn

    from attnlab.data import IGNORE_INDEX, make_task
    from attnlab.train import TrainConfig, train


    class RaggedCopy:
        """Copy with a random half of the targets ignored: shards hold different numbers of targets."""

        kind = "tagging"

        def __init__(self):
            self.base = make_task("copy", length=4, n_symbols=5)
            self.vocab_size, self.n_classes, self.seq_len = 8, 5, 9

        def sample(self, n, generator=None):
            batch = self.base.sample(n, generator)
            drop = torch.rand(batch.targets.shape, generator=generator) < 0.5
            batch.targets[drop] = IGNORE_INDEX
            return batch

        def config(self):
            return {"name": "ragged_copy"}


    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(8, 16)
            self.pos = nn.Embedding(9, 16)
            # no key bias: its true gradient is 0 and Adam would amplify summation-order noise in it
            self.attn = nn.MultiheadAttention(16, 2, batch_first=True, bias=False)
            self.head = nn.Linear(16, 5)

        def forward(self, x, key_mask=None):
            h = self.emb(x) + self.pos(torch.arange(x.shape[1]))
            return self.head(h + self.attn(h, h, h, need_weights=False)[0])


    def run(out_dir):
        torch.set_num_threads(1)
        torch.manual_seed(0)
        model = Tiny()
        rank = int(os.environ.get("RANK", "0"))
        world = int(os.environ.get("WORLD_SIZE", "1"))
        cfg = TrainConfig(steps=5, batch_size=8, lr=1e-2, warmup=2, grad_clip=0.5, eval_batches=2,
                          eval_batch_size=6, device="cpu", checkpoint_dir=f"{out_dir}/ckpt{world}",
                          log_path=f"{out_dir}/log{world}.jsonl")
        result = train(model, RaggedCopy(), cfg, seed=7, progress=False)
        tag = f"w{world}r{rank}"
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, f"{out_dir}/{tag}.safetensors")
        with open(f"{out_dir}/{tag}.json", "w") as fh:
            json.dump(result.to_dict(), fh)
        return result


    if __name__ == "__main__":
        run(sys.argv[1])
    '''
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # over 5 s: torchrun starts two processes
@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed not available")
def test_ddp_two_processes_match_single_process(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    script = tmp_path / "ddp_script.py"
    script.write_text(SCRIPT)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    }
    env.update(OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--nnodes=1",
        "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}",
        str(script),
        str(tmp_path),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # the single-process reference, in this process, on the same global batches
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    spec = importlib.util.spec_from_file_location("ddp_script", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    old_threads = torch.get_num_threads()
    try:
        single = module.run(str(tmp_path))
    finally:
        torch.set_num_threads(old_threads)

    p1 = load_file(str(tmp_path / "w1r0.safetensors"))
    ranks = [load_file(str(tmp_path / f"w2r{r}.safetensors")) for r in (0, 1)]
    results = [json.loads((tmp_path / f"w2r{r}.json").read_text()) for r in (0, 1)]
    assert results[0]["world_size"] == 2 and single.world_size == 1
    for name, ref in p1.items():
        assert torch.equal(ranks[0][name], ranks[1][name]), name  # ranks stay in sync
        torch.testing.assert_close(ranks[0][name], ref, atol=1e-5, rtol=1e-4, msg=name)
    assert any(not torch.equal(ref, torch.zeros_like(ref)) for ref in p1.values())
    for a, b in zip(results[0]["history"], single.history, strict=True):
        assert a["loss"] == pytest.approx(b["loss"], abs=1e-5)
        assert a["accuracy"] == pytest.approx(b["accuracy"], abs=1e-9)
        assert a["grad_norm"] == pytest.approx(b["grad_norm"], abs=1e-4)
    assert results[0]["eval_loss"] == pytest.approx(single.eval_loss, abs=1e-5)
    assert results[0]["eval_accuracy"] == pytest.approx(single.eval_accuracy, abs=1e-9)
    assert results[0]["eval_loss"] == results[1]["eval_loss"]  # every rank returns the same result
    # rank 0 alone wrote the checkpoint and the log; both ranks report the same checkpoint path
    assert (
        results[0]["checkpoint"] == results[1]["checkpoint"] == str(tmp_path / "ckpt2" / "model.safetensors")
    )
    ckpt = load_file(results[0]["checkpoint"])
    assert all(torch.equal(ckpt[k], ranks[0][k]) for k in ckpt)
    log = [json.loads(line) for line in (tmp_path / "log2.jsonl").read_text().splitlines()]
    assert log[0]["world_size"] == 2 and sum(x["event"] == "train" for x in log) == 5
