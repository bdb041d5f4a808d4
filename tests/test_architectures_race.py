"""The residual-vs-plain race and the loss landscape: same weights, gradient norms, degradation, filter-normalized slices."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlplay.lessons.architectures.landscape import (
    LandscapeJob,
    LandscapeSetup,
    eval_copy,
    loss_surface,
    random_directions,
    sharpness,
)
from dlplay.lessons.architectures.residual_race import (
    RaceSetup,
    batch_loss_curve,
    build_pair,
    build_race,
    degradation,
    gradient_norms,
    initial_gradient_norms,
    make_data,
    problems,
    race_code,
    results,
    run_names,
    signature,
    smoothed_train_loss,
)
from dlplay.models.init import seeded_init_
from dlplay.models.resnet import ResNet

TINY = RaceSetup(dataset="digits", n_train=96, n_val=32, blocks_per_stage=1, width=4, batch_size=16, eval_every=4,
                 eval_samples=32)


@pytest.fixture(scope="module")
def data():
    return make_data(TINY, seed=0)


def test_data_of_both_sets(data):
    X, y, X_val, y_val = data
    assert X.shape == (96, 1, 28, 28) and X_val.shape == (32, 1, 28, 28) and y.dtype == torch.int64
    Xc, yc, Xc_val, _ = make_data(RaceSetup(n_train=50, n_val=20), seed=1)
    assert Xc.shape == (50, 3, 32, 32) and Xc_val.shape == (20, 3, 32, 32) and 0 <= Xc.min() and Xc.max() <= 1


def test_pair_shares_weights_and_twin_lacks_only_projections():
    residual, plain = build_pair(2, RaceSetup(width=4), in_channels=3, seed=7)
    twin_state = plain.state_dict()
    for name, value in residual.state_dict().items():
        if ".shortcut." in name:
            assert name not in twin_state
        else:
            torch.testing.assert_close(twin_state[name], value, msg=name)
    torch.manual_seed(7)
    reference = ResNet(2, 4, 10, 3)  # PyTorch's own init under the same seed
    torch.testing.assert_close(residual.stem.weight, reference.stem.weight)


def test_race_builds_named_runs_on_the_same_data(data):
    setup = TINY.__class__(**{**TINY.__dict__, "blocks_per_stage": 2, "shallow_blocks": 1})
    race = build_race(setup, data, seed=0)
    assert list(race.runs) == run_names(setup) == ["residual 14", "plain 14", "residual 8", "plain 8"]
    assert race.pairs() == [("residual 14", "plain 14"), ("residual 8", "plain 8")]
    first = race.runs["residual 14"]
    assert all(run.X_train is first.X_train or torch.equal(run.X_train, first.X_train) for run in race.runs.values())
    for name, run in race.runs.items():
        assert len(race.initial_norms[name]) == run.model.depth == len(race.layer_names[name])
        assert np.all(np.isfinite(race.initial_norms[name]))
        assert np.all(np.isnan(race.probes[name].latest))  # nothing measured live before training


def test_initial_norms_are_one_backward_and_leave_the_model_alone(data):
    model = seeded_init_(ResNet(1, 4, 10, 1), 0)
    before = copy.deepcopy(model.state_dict())
    X, y = data[0][:32], data[1][:32]
    norms = initial_gradient_norms(model, X, y)
    for name, value in model.state_dict().items():  # batch norm's running statistics untouched, no gradients left
        torch.testing.assert_close(value, before[name])
    assert all(p.grad is None for p in model.parameters())
    reference = copy.deepcopy(model).train()
    F.cross_entropy(reference(X), y).backward()
    expected = [layer.weight.grad.norm().item() for _, layer in reference.main_layers()]
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


def test_stepping_updates_the_live_gradients_and_the_curves(data):
    race = build_race(TINY, data, seed=0)
    race.step(8)
    for name, run in race.runs.items():
        probe = race.probes[name]
        assert probe.step == 8 and np.all(np.isfinite(probe.latest))
        np.testing.assert_allclose(probe.latest, gradient_norms(run.model))  # the last step's gradients
        assert run.history.extras["grad_first"][-1] == pytest.approx(probe.latest[0])
        x, y = batch_loss_curve(run, 4)
        assert x == [4, 8] and y[1] == pytest.approx(np.mean(run.history.step_loss[4:8]))
    assert smoothed_train_loss(race.runs["plain 8"], 8) == pytest.approx(np.mean(race.runs["plain 8"].history.step_loss))
    assert math.isnan(smoothed_train_loss(race.runs["plain 8"], 9))  # not enough steps yet
    rows = results(race)
    assert [r["net"] for r in rows] == ["residual 8", "plain 8"] and all(r["steps"] == 8 for r in rows)
    assert rows[0]["parameters"] > rows[1]["parameters"]  # the projections
    assert degradation(race) is None  # no shallower pair


def test_learning_rate_is_not_part_of_the_signature():
    a = signature(TINY, 0, "cpu")
    assert a == signature(TINY.__class__(**{**TINY.__dict__, "lr": 0.3}), 0, "cpu")
    assert a != signature(TINY.__class__(**{**TINY.__dict__, "width": 8}), 0, "cpu")


def test_degradation_compares_deep_minus_shallow(data):
    setup = TINY.__class__(**{**TINY.__dict__, "blocks_per_stage": 2, "shallow_blocks": 1})
    race = build_race(setup, data, seed=0)
    race.step(4)
    assert all(math.isnan(g) for g in degradation(race, window=8))  # not enough steps
    gaps = degradation(race, window=4)
    loss = {n: np.mean(r.history.step_loss[-4:]) for n, r in race.runs.items()}
    assert gaps[0] == pytest.approx(loss["plain 14"] - loss["plain 8"])
    assert gaps[1] == pytest.approx(loss["residual 14"] - loss["residual 8"])


def test_without_batch_norm_plain_gradients_vanish_and_residual_ones_do_not(data):
    """Vanishing gradients, measured: a 26-layer plain net's first layer gets orders of magnitude less gradient."""
    residual, plain = build_pair(4, RaceSetup(width=4, batch_norm=False), in_channels=1, seed=0)
    X, y = data[0][:32], data[1][:32]
    res_norms, plain_norms = initial_gradient_norms(residual, X, y), initial_gradient_norms(plain, X, y)
    assert plain_norms[0] < 1e-4 * plain_norms[-1]  # the plain net's gradient shrinks on the way back…
    assert res_norms[0] > 1e-2 * res_norms[-1]  # …the residual net's reaches the first layer
    assert res_norms[0] > 1e3 * plain_norms[0]


def test_problems_name_each_bad_setting():
    assert problems(TINY) == []
    text = " ".join(problems(TINY.__class__(**{**TINY.__dict__, "blocks_per_stage": 11, "shallow_blocks": 11,
                                                  "dataset": "cats", "optimizer": "Lion", "lr": float("nan")})))
    assert all(word in text for word in ("1–10 blocks", "cats", "Lion", "learning rate", "shallower than"))
    with pytest.raises(ValueError, match="learning rate"):
        build_race(TINY.__class__(**{**TINY.__dict__, "lr": -1.0}), make_data(TINY), seed=0)


def test_a_diverging_learning_rate_stops_the_runs_with_a_message(data):
    setup = TINY.__class__(**{**TINY.__dict__, "batch_norm": False, "optimizer": "SGD", "lr": 1e6})
    race = build_race(setup, data, seed=0)
    race.step(20)
    assert race.runs["residual 8"].status == "diverged" and "diverged" in race.runs["residual 8"].message
    assert all(torch.isfinite(p).all() for p in race.runs["residual 8"].model.parameters())  # last finite weights kept


def test_code_names_the_settings():
    code = race_code(TINY)
    assert "ResNet(1, width=4, num_classes=10, in_channels=1)" in code and "plain_twin()" in code
    compile(code, "race_code", "exec")


# ----- the loss landscape ----------------------------------------------------------------------------------------------
def test_directions_are_filter_normalized_and_shared_by_name():
    residual, plain = build_pair(1, RaceSetup(width=4), in_channels=3, seed=0)
    params = {n: p.detach() for n, p in residual.named_parameters()}
    d1, d2 = random_directions(params, seed=3)
    for name, w in params.items():
        if w.dim() <= 1:
            assert not d1[name].any()  # biases and batch norm held fixed
            continue
        torch.testing.assert_close(d1[name].flatten(1).norm(dim=1), w.flatten(1).norm(dim=1))
        assert not torch.allclose(d1[name], d2[name])
    p1, _ = random_directions({n: p.detach() for n, p in plain.named_parameters()}, seed=3)
    torch.testing.assert_close(p1["blocks.0.conv1.weight"], d1["blocks.0.conv1.weight"])  # same weights, same direction


def test_the_frozen_copy_folds_batch_norm_and_computes_the_same_function(data):
    model = seeded_init_(ResNet(1, 4, 10, 1), 0)
    model.train()
    model(data[0][:32])  # move the running statistics away from their initial values
    frozen = eval_copy(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in frozen.modules()) and model.training
    with torch.no_grad():
        torch.testing.assert_close(frozen(data[0][:16]), model.eval()(data[0][:16]), rtol=1e-4, atol=1e-5)


def test_slice_centre_is_the_eval_loss_and_points_move_the_weights(data):
    model = seeded_init_(ResNet(1, 4, 10, 1), 0)
    X, y = data[0], data[1]
    setup = LandscapeSetup(resolution=5, span=0.5, n_samples=24, seed=1)
    axis, losses = loss_surface(model, X, y, setup)
    assert losses.shape == (5, 5) and np.all(np.isfinite(losses)) and model.training  # the model itself untouched
    with torch.no_grad():
        centre = F.cross_entropy(copy.deepcopy(model).eval()(X[:24]), y[:24]).item()
    assert losses[2, 2] == pytest.approx(centre, rel=1e-4)
    job = LandscapeJob({"net": model}, X, y, setup)
    moved = copy.deepcopy(job.models["net"])
    d1, d2 = job.directions["net"]
    with torch.no_grad():
        for name, p in moved.named_parameters():  # the point α = axis[4], β = axis[0], by hand
            p.add_(axis[4] * d1[name] + axis[0] * d2[name])
        assert losses[0, 4] == pytest.approx(F.cross_entropy(moved(X[:24]), y[:24]).item(), rel=1e-5)
    assert np.ptp(losses) > 0  # the slice is not flat: the points really moved
    assert sharpness(axis, losses) == pytest.approx(losses.mean() - losses[2, 2])


def test_a_job_advances_a_few_points_at_a_time(data):
    nets = {"a": seeded_init_(ResNet(1, 4, 10, 1), 0), "b": seeded_init_(ResNet(1, 4, 10, 1), 1)}
    job = LandscapeJob(nets, data[0], data[1], LandscapeSetup(resolution=3, n_samples=16))
    assert job.total == 18 and job.done == 0 and not job.finished
    assert job.advance(0.0) == 1  # at least one point, whatever the budget
    assert np.isfinite(job.losses["a"][0, 0]) and np.isnan(job.losses["a"][0, 1])
    while not job.finished:
        job.advance(0.01)
    assert job.done == 18 and all(np.all(np.isfinite(v)) for _, v in job.result().values())
    with torch.no_grad():
        nets["a"].stem.weight.add_(1.0)  # the job works on copies: later training does not leak in
    assert not torch.equal(job.models["a"].stem.weight, nets["a"].stem.weight)


def test_a_loss_that_blows_up_but_stays_finite_stops_the_run(data):
    """Batch norm and Adam keep a far too large learning rate finite: the guard still stops the run, with a message."""
    setup = TINY.__class__(**{**TINY.__dict__, "optimizer": "Adam", "lr": 10.0})
    race = build_race(setup, data, seed=0)
    race.step(12)
    for run in race.runs.values():
        assert run.status == "diverged" and "learning rate is too high" in run.message
        assert all(math.isfinite(v) for v in run.history.step_loss)
    calm = build_race(TINY, data, seed=0)
    calm.step(12)
    assert not calm.stopped
