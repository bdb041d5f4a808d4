"""Seeded initial weights without touching torch's global random state (many sessions share one process)."""

from __future__ import annotations

import math
import threading

import torch
from torch import nn
from torch.nn import init

NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)  # weights 1, biases 0: nothing random
_fallback_lock = threading.Lock()


def seeded_init_(model: nn.Module, seed: int | torch.Generator) -> nn.Module:
    """Re-draw every parameter as PyTorch's own `reset_parameters` would, from a generator (or one seeded with `seed`).

    Modules are visited children first, in registration order, which is the order their constructors draw in: so
    `seeded_init_(Model(), s)` equals `torch.manual_seed(s); Model()` (tests check it), yet no global state changes."""
    generator = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)
    _init_module(model, generator)
    return model


def _init_module(module: nn.Module, g: torch.Generator) -> None:
    for child in module.children():
        _init_module(child, g)
    with torch.no_grad():
        _init_own(module, g)


def _own_params(module: nn.Module) -> list[nn.Parameter]:
    return list(module.parameters(recurse=False))


def _init_own(module: nn.Module, g: torch.Generator) -> None:
    """The module's own parameters (not its children's), drawn like its reset_parameters."""
    if isinstance(module, nn.Linear | nn.modules.conv._ConvNd):
        _kaiming_like_linear(module.weight, module.bias, g)
    elif isinstance(module, nn.Embedding):
        init.normal_(module.weight, generator=g)
        if module.padding_idx is not None:
            module.weight[module.padding_idx].fill_(0)
    elif isinstance(module, nn.RNNBase):
        std = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0.0
        for weight in module.parameters():  # the order nn.RNNBase.reset_parameters draws in
            init.uniform_(weight, -std, std, generator=g)
    elif isinstance(module, nn.RNNCellBase):
        std = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0.0
        for weight in module.parameters():
            init.uniform_(weight, -std, std, generator=g)
    elif isinstance(module, nn.MultiheadAttention):
        if module._qkv_same_embed_dim:
            init.xavier_uniform_(module.in_proj_weight, generator=g)
        else:
            for weight in (module.q_proj_weight, module.k_proj_weight, module.v_proj_weight):
                init.xavier_uniform_(weight, generator=g)
        if module.in_proj_bias is not None:
            init.zeros_(module.in_proj_bias)
            init.zeros_(module.out_proj.bias)
        for bias in (module.bias_k, module.bias_v):
            if bias is not None:
                init.xavier_normal_(bias, generator=g)
    elif isinstance(module, NORMS):
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()  # ones and zeros (and fresh running statistics): deterministic
    elif isinstance(module, nn.PReLU):
        module.weight.fill_(module.init)
    elif _own_params(module):
        _fallback(module, g)


def _kaiming_like_linear(weight: torch.Tensor, bias: torch.Tensor | None, g: torch.Generator) -> None:
    """nn.Linear / nn.ConvNd's default: kaiming_uniform(a=√5) weights, biases uniform in ±1/√fan_in."""
    init.kaiming_uniform_(weight, a=math.sqrt(5), generator=g)
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound, generator=g)


def _fallback(module: nn.Module, g: torch.Generator) -> None:
    """A module whose init we don't know: its own reset_parameters under a seed drawn from g, serialized by a lock.

    Why a lock: fork_rng restores the global state afterwards, but two threads inside it at once would interleave."""
    reset = getattr(module, "reset_parameters", None) or getattr(module, "_reset_parameters", None)
    if reset is None:
        raise TypeError(f"{type(module).__name__} has parameters but no reset_parameters: give it a seeded init")
    seed = int(torch.randint(0, 2**62, (1,), generator=g))
    with _fallback_lock, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        reset()
