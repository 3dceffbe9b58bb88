"""q7's evidence names, defined once: ``aggregate`` writes them, the plots, the rule and the words read them.

(They live apart from :mod:`.evidence` so that :mod:`.plots`, which ``aggregate`` calls, can import them too.)
A cell is ``(task, length role, encoder)``, e.g. ``("contrast", "long", "bilstm")``.
"""

from __future__ import annotations

from attnlab.questions.q7_why.settings import Cell

MINILM_AVAILABLE = "minilm_available"  # "yes" / "no"
MINILM_SENTENCES = "minilm_sentences"
MINILM_POLAR_RATIO = "minilm_polar_ratio"  # the polar word's share / uniform 1/T
MINILM_POLAR_WORD_RATIO = "minilm_polar_word_ratio"  # the polar word's share / the mean word's share
MINILM_POLAR_RANK = "minilm_polar_rank"
MINILM_DELETION_RANK = "minilm_deletion_rank"
MINILM_RATIO_PER_LAYER = "minilm_ratio_per_layer"
READ_AT = "read_at_step"  # the step counts at which every trained run was read (one value: equal budgets)
EVAL_EVERY = "eval_every"


def key(cell: Cell) -> str:
    """``"contrast_long_bilstm"``."""
    return "_".join(cell)


def length(role: str) -> str:
    """Words per text of the ``"short"`` or ``"long"`` texts."""
    return f"length_{role}"


def baseline(task: str, predictor: str) -> str:
    """The exact accuracy of a trivial predictor (``"bag_of_words"``, ``"chance"`` ...) on the long texts."""
    return f"baseline_{task}_{predictor}"


def acc(cell: Cell, pooling: str) -> str:
    return f"acc_{key(cell)}_{pooling}"


def lr(cell: Cell, pooling: str) -> str:
    """The learning rate the sweep chose for the condition."""
    return f"lr_{key(cell)}_{pooling}"


def steps(cell: Cell, pooling: str) -> str:
    return f"steps_{key(cell)}_{pooling}"


def best_other(cell: Cell) -> str:
    """The pooling other than attention that did best (text)."""
    return f"best_other_{key(cell)}"


def speedup(cell: Cell) -> str:
    """Steps to the threshold, best other pooling / attention (paired ratio)."""
    return f"speedup_{key(cell)}"


def gain(cell: Cell) -> str:
    """Held-out accuracy, attention minus the best other pooling (paired)."""
    return f"gain_{key(cell)}"


def focus(cell: Cell) -> str:
    """Attention weight on the deciding word / uniform share."""
    return f"focus_{key(cell)}"


def focus_other(cell: Cell) -> str:
    return f"focus_other_{key(cell)}"


def focus_connective(cell: Cell) -> str:
    return f"focus_connective_{key(cell)}"


def flips(cell: Cell) -> str:
    """Decisions flipped by permuting the attention weights."""
    return f"flips_{key(cell)}"


def tvd(cell: Cell) -> str:
    return f"tvd_{key(cell)}"


def uniform_acc(cell: Cell) -> str:
    """Accuracy of the attention model with uniform weights."""
    return f"uniform_acc_{key(cell)}"


def example(encoder: str, text: str) -> str:
    """Attention weights of the needle model on an example sentence, named by its second word."""
    return f"example_{encoder}_{text.split()[1]}"
