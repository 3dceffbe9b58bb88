"""Data: synthetic tasks generated from a seed, and loaders for users' own labelled text.

- :mod:`~attnlab.data.base`: the task interface (:class:`Batch`, :class:`Task`) and sampling helpers;
- :mod:`~attnlab.data.registry`: tasks by name (``make_task``, ``list_tasks``, ``snapshot`` / ``restore``);
- the tasks: :mod:`~attnlab.data.transduction`, :mod:`~attnlab.data.relations`, :mod:`~attnlab.data.sentiment`,
  :mod:`~attnlab.data.contrast`, :mod:`~attnlab.data.distance`, :mod:`~attnlab.data.retrieval`,
  :mod:`~attnlab.data.extrapolation`, :mod:`~attnlab.data.char_lm` (:mod:`~attnlab.data.tasks` gathers the core
  ones under their historical import path); exact trivial baselines in :mod:`~attnlab.data.baselines`;
- users' text: :mod:`~attnlab.data.tokenizers`, :mod:`~attnlab.data.text`.
"""

from attnlab.data.base import IGNORE_INDEX, PAD_ID, Batch, Task
from attnlab.data.char_lm import CharLMTask, unigram_cross_entropy
from attnlab.data.contrast import ContrastSentimentTask
from attnlab.data.distance import MarkedRecallTask
from attnlab.data.extrapolation import BlockCopyTask, MarkerTask
from attnlab.data.registry import get_task_class, list_tasks, make_task, register_task
from attnlab.data.relations import AssociativeRecallTask, FollowTask, LongRangeTask, MatchTask, MultiRelationTask
from attnlab.data.retrieval import CycleTask, LookupTask
from attnlab.data.sentiment import NeedleSentimentTask
from attnlab.data.text import TextClassificationDataset, load_hf_text_dataset, read_text_file
from attnlab.data.tokenizers import CharTokenizer, WordTokenizer
from attnlab.data.transduction import CopyTask, ReverseTask, SortTask

__all__ = [
    "IGNORE_INDEX",
    "PAD_ID",
    "AssociativeRecallTask",
    "Batch",
    "BlockCopyTask",
    "CharLMTask",
    "CharTokenizer",
    "ContrastSentimentTask",
    "CopyTask",
    "CycleTask",
    "FollowTask",
    "LongRangeTask",
    "LookupTask",
    "MarkedRecallTask",
    "MarkerTask",
    "MatchTask",
    "MultiRelationTask",
    "NeedleSentimentTask",
    "ReverseTask",
    "SortTask",
    "Task",
    "TextClassificationDataset",
    "WordTokenizer",
    "get_task_class",
    "list_tasks",
    "load_hf_text_dataset",
    "make_task",
    "read_text_file",
    "register_task",
    "unigram_cross_entropy",
]
