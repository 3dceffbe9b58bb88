"""Experiments q1 (heads), q2 (W_Q vs W_K), q7 (why attention), q8 (score functions).

Each experiment runs at the ``tiny`` profile and writes a valid result.json with its figures; each verdict
rule is checked on hand-made evidence for every outcome; the measurement helpers are checked on inputs
whose answer is known.
"""

from __future__ import annotations

import importlib
import json

import pytest
import torch

from attnlab.experiments.base import VERDICTS, Result, run_experiment

MODULES = {"q1": "attnlab.experiments.q1_heads", "q2": "attnlab.experiments.q2_qk",
           "q7": "attnlab.experiments.q7_why", "q8": "attnlab.experiments.q8_scores"}


@pytest.fixture
def no_real_model(monkeypatch):
    """Skip the pretrained-model evidence (tested by its owner) so the tiny runs stay fast and offline."""
    for name in MODULES.values():
        mod = importlib.import_module(name)
        if hasattr(mod, "real_model_evidence"):
            monkeypatch.setattr(mod, "real_model_evidence", lambda qid, ctx: (None, "real-model evidence skipped"))


@pytest.mark.parametrize("qid", sorted(MODULES))
def test_tiny_run_writes_valid_result(qid, tmp_path, no_real_model):
    torch.manual_seed(0)
    result = run_experiment(qid, "tiny", seeds=[0, 1], out=tmp_path)
    path = tmp_path / qid / "result.json"
    assert path.is_file()
    data = json.loads(path.read_text(encoding="utf-8"))
    loaded = Result.from_dict(data)
    assert loaded.qid == qid
    assert loaded.verdict in VERDICTS
    assert loaded.verdict == result.verdict
    assert loaded.rule.startswith(loaded.verdict)
    assert loaded.summary and loaded.claim and loaded.question
    assert loaded.seeds == [0, 1]
    assert loaded.profile == "tiny"
    assert loaded.evidence and all(e.name for e in loaded.evidence)
    assert any(f.endswith(".png") for f in loaded.figures)
    assert any(f.endswith(".svg") for f in loaded.figures)
    for fig in loaded.figures:
        assert (tmp_path / qid / fig).is_file(), fig
    names = {e.name for e in loaded.evidence}
    expected = {"q1": {"acc_h1", "prunable_fraction_importance", "head_entropy", "head_mean_distance"},
                "q2": {"acc_follow_separate", "acc_match_shared", "score_asymmetry_follow_shared",
                       "diag_mass_follow_none"},
                "q7": {"acc_T16_attention", "acc_T16_max", "polar_weight_T16", "perm_median_tvd_T16"},
                "q8": {"acc_transformer_additive", "acc_rnn_dot", "ms_per_step_rnn_general",
                       "saved_activation_mib_transformer_cosine"}}[qid]
    assert expected <= names, expected - names
    if qid == "q2":  # W_Q = W_K makes every score matrix exactly symmetric
        assert loaded.get("score_asymmetry_follow_shared").value < 1e-5
        assert loaded.get("score_asymmetry_follow_none").value < 1e-5
        assert loaded.get("score_asymmetry_follow_separate").value > 0.1


# ---------------------------------------------------------------------------------------------- q1
def test_verdict_q1_all_outcomes():
    from attnlab.experiments.q1_heads import verdict_q1

    heads = [1, 2, 4, 8, 16]
    v, rule = verdict_q1(heads, [0.90, 0.91, 0.91, 0.905, 0.90], 0.4, n_heads_total=16)
    assert v == "confirmed" and "0.400" in rule
    v, rule = verdict_q1(heads, [0.30, 0.60, 0.90, 0.92, 0.85], 0.4, n_heads_total=16)  # h=1 not enough
    assert v == "qualified" and "C (one head enough) fails" in rule
    v, _ = verdict_q1(heads, [0.30, 0.60, 0.90, 0.92, 0.85], 0.05, n_heads_total=16)  # A only
    assert v == "qualified"
    v, _ = verdict_q1(heads, [0.30, 0.50, 0.60, 0.70, 0.90], 0.0, n_heads_total=16)  # monotone, nothing prunable
    assert v == "refuted"
    # 20% of 16 heads rounds to 3 heads = 0.1875
    assert verdict_q1(heads, [0.9] * 5, 3 / 16, n_heads_total=16)[0] == "confirmed"
    assert verdict_q1(heads, [0.9] * 5, 2 / 16, n_heads_total=16)[0] == "qualified"


def test_prunable_fraction():
    from attnlab.experiments.q1_heads import prunable_fraction

    f = [0.0, 0.25, 0.5, 0.75]
    assert prunable_fraction(f, [0.90, 0.89, 0.80, 0.95]) == 0.25  # stops at the first big drop
    assert prunable_fraction(f, [0.90, 0.90, 0.90, 0.90]) == 0.75
    assert prunable_fraction(f, [0.90, 0.50, 0.90, 0.90]) == 0.0
    with pytest.raises(ValueError):
        prunable_fraction(f, [0.9])


def test_attention_stats_on_known_patterns():
    from attnlab.experiments.q1_heads import attention_stats, head_role

    t = 6
    eye = torch.eye(t)  # each token attends to itself
    prev = torch.zeros(t, t)
    prev[0, 0] = 1.0
    prev[torch.arange(1, t), torch.arange(t - 1)] = 1.0  # previous token (first row: itself)
    uniform = torch.full((t, t), 1.0 / t)
    w = torch.stack([eye, prev, uniform])[None]  # (1, 3, T, T)
    s = attention_stats(w)
    assert torch.allclose(s["entropy"][:2], torch.zeros(2), atol=1e-6)
    assert abs(float(s["entropy"][2]) - torch.log(torch.tensor(float(t))).item()) < 1e-5
    assert float(s["distance"][0]) == 0.0
    assert abs(float(s["distance"][1]) - (t - 1) / t) < 1e-6
    assert head_role(s["offset_mass"][0], float(s["first_mass"][0])) == "+0"
    assert head_role(s["offset_mass"][1], float(s["first_mass"][1])) == "-1"
    assert head_role(s["offset_mass"][2], float(s["first_mass"][2])) == "mixed"
    with pytest.raises(ValueError):
        attention_stats(torch.rand(2, 3, 4))


# ---------------------------------------------------------------------------------------------- q2
def test_verdict_q2_all_outcomes():
    from attnlab.experiments.q2_qk import verdict_q2

    assert verdict_q2(0.30, 0.10)[0] == "confirmed"
    v, rule = verdict_q2(0.30, 0.01)
    assert v == "qualified" and "+0.300" in rule
    assert verdict_q2(0.0, -0.02)[0] == "refuted"


def test_q2_variants_and_symmetry():
    from attnlab.experiments.q2_qk import build_model, score_symmetry

    torch.manual_seed(0)
    kw = dict(vocab_size=10, n_classes=4, max_len=8, d_model=8, n_heads=2, n_layers=1)
    ids = torch.randint(1, 10, (3, 8))
    sep, shared, none = (build_model(v, **kw).eval() for v in ("separate", "shared", "none"))
    assert score_symmetry(shared, ids)["asym"] < 1e-6
    assert score_symmetry(none, ids)["asym"] < 1e-6
    assert score_symmetry(sep, ids)["asym"] > 0.1
    q = none.layers[0].attn.q_proj
    assert torch.equal(q.weight, torch.eye(8)) and not q.weight.requires_grad
    assert none.layers[0].attn.k_proj is None
    d = score_symmetry(none, ids)
    assert 0.0 <= d["diag"] <= 1.0 and "diag_l1" in d
    with pytest.raises(ValueError, match="variant"):
        build_model("tied", **kw)


# ---------------------------------------------------------------------------------------------- q7
def test_verdict_q7_all_outcomes():
    from attnlab.experiments.q7_why import verdict_q7

    assert verdict_q7({"attention": 0.95, "last": 0.6, "mean": 0.7, "max": 0.9}, 0.8, 128)[0] == "confirmed"
    v, rule = verdict_q7({"attention": 0.95, "last": 0.6, "mean": 0.7, "max": 0.96}, 0.8, 128)
    assert v == "qualified" and "not max" in rule
    assert verdict_q7({"attention": 0.95, "last": 0.6, "mean": 0.7, "max": 0.9}, 0.1, 128)[0] == "qualified"
    assert verdict_q7({"attention": 0.6, "last": 0.6, "mean": 0.62, "max": 0.9}, 0.1, 128)[0] == "refuted"
    with pytest.raises(ValueError):
        verdict_q7({"last": 0.5}, 0.1, 16)


def test_permutation_test_uniform_weights_do_not_move_the_output():
    from attnlab.experiments.q7_why import permutation_test
    from attnlab.models import RNNClassifier

    torch.manual_seed(0)
    model = RNNClassifier(vocab_size=12, n_classes=2, d_model=8, pooling="attention").eval()
    with torch.no_grad():  # a zero scorer gives uniform weights; permuting them changes nothing
        for prm in model.pool.parameters():
            prm.zero_()
    ids = torch.randint(1, 12, (4, 7))
    res = permutation_test(model, ids, None, 3, torch.Generator().manual_seed(0))
    assert res["median_tvd"] < 1e-6 and res["flip_rate"] == 0.0
    last = RNNClassifier(vocab_size=12, n_classes=2, d_model=8, pooling="last")
    with pytest.raises(ValueError):
        permutation_test(last, ids, None, 1, torch.Generator())


# ---------------------------------------------------------------------------------------------- q8
def test_verdict_q8_all_outcomes():
    from attnlab.experiments.q8_scores import verdict_q8

    chance = {"transformer": 0.1, "rnn": 0.1}
    same = {"dot": 0.90, "scaled_dot": 0.92, "additive": 0.91}
    assert verdict_q8({"transformer": same, "rnn": same}, chance)[0] == "confirmed"
    spread = {"dot": 0.70, "scaled_dot": 0.92, "additive": 0.91}
    v, rule = verdict_q8({"transformer": spread, "rnn": same}, chance)
    assert v == "qualified" and "transformer" in rule
    broken = {"dot": 0.12, "scaled_dot": 0.92, "additive": 0.91}
    v, rule = verdict_q8({"transformer": same, "rnn": broken}, chance)
    assert v == "refuted" and "dot in rnn" in rule


def test_seq2seq_task_layout_and_wrapper():
    from attnlab.experiments.q8_scores import Seq2SeqReverseTask, TeacherForcedSeq2Seq
    from attnlab.models import RNNSeq2Seq

    task = Seq2SeqReverseTask(length=4, n_symbols=5)
    b = task.sample(3, torch.Generator().manual_seed(0))
    src, tgt_in, y = b.inputs[:, :4], b.inputs[:, 4:], b.targets[:, 4:]
    assert torch.equal(y, src.flip(1))  # reversal
    assert (tgt_in[:, 0] == task.bos).all() and torch.equal(tgt_in[:, 1:], y[:, :-1])  # teacher forcing
    assert (b.targets[:, :4] == -100).all()
    model = TeacherForcedSeq2Seq(RNNSeq2Seq(src_vocab_size=task.vocab_size, tgt_vocab_size=task.vocab_size,
                                            d_model=8, score="dot"), 4)
    assert model(b.inputs).shape == (3, 8, task.vocab_size)
    with pytest.raises(ValueError):
        Seq2SeqReverseTask(length=1)


def test_saved_activation_bytes_counts_unique_storages():
    from attnlab.experiments.q8_scores import saved_activation_bytes

    x = torch.randn(100, requires_grad=True)
    y = torch.randn(100, requires_grad=True)
    n, out = saved_activation_bytes(lambda: (x * y).sum())
    assert n == 2 * 100 * 4 and out.requires_grad  # mul saves both operands
    n2, _ = saved_activation_bytes(lambda: (x[:50] * x[50:]).sum())
    assert n2 == 100 * 4  # two views of one storage count once
