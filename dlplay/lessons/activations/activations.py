"""Activation functions: curves and autograd derivatives, softmax with temperature, gradient flow through deep stacks."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dlplay.models.init import seeded_init_

# Name → the torch.nn.functional call; every function takes (x, alpha), only Leaky ReLU uses alpha.
ACTIVATIONS: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "Sigmoid": lambda x, alpha: F.sigmoid(x),
    "Tanh": lambda x, alpha: F.tanh(x),
    "ReLU": lambda x, alpha: F.relu(x),
    "Leaky ReLU": lambda x, alpha: F.leaky_relu(x, negative_slope=alpha),
    "ELU": lambda x, alpha: F.elu(x),
    "GELU": lambda x, alpha: F.gelu(x),
    "SiLU": lambda x, alpha: F.silu(x),
    "Softplus": lambda x, alpha: F.softplus(x),
}
ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)
USES_ALPHA = frozenset({"Leaky ReLU"})  # the activations whose result depends on alpha

# Name → the nn.Module a model would stack, and the F call a page shows ({alpha} filled in).
_MODULES: dict[str, Callable[[float], nn.Module]] = {
    "Sigmoid": lambda alpha: nn.Sigmoid(),
    "Tanh": lambda alpha: nn.Tanh(),
    "ReLU": lambda alpha: nn.ReLU(),
    "Leaky ReLU": lambda alpha: nn.LeakyReLU(negative_slope=alpha),
    "ELU": lambda alpha: nn.ELU(),
    "GELU": lambda alpha: nn.GELU(),
    "SiLU": lambda alpha: nn.SiLU(),
    "Softplus": lambda alpha: nn.Softplus(),
}
_F_CODE = {
    "Sigmoid": "F.sigmoid(x)", "Tanh": "F.tanh(x)", "ReLU": "F.relu(x)",
    "Leaky ReLU": "F.leaky_relu(x, negative_slope={alpha})", "ELU": "F.elu(x)",
    "GELU": "F.gelu(x)", "SiLU": "F.silu(x)", "Softplus": "F.softplus(x)",
}
_NN_CODE = {
    "Sigmoid": "nn.Sigmoid", "Tanh": "nn.Tanh", "ReLU": "nn.ReLU",
    "Leaky ReLU": "lambda: nn.LeakyReLU(negative_slope={alpha})", "ELU": "nn.ELU",
    "GELU": "nn.GELU", "SiLU": "nn.SiLU", "Softplus": "nn.Softplus",
}


@dataclass(frozen=True)
class ActivationFacts:
    """What to know about one activation before putting it in a model."""

    formula: str  # f(x)
    range: str  # the set of values f can take
    saturation: str  # where f' goes to 0
    dead_neurons: str  # can a unit get stuck with zero gradient forever?
    use: str  # where it is used


FACTS: dict[str, ActivationFacts] = {
    "Sigmoid": ActivationFacts("1 / (1 + e⁻ˣ)", "(0, 1)", "both sides: f′ ≤ 0.25, ≈ 0 for |x| > 5",
                               "no, but gradients vanish in deep stacks", "binary-classification output, gates"),
    "Tanh": ActivationFacts("(eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)", "(−1, 1)", "both sides: f′ ≤ 1, ≈ 0 for |x| > 3",
                            "no, but gradients vanish in deep stacks", "hidden layers (zero-centred), RNNs"),
    "ReLU": ActivationFacts("max(0, x)", "[0, ∞)", "none for x > 0; f′ = 0 for x < 0",
                            "yes: a unit whose input stays negative never learns again", "default for hidden layers"),
    "Leaky ReLU": ActivationFacts("max(αx, x)", "(−∞, ∞) for α > 0", "none: f′ = α for x < 0",
                                  "no: the slope α keeps gradients flowing", "hidden layers, when ReLUs die"),
    "ELU": ActivationFacts("x if x > 0 else eˣ − 1", "(−1, ∞)", "soft, for x ≪ 0 (f → −1)",
                           "low: f′ = eˣ is small but not zero", "hidden layers, smoother than ReLU"),
    "GELU": ActivationFacts("x · Φ(x)", "≈ [−0.17, ∞)", "for x ≪ 0 only", "low", "Transformers (BERT, GPT)"),
    "SiLU": ActivationFacts("x · σ(x)", "≈ [−0.28, ∞)", "for x ≪ 0 only", "low", "modern CNNs, LLaMA's SwiGLU"),
    "Softplus": ActivationFacts("log(1 + eˣ)", "(0, ∞)", "for x ≪ 0: f′ = σ(x) → 0", "low",
                                "smooth ReLU; positive outputs (rates, variances)"),
}


def _check_name(name: str) -> None:
    """Raise a readable error for an unknown activation name."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATION_NAMES)}")


def activation(name: str, alpha: float = 0.01) -> Callable[[torch.Tensor], torch.Tensor]:
    """The F function called `name`, with Leaky ReLU's slope bound to alpha."""
    _check_name(name)
    fn = ACTIVATIONS[name]
    return lambda x: fn(x, alpha)


def activation_module(name: str, alpha: float = 0.01) -> nn.Module:
    """The nn.Module for activation `name` (Leaky ReLU with slope alpha)."""
    _check_name(name)
    return _MODULES[name](alpha)


def curves(
    names: Sequence[str], x_min: float, x_max: float, n_points: int = 801, alpha: float = 0.01,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """x on [x_min, x_max], and f(x) and f′(x) (by autograd) for each named activation."""
    if not x_min < x_max:
        raise ValueError(f"x_min must be below x_max (got {x_min} and {x_max})")
    if n_points < 2:
        raise ValueError("n_points must be at least 2")
    for name in names:
        _check_name(name)
    x = torch.linspace(x_min, x_max, n_points, dtype=dtype)  # (N,)
    values, derivatives = {}, {}
    for name in names:
        xg = x.clone().requires_grad_(True)
        y = ACTIVATIONS[name](xg, alpha)
        # f acts elementwise, so d(Σᵢ f(xᵢ))/dxᵢ = f′(xᵢ): one backward pass gives every derivative.
        (grad,) = torch.autograd.grad(y.sum(), xg)
        values[name], derivatives[name] = y.detach(), grad
    return x, values, derivatives


# ---------------------------------------------------------------- softmax

MAX_LOGITS = 10  # a bar chart stays readable up to about ten classes
MAX_ABS_LOGIT = 1e6  # large enough to overflow exp in float32 many times over
MIN_TEMPERATURE = 0.05  # T → 0 divides by zero; softmax tends to a one-hot argmax


def parse_logits(text: str) -> list[float]:
    """Numbers from text like "2, 1, 0.1" or "[1000 1001 1002]"; ValueError with a readable message otherwise."""
    parts = [p for p in re.split(r"[,;\s]+", text.strip().strip("[]()")) if p]
    if not parts:
        raise ValueError("type at least one number, e.g. 2, 1, 0.1")
    if len(parts) > MAX_LOGITS:
        raise ValueError(f"at most {MAX_LOGITS} logits, got {len(parts)}")
    logits = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a number") from None
        if not math.isfinite(value) or abs(value) > MAX_ABS_LOGIT:
            raise ValueError(f"{part!r} is out of range: logits must be finite, between ±{MAX_ABS_LOGIT:g}")
        logits.append(value)
    return logits


def clamp_temperature(temperature: float) -> float:
    """The temperature, raised to MIN_TEMPERATURE if below it."""
    return max(float(temperature), MIN_TEMPERATURE)


def _scaled(logits: torch.Tensor | Sequence[float], temperature: float) -> torch.Tensor:
    """logits / T as float32, refusing T ≤ 0."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    return torch.as_tensor(logits, dtype=torch.float32) / temperature


def softmax_naive(logits: torch.Tensor | Sequence[float], temperature: float = 1.0) -> torch.Tensor:
    """exp(zᵢ/T) / Σⱼ exp(zⱼ/T) straight from the formula: overflows (inf/inf = nan) for large logits."""
    e = torch.exp(_scaled(logits, temperature))
    return e / e.sum()


def softmax_stable(logits: torch.Tensor | Sequence[float], temperature: float = 1.0) -> torch.Tensor:
    """Softmax after subtracting the max: exp(zᵢ − m) / Σⱼ exp(zⱼ − m) with m = maxⱼ zⱼ, never overflows."""
    z = _scaled(logits, temperature)
    # e^(zᵢ−m) / Σ e^(zⱼ−m) = e^(−m)e^(zᵢ) / e^(−m)Σ e^(zⱼ): the same value, and every exponent is ≤ 0.
    e = torch.exp(z - z.max())
    return e / e.sum()


@dataclass(frozen=True)
class SoftmaxSteps:
    """Every intermediate of naive and max-shifted softmax, for a table."""

    scaled: torch.Tensor  # z / T
    naive_exp: torch.Tensor  # exp(z / T), may be inf
    naive: torch.Tensor  # naive probabilities, may be nan
    shifted: torch.Tensor  # z / T − max(z / T), all ≤ 0
    shifted_exp: torch.Tensor  # exp of the shifted logits, in [0, 1]: tiny ones underflow to 0, harmlessly
    stable: torch.Tensor  # max-shifted probabilities
    reference: torch.Tensor  # F.softmax(z / T)

    @property
    def naive_failed(self) -> bool:
        """Whether the naive formula produced inf or nan."""
        return not bool(torch.isfinite(self.naive).all())

    @property
    def stable_error(self) -> float:
        """max |stable − F.softmax|: 0 up to float rounding."""
        return float((self.stable - self.reference).abs().max())


def softmax_steps(logits: torch.Tensor | Sequence[float], temperature: float = 1.0) -> SoftmaxSteps:
    """Naive and stable softmax side by side, with F.softmax as the reference."""
    z = _scaled(logits, temperature)  # (K,)
    shifted = z - z.max()
    return SoftmaxSteps(
        scaled=z, naive_exp=torch.exp(z), naive=softmax_naive(logits, temperature), shifted=shifted,
        shifted_exp=torch.exp(shifted), stable=softmax_stable(logits, temperature), reference=F.softmax(z, dim=0),
    )


# ---------------------------------------------------------------- gradient flow

INITS = ("PyTorch default", "Xavier", "Kaiming")


@dataclass(frozen=True)
class StackConfig:
    """A deep stack of Linear + activation layers, probed once at initialization."""

    depth: int = 20  # number of Linear + activation layers
    hidden_size: int = 64  # width of every layer (input and output too)
    init: str = "PyTorch default"  # one of INITS
    batch_size: int = 32  # rows of the random batch X: enough for a stable norm, cheap at width 256
    seed: int = 0  # seeds the weights and the batch: the same for every activation


def _init_linear(layer: nn.Linear, init: str, generator: torch.Generator | None = None) -> None:
    """Re-initialize one Linear layer's weight (and zero its bias) per the init scheme (from `generator` if given)."""
    if init == "Xavier":
        nn.init.xavier_uniform_(layer.weight, generator=generator)  # Var(W) = 2 / (fan_in + fan_out), for tanh / sigmoid
        nn.init.zeros_(layer.bias)
    elif init == "Kaiming":
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)  # Var(W) = 2 / fan_in, for ReLU
        nn.init.zeros_(layer.bias)
    elif init != "PyTorch default":  # default: U(±1/√fan_in) for weights and biases
        raise ValueError(f"unknown init {init!r}; choose from {', '.join(INITS)}")


def _undrawn_linear(h: int) -> nn.Linear:
    """An nn.Linear(h, h) whose parameters are allocated but not drawn, so the global RNG stays untouched.

    Why not nn.Linear(h, h): its constructor draws from the global RNG. Why not torch.nn.utils.skip_init: its meta
    device imports ≈2 s of torch machinery on first use."""
    layer = nn.Linear.__new__(nn.Linear)
    nn.Module.__init__(layer)
    layer.in_features = layer.out_features = h
    layer.weight = nn.Parameter(torch.empty(h, h))  # (out, in)
    layer.bias = nn.Parameter(torch.empty(h))  # (out,)
    return layer


def _linears(config: StackConfig, generator: torch.Generator | None = None) -> list[nn.Linear]:
    """config.depth Linear(hidden_size, hidden_size) layers, all created first, then all re-initialized per config.init.

    With a generator, every draw comes from it in the order the global RNG would give them: the same weights as
    `torch.manual_seed(seed)` then building, without touching the global state."""
    if config.depth < 1 or config.hidden_size < 1:
        raise ValueError("depth and hidden_size must be at least 1")
    h = config.hidden_size
    if generator is None:
        linears = [nn.Linear(h, h) for _ in range(config.depth)]
    else:  # PyTorch's default init drawn from the generator, layer by layer
        linears = [seeded_init_(_undrawn_linear(h), generator) for _ in range(config.depth)]
    for layer in linears:
        _init_linear(layer, config.init, generator)
    return linears


def _stack(name: str, linears: Sequence[nn.Linear], alpha: float) -> nn.Sequential:
    """Linear, activation, Linear, activation, …"""
    return nn.Sequential(*[m for layer in linears for m in (layer, activation_module(name, alpha))])


def build_stack(name: str, config: StackConfig, alpha: float = 0.01) -> nn.Sequential:
    """nn.Sequential of config.depth × (Linear(hidden_size, hidden_size), activation); draws from the global RNG."""
    _check_name(name)
    return _stack(name, _linears(config), alpha)


@functools.lru_cache(maxsize=2)
def _probe(config: StackConfig) -> tuple[tuple[nn.Linear, ...], torch.Tensor, torch.Tensor]:
    """The seeded layers and batch every activation is probed with: seed, build the Linear layers, draw X, draw y."""
    generator = torch.Generator().manual_seed(config.seed)  # private: the global RNG stays untouched
    linears = _linears(config, generator)
    X = torch.randn(config.batch_size, config.hidden_size, generator=generator)  # (B, H)
    y = torch.randn(config.batch_size, config.hidden_size, generator=generator)  # (B, H)
    return tuple(linears), X, y


def gradient_norms(name: str, config: StackConfig, alpha: float = 0.01) -> torch.Tensor:
    """‖∂L/∂Wₗ‖ for every layer l = 1 (input side) … depth, at initialization, by autograd on a random batch.

    Seeded with config.seed, then the layers built, then X and y drawn: the same weights and batch for every activation.
    L = MSE(model(X), y) with X, y ~ N(0, 1).
    """
    _check_name(name)
    linears, X, y = _probe(config)
    model = _stack(name, linears, alpha)
    loss = F.mse_loss(model(X), y)
    grads = torch.autograd.grad(loss, [layer.weight for layer in linears])  # leaves .grad untouched
    return torch.stack([g.norm() for g in grads])  # (depth,)


def gradient_flow(names: Sequence[str], config: StackConfig, alpha: float = 0.01) -> dict[str, torch.Tensor]:
    """gradient_norms for each named activation, on identical weights and batch."""
    return {name: gradient_norms(name, config, alpha) for name in names}


def _verdict(first: float, last: float) -> tuple[float, str]:
    """The ratio first / last and a word for it: vanishing (≪ 1), exploding (≫ 1) or healthy."""
    if not (math.isfinite(first) and math.isfinite(last)):
        return math.nan, "overflow (inf / nan)"
    if last == 0:
        return (math.nan, "dead (all zero)") if first == 0 else (math.inf, "exploding")
    ratio = first / last
    return ratio, "vanishing" if ratio < 1e-2 else "exploding" if ratio > 1e2 else "healthy"


def flow_summary(norms: dict[str, torch.Tensor]) -> list[dict[str, object]]:
    """Per activation: the gradient norm at the first and last layer and their ratio (≪ 1 vanishing, ≫ 1 exploding)."""
    rows = []
    for name, n in norms.items():
        first, last = float(n[0]), float(n[-1])
        ratio, verdict = _verdict(first, last)
        rows.append({"activation": name, "‖∂L/∂W‖ layer 1": first, f"‖∂L/∂W‖ layer {len(n)}": last,
                     "ratio first / last": ratio, "verdict": verdict})
    return rows


# ---------------------------------------------------------------- code shown on the page


def curves_code(names: Sequence[str], x_min: float, x_max: float, alpha: float) -> str:
    """PyTorch code computing the plotted curves and their autograd derivatives."""
    lines = ["import torch", "import torch.nn.functional as F", "",
             f"x = torch.linspace({x_min:g}, {x_max:g}, 801, requires_grad=True)", "curves = {"]
    lines += [f"    {name!r}: {_F_CODE[name].format(alpha=f'{alpha:g}')}," for name in names]
    lines += ["}", "# f is elementwise, so the gradient of sum(f(x)) is f'(x) at every point",
              "derivatives = {name: torch.autograd.grad(y.sum(), x)[0] for name, y in curves.items()}"]
    return "\n".join(lines)


def softmax_code(logits: Sequence[float], temperature: float) -> str:
    """PyTorch code for naive, max-shifted and library softmax at a temperature."""
    return "\n".join([
        "import torch", "import torch.nn.functional as F", "",
        f"logits = torch.tensor([{', '.join(repr(float(v)) for v in logits)}])", f"T = {temperature:g}", "z = logits / T", "",
        "naive = torch.exp(z) / torch.exp(z).sum()  # exp(z > 88.7) = inf: inf / inf = nan",
        "shifted = z - z.max()  # every exponent ≤ 0: no overflow",
        "stable = torch.exp(shifted) / torch.exp(shifted).sum()",
        "probs = F.softmax(z, dim=0)  # does the max shift for you",
    ])


def stack_code(names: Sequence[str], config: StackConfig, alpha: float) -> str:
    """PyTorch code measuring the gradient norm reaching each layer of a deep stack, as gradient_norms does."""
    h, b = config.hidden_size, config.batch_size
    init = {"Xavier": "nn.init.xavier_uniform_(layer.weight)",
            "Kaiming": "nn.init.kaiming_normal_(layer.weight, nonlinearity='relu')"}
    lines = ["import torch", "import torch.nn.functional as F", "from torch import nn", "", "activations = {"]
    lines += [f"    {name!r}: {_NN_CODE[name].format(alpha=f'{alpha:g}')}," for name in names]
    lines += ["}", "grad_norms = {}", "for name, make_activation in activations.items():",
              f"    torch.manual_seed({config.seed})  # the same weights and batch for every activation",
              f"    model = nn.Sequential(*[m for _ in range({config.depth}) for m in (nn.Linear({h}, {h}), make_activation())])"]
    if config.init in init:
        lines += ["    for layer in model[::2]:  # the Linear layers", f"        {init[config.init]}",
                  "        nn.init.zeros_(layer.bias)"]
    else:
        lines += ["    # PyTorch's default init: weights and biases ~ U(±1/√fan_in)"]
    lines += [f"    X, y = torch.randn({b}, {h}), torch.randn({b}, {h})  # (B, H)", "    F.mse_loss(model(X), y).backward()",
              "    grad_norms[name] = [layer.weight.grad.norm().item() for layer in model[::2]]"]
    return "\n".join(lines)
