"""The chapter 7 lab: runs built with the chosen regularizers, shared initial weights, early stopping, dropout view."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from dlplay.lessons.regularization.dropout_view import block_outputs, dropout_view, hidden_sample, layer_histograms
from dlplay.lessons.regularization.lab import (
    DEFAULT_CONFIGS,
    LabConfig,
    RegConfig,
    best_marks,
    build_group,
    build_model,
    build_run,
    config_name,
    decision_grid,
    hidden_histograms,
    lab_code,
    make_data,
    problems,
    results,
    signature,
    steps_per_epoch,
    weight_norm,
)
from dlplay.training.race import RunGroup

SMALL = LabConfig(n_train=40, n_val=60, hidden_size=16, depth=2, batch_size=8, epochs=30, seed=3)


def test_runs_get_the_chosen_regularizers():
    configs = [RegConfig(), RegConfig(dropout=0.3, batch_norm=True, weight_decay=1e-3, patience=5)]
    group = build_group(SMALL, configs)
    assert list(group.runs) == ["A: baseline", "B: dropout 0.3 + batch norm + weight decay 0.001 + early stop 5"]
    plain, regularized = group.runs.values()
    drops = [m for m in regularized.model.modules() if isinstance(m, nn.Dropout)]
    assert len(drops) == SMALL.depth and all(m.p == 0.3 for m in drops)
    assert sum(isinstance(m, nn.BatchNorm1d) for m in regularized.model.modules()) == SMALL.depth
    assert not any(isinstance(m, (nn.Dropout, nn.BatchNorm1d)) for m in plain.model.modules())
    assert isinstance(regularized.optimizer, torch.optim.Adam)
    assert [g["weight_decay"] for g in regularized.optimizer.param_groups] == [1e-3]
    assert [g["weight_decay"] for g in plain.optimizer.param_groups] == [0.0]
    assert regularized.early_stopping.patience == 5 and plain.early_stopping is None
    assert regularized.config.max_steps == SMALL.epochs * steps_per_epoch(SMALL)


def test_every_configuration_starts_from_the_same_weights_and_data():
    group = build_group(SMALL, list(DEFAULT_CONFIGS))
    runs = list(group.runs.values())
    for run in runs[1:]:
        assert_close(run.X_train, runs[0].X_train)
        for a, b in zip(runs[0].model.linear_layers(), run.model.linear_layers()):
            assert_close(a.weight, b.weight)
            assert_close(a.bias, b.bias)


def test_the_group_evaluates_once_per_epoch_whatever_the_chunk():
    group = build_group(SMALL, [RegConfig(), RegConfig(dropout=0.5)])
    group.step(7)
    group.step(11)
    per_epoch = steps_per_epoch(SMALL)
    for run in group.runs.values():
        assert run.steps == 18
        assert run.history.eval_step == list(range(per_epoch, 19, per_epoch))


def test_early_stopping_restores_the_best_weights_on_a_set_that_overfits():
    lab = LabConfig(dataset="moons", noise=0.6, n_train=40, n_val=200, hidden_size=32, depth=2, lr=1e-2, batch_size=8,
                    epochs=400, seed=1)
    run = build_run(lab, RegConfig(patience=8), make_data(lab))
    group = RunGroup({"B: early stop 8": run})
    while not run.stopped:
        group.step(50)
    assert run.status == "early_stopped"
    best_step = run.early_stopping.best_step
    best_loss = run.history.val_loss[run.history.eval_step.index(best_step)]
    assert run.history.val_loss[-1] > best_loss  # it did overfit after the best epoch
    run.model.eval()
    with torch.no_grad():
        restored = F.cross_entropy(run.model(run.X_val), run.y_val)
    assert_close(restored, torch.tensor(best_loss), rtol=1e-5, atol=1e-6)
    assert_close(torch.tensor(run.restored_metrics["val_loss"]), torch.tensor(best_loss))
    assert best_marks(group)["B: early stop 8"][:2] == (best_step, best_loss)
    row = {r["configuration"]: r for r in results(group)}["B: early stop 8"]
    assert row["restored val loss"] == run.restored_metrics["val_loss"] and row["best val loss"] == pytest.approx(best_loss)


def test_weight_norm_callback_matches_the_direct_norm():
    group = build_group(SMALL, [RegConfig(), RegConfig(weight_decay=0.1)])
    group.step(2 * steps_per_epoch(SMALL))
    for run in group.runs.values():
        weights = torch.cat([m.weight.detach().flatten() for m in run.model.linear_layers()])
        direct = torch.sqrt((weights**2).sum())
        assert_close(torch.tensor(weight_norm(run)["weight_norm"]), direct)
        assert_close(torch.tensor(run.history.extras["weight_norm"][-1]), direct)  # recorded at this very step


def test_problems_flag_patience_beyond_the_epochs_and_extreme_dropout():
    assert problems(SMALL, [RegConfig(), RegConfig(patience=5)]) == []
    messages = problems(SMALL, [RegConfig(patience=SMALL.epochs), RegConfig(dropout=0.9)])
    assert len(messages) == 2 and "never trigger" in messages[0] and "dropout 0.9" in messages[1]


def test_group_size_is_bounded_and_lr_is_not_in_the_signature():
    with pytest.raises(ValueError):
        build_group(SMALL, [RegConfig()])
    with pytest.raises(ValueError):
        build_group(SMALL, [RegConfig()] * 5)
    configs = [RegConfig(), RegConfig(dropout=0.5)]
    faster = LabConfig(**{**SMALL.__dict__, "lr": 0.1})
    assert signature(SMALL, configs, "cpu") == signature(faster, configs, "cpu")
    assert signature(SMALL, configs, "cpu") != signature(SMALL, [RegConfig(), RegConfig(dropout=0.4)], "cpu")
    assert config_name(0, RegConfig()) == "A: baseline"


def test_decision_grid_is_each_model_softmax():
    group = build_group(SMALL, [RegConfig(), RegConfig(batch_norm=True)])
    group.step(3)
    axis, probs = decision_grid(group, extent=4.0, resolution=9)
    assert probs.shape == (2, 9, 9)
    point = torch.tensor([[axis[2], axis[7]]])  # row 7 is y, column 2 is x
    for k, run in enumerate(group.runs.values()):
        run.model.eval()
        with torch.no_grad():
            assert_close(probs[k, 7, 2], F.softmax(run.model(point), dim=1)[0, 1])


def test_lab_code_runs_and_builds_the_same_architecture():
    lab = LabConfig(n_train=40, n_val=20, hidden_size=8, depth=3, epochs=2, batch_size=8, activation="Tanh")
    configs = [RegConfig(), RegConfig(dropout=0.25, batch_norm=True, weight_decay=1e-4, patience=1)]
    namespace: dict = {}
    exec(lab_code(lab, configs), namespace)
    assert list(namespace["models"]) == [config_name(i, c) for i, c in enumerate(configs)]
    for config, model in zip(configs, namespace["models"].values()):
        reference = build_model(lab, config)
        assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in reference.parameters())
    torch.manual_seed(lab.seed)
    fresh = namespace["ModelWithDropout"](0.25, True)
    for a, b in zip([m for m in fresh.modules() if isinstance(m, nn.Linear)], build_model(lab, configs[1]).linear_layers()):
        assert_close(a.weight, b.weight)  # the shown code starts from the lab's very weights


def test_dropout_view_matches_nn_dropout_in_train_and_eval_mode():
    h = torch.rand(200, 100) + 0.1  # no zeros, so kept ⇔ non-zero output
    view = dropout_view(h, p=0.3, seed=7)
    torch.manual_seed(7)
    assert_close(view.train_out, nn.Dropout(0.3).train()(h))
    assert abs(view.dropped_fraction - 0.3) < 0.02
    assert torch.equal(view.kept, view.train_out != 0)
    assert_close(view.train_out, h * view.kept / (1 - 0.3))  # kept units scaled by 1/(1 − p), dropped ones zero
    assert_close(view.eval_out, h)
    assert dropout_view(h, 0.0).kept.all()
    with pytest.raises(ValueError):
        dropout_view(h, 1.0)


def test_block_outputs_are_what_each_hidden_layer_passes_on():
    X = torch.randn(32, 2)
    plain = build_model(SMALL, RegConfig(dropout=0.5))
    plain.eval()
    with torch.no_grad():
        expected = plain.hidden_activations(X)
    for got, want in zip(block_outputs(plain, X), expected, strict=True):
        assert_close(got, want)
    normed = build_model(SMALL, RegConfig(batch_norm=True))
    normed.train()(torch.randn(64, 2))  # move the running statistics away from (0, 1)
    normed.eval()
    with torch.no_grad():
        fc1, act, bn1 = normed.layers[:3]
        assert_close(block_outputs(normed, X)[0], bn1(act(fc1(X))))
    assert normed.training is False and len(hidden_sample(normed, X, 4, 5)) == 4


def test_layer_histograms_share_edges_and_sum_to_one():
    outputs = {"a": [torch.randn(50, 8), torch.rand(50, 8)], "b": [3 * torch.randn(50, 8), torch.rand(50, 8) + 1]}
    hists = layer_histograms(outputs, bins=12)
    for layer in range(2):
        assert torch.equal(torch.tensor(hists["a"][layer].edges), torch.tensor(hists["b"][layer].edges))
        for name in outputs:
            hist = hists[name][layer]
            assert hist.fractions.sum() == pytest.approx(1.0) and len(hist.fractions) == 12
            assert hist.mean == pytest.approx(float(outputs[name][layer].mean()), rel=1e-5)
            assert hist.std == pytest.approx(float(outputs[name][layer].std(unbiased=False)), rel=1e-5)


def test_hidden_histograms_pool_each_run_layer_outputs():
    group = build_group(SMALL, [RegConfig(), RegConfig(batch_norm=True)])
    group.step(3)
    hists = hidden_histograms(group, n_points=20, bins=10)
    expected = layer_histograms({n: block_outputs(r.model, r.X_val[:20]) for n, r in group.runs.items()}, bins=10)
    for name in group.runs:
        assert [h.fractions.tolist() for h in hists[name]] == [h.fractions.tolist() for h in expected[name]]


