"""Data: synthetic tasks generated from a seed, and loaders for users' own labelled text.

- :mod:`~attnlab.data.base`: the task interface (:class:`Batch`, :class:`Task`) and sampling helpers;
- :mod:`~attnlab.data.registry`: tasks by name (``make_task``, ``list_tasks``, ``snapshot`` / ``restore``);
- the tasks: :mod:`~attnlab.data.transduction`, :mod:`~attnlab.data.relations`, :mod:`~attnlab.data.sentiment`,
  :mod:`~attnlab.data.contrast`, :mod:`~attnlab.data.distance`, :mod:`~attnlab.data.retrieval`,
  :mod:`~attnlab.data.extrapolation`, :mod:`~attnlab.data.induction`, :mod:`~attnlab.data.char_lm`
  (:mod:`~attnlab.data.tasks` gathers the core ones under their historical import path); exact trivial
  baselines in :mod:`~attnlab.data.baselines`;
- users' text: :mod:`~attnlab.data.tokenizers`, :mod:`~attnlab.data.text`.
"""

from attnlab.data import tasks
from attnlab.data.base import SymbolSequenceTask
from attnlab.data.char_lm import CharLMTask, unigram_cross_entropy
from attnlab.data.contrast import ContrastSentimentTask
from attnlab.data.distance import MarkedRecallTask
from attnlab.data.extrapolation import BlockCopyTask, MarkerTask
from attnlab.data.induction import RepeatedTokensTask
from attnlab.data.retrieval import CycleTask, LookupTask
from attnlab.data.tasks import *  # noqa: F403  (the interface, the registry and the core tasks: tasks.__all__)
from attnlab.data.text import TextClassificationDataset, load_hf_text_dataset, read_text_file
from attnlab.data.tokenizers import CharTokenizer, WordTokenizer

# everything the historical path attnlab.data.tasks gathers (the interface, the registry, the core tasks),
# then the tasks and text loaders added beside it
__all__ = [
    *tasks.__all__,
    "BlockCopyTask",
    "CharLMTask",
    "CharTokenizer",
    "ContrastSentimentTask",
    "CycleTask",
    "LookupTask",
    "MarkedRecallTask",
    "MarkerTask",
    "RepeatedTokensTask",
    "SymbolSequenceTask",
    "TextClassificationDataset",
    "WordTokenizer",
    "load_hf_text_dataset",
    "read_text_file",
    "unigram_cross_entropy",
]
