"""Learning-rate schedules built from torch.optim.lr_scheduler, and the lr curve each one draws."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.optim import lr_scheduler as sched

SCHEDULES = (
    "Constant",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "Warm-up + cosine",
)


@dataclass
class ScheduleConfig:
    """A schedule's name and its parameters; a field set to None is derived from the run's length."""

    name: str = "Constant"  # one of SCHEDULES
    # StepLR: lr ← lr·gamma every step_size steps
    step_size: int | None = None  # None → a quarter of the run
    gamma: float = 0.1  # StepLR and MultiStepLR decay factor
    # MultiStepLR: lr ← lr·gamma at each milestone; milestones outside 1 … total_steps − 1 never fire
    # and are dropped, duplicates too
    milestones: tuple[int, ...] | None = None  # None → at half and three quarters of the run
    # ExponentialLR: lr ← lr·exp_gamma every step (its own factor: 0.1 per step would kill any run)
    exp_gamma: float = 0.99  # per-step decay factor
    # CosineAnnealingLR: lr = eta_min + ½(lr₀ − eta_min)(1 + cos(π t / T_max))
    T_max: int | None = None  # half-period in steps; None → the whole run
    eta_min: float = 0.0  # the lowest lr of every cosine schedule
    # CosineAnnealingWarmRestarts: cosine from lr₀ down to eta_min, then jump back up; periods T_0, T_0·T_mult, …
    T_0: int | None = None  # first period; None → a quarter of the run
    T_mult: int = 1  # each period is T_mult times the last (an integer ≥ 1)
    # OneCycleLR: warm up from max_lr/div_factor to max_lr, then anneal to max_lr/(div_factor·final_div_factor)
    max_lr: float | None = None  # peak lr; None → the optimizer's lr
    pct_start: float = 0.3  # fraction of the cycle spent increasing the lr
    div_factor: float = 25.0  # initial lr = max_lr / div_factor
    final_div_factor: float = 1e4  # final lr = initial lr / final_div_factor
    total_steps: int | None = None  # OneCycleLR's cycle length; None → the run; must cover the run
    # Warm-up + cosine: LinearLR from start_factor·lr₀ to lr₀, then CosineAnnealingLR to eta_min
    warmup_steps: int | None = None  # None → a tenth of the run
    start_factor: float = 0.01  # the warm-up's first lr as a fraction of lr₀ (LinearLR needs it > 0)


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def clean_milestones(milestones: tuple[int, ...], total_steps: int) -> list[int]:
    """Milestones that can fire within a run of total_steps steps, sorted, without duplicates."""
    return sorted({int(m) for m in milestones if 1 <= m < total_steps})


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: ScheduleConfig, total_steps: int
) -> sched.LRScheduler | None:
    """The torch.optim.lr_scheduler for config over a run of total_steps steps (None for Constant)."""
    c, n = config, total_steps
    _check(c.name in SCHEDULES, f"unknown schedule {c.name!r}; choose one of {', '.join(SCHEDULES)}")
    _check(n >= 1, f"the run needs at least 1 step, got {n}")
    lr = optimizer.param_groups[0]["lr"]
    if c.name == "Constant":
        return None
    if c.name == "StepLR":
        step_size = _or(c.step_size, max(1, n // 4))
        _check(step_size >= 1, f"StepLR's step_size must be ≥ 1, got {step_size}")
        _check(c.gamma > 0, f"gamma must be > 0, got {c.gamma}")
        return sched.StepLR(optimizer, step_size=step_size, gamma=c.gamma)
    if c.name == "MultiStepLR":
        _check(c.gamma > 0, f"gamma must be > 0, got {c.gamma}")
        milestones = (n // 2, 3 * n // 4) if c.milestones is None else c.milestones
        return sched.MultiStepLR(optimizer, milestones=clean_milestones(milestones, n), gamma=c.gamma)
    if c.name == "ExponentialLR":
        _check(c.exp_gamma > 0, f"exp_gamma must be > 0, got {c.exp_gamma}")
        return sched.ExponentialLR(optimizer, gamma=c.exp_gamma)
    eta_ok = 0 <= c.eta_min <= lr  # a cosine that climbs from lr up to eta_min is no annealing
    eta_message = f"eta_min ({c.eta_min:g}) must lie between 0 and the learning rate ({lr:g})"
    if c.name == "CosineAnnealingLR":
        _check(eta_ok, eta_message)
        T_max = _or(c.T_max, n)
        _check(T_max >= 1, f"T_max must be ≥ 1, got {T_max}")
        return sched.CosineAnnealingLR(optimizer, T_max=T_max, eta_min=c.eta_min)
    if c.name == "CosineAnnealingWarmRestarts":
        _check(eta_ok, eta_message)
        T_0 = _or(c.T_0, max(1, n // 4))
        _check(T_0 >= 1, f"T_0 must be ≥ 1, got {T_0}")
        _check(c.T_mult >= 1 and int(c.T_mult) == c.T_mult, f"T_mult must be an integer ≥ 1, got {c.T_mult}")
        return sched.CosineAnnealingWarmRestarts(optimizer, T_0=T_0, T_mult=int(c.T_mult), eta_min=c.eta_min)
    if c.name == "OneCycleLR":
        max_lr, cycle = lr if c.max_lr is None else c.max_lr, _or(c.total_steps, n)
        _check(max_lr > 0, f"max_lr must be > 0, got {max_lr}")
        _check(0 < c.pct_start < 1, f"pct_start must lie strictly between 0 and 1, got {c.pct_start}")
        _check(c.div_factor > 0 and c.final_div_factor > 0, "div_factor and final_div_factor must be > 0")
        _check(cycle >= n, f"OneCycleLR's cycle ({cycle} steps) must cover the whole run ({n} steps)")
        # OneCycleLR's phases end at steps pct_start·cycle − 1 and cycle − 1: each must last ≥ 1 step
        shortest = math.ceil(2 / min(c.pct_start, 1 - c.pct_start))
        _check(cycle >= shortest, f"OneCycleLR with pct_start={c.pct_start:g} needs ≥ {shortest} steps, got {cycle}")
        return sched.OneCycleLR(
            optimizer,
            max_lr=max_lr,
            total_steps=cycle,
            pct_start=c.pct_start,
            div_factor=c.div_factor,
            final_div_factor=c.final_div_factor,
            # it also cycles momentum/β₁ by default: only where the optimizer has one (Adagrad has none and torch would
            # raise; plain SGD has momentum 0, which cycling would silently turn into momentum SGD)
            cycle_momentum=optimizer.defaults.get("momentum", 0) > 0 or "betas" in optimizer.defaults,
        )
    # Warm-up + cosine
    _check(eta_ok, eta_message)
    warmup = _or(c.warmup_steps, n // 10)
    _check(warmup >= 0, f"warm-up steps must be ≥ 0, got {warmup}")
    _check(warmup < n, f"the warm-up ({warmup} steps) must be shorter than the run ({n} steps)")
    _check(0 < c.start_factor <= 1, f"start_factor must lie in (0, 1], got {c.start_factor}")
    if warmup == 0:
        return sched.CosineAnnealingLR(optimizer, T_max=n, eta_min=c.eta_min)
    warm = sched.LinearLR(optimizer, start_factor=c.start_factor, end_factor=1.0, total_iters=warmup)
    cosine = sched.CosineAnnealingLR(optimizer, T_max=n - warmup, eta_min=c.eta_min)
    return sched.SequentialLR(optimizer, schedulers=[warm, cosine], milestones=[warmup])


def lr_curve(config: ScheduleConfig, base_lr: float, total_steps: int) -> np.ndarray:
    """The lr used at each of total_steps steps, read from the real scheduler stepped on a dummy optimizer."""
    _check(base_lr > 0, f"the learning rate must be > 0, got {base_lr}")
    dummy = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([dummy], lr=base_lr)
    scheduler = make_scheduler(optimizer, config, total_steps)
    lrs = np.empty(total_steps)
    for k in range(total_steps):
        lrs[k] = optimizer.param_groups[0]["lr"]
        optimizer.step()  # no gradient, so nothing moves; it keeps the scheduler from warning about order
        if scheduler is not None:
            scheduler.step()
    return lrs
