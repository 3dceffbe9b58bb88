"""Parameter and FLOP counts: the formulas equal the modules' own counts, and the crossovers follow."""

from __future__ import annotations

import pytest

from attnlab.analysis.cost import (
    LAYERS,
    attention_conv_flops_crossover,
    attention_conv_params_crossover,
    attention_lstm_flops_crossover,
    count_flops,
    count_params,
    layer_flops,
    layer_params,
)


def test_cost_formulas_equal_module_counts_and_crossovers():
    for kind in LAYERS:
        for d in (8, 24):
            assert count_params(kind, d, 5) == layer_params(kind, d, 5)
            for n in (3, 16):
                assert count_flops(kind, n, d, 5) == layer_flops(kind, n, d, 5)
    assert [attention_conv_params_crossover(d) for d in (1, 3, 4, 64)] == [8, 6, 5, 5]
    d = 64
    assert attention_lstm_flops_crossover(d) == 2 * d
    n = int(attention_lstm_flops_crossover(d))
    assert layer_flops("self_attention", n, d) == layer_flops("lstm", n, d)
    assert attention_conv_flops_crossover(d, 3) == 0.0 and attention_conv_flops_crossover(d, 8) == 2 * d
    with pytest.raises(ValueError, match="kind"):
        layer_params("mlp", 8)
