"""attnlab: attention and the Transformer, with every design choice a switch.

Shape legend used throughout: B batch, H heads, T (Tq, Tk) sequence length, D head dim, C model dim.
"""

from attnlab.attention import MultiHeadAttention, attention

__version__ = "0.1.0"
__all__ = ["MultiHeadAttention", "attention", "__version__"]
