"""q3-q6: each experiment at the tiny profile, and the verdict rules on hand-made evidence."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from attnlab.experiments import q3_scaling, q4_variance, q5_parallel, q6_cost
from attnlab.experiments.base import Evidence, run_experiment


@pytest.fixture(autouse=True)
def _fake_real_model(monkeypatch):
    """The pretrained-model evidence is tested with the pretrained package; here a stand-in keeps it fast."""

    def fake(qid, ctx):
        return SimpleNamespace(evidence=[Evidence(f"real_{qid}", 1.0, None, "x", "real model")], figures=[],
                               summary="stand-in"), ""

    monkeypatch.setattr(q3_scaling, "real_model_evidence", fake)
    monkeypatch.setattr(q4_variance, "real_model_evidence", fake)


# ---------------------------------------------------------------------------------------------------- q3
def test_softmax_jacobian_matches_autograd():
    z = torch.tensor([1.0, 2.0, 10.0], dtype=torch.float64)
    p = torch.softmax(z, -1)
    auto = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, -1), z)
    torch.testing.assert_close(q3_scaling.softmax_jacobian(p), auto)
    assert p.max().item() == pytest.approx(0.999541338035342, abs=1e-12)
    # closed form of the Frobenius norm: sum p^2 - 2 sum p^3 + (sum p^2)^2
    s2, s3 = (p**2).sum(), (p**3).sum()
    assert q3_scaling.softmax_jacobian_norm(p).item() == pytest.approx(math.sqrt(s2 - 2 * s3 + s2**2), rel=1e-9)


def test_init_saturation_grows_without_scaling():
    g = torch.Generator().manual_seed(0)
    small = q3_scaling.init_saturation(16, 64, 128, g, scaled=False)
    big = q3_scaling.init_saturation(1024, 64, 128, g, scaled=False)
    scaled = q3_scaling.init_saturation(1024, 64, 128, g, scaled=True)
    assert big["max_weight"] > 0.9 > small["max_weight"]
    assert big["jacobian_norm_median"] < 0.01 < scaled["jacobian_norm_median"]
    assert scaled["logit_std"] == pytest.approx(1.0, abs=0.1)


def _q3_args(**kw):
    d = dict(d_sat=1024, max_weight_unscaled=0.95, jac_unscaled=0.001, jac_scaled=0.18, d_train=256,
             acc_scaled=(0.8, (0.78, 0.82)), acc_unscaled=(0.6, (0.55, 0.65)),
             loss_scaled=(1.0, (0.9, 1.1)), loss_unscaled=(1.5, (1.4, 1.6)))
    d.update(kw)
    return d


def test_q3_rule_both_outcomes():
    v, rule = q3_scaling.verdict_q3(**_q3_args())
    assert v == "confirmed" and "0.950" in rule and "rule:" in rule
    v, _ = q3_scaling.verdict_q3(**_q3_args(acc_unscaled=(0.79, (0.7, 0.85)), loss_unscaled=(1.05, (0.95, 1.2))))
    assert v == "qualified"
    v, _ = q3_scaling.verdict_q3(**_q3_args(max_weight_unscaled=0.5))
    assert v == "refuted"
    v, rule = q3_scaling.verdict_q3(**_q3_args(d_train=None, acc_scaled=None, acc_unscaled=None,
                                               loss_scaled=None, loss_unscaled=None))
    assert v == "qualified" and "training not measured" in rule


def test_q3_tiny(tmp_path):
    r = run_experiment("q3", profile="tiny", out=tmp_path)
    assert r.get("softmax_top_1_2_10").value == pytest.approx(0.99954, abs=1e-5)
    assert r.verdict in ("confirmed", "qualified", "refuted")
    assert r.rule.startswith(r.verdict)
    assert r.get("real_q3").anchor == "real model"
    assert (tmp_path / "q3" / "saturation_vs_dk.png").exists()
    assert (tmp_path / "q3" / "training_curves.svg").exists()
    assert r.get("init_max_weight_unscaled_dk256").value > r.get("init_max_weight_scaled_dk256").value


# ---------------------------------------------------------------------------------------------------- q4
def test_q4_slope_and_rule():
    assert q4_variance.loglog_slope([1, 2, 4], [3, 6, 12]) == pytest.approx(1.0)
    g = torch.Generator().manual_seed(0)
    assert q4_variance.dot_variance(64, 4000, g) == pytest.approx(64, rel=0.1)
    assert q4_variance.dot_variance(64, 4000, g, scaled=True) == pytest.approx(1, rel=0.1)
    assert q4_variance.dot_variance(64, 4000, g, dist="rademacher") == pytest.approx(64, rel=0.1)
    v, rule = q4_variance.verdict_q4((1.0, (0.99, 1.01)), (0.0, (-0.01, 0.01)))
    assert v == "confirmed" and "1.00 ± 0.01" in rule
    assert q4_variance.verdict_q4((0.5, (0.4, 0.6)), (0.0, (-0.01, 0.01)))[0] == "refuted"
    assert q4_variance.verdict_q4((1.0, (0.9, 1.1)), (0.5, (0.4, 0.6)))[0] == "refuted"
    with pytest.raises(ValueError):
        q4_variance.dot_variance(8, 100, g, dist="cauchy")


def test_q4_tiny(tmp_path):
    r = run_experiment("q4", profile="tiny", out=tmp_path)
    assert r.verdict == "confirmed"
    assert r.get("var_loglog_slope").value == pytest.approx(1.0, abs=0.1)
    assert r.figures[:2] == ["variance_vs_dk.png", "variance_vs_dk.svg"]


# ---------------------------------------------------------------------------------------------------- q5
def test_q5_rule_both_outcomes():
    v, rule = q5_parallel.verdict_q5(max_logit_diff=1e-7, train_per_token=1e-5, gen_cached_per_token=1e-3,
                                     gen_uncached_per_token=2e-3)
    assert v == "qualified" and "×100" in rule
    assert q5_parallel.verdict_q5(max_logit_diff=1e-7, train_per_token=1e-3, gen_cached_per_token=1e-4,
                                  gen_uncached_per_token=2e-3)[0] == "confirmed"
    assert q5_parallel.verdict_q5(max_logit_diff=1.0, train_per_token=1e-5, gen_cached_per_token=1e-3,
                                  gen_uncached_per_token=2e-3)[0] == "inconclusive"


def test_q5_tiny(tmp_path):
    r = run_experiment("q5", profile="tiny", out=tmp_path)
    assert r.verdict == "qualified", r.rule
    assert r.get("teacher_forcing_vs_sequential_max_abs_diff").value < 1e-4
    assert len(r.get("encoder_time_lstm").value) == len(r.get("lengths").value)
    assert (tmp_path / "q5" / "parallelism.png").exists()


# ---------------------------------------------------------------------------------------------------- q6
def test_layer_costs_match_closed_forms():
    n, d = 32, 64
    c = q6_cost.layer_costs(n, d)
    assert c["attention"]["params"] == 4 * d * d + 4 * d
    assert c["lstm"]["params"] == 8 * d * d + 8 * d
    assert c["conv"]["params"] == 3 * d * d + d
    assert c["attention"]["flops"] == 8 * n * d * d + 4 * n * n * d
    assert c["attention_core"]["flops"] == 4 * n * n * d
    assert c["lstm"]["flops"] == 16 * n * d * d
    assert c["conv"]["flops"] == 6 * n * d * d
    a, b = q6_cost.fit_cost([(n, d, c["attention"]["flops"]), (2 * n, d, q6_cost.layer_costs(2 * n, d)
                                                                ["attention"]["flops"])])
    assert (a, b) == (pytest.approx(4.0), pytest.approx(8.0))


def test_crossover_and_path_length():
    assert q6_cost._crossover(4, 8, 0, 16) == pytest.approx(2.0)  # attention vs LSTM: n > 2d
    assert q6_cost._crossover(4, 8, 0, 6) == 0.0  # vs k=3 conv: always more
    assert math.isinf(q6_cost._crossover(0, 8, 0, 16))
    assert [q6_cost.path_length("attention", n) for n in (8, 16)] == [1, 1]
    assert [q6_cost.path_length("cnn", n) for n in (8, 16)] == [7, 15]
    assert [q6_cost.path_length("cnn_dilated", n) for n in (8, 16)] == [3, 4]
    with pytest.raises(ValueError):
        q6_cost.path_length("mlp", 8)


def test_q6_rule_outcomes():
    params = {"attention": 100, "transformer_block": 300, "lstm": 200, "conv": 80}
    good = {"attention": (0.9, (0.85, 0.95)), "lstm": (0.3, (0.2, 0.4)), "cnn": (0.2, (0.1, 0.3))}
    bad = {"attention": (0.2, (0.1, 0.3)), "lstm": (0.3, (0.2, 0.4)), "cnn": (0.2, (0.1, 0.3))}
    v, rule = q6_cost.verdict_q6(params=params, crossover_lstm=2.0, crossover_conv=0.0, long_acc=good, d=64,
                                 delta=16)
    assert v == "qualified" and "n > 2.00·d" in rule
    v, _ = q6_cost.verdict_q6(params={**params, "conv": 500}, crossover_lstm=math.inf, crossover_conv=math.inf,
                              long_acc=good, d=64, delta=16)
    assert v == "confirmed"
    v, _ = q6_cost.verdict_q6(params={**params, "attention": 1000}, crossover_lstm=0.0, crossover_conv=0.0,
                              long_acc=bad, d=64, delta=16)
    assert v == "refuted"


def test_q6_tiny(tmp_path):
    r = run_experiment("q6", profile="tiny", out=tmp_path)
    assert r.verdict in ("qualified", "refuted", "confirmed")
    assert r.get("flops_fit_attention").value == [pytest.approx(4.0), pytest.approx(8.0)]
    assert r.get("crossover_attention_vs_lstm").value == pytest.approx(2.0)
    assert "Vaswani" in r.get("crossover_attention_vs_lstm").anchor
    assert (tmp_path / "q6" / "cost_and_range.png").exists()
