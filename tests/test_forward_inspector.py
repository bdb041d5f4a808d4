"""The forward-pass inspector: z = W·x + b and a = act(z) by hand, ending in exactly model(x)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from dlplay.lessons.fundamentals.forward_inspector import forward_code, inspect_forward
from dlplay.lessons.fundamentals.playground import PlaygroundConfig, build_run
from dlplay.models.mlp import MLP


@pytest.mark.parametrize(("hidden_sizes", "activation"), [((8, 8, 6), "Tanh"), ((4, 2), "ReLU"), ((), "Tanh"), ((3,), "Sigmoid"),
                                                          ((5, 5), "Leaky ReLU"), ((2,), "Linear")])
def test_final_value_is_the_models_own_output(hidden_sizes, activation):
    torch.manual_seed(0)
    model = MLP(6, 0, 1, hidden_sizes=hidden_sizes, activation=activation)
    x = torch.randn(6)
    steps = inspect_forward(model, x)
    assert len(steps) == len(hidden_sizes) + 1
    assert steps[-1].name == "output layer" and steps[-1].activation == "none"
    assert_close(steps[-1].a, model(x[None])[0])


def test_each_layer_is_linear_then_activation_and_matches_hidden_activations():
    torch.manual_seed(1)
    model = MLP(3, 0, 1, hidden_sizes=(4, 5), activation="Tanh")
    x = torch.randn(3)
    steps = inspect_forward(model, x)
    hidden = model.hidden_activations(x[None])
    for step, layer, h in zip(steps, model.linear_layers(), hidden + [None]):
        assert_close(step.W, layer.weight.detach())
        assert_close(step.z, F.linear(step.x, layer.weight, layer.bias).detach())
        if h is not None:
            assert_close(step.a, torch.tanh(step.z))
            assert_close(step.a, h[0].detach())
    assert_close(steps[1].x, steps[0].a)  # each layer's input is the previous layer's output


def test_curriculum_model_and_a_multi_class_output():
    torch.manual_seed(2)
    model = MLP(10, 16, 3)  # the curriculum's shape: Linear, ReLU, Linear, ReLU, Linear
    x = torch.randn(10)
    steps = inspect_forward(model, x)
    assert [s.activation for s in steps] == ["ReLU", "ReLU", "none"]
    assert_close(steps[-1].a, model(x[None])[0])


def test_training_mode_is_restored():
    model = MLP(2, 0, 1, hidden_sizes=(3,), dropout=0.5)
    model.train()
    steps = inspect_forward(model, torch.ones(2))
    assert model.training
    assert steps[0].activation == "ReLU → Dropout"
    model.eval()
    assert_close(steps[-1].a, model(torch.ones(1, 2))[0])  # dropout is off while inspecting, as in eval


def test_the_playground_run_model_on_standardized_features():
    run = build_run(PlaygroundConfig(dataset="spiral", features=("x₁", "x₂", "sin x₁"), hidden_sizes=(4, 3)))
    run.step(20)
    features = run.transform(torch.tensor([[1.5, -2.0]]))[0]  # (F,)
    steps = inspect_forward(run.model, features)
    assert_close(steps[-1].a, run.predict(features[None])[0])


@pytest.mark.parametrize("activation", ["Tanh", "ReLU", "Leaky ReLU", "GELU", "Linear"])
def test_forward_code_runs_and_reproduces_the_output(activation):
    torch.manual_seed(3)
    model = MLP(4, 0, 1, hidden_sizes=(3, 2), activation=activation)
    x = torch.randn(4)
    steps = inspect_forward(model, x)
    code = forward_code(steps)
    scope = {"torch": torch, "nn": nn, "model": model, "features": x}
    exec(code, scope)  # noqa: S102 - our own generated code; it ends with assert_close against model(x)
    assert_close(scope[f"a{len(steps)}"], model(x[None])[0].detach())
