"""Learning-rate schedules: each curve against the same torch scheduler stepped by hand; bad settings."""

import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as S
from torch.testing import assert_close

from dlplay.optim.schedules import SCHEDULES, ScheduleConfig, clean_milestones, lr_curve, make_scheduler

N, LR = 120, 0.1


def by_hand(build, steps=N, lr=LR):
    """The lr at each step of a scheduler built by build(optimizer), stepped in the usual training-loop order."""
    p = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=lr)
    scheduler = build(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(scheduler.get_last_lr()[0] if scheduler else optimizer.param_groups[0]["lr"])
        optimizer.step()
        if scheduler:
            scheduler.step()
    return np.array(lrs)


def warmup_cosine(o):
    warm = S.LinearLR(o, start_factor=0.05, total_iters=15)
    return S.SequentialLR(o, [warm, S.CosineAnnealingLR(o, T_max=N - 15, eta_min=1e-3)], milestones=[15])


CASES = {  # a config with non-default settings, and the scheduler a person would write for it
    "Constant": (ScheduleConfig("Constant"), lambda o: None),
    "StepLR": (ScheduleConfig("StepLR", step_size=25, gamma=0.5), lambda o: S.StepLR(o, 25, gamma=0.5)),
    "MultiStepLR": (
        ScheduleConfig("MultiStepLR", milestones=(80, 30, 80, 0, 500), gamma=0.3),
        lambda o: S.MultiStepLR(o, [30, 80], gamma=0.3),
    ),
    "ExponentialLR": (ScheduleConfig("ExponentialLR", exp_gamma=0.97), lambda o: S.ExponentialLR(o, 0.97)),
    "CosineAnnealingLR": (  # T_max shorter than the run: the cosine climbs again
        ScheduleConfig("CosineAnnealingLR", T_max=50, eta_min=1e-3),
        lambda o: S.CosineAnnealingLR(o, T_max=50, eta_min=1e-3),
    ),
    "CosineAnnealingWarmRestarts": (
        ScheduleConfig("CosineAnnealingWarmRestarts", T_0=20, T_mult=2, eta_min=1e-3),
        lambda o: S.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2, eta_min=1e-3),
    ),
    "OneCycleLR": (
        ScheduleConfig("OneCycleLR", max_lr=0.3, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
        lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=N, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
    ),
    "Warm-up + cosine": (
        ScheduleConfig("Warm-up + cosine", warmup_steps=15, start_factor=0.05, eta_min=1e-3),
        warmup_cosine,
    ),
}
DEFAULT_CASES = {  # fields left at None take their value from the run's length
    "StepLR": lambda o: S.StepLR(o, N // 4, gamma=0.1),
    "MultiStepLR": lambda o: S.MultiStepLR(o, [N // 2, 3 * N // 4], gamma=0.1),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, T_max=N),
    "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, T_0=N // 4),
    "OneCycleLR": lambda o: S.OneCycleLR(o, max_lr=LR, total_steps=N),
    "Warm-up + cosine": lambda o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.01, total_iters=N // 10), S.CosineAnnealingLR(o, T_max=N - N // 10)],
        milestones=[N // 10],
    ),
}


def test_every_schedule_has_a_case():
    assert set(CASES) == set(SCHEDULES)


@pytest.mark.parametrize("name", SCHEDULES)
def test_curve_equals_the_scheduler_stepped_by_hand(name):
    config, build = CASES[name]
    curve = lr_curve(config, LR, N)
    assert curve.shape == (N,)
    assert_close(curve, by_hand(build))


@pytest.mark.parametrize("name", list(DEFAULT_CASES))
def test_default_settings_follow_the_run_length(name):
    assert_close(lr_curve(ScheduleConfig(name), LR, N), by_hand(DEFAULT_CASES[name]))


def test_make_scheduler_returns_torch_schedulers():
    p = torch.zeros(1, requires_grad=True)
    assert make_scheduler(torch.optim.SGD([p], lr=LR), ScheduleConfig("Constant"), N) is None
    sched = make_scheduler(torch.optim.SGD([p], lr=LR), ScheduleConfig("Warm-up + cosine"), N)
    assert isinstance(sched, S.SequentialLR)
    assert [type(s) for s in sched._schedulers] == [S.LinearLR, S.CosineAnnealingLR]
    for name in SCHEDULES[1:]:
        assert isinstance(make_scheduler(torch.optim.SGD([p], lr=LR), ScheduleConfig(name), N), S.LRScheduler)
    # no warm-up at all is a plain cosine
    sched = make_scheduler(torch.optim.SGD([p], lr=LR), ScheduleConfig("Warm-up + cosine", warmup_steps=0), N)
    assert isinstance(sched, S.CosineAnnealingLR)


def test_out_of_range_milestones_are_dropped():
    assert clean_milestones((90, 0, -3, 10, 10, 100, 250), 100) == [10, 90]
    flat = lr_curve(ScheduleConfig("MultiStepLR", milestones=(0, 500)), LR, 50)
    assert_close(flat, np.full(50, LR))


@pytest.mark.parametrize(
    "config, steps, message",
    [
        (ScheduleConfig("Warm-up + cosine", warmup_steps=50), 50, "warm-up"),
        (ScheduleConfig("Warm-up + cosine", warmup_steps=-1), 50, "warm-up"),
        (ScheduleConfig("Warm-up + cosine", start_factor=0.0), 50, "start_factor"),
        (ScheduleConfig("OneCycleLR", total_steps=40), 50, "cover the whole run"),
        (ScheduleConfig("OneCycleLR", pct_start=1.0), 50, "pct_start"),
        (ScheduleConfig("OneCycleLR"), 4, "needs ≥"),
        (ScheduleConfig("OneCycleLR", max_lr=-1.0), 50, "max_lr"),
        (ScheduleConfig("CosineAnnealingLR", eta_min=0.5), 50, "eta_min"),
        (ScheduleConfig("CosineAnnealingLR", T_max=0), 50, "T_max"),
        (ScheduleConfig("CosineAnnealingWarmRestarts", T_mult=0), 50, "T_mult"),
        (ScheduleConfig("CosineAnnealingWarmRestarts", T_0=0), 50, "T_0"),
        (ScheduleConfig("StepLR", step_size=0), 50, "step_size"),
        (ScheduleConfig("StepLR", gamma=0.0), 50, "gamma"),
        (ScheduleConfig("ExponentialLR", exp_gamma=-0.5), 50, "exp_gamma"),
        (ScheduleConfig("Cyclic"), 50, "unknown schedule"),
        (ScheduleConfig("Constant"), 0, "at least 1 step"),
    ],
)
def test_nonsense_settings_raise_a_clear_value_error(config, steps, message):
    with pytest.raises(ValueError, match=message):
        lr_curve(config, LR, steps)


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("steps", [1, 2, 3, 9, 10, 37])
def test_short_runs_give_a_curve_or_a_value_error_never_a_warning(name, steps):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            curve = lr_curve(ScheduleConfig(name), LR, steps)
        except ValueError as e:
            assert str(e)
            return
    assert curve.shape == (steps,) and np.isfinite(curve).all() and (curve >= 0).all()


def test_base_lr_must_be_positive():
    with pytest.raises(ValueError, match="learning rate"):
        lr_curve(ScheduleConfig("StepLR"), 0.0, 10)
