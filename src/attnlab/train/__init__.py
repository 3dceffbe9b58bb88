"""Training: one loop for every model and task, in one process or under ``torchrun``.

- :mod:`~attnlab.train.config`: :class:`TrainConfig` and the learning-rate schedule;
- :mod:`~attnlab.train.loop`: :func:`train` (the loop);
- :mod:`~attnlab.train.metrics`: :func:`evaluate`, :func:`batch_loss` and the model contract;
- :mod:`~attnlab.train.result`: :class:`TrainResult`; :mod:`~attnlab.train.progress`: JSONL log, progress bar;
- :mod:`~attnlab.train.distributed`: the process group under ``torchrun`` (DDP);
- :mod:`~attnlab.train.checkpoint`: safetensors checkpoints with the model's class and config.

Training from a config file (``attnlab train CONFIG``) is :mod:`attnlab.run_config`.
"""

from attnlab.train.checkpoint import load_checkpoint, save_checkpoint
from attnlab.train.config import TrainConfig, lr_at
from attnlab.train.loop import TrainResult, batch_loss, evaluate, train

__all__ = [
    "TrainConfig",
    "TrainResult",
    "batch_loss",
    "evaluate",
    "load_checkpoint",
    "lr_at",
    "save_checkpoint",
    "train",
]
