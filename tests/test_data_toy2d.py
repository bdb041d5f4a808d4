"""Tests of the TensorFlow-Playground-style 2D data sets."""

import math

import pytest
import torch

from dlplay.data.toy2d import (
    CLASSIFICATION_SETS,
    REGRESSION_SETS,
    make_classification,
    make_regression,
    train_test_split,
)


@pytest.mark.parametrize("name", CLASSIFICATION_SETS)
def test_classification_shapes_labels_range_and_seed(name):
    X, y = make_classification(name, n_samples=101, noise=0.0, seed=3)
    assert X.shape == (101, 2) and X.dtype == torch.float32
    assert y.shape == (101,) and y.dtype == torch.int64
    assert set(y.tolist()) == {0, 1}
    assert X.abs().max() <= 6.5  # the playground square, with a little room
    X2, y2 = make_classification(name, n_samples=101, noise=0.0, seed=3)
    torch.testing.assert_close(X, X2, rtol=0, atol=0)
    assert torch.equal(y, y2)
    X3, _ = make_classification(name, n_samples=101, noise=0.0, seed=4)
    assert not torch.equal(X, X3)


@pytest.mark.parametrize("name", REGRESSION_SETS)
def test_regression_shapes_and_seed(name):
    X, y = make_regression(name, n_samples=50, noise=0.2, seed=1)
    assert X.shape == (50, 2) and X.dtype == torch.float32
    assert y.shape == (50,) and y.dtype == torch.float32
    assert X.abs().max() <= 6.0
    X2, y2 = make_regression(name, n_samples=50, noise=0.2, seed=1)
    torch.testing.assert_close((X, y), (X2, y2), rtol=0, atol=0)


def test_unknown_names_and_bad_arguments_raise():
    with pytest.raises(ValueError, match="circle, xor, gaussians, spiral, moons"):
        make_classification("swirl")
    with pytest.raises(ValueError, match="plane, multi-gaussian"):
        make_regression("circle")
    with pytest.raises(ValueError, match="noise"):
        make_classification("xor", noise=1.5)


def test_circle_and_xor_follow_their_rules_without_noise():
    X, y = make_classification("circle", 300, noise=0.0, seed=0)
    assert torch.equal(y, (X.norm(dim=1) < 2.5).long())
    radius = X.norm(dim=1)
    assert ((radius < 2.5) | ((radius >= 3.5) & (radius <= 5.0 + 1e-5))).all()
    X, y = make_classification("xor", 300, noise=0.0, seed=0)
    assert torch.equal(y, (X[:, 0] * X[:, 1] >= 0).long())
    assert (X.abs() >= 0.3).all()  # the gap along the axes


def test_noise_flips_labels_near_the_circle_border():
    X, y = make_classification("circle", 400, noise=0.5, seed=0)
    clean = (X.norm(dim=1) < 2.5).long()
    assert 0 < (y != clean).sum() < 200


def test_gaussians_centres_and_balance():
    X, y = make_classification("gaussians", 400, noise=0.0, seed=0)
    assert (y == 1).sum() == 200
    torch.testing.assert_close(X[y == 1].mean(0), torch.tensor([2.0, 2.0]), atol=0.2, rtol=0)
    torch.testing.assert_close(X[y == 0].mean(0), torch.tensor([-2.0, -2.0]), atol=0.2, rtol=0)
    # variance 0.5 per axis at noise 0 (TF Playground's scale)
    torch.testing.assert_close(X[y == 1].var(0), torch.tensor([0.5, 0.5]), atol=0.12, rtol=0)


def test_spiral_points_lie_on_two_arms_half_a_turn_apart():
    X, y = make_classification("spiral", 200, noise=0.0, seed=0)
    r = X.norm(dim=1)
    angle = torch.atan2(X[:, 0], X[:, 1])  # x = r sin t, y = r cos t
    # Arm k: t = 1.5 turns · r / 5 + π·(1 − label); the residual must be a multiple of 2π.
    expected = 1.5 * 2 * math.pi * r / 5 + math.pi * (1 - y)
    residual = torch.remainder(angle - expected + math.pi, 2 * math.pi) - math.pi
    torch.testing.assert_close(residual, torch.zeros_like(residual), atol=1e-4, rtol=0)


def test_moons_lie_on_sklearns_half_circles_without_noise():
    X, y = make_classification("moons", 200, noise=0.0, seed=0)
    unit = X / 3 + torch.tensor([0.5, 0.25])  # back to sklearn's coordinates
    upper, lower = unit[y == 1], unit[y == 0]
    torch.testing.assert_close(upper.norm(dim=1), torch.ones(len(upper)), atol=1e-5, rtol=0)
    assert (upper[:, 1] >= -1e-6).all()
    torch.testing.assert_close((lower - torch.tensor([1.0, 0.5])).norm(dim=1), torch.ones(len(lower)), atol=1e-5, rtol=0)
    assert (lower[:, 1] <= 0.5 + 1e-6).all()


def test_plane_and_multi_gaussian_targets_without_noise():
    X, y = make_regression("plane", 100, noise=0.0, seed=0)
    torch.testing.assert_close(y, X.sum(dim=1) / 10)
    X, y = make_regression("multi-gaussian", 60, noise=0.0, seed=0)
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    expected = []
    for px, py in X.tolist():  # TF Playground's loop, written out point by point
        label = 0.0
        for cx, cy, sign in bumps:
            value = sign * min(max(1 - math.hypot(px - cx, py - cy) / 2, 0.0), 1.0)
            if abs(value) > abs(label):
                label = value
        expected.append(label)
    torch.testing.assert_close(y, torch.tensor(expected), atol=1e-5, rtol=0)


def test_train_test_split_is_a_seeded_partition():
    X = torch.arange(20.0).reshape(10, 2)
    y = torch.arange(10)
    X_train, y_train, X_test, y_test = train_test_split(X, y, test_fraction=0.3, seed=1)
    assert len(X_test) == 3 and len(X_train) == 7
    assert sorted(torch.cat([y_train, y_test]).tolist()) == list(range(10))
    torch.testing.assert_close(X_train[:, 0], 2.0 * y_train)  # rows stay with their labels
    again = train_test_split(X, y, test_fraction=0.3, seed=1)
    assert torch.equal(again[3], y_test)
    assert not torch.equal(train_test_split(X, y, test_fraction=0.3, seed=2)[3], y_test)


def test_train_test_split_keeps_one_sample_each_side_and_rejects_bad_fractions():
    X, y = torch.zeros(3, 2), torch.arange(3)
    assert len(train_test_split(X, y, 0.01)[3]) == 1
    assert len(train_test_split(X, y, 0.99)[1]) == 1
    for bad in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(ValueError, match="test_fraction"):
            train_test_split(X, y, bad)



def test_spiral_is_learnable_by_a_small_mlp():
    torch.manual_seed(0)
    X, y = make_classification("spiral", 400, noise=0.0, seed=0)
    X_train, y_train, X_test, y_test = train_test_split(X, y, 0.5, seed=0)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(1000):
        loss = torch.nn.functional.cross_entropy(model(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    accuracy = (model(X_test).argmax(1) == y_test).float().mean().item()
    assert accuracy >= 0.95
