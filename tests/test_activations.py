"""The activation core against PyTorch: F values, autograd and analytic derivatives, softmax, gradient flow."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from dlplay.lessons.activations.activations import (
    ACTIVATION_NAMES,
    FACTS,
    INITS,
    MIN_TEMPERATURE,
    StackConfig,
    activation,
    activation_module,
    build_stack,
    clamp_temperature,
    curves,
    curves_code,
    flow_summary,
    gradient_flow,
    gradient_norms,
    parse_logits,
    softmax_code,
    softmax_naive,
    softmax_stable,
    softmax_steps,
    stack_code,
)

ALPHA = 0.2

# Written out here, independently of the core's registry.
REFERENCE_F = {
    "Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "ReLU": F.relu,
    "Leaky ReLU": lambda x: F.leaky_relu(x, ALPHA), "ELU": F.elu, "GELU": F.gelu, "SiLU": F.silu, "Softplus": F.softplus,
}


def normal_cdf(x):
    return 0.5 * (1 + torch.erf(x / math.sqrt(2)))


def normal_pdf(x):
    return torch.exp(-x**2 / 2) / math.sqrt(2 * math.pi)


# The derivatives by hand: f′ written from the formula, no autograd.
ANALYTIC = {
    "Sigmoid": lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x)),
    "Tanh": lambda x: 1 - torch.tanh(x) ** 2,
    "ReLU": lambda x: (x > 0).to(x.dtype),
    "Leaky ReLU": lambda x: torch.where(x > 0, 1.0, ALPHA).to(x.dtype),
    "ELU": lambda x: torch.where(x > 0, torch.ones_like(x), torch.exp(x)),
    "GELU": lambda x: normal_cdf(x) + x * normal_pdf(x),
    "SiLU": lambda x: torch.sigmoid(x) * (1 + x * (1 - torch.sigmoid(x))),
    "Softplus": torch.sigmoid,
}


def test_every_activation_has_facts_and_a_module():
    assert set(FACTS) == set(ACTIVATION_NAMES) == set(REFERENCE_F)
    x = torch.linspace(-3, 3, 50)
    for name in ACTIVATION_NAMES:
        assert_close(activation_module(name, ALPHA)(x), REFERENCE_F[name](x))
        assert_close(activation(name, ALPHA)(x), REFERENCE_F[name](x))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_curves_equal_torch_functional(dtype):
    x, values, derivatives = curves(ACTIVATION_NAMES, -6.0, 4.0, n_points=200, alpha=ALPHA, dtype=dtype)
    assert_close(x, torch.linspace(-6.0, 4.0, 200, dtype=dtype))
    assert list(values) == list(derivatives) == list(ACTIVATION_NAMES)
    for name in ACTIVATION_NAMES:
        assert_close(values[name], REFERENCE_F[name](x))
        assert values[name].dtype == derivatives[name].dtype == dtype


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_derivatives_equal_the_analytic_formulas(name):
    # 200 points on [-6, 4] never hit x = 0 exactly, where ReLU-like functions have a kink.
    x, _, derivatives = curves([name], -6.0, 4.0, n_points=200, alpha=ALPHA, dtype=torch.float64)
    assert_close(derivatives[name], ANALYTIC[name](x))


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_derivatives_equal_torch_func(name):
    x, _, derivatives = curves([name], -8.0, 8.0, n_points=101, alpha=ALPHA)
    reference = torch.func.vmap(torch.func.grad(REFERENCE_F[name]))(x)
    assert_close(derivatives[name], reference)


def test_curves_survive_the_widest_range():
    x, values, derivatives = curves(ACTIVATION_NAMES, -50.0, 50.0, alpha=ALPHA)
    for name in ACTIVATION_NAMES:
        assert torch.isfinite(values[name]).all() and torch.isfinite(derivatives[name]).all()
    assert_close(derivatives["Sigmoid"][0], torch.tensor(0.0))  # saturated: sigmoid′(−50) ≈ 2e−22


@pytest.mark.parametrize("x_min, x_max", [(1.0, 1.0), (2.0, -2.0)])
def test_curves_refuse_empty_ranges(x_min, x_max):
    with pytest.raises(ValueError):
        curves(["ReLU"], x_min, x_max)


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="unknown activation"):
        curves(["Swish-9000"], -1.0, 1.0)


@pytest.mark.parametrize("temperature", [0.05, 0.5, 1.0, 3.7])
def test_softmax_with_temperature_equals_F_softmax(temperature):
    logits = torch.tensor([2.0, 1.0, 0.1, -3.0])
    expected = F.softmax(logits / temperature, dim=0)
    assert_close(softmax_stable(logits, temperature), expected)
    assert_close(softmax_naive(logits, temperature), expected)  # small logits: the naive formula is fine
    steps = softmax_steps(logits.tolist(), temperature)
    assert_close(steps.reference, expected)
    assert_close(steps.stable, expected)
    assert not steps.naive_failed
    assert steps.stable_error < 1e-6


@pytest.mark.parametrize("logits", [[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
def test_naive_softmax_breaks_where_the_shifted_one_does_not(logits):
    steps = softmax_steps(logits, 1.0)
    assert steps.naive_failed
    assert torch.isnan(softmax_naive(logits)).all()  # inf / inf (overflow) or 0 / 0 (underflow)
    expected = F.softmax(torch.tensor(logits), dim=0)
    assert_close(softmax_stable(logits), expected)
    assert_close(steps.stable, expected)
    assert steps.shifted.max() == 0 and (steps.shifted_exp <= 1).all()
    if logits[0] > 0:
        assert torch.isinf(steps.naive_exp).all()


def test_temperature_is_clamped_and_nonpositive_refused():
    assert clamp_temperature(0.0) == MIN_TEMPERATURE
    assert clamp_temperature(-3.0) == MIN_TEMPERATURE
    assert clamp_temperature(2.5) == 2.5
    with pytest.raises(ValueError):
        softmax_stable([1.0, 2.0], 0.0)


@pytest.mark.parametrize("text, expected", [
    ("2, 1, 0.1", [2.0, 1.0, 0.1]), ("[1000 1001 1002]", [1000.0, 1001.0, 1002.0]), (" -1e3 ; 5 ", [-1000.0, 5.0]),
    ("7", [7.0]),
])
def test_parse_logits_reads_numbers(text, expected):
    assert parse_logits(text) == expected


@pytest.mark.parametrize("text", ["", "  , ", "a, b", "1, 2, x", ",".join(["1"] * 11), "nan", "1, inf", "1e7", "1e400"])
def test_parse_logits_refuses_bad_text(text):
    with pytest.raises(ValueError):
        parse_logits(text)


def reference_norms(name, depth, hidden_size, init, seed, alpha, batch_size):
    """The gradient norms of a stack built directly with nn, as the page's code panel shows it."""
    torch.manual_seed(seed)
    make = {"Leaky ReLU": lambda: nn.LeakyReLU(alpha), "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "ReLU": nn.ReLU,
            "GELU": nn.GELU}[name]
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(hidden_size, hidden_size), make()]
    model = nn.Sequential(*layers)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for layer in linears:
        if init == "Xavier":
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
        elif init == "Kaiming":
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    X = torch.randn(batch_size, hidden_size)
    y = torch.randn(batch_size, hidden_size)
    F.mse_loss(model(X), y).backward()
    return torch.stack([layer.weight.grad.norm() for layer in linears])


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("name", ["Sigmoid", "Tanh", "ReLU", "Leaky ReLU", "GELU"])
def test_gradient_norms_equal_direct_autograd(name, init):
    config = StackConfig(depth=6, hidden_size=8, init=init, batch_size=5, seed=7)
    norms = gradient_norms(name, config, alpha=ALPHA)
    assert norms.shape == (6,)
    assert_close(norms, reference_norms(name, 6, 8, init, 7, ALPHA, 5))


def test_gradient_flow_leaves_the_global_rng_and_threads_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    flow = gradient_flow(["Tanh", "ReLU"], StackConfig(depth=3, hidden_size=4, seed=11))
    assert_close(torch.rand(3), expected)
    assert torch.get_num_threads() == threads
    assert_close(flow["Tanh"], gradient_norms("Tanh", StackConfig(depth=3, hidden_size=4, seed=11)))


def test_build_stack_is_linear_activation_pairs():
    model = build_stack("Leaky ReLU", StackConfig(depth=3, hidden_size=5), alpha=ALPHA)
    assert [type(m) for m in model] == [nn.Linear, nn.LeakyReLU] * 3
    assert model[1].negative_slope == ALPHA


def test_sigmoid_gradients_vanish_and_kaiming_relu_keeps_them():
    sigmoid = gradient_norms("Sigmoid", StackConfig(depth=15, hidden_size=32))
    assert sigmoid[0] < 1e-3 * sigmoid[-1]  # each layer multiplies by σ′ ≤ 0.25
    relu = gradient_norms("ReLU", StackConfig(depth=15, hidden_size=32, init="Kaiming"))
    assert 1e-2 < relu[0] / relu[-1] < 1e2


def test_flow_summary_ratios():
    norms = {"a": torch.tensor([1e-6, 1e-3, 1.0]), "b": torch.tensor([2.0, 1.0]), "c": torch.tensor([0.0, 0.0])}
    rows = {row["activation"]: row for row in flow_summary(norms)}
    assert rows["a"]["ratio first / last"] == pytest.approx(1e-6) and rows["a"]["verdict"] == "vanishing"
    assert rows["b"]["ratio first / last"] == pytest.approx(2.0) and rows["b"]["verdict"] == "healthy"
    assert rows["c"]["verdict"] == "dead (all zero)"


def test_shown_stack_code_computes_the_same_norms():
    config = StackConfig(depth=4, hidden_size=6, init="Xavier", batch_size=3, seed=5)
    names = ["Sigmoid", "Leaky ReLU", "SiLU"]
    namespace = {}
    exec(stack_code(names, config, ALPHA), namespace)  # noqa: S102 — our own generated code
    for name in names:
        assert_close(torch.tensor(namespace["grad_norms"][name]), gradient_norms(name, config, ALPHA))


def test_shown_softmax_and_curves_code_compute_the_same_values():
    namespace = {}
    exec(softmax_code([1000.0, 1001.0, 1002.0], 0.5), namespace)  # noqa: S102
    steps = softmax_steps([1000.0, 1001.0, 1002.0], 0.5)
    assert_close(namespace["stable"], steps.stable)
    assert_close(namespace["probs"], steps.reference)
    assert torch.isnan(namespace["naive"]).all()
    namespace = {}
    exec(curves_code(["Leaky ReLU", "ELU"], -3.0, 2.0, ALPHA), namespace)  # noqa: S102
    x, values, derivatives = curves(["Leaky ReLU", "ELU"], -3.0, 2.0, alpha=ALPHA)
    for name in values:
        assert_close(namespace["curves"][name].detach(), values[name])
        assert_close(namespace["derivatives"][name], derivatives[name])
