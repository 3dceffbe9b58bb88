"""attnlab: attention and the Transformer, with every design choice a switch.

Shape legend used throughout: B batch, H heads, T (Tq, Tk) sequence length, D head dim, C model dim.
"""

from attnlab.attention import MultiHeadAttention, attention

__version__ = "0.1.0"
__all__ = ["MultiHeadAttention", "attention", "load_result", "show", "__version__"]


def __getattr__(name: str):
    # ``attnlab.show`` and ``attnlab.load_result`` load the notebook views (and matplotlib) on first use
    if name == "show":
        import attnlab.show as show

        return show
    if name == "load_result":
        from attnlab.show import load_result

        return load_result
    raise AttributeError(f"module 'attnlab' has no attribute {name!r}")
