"""Input features of the playground: names, columns, standardization, and the code panel's expressions."""

import pytest
import torch
from torch.testing import assert_close

from dlplay.lessons.fundamentals.features import FEATURE_CODE, FEATURES, FeatureTransform, make_features

X = torch.tensor([[1.0, -2.0], [0.5, 3.0], [-4.0, 0.25], [2.0, 2.0]])


def test_the_seven_tf_playground_features():
    assert FEATURES == ("x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin x₁", "sin x₂")


def test_columns_follow_the_requested_order():
    F = make_features(X, ["sin x₂", "x₁", "x₁x₂", "x₂²"])
    expected = torch.stack([torch.sin(X[:, 1]), X[:, 0], X[:, 0] * X[:, 1], X[:, 1].pow(2)], dim=1)
    assert F.shape == (4, 4)
    assert_close(F, expected)


@pytest.mark.parametrize("name", FEATURES)
def test_code_panel_expression_computes_the_same_feature(name):
    column = eval(FEATURE_CODE[name], {"torch": torch, "X": X})  # noqa: S307 - our own constant strings
    assert_close(make_features(X, [name])[:, 0], column)


def test_no_feature_and_unknown_feature_are_errors():
    with pytest.raises(ValueError, match="at least one"):
        make_features(X, [])
    with pytest.raises(ValueError, match="unknown feature"):
        make_features(X, ["x₃"])


def test_standardization_uses_training_statistics():
    torch.manual_seed(0)
    X_train, X_test = torch.randn(200, 2) * 3, torch.randn(50, 2) * 3
    t = FeatureTransform.fit(X_train, FEATURES)
    F_train = t(X_train)
    assert_close(F_train.mean(0), torch.zeros(7), atol=1e-5, rtol=0)
    assert_close(F_train.std(0, unbiased=False), torch.ones(7), atol=1e-5, rtol=0)
    raw_train, raw_test = make_features(X_train, FEATURES), make_features(X_test, FEATURES)
    assert_close(t(X_test), (raw_test - raw_train.mean(0)) / raw_train.std(0, unbiased=False))
    assert t.size == 7 and t.names == FEATURES


def test_a_constant_feature_is_not_divided_by_zero():
    X_same = torch.tensor([[2.0, 1.0], [2.0, -1.0], [2.0, 0.5]])  # x₁ never changes
    t = FeatureTransform.fit(X_same, ["x₁", "x₂"])
    F = t(X_same)
    assert torch.isfinite(F).all()
    assert_close(F[:, 0], torch.zeros(3))
