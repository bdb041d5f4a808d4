"""The hand-written matrix backward pass (curriculum 3.2, corrected) against torch.autograd and nn.Linear."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from dlplay.lessons.backprop.manual_backprop import (
    MLPProblem,
    autograd_backward,
    compare,
    curriculum_backward,
    forward,
    make_problem,
    manual_backward,
    relative_error,
)

PROBLEMS = [
    MLPProblem(),
    MLPProblem(hidden_sizes=(5,), output_size=1, batch_size=1, seed=3, dtype=torch.float32),
    MLPProblem(hidden_sizes=(16, 7, 9), output_size=3, batch_size=33, seed=7, dtype=torch.float32),
    MLPProblem(input_size=6, hidden_sizes=(4, 4, 4, 4), batch_size=8, seed=11),
]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_manual_gradients_equal_autograd_within_1e_5_relative(problem):
    X, y, weights, biases = make_problem(problem)
    manual_W, manual_b = manual_backward(X, y, weights, biases)
    auto_W, auto_b = autograd_backward(X, y, weights, biases)
    for mine, theirs in zip(manual_W + manual_b, auto_W + auto_b):
        assert mine.shape == theirs.shape
        assert relative_error(mine, theirs) < 1e-5
        assert_close(mine, theirs, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("problem", PROBLEMS)
def test_the_reference_is_nn_linear_with_mse_loss(problem):
    """Copy the weights into nn.Linear layers (which store W transposed) and compare with their .grad."""
    X, y, weights, biases = make_problem(problem)
    layers = []
    for i, (W, b) in enumerate(zip(weights, biases)):
        linear = nn.Linear(*W.shape, dtype=problem.dtype)
        with torch.no_grad():
            linear.weight.copy_(W.T)  # nn.Linear computes x Wᵀ + b with weight of shape (out, in)
            linear.bias.copy_(b)
        layers += [linear] + ([nn.ReLU()] if i < len(weights) - 1 else [])
    model = nn.Sequential(*layers)
    F.mse_loss(model(X), y).backward()
    manual_W, manual_b = manual_backward(X, y, weights, biases)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for linear, gW, gb in zip(linears, manual_W, manual_b):
        assert_close(gW, linear.weight.grad.T, rtol=1e-5, atol=1e-7)
        assert_close(gb, linear.bias.grad, rtol=1e-5, atol=1e-7)


def test_the_curriculum_snippet_is_off_by_n_over_2_and_has_no_bias_gradients():
    problem = MLPProblem(batch_size=10, output_size=3)
    X, y, weights, biases = make_problem(problem)
    _, activations = forward(X, weights, biases)
    snippet = curriculum_backward(activations, weights, y)
    auto_W, _ = autograd_backward(X, y, weights, biases)
    n = problem.batch_size * problem.output_size
    assert len(snippet) == len(weights)  # weights only
    for mine, theirs in zip(snippet, auto_W):
        assert_close(mine * 2 / n, theirs)  # ½·Σ vs mean: a factor N/2


def test_relu_derivative_must_use_the_pre_activation_for_other_activations():
    """With tanh, f'(a) on the activation differs from f'(z) on the pre-activation; only f'(z) matches autograd."""
    z = torch.linspace(-2, 2, 9, dtype=torch.float64, requires_grad=True)
    a = torch.tanh(z)
    (grad,) = torch.autograd.grad(a.sum(), z)
    on_pre_activation = 1 - torch.tanh(z.detach()) ** 2
    on_activation = 1 - torch.tanh(a.detach()) ** 2
    assert_close(on_pre_activation, grad)
    assert relative_error(on_activation, grad) > 0.05


def test_compare_reports_each_layer():
    problem = MLPProblem(hidden_sizes=(6, 5), batch_size=12, output_size=2, dtype=torch.float32)
    reports = compare(problem)
    assert [r.layer for r in reports] == [1, 2, 3]
    assert [r.weight_shape for r in reports] == [(3, 6), (6, 5), (5, 2)]
    assert all(r.weight_error < 1e-5 and r.bias_error < 1e-5 for r in reports)
    n = problem.batch_size * problem.output_size
    assert_close([r.curriculum_error for r in reports], [n / 2 - 1] * 3, rtol=1e-4, atol=1e-4)


def test_relative_error():
    b = torch.tensor([3.0, 4.0])
    assert_close(relative_error(b + torch.tensor([0.3, 0.4]), b), 0.1)
    assert relative_error(torch.zeros(2), torch.zeros(2)) == 0.0
