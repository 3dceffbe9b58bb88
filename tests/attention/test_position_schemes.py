"""The position-scheme registry: the six names, what each one does, and where each acts."""

from __future__ import annotations

import pytest

from attnlab import MultiHeadAttention
from attnlab.attention import POSITION_SCHEMES, position_scheme
from attnlab.attention.position_schemes import ATTENTION_POSITIONS, EMBEDDING_POSITIONS
from attnlab.models import TransformerLM


def test_six_schemes_each_of_at_most_one_kind():
    assert list(POSITION_SCHEMES) == ["sinusoidal", "learned", "rope", "alibi", "t5", "none"]
    for scheme in POSITION_SCHEMES.values():
        assert scheme.embedding + scheme.rotary + scheme.additive_bias <= 1, scheme.name
    assert EMBEDDING_POSITIONS == ("sinusoidal", "learned")
    assert ATTENTION_POSITIONS == (None, "rope", "alibi", "t5")
    assert [n for n, s in POSITION_SCHEMES.items() if s.learned] == ["learned", "t5"]
    with pytest.raises(ValueError, match=r"positions: expected one of \['alibi', .*\], got 'relative'"):
        position_scheme("relative")


@pytest.mark.parametrize("name", list(POSITION_SCHEMES))
def test_each_scheme_lands_where_its_properties_say(name):
    scheme = position_scheme(name)
    lm = TransformerLM(vocab_size=7, d_model=8, n_heads=2, n_layers=1, max_len=8, positions=name)
    attn = lm.layers[0].attn
    assert (lm.embed.pos is not None) == scheme.embedding
    assert (attn.rotary_dim is not None) == scheme.rotary
    assert (attn.position_bias is not None) == scheme.additive_bias
    assert attn.positions == (name if scheme.in_attention else None)
    if not scheme.in_attention and name != "none":
        with pytest.raises(ValueError, match="added to the embeddings"):
            MultiHeadAttention(8, 2, positions=name)
