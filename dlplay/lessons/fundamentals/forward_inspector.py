"""Forward propagation written out: z = W·x + b and a = act(z), layer by layer, for one input of an MLP."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class LayerStep:
    """One layer of the forward pass of a single input."""

    name: str  # "hidden layer 1", …, "output layer"
    x: torch.Tensor  # (in,) what enters the layer
    W: torch.Tensor  # (out, in) weight matrix, as nn.Linear stores it
    b: torch.Tensor  # (out,) bias
    z: torch.Tensor  # (out,) pre-activation W·x + b
    a: torch.Tensor  # (out,) output after the activation (a = z for the output layer)
    activation: str  # the modules applied to z, e.g. "Tanh"; "none" on the output layer


def _module_name(module: nn.Module) -> str:
    return "none" if isinstance(module, nn.Identity) else type(module).__name__


def inspect_forward(model: nn.Module, x: torch.Tensor) -> list[LayerStep]:
    """Walk model.layers (Linear, then its activation) for one input x (in,), computing each step by hand."""
    if not hasattr(model, "layers"):
        raise TypeError("inspect_forward needs a model with an nn.Sequential `layers`, such as dlplay's MLP")
    modules = list(model.layers)
    linear_positions = [i for i, m in enumerate(modules) if isinstance(m, nn.Linear)]
    steps: list[LayerStep] = []
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    h = torch.as_tensor(x, dtype=torch.float32).flatten().to(device)  # (in,)
    with torch.no_grad():
        for k, start in enumerate(linear_positions):
            linear = modules[start]
            end = linear_positions[k + 1] if k + 1 < len(linear_positions) else len(modules)
            W, b = linear.weight, linear.bias
            z = W @ h + b  # (out, in) @ (in,) + (out,) → (out,)
            a = z
            after = modules[start + 1 : end]  # the activation (and dropout / batch norm, if any) that follow
            for module in after:
                a = module(a.unsqueeze(0)).squeeze(0)  # (1, out) → (out,): modules expect a batch
            is_output = k == len(linear_positions) - 1
            name = "output layer" if is_output else f"hidden layer {k + 1}"
            activation = " → ".join(_module_name(m) for m in after) or "none"
            steps.append(LayerStep(name, *(t.detach().float().cpu() for t in (h, W, b, z, a)), activation))
            h = a
    model.train(was_training)
    return steps


def forward_code(steps: list[LayerStep]) -> str:
    """The same forward pass as a few lines of PyTorch."""
    lines = ["x = features  # (F,) the standardized input features", "layers = model.linear_layers()"]
    for k, step in enumerate(steps):
        act = step.activation
        lines.append(f"z{k + 1} = layers[{k}].weight @ {'x' if k == 0 else f'a{k}'} + layers[{k}].bias  # {step.name}: "
                     f"({step.W.shape[0]}, {step.W.shape[1]}) @ ({step.W.shape[1]},) → ({step.W.shape[0]},)")
        first = act.split(" → ")[0]  # the activation; dropout / batch norm after it are left out of the sketch
        if act == "none":
            lines.append(f"a{k + 1} = z{k + 1}  # no activation on the output: it is the logit (or the value)")
        elif first in ("Tanh", "Sigmoid", "ReLU"):
            lines.append(f"a{k + 1} = torch.{first.lower()}(z{k + 1})")
        else:
            lines.append(f"a{k + 1} = nn.{first}()(z{k + 1})")
    lines.append(f"torch.testing.assert_close(a{len(steps)}, model(x[None])[0])  # exactly the model's own output")
    return "\n".join(lines)
