"""Loss curves against the closed forms of each loss and its derivative; the lab's losses against PyTorch's."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from dlplay.lessons.training_networks.losses import (
    LAB_LOSS_NOTES,
    LAB_LOSSES,
    LOSS_NOTES,
    REGRESSION_LOSSES,
    bce_curves,
    cross_entropy_curves,
    loss_code,
    make_lab_loss,
    regression_curves,
)


@pytest.mark.parametrize(("target", "delta"), [(0.0, 1.0), (1.5, 0.3), (-2.0, 2.5)])
def test_regression_curves_match_closed_forms(target, delta):
    curves = regression_curves(target, -5.0, 5.0, delta=delta, n=301)
    d = curves.x - target  # the error ŷ − y
    huber = torch.where(d.abs() < delta, 0.5 * d**2, delta * (d.abs() - 0.5 * delta))
    assert_close(curves.loss["MSE"], d**2)
    assert_close(curves.grad["MSE"], 2 * d)
    assert_close(curves.loss["L1"], d.abs())
    assert_close(curves.grad["L1"], torch.sign(d))
    assert_close(curves.loss["Huber"], huber)
    assert_close(curves.grad["Huber"], d.clamp(-delta, delta))
    assert tuple(curves.loss) == REGRESSION_LOSSES


@pytest.mark.parametrize("target", [0, 1])
def test_bce_curve_matches_closed_form(target):
    curves = bce_curves(target, n=201)
    p, t = curves.x, float(target)
    assert 0 < float(p.min()) and float(p.max()) < 1, "a probability axis stays inside (0, 1)"
    assert_close(curves.loss["BCE"], -(t * torch.log(p) + (1 - t) * torch.log(1 - p)))
    assert_close(curves.grad["BCE"], -t / p + (1 - t) / (1 - p))


def test_cross_entropy_curve_is_logsumexp_minus_true_logit():
    others = [0.5, -1.0, 2.0, 0.0]
    curves = cross_entropy_curves(others, -6.0, 6.0, n=121)
    z = curves.x
    logits = torch.cat([z[:, None], torch.tensor(others, dtype=z.dtype).expand(len(z), -1)], dim=1)  # (N, K)
    assert_close(curves.loss["Cross-entropy"], torch.logsumexp(logits, dim=1) - z)
    assert_close(curves.grad["Cross-entropy"], torch.softmax(logits, dim=1)[:, 0] - 1)
    # Equal other logits c give the textbook form log(1 + (K−1)·e^(c − z)).
    equal = cross_entropy_curves([1.0] * 9, -4.0, 4.0, n=81)
    assert_close(equal.loss["Cross-entropy"], torch.log1p(9 * torch.exp(1.0 - equal.x)))


def test_bad_arguments_raise_value_errors():
    with pytest.raises(ValueError):
        regression_curves(0.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        regression_curves(0.0, -1.0, 1.0, delta=0.0)
    with pytest.raises(ValueError):
        bce_curves(2)
    with pytest.raises(ValueError):
        cross_entropy_curves([], -1.0, 1.0)
    with pytest.raises(ValueError):
        make_lab_loss("Hinge")


def test_every_loss_has_a_note():
    assert set(LOSS_NOTES) == {*REGRESSION_LOSSES, "BCE", "Cross-entropy"}
    assert set(LAB_LOSS_NOTES) == set(LAB_LOSSES)


def test_lab_losses_match_pytorch():
    gen = torch.Generator().manual_seed(0)
    y_hat = torch.randn(16, 10, generator=gen, requires_grad=True)
    y = torch.randint(0, 10, (16,), generator=gen)
    assert_close(make_lab_loss("Cross-entropy")(y_hat, y), F.cross_entropy(y_hat, y))
    assert_close(make_lab_loss("NLL on log-softmax")(y_hat, y), F.cross_entropy(y_hat, y))
    one_hot = torch.eye(10)[y]
    assert_close(make_lab_loss("MSE on one-hot")(y_hat, y), ((torch.softmax(y_hat, 1) - one_hot) ** 2).mean())


def test_loss_code_runs_and_draws_the_same_curves():
    namespace: dict = {}
    exec(loss_code(1.0, (-5.0, 5.0), 0.5, 0, [0.0, 1.0], (-8.0, 8.0)), namespace)  # noqa: S102 - our own generated code
    assert_close(namespace["bce"].detach().double(), bce_curves(0, n=401).loss["BCE"], rtol=1e-4, atol=1e-4)
    assert_close(namespace["ce"].detach().double(), cross_entropy_curves([0.0, 1.0], -8.0, 8.0).loss["Cross-entropy"],
                 rtol=1e-4, atol=1e-4)
