"""The Transformer models, one module each: :mod:`.encoder`, :mod:`.decoder`, :mod:`.lm`,
:mod:`.encoder_decoder`, :mod:`.classifier`, their outputs in :mod:`.outputs` and their base class in
:mod:`.base`. This module keeps the import path ``attnlab.models.transformer.<Model>`` (the model class
that checkpoints written before the split name) working.
"""

from attnlab.models.base import ConfiguredModel
from attnlab.models.classifier import SequenceClassifier
from attnlab.models.decoder import TransformerDecoder
from attnlab.models.encoder import TransformerEncoder
from attnlab.models.encoder_decoder import EncoderDecoder
from attnlab.models.lm import TransformerLM
from attnlab.models.outputs import ClassifierOutput, DecoderOutput, EncoderOutput, LMOutput

__all__ = [
    "ClassifierOutput",
    "ConfiguredModel",
    "DecoderOutput",
    "EncoderDecoder",
    "EncoderOutput",
    "LMOutput",
    "SequenceClassifier",
    "TransformerDecoder",
    "TransformerEncoder",
    "TransformerLM",
]
