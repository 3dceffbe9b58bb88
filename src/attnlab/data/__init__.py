"""Data: synthetic tasks generated from a seed, and loaders for users' own labelled text."""

from attnlab.data.char_lm import CharLMTask, unigram_cross_entropy
from attnlab.data.contrast import ContrastSentimentTask
from attnlab.data.distance import MarkedRecallTask
from attnlab.data.extrapolation import BlockCopyTask, MarkerTask
from attnlab.data.retrieval import CycleTask, LookupTask
from attnlab.data.tasks import (
    IGNORE_INDEX,
    PAD_ID,
    AssociativeRecallTask,
    Batch,
    CopyTask,
    FollowTask,
    LongRangeTask,
    MatchTask,
    MultiRelationTask,
    NeedleSentimentTask,
    ReverseTask,
    SortTask,
    Task,
    get_task_class,
    list_tasks,
    make_task,
    register_task,
)
from attnlab.data.text import (
    CharTokenizer,
    TextClassificationDataset,
    WordTokenizer,
    load_hf_text_dataset,
    read_text_file,
)

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
