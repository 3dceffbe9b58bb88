"""Models built from attnlab's attention: Transformer encoder / decoder / LM / classifier and baselines.

Every model is built from keyword arguments or from its frozen config dataclass
(``Model.from_config(cfg_or_dict)``) and keeps it in ``model.config``. ``mixer=`` swaps the blocks'
softmax attention for another token mixer (:mod:`attnlab.models.mixers`); :func:`kv_cache_bytes` is the
bytes a model's caches grow by per token; :func:`with_rope_scaling` evaluates trained RoPE weights under
another RoPE scaling (interpolation, NTK, YaRN).
"""

from attnlab.models.baselines import CNNEncoder, RNNClassifier, RNNEncoder, RNNSeq2Seq, Seq2SeqOutput
from attnlab.models.blocks import AttentionPooling, DecoderBlock, Embeddings, EncoderBlock, FeedForward
from attnlab.models.classifier import SequenceClassifier
from attnlab.models.configs import (
    ClassifierConfig,
    CNNEncoderConfig,
    DecoderConfig,
    EncoderConfig,
    EncoderDecoderConfig,
    LMConfig,
    RNNClassifierConfig,
    RNNEncoderConfig,
    RNNSeq2SeqConfig,
    TransformerConfig,
)
from attnlab.models.decoder import TransformerDecoder
from attnlab.models.encoder import TransformerEncoder
from attnlab.models.encoder_decoder import EncoderDecoder
from attnlab.models.generation import GenerationOutput, beam_search, greedy_search
from attnlab.models.lm import TransformerLM
from attnlab.models.mixers import (
    DeltaNet,
    DifferentialAttention,
    GatedDeltaNet,
    LinearAttention,
    MultiHeadLatentAttention,
    kv_cache_bytes,
    make_mixer,
)
from attnlab.models.outputs import ClassifierOutput, DecoderOutput, EncoderOutput, LMOutput
from attnlab.models.positions import LearnedPositions, SinusoidalPositions, sinusoidal_table
from attnlab.models.rope_rescaling import with_rope_scaling

__all__ = [
    "AttentionPooling",
    "CNNEncoder",
    "CNNEncoderConfig",
    "ClassifierConfig",
    "ClassifierOutput",
    "DecoderBlock",
    "DeltaNet",
    "DifferentialAttention",
    "DecoderConfig",
    "DecoderOutput",
    "Embeddings",
    "EncoderBlock",
    "EncoderConfig",
    "EncoderDecoder",
    "EncoderDecoderConfig",
    "EncoderOutput",
    "FeedForward",
    "GatedDeltaNet",
    "GenerationOutput",
    "LMConfig",
    "LMOutput",
    "LearnedPositions",
    "LinearAttention",
    "MultiHeadLatentAttention",
    "RNNClassifier",
    "RNNClassifierConfig",
    "RNNEncoder",
    "RNNEncoderConfig",
    "RNNSeq2Seq",
    "RNNSeq2SeqConfig",
    "Seq2SeqOutput",
    "SequenceClassifier",
    "SinusoidalPositions",
    "TransformerConfig",
    "TransformerDecoder",
    "TransformerEncoder",
    "TransformerLM",
    "beam_search",
    "greedy_search",
    "kv_cache_bytes",
    "make_mixer",
    "sinusoidal_table",
    "with_rope_scaling",
]
