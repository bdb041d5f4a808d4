"""The curriculum's matrix backward pass (3.2) for a ReLU MLP with MSE, written correctly and checked against autograd."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

Tensors = list[torch.Tensor]


@dataclass(frozen=True)
class MLPProblem:
    """A small regression problem and MLP: sizes and seed."""

    input_size: int = 3  # features per sample
    hidden_sizes: tuple[int, ...] = (8, 8)  # one ReLU hidden layer per entry
    output_size: int = 2  # regression targets per sample
    batch_size: int = 16  # samples in the batch
    seed: int = 0  # seeds X, y and the weights
    dtype: torch.dtype = torch.float64  # float64 so that the comparison shows only rounding (~1e-16)


def make_problem(problem: MLPProblem) -> tuple[torch.Tensor, torch.Tensor, Tensors, Tensors]:
    """X, y, weights (in, out) and biases (out,) drawn from a seeded generator."""
    g = torch.Generator().manual_seed(problem.seed)
    sizes = [problem.input_size, *problem.hidden_sizes, problem.output_size]
    X = torch.randn(problem.batch_size, problem.input_size, generator=g, dtype=problem.dtype)  # (B, in)
    y = torch.randn(problem.batch_size, problem.output_size, generator=g, dtype=problem.dtype)  # (B, out)
    # Kaiming-style scale keeps ReLU activations O(1) through the layers.
    weights = [torch.randn(a, b, generator=g, dtype=problem.dtype) * (2 / a) ** 0.5 for a, b in zip(sizes, sizes[1:])]
    biases = [0.1 * torch.randn(b, generator=g, dtype=problem.dtype) for b in sizes[1:]]
    return X, y, weights, biases


def forward(X: torch.Tensor, weights: Tensors, biases: Tensors) -> tuple[Tensors, Tensors]:
    """Pre-activations z and activations a (a[0] = X); ReLU on hidden layers, none on the output."""
    a, z = [X], []
    for i, (W, b) in enumerate(zip(weights, biases)):
        z.append(a[-1] @ W + b)  # (B, out_i)
        a.append(torch.relu(z[-1]) if i < len(weights) - 1 else z[-1])
    return z, a


def manual_backward(X: torch.Tensor, y: torch.Tensor, weights: Tensors, biases: Tensors) -> tuple[Tensors, Tensors]:
    """∂L/∂W and ∂L/∂b for every layer by hand, where L = mean((y_hat − y)²) as in F.mse_loss."""
    z, a = forward(X, weights, biases)
    y_hat = a[-1]
    # L = (1/N) Σ (y_hat − y)² over all N = B·out entries, so ∂L/∂y_hat = 2 (y_hat − y) / N.
    # The curriculum's `activations[-1] - y_true` is the gradient of ½ Σ (y_hat − y)²: N/2 times larger.
    delta = 2 * (y_hat - y) / y_hat.numel()  # ∂L/∂z of the output layer, (B, out)
    grads_W: Tensors = [torch.empty(0)] * len(weights)
    grads_b: Tensors = [torch.empty(0)] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        grads_W[i] = a[i].T @ delta  # z = a W + b  ⇒  ∂L/∂W = aᵀ δ, (in, out)
        grads_b[i] = delta.sum(dim=0)  # b is added to every row  ⇒  ∂L/∂b = Σ_rows δ, (out,)
        if i > 0:
            # Back through W, then through the ReLU: relu'(z) = 1 where the pre-activation z > 0.
            delta = (delta @ weights[i].T) * (z[i - 1] > 0)  # (B, in)
    return grads_W, grads_b


def curriculum_backward(activations: Tensors, weights: Tensors, y_true: torch.Tensor) -> Tensors:
    """The curriculum's 3.2 snippet as written: no bias gradients, ½·sum scaling, relu' taken on activations."""
    gradients: Tensors = []
    delta = activations[-1] - y_true  # For MSE loss
    for i in range(len(weights) - 1, -1, -1):
        gradients.insert(0, activations[i].T @ delta)
        if i > 0:
            delta = (delta @ weights[i].T) * (activations[i] > 0)  # relu_derivative(activations[i])
    return gradients


def autograd_backward(X: torch.Tensor, y: torch.Tensor, weights: Tensors, biases: Tensors) -> tuple[Tensors, Tensors]:
    """The same gradients from torch.autograd and F.mse_loss."""
    params = [t.detach().clone().requires_grad_(True) for t in (*weights, *biases)]
    ws, bs = params[: len(weights)], params[len(weights):]
    h = X
    for i, (W, b) in enumerate(zip(ws, bs)):
        h = h @ W + b
        if i < len(ws) - 1:
            h = torch.relu(h)
    grads = torch.autograd.grad(F.mse_loss(h, y), params)
    return list(grads[: len(weights)]), list(grads[len(weights):])


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """‖a − b‖ / ‖b‖ (0 when both are zero)."""
    denominator = b.norm().item()
    difference = (a - b).norm().item()
    return difference / denominator if denominator > 0 else difference


@dataclass(frozen=True)
class LayerReport:
    """How one layer's manual gradients compare with autograd's."""

    layer: int  # 1-based layer number
    weight_shape: tuple[int, int]  # (in, out)
    weight_error: float  # relative error of ∂L/∂W, correct manual version
    bias_error: float  # relative error of ∂L/∂b, correct manual version
    curriculum_error: float  # relative error of ∂L/∂W from the curriculum's snippet as written


def compare(problem: MLPProblem) -> list[LayerReport]:
    """Manual (correct and as-written) vs autograd gradients, layer by layer."""
    X, y, weights, biases = make_problem(problem)
    manual_W, manual_b = manual_backward(X, y, weights, biases)
    auto_W, auto_b = autograd_backward(X, y, weights, biases)
    _, activations = forward(X, weights, biases)
    snippet_W = curriculum_backward(activations, weights, y)
    return [
        LayerReport(
            i + 1, tuple(weights[i].shape), relative_error(manual_W[i], auto_W[i]),
            relative_error(manual_b[i], auto_b[i]), relative_error(snippet_W[i], auto_W[i]),
        )
        for i in range(len(weights))
    ]
