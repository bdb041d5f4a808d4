"""What dropout and batch norm do to a layer's units: masks from a real nn.Dropout, per-layer activation histograms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from dlplay.models.mlp import MLP


@dataclass
class DropoutView:
    """One training step of nn.Dropout(p) on a layer's activations, and the same layer in eval mode."""

    h: torch.Tensor  # (B, W) the activations going into dropout
    kept: torch.Tensor  # (B, W) bool: the units this step keeps
    train_out: torch.Tensor  # (B, W) nn.Dropout(p) in train mode: h / (1 − p) where kept, 0 elsewhere
    eval_out: torch.Tensor  # (B, W) nn.Dropout(p) in eval mode: h unchanged
    p: float  # the dropout rate

    @property
    def scale(self) -> float:
        """1 / (1 − p): the factor that keeps each unit's expected value unchanged."""
        return 1.0 / (1.0 - self.p)

    @property
    def dropped_fraction(self) -> float:
        """The share of units this step dropped (≈ p)."""
        return 1.0 - float(self.kept.float().mean())


def dropout_view(h: torch.Tensor, p: float, seed: int = 0) -> DropoutView:
    """nn.Dropout(p) on h in train mode, drawn as its kernel draws (Bernoulli(1 − p) noise, scaled by 1/(1 − p)) but
    from a private generator, so the view is the same for a seed whatever other sessions do; and eval mode."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"the dropout rate must be in [0, 1), got {p}")
    h = h.detach().float().cpu()
    generator = torch.Generator().manual_seed(seed)
    noise = torch.empty_like(h).bernoulli_(1.0 - p, generator=generator)  # 1 = kept
    train_out = h * (noise / (1.0 - p))  # what nn.Dropout(p) returns under torch.manual_seed(seed) (a test checks it)
    return DropoutView(h=h, kept=noise != 0, train_out=train_out, eval_out=nn.Dropout(p).eval()(h), p=p)


def block_outputs(model: MLP, X: torch.Tensor) -> list[torch.Tensor]:
    """What each hidden layer passes on — activation, then batch norm if any — in eval mode: (B, width) per layer."""
    was_training = model.training
    model.eval()
    outputs, h, in_block = [], X.flatten(1), False  # (B, input_size)
    with torch.no_grad():
        for module in model.layers:
            if in_block and isinstance(module, (nn.Linear, nn.Dropout)):  # a hidden block ends here
                outputs.append(h.float().cpu())
                in_block = False
            h = module(h)
            in_block = in_block or isinstance(module, nn.Linear)
    model.train(was_training)
    return outputs


@dataclass
class Histogram:
    """Binned values of one layer: shared bin edges and the fraction of values per bin."""

    edges: np.ndarray  # (bins + 1,)
    fractions: np.ndarray  # (bins,) summing to 1
    mean: float
    std: float


def layer_histograms(outputs: dict[str, list[torch.Tensor]], bins: int = 30) -> dict[str, list[Histogram]]:
    """Histograms per run and layer; one layer's bins are shared by every run (1st–99th percentile, ends clipped in)."""
    n_layers = min((len(v) for v in outputs.values()), default=0)
    result: dict[str, list[Histogram]] = {name: [] for name in outputs}
    for layer in range(n_layers):
        values = {name: v[layer].flatten().numpy().astype(np.float64) for name, v in outputs.items()}
        finite = np.concatenate([v[np.isfinite(v)] for v in values.values()])
        lo, hi = (np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0))
        if hi - lo < 1e-6:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1)
        for name, v in values.items():
            v = v[np.isfinite(v)]
            counts, _ = np.histogram(np.clip(v, lo, hi), bins=edges)
            fractions = counts / max(1, counts.sum())
            result[name].append(Histogram(edges, fractions, float(v.mean()) if v.size else np.nan,
                                          float(v.std()) if v.size else np.nan))
    return result


def hidden_sample(model: MLP, X: torch.Tensor, n_samples: int = 8, n_units: int = 24) -> torch.Tensor:
    """The first hidden layer's activations (eval mode) for a few samples and units: (n_samples, n_units)."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        h = model.hidden_activations(X[:n_samples])[0]  # (n_samples, width)
    model.train(was_training)
    return h[:, :n_units].float().cpu()
