"""The chapter 8 race: identical starts, the chosen torch.optim classes and schedulers, a diverging racer stopping alone."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from spec_check import check
from torch.optim import lr_scheduler
from torch.testing import assert_close

from dlplay.lessons.optimization.race_lab import (
    DEFAULT_CONFIGS,
    RaceConfig,
    RaceSetup,
    apply_live_lrs,
    build_model,
    build_race,
    config_name,
    diverged,
    make_data,
    optimizer_code,
    problems,
    race_code,
    race_figures,
    results,
    schedule_code,
    signature,
    steps_per_epoch,
    total_steps,
)
from dlplay.optim.factory import OPTIMIZERS, OptimizerConfig, make_optimizer
from dlplay.optim.schedules import SCHEDULES, ScheduleConfig, lr_curve

SMALL = RaceSetup(n_train=160, n_val=80, hidden_size=16, batch_size=16, epochs=4, eval_every=5, eval_samples=80)


@pytest.fixture(scope="module")
def data():
    return make_data(SMALL, seed=3)


def test_every_racer_starts_from_the_same_weights_on_the_same_data(data):
    group = build_race(list(DEFAULT_CONFIGS), data, seed=3, setup=SMALL)
    reference = build_model(SMALL, seed=3).state_dict()  # the seeded model every racer copies
    runs = list(group.runs.values())
    assert len(runs) == 4
    for run in runs:
        for name, tensor in run.model.state_dict().items():
            assert_close(tensor, reference[name])
        assert_close(run.X_train, runs[0].X_train)
        assert_close(run.y_train, runs[0].y_train)
    assert len({id(p) for run in runs for p in run.model.parameters()}) == 4 * len(list(runs[0].model.parameters()))
    # the same first batch through the same weights: every racer's first loss is identical
    group.step(1)
    first = [run.history.step_loss[0] for run in runs]
    assert first == [first[0]] * 4


def test_racers_get_their_torch_optim_class_weight_decay_and_schedule(data):
    configs = [RaceConfig("SGD", 0.1), RaceConfig("Nesterov", 0.05), RaceConfig("RMSProp", 1e-3, "StepLR"),
               RaceConfig("AdamW", 1e-3, "CosineAnnealingLR", 1e-2)]
    group = build_race(configs, data, seed=0, setup=SMALL)
    assert list(group.runs) == ["A: SGD", "B: Nesterov", "C: RMSProp + StepLR", "D: AdamW + CosineAnnealingLR"]
    sgd, nesterov, rmsprop, adamw = group.runs.values()
    assert type(sgd.optimizer) is torch.optim.SGD and sgd.optimizer.defaults["momentum"] == 0
    assert nesterov.optimizer.defaults["nesterov"] and nesterov.optimizer.defaults["momentum"] == 0.9
    assert type(rmsprop.optimizer) is torch.optim.RMSprop and isinstance(rmsprop.scheduler, lr_scheduler.StepLR)
    assert type(adamw.optimizer) is torch.optim.AdamW and adamw.optimizer.defaults["weight_decay"] == 1e-2
    assert isinstance(adamw.scheduler, lr_scheduler.CosineAnnealingLR) and adamw.scheduler.T_max == total_steps(SMALL)
    assert sgd.scheduler is None
    assert all(run.config.max_steps == SMALL.epochs * steps_per_epoch(SMALL) for run in group.runs.values())


def test_a_scheduled_racer_follows_the_real_scheduler_over_the_whole_run(data):
    group = build_race([RaceConfig("Adam", 1e-2, "OneCycleLR"), RaceConfig("SGD", 0.1, "Warm-up + cosine")], data, setup=SMALL)
    while not group.stopped:
        group.step(9)
    n = total_steps(SMALL)
    for run, (name, lr) in zip(group.runs.values(), (("OneCycleLR", 1e-2), ("Warm-up + cosine", 0.1))):
        assert run.status == "finished" and run.steps == n
        expected = lr_curve(ScheduleConfig(name=name), lr, n)  # the real scheduler, stepped on a dummy optimizer
        assert_close(torch.tensor(run.history.step_lr, dtype=torch.float64), torch.from_numpy(expected))
    rates = {t.name: t for t in check(race_figures(group)[2]).data}
    for name, run in group.runs.items():  # the live chart draws the exact lr at the steps it shows, the last included
        x, y = np.asarray(rates[name].x), np.asarray(rates[name].y)
        assert x[0] == 1 and x[-1] == run.steps and len(x) <= 310
        np.testing.assert_array_equal(y, np.asarray(run.history.step_lr)[x - 1])


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_one_cycle_works_with_every_optimizer(data, optimizer):
    """OneCycleLR cycles momentum only where the optimizer has some (Adagrad has none): every racer builds, same lr cycle."""
    group = build_race([RaceConfig(optimizer, 1e-2, "OneCycleLR"), RaceConfig()], data, setup=SMALL)
    run = next(iter(group.runs.values()))
    run.step(12)
    expected = lr_curve(ScheduleConfig(name="OneCycleLR"), 1e-2, total_steps(SMALL))[:12]
    assert_close(torch.tensor(run.history.step_lr, dtype=torch.float64), torch.from_numpy(expected))
    code = race_code([RaceConfig(optimizer, 1e-2, "OneCycleLR"), RaceConfig()], SMALL, 0)
    assert ("cycle_momentum=False" in code) == (not run.scheduler.cycle_momentum)  # the code shows what the race runs
    assert run.scheduler.cycle_momentum == (optimizer in ("Momentum", "Nesterov", "Adam", "AdamW"))


def test_racers_are_evaluated_at_the_same_steps_whatever_the_chunk(data):
    group = build_race([RaceConfig("SGD", 0.1), RaceConfig("Adam", 1e-3)], data, setup=SMALL)
    for chunk in (1, 7, 11, 1, 13):  # step_for's chunks start at 1 and grow: the first evaluation is the untrained model
        group.step(chunk)
    for run in group.runs.values():
        assert run.steps == 33
        assert run.history.eval_step == [1, 5, 10, 15, 20, 25, 30]  # after step 1, then every eval_every = 5


def test_a_diverging_racer_stops_alone_and_is_marked(data):
    # SGD with lr·weight_decay = 10 > 2: each step multiplies the weights by (1 − 10) before the gradient — it explodes
    configs = [RaceConfig("SGD", 10.0, "Constant", 1.0), RaceConfig("Adam", 1e-3), RaceConfig("Momentum", 0.05)]
    group = build_race(configs, data, seed=1, setup=SMALL)
    while not group.stopped:
        group.step(8)
    bad, adam, momentum = group.runs.values()
    assert bad.status == "diverged" and "diverged" in bad.message
    assert bad.steps < 30 and all(math.isfinite(p.abs().max().item()) for p in bad.model.parameters())  # last finite weights
    assert adam.status == momentum.status == "finished"
    assert adam.steps == momentum.steps == total_steps(SMALL)  # the others trained to the end
    marks = diverged(group)
    assert list(marks) == ["A: SGD"] and marks["A: SGD"][0] == bad.steps
    rows = {row["configuration"]: row for row in results(group)}
    assert rows["A: SGD"]["status"].startswith("💥 diverged") and rows["B: Adam"]["status"] == "finished"
    loss, accuracy, _ = map(check, race_figures(group))
    crosses = [t for t in loss.data if t.name.endswith("diverged")]
    assert len(crosses) == 1 and crosses[0].x == (bad.steps,)
    top = 10 ** loss.layout.yaxis.range[1]  # log axis: the exploding curve is clipped so the others stay readable
    assert loss.layout.yaxis.type == "log" and top == pytest.approx(1.5 * bad.history.step_loss[0])
    assert crosses[0].y[0] == pytest.approx(top)  # the ✕ sits at the top edge, its value in the hover
    assert any(t.name.endswith("diverged") for t in accuracy.data)


def test_constant_learning_rates_apply_live_and_everything_else_restarts(data):
    configs = [RaceConfig("SGD", 0.1), RaceConfig("Adam", 1e-3, "StepLR")]
    base = signature(configs, SMALL, 0, "cpu")
    assert signature([RaceConfig("SGD", 0.3), configs[1]], SMALL, 0, "cpu") == base
    assert signature([configs[0], RaceConfig("Adam", 3e-3, "StepLR")], SMALL, 0, "cpu") != base
    assert signature([RaceConfig("Momentum", 0.1), configs[1]], SMALL, 0, "cpu") != base
    assert signature(configs, SMALL, 1, "cpu") != base
    group = build_race(configs, data, setup=SMALL)
    apply_live_lrs(group, [RaceConfig("SGD", 0.3), RaceConfig("Adam", 5.0, "StepLR")])
    sgd, adam = group.runs.values()
    assert sgd.lr == 0.3 and adam.lr == 1e-3  # a scheduler owns its rate


def test_problems_are_plain_sentences():
    assert problems(list(DEFAULT_CONFIGS), SMALL) == []
    assert "2 to 4" in problems([RaceConfig()], SMALL)[0]
    found = problems([RaceConfig(schedule="Sometimes"), RaceConfig(optimizer="Lion")], SMALL)
    assert "A: Adam + Sometimes" in found[0] and "unknown schedule" in found[0]
    assert "unknown optimizer" in found[1]
    with pytest.raises(ValueError, match="unknown optimizer"):
        build_race([RaceConfig(optimizer="Lion"), RaceConfig()], make_data(RaceSetup(n_train=20, n_val=10)), setup=SMALL)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_code_builds_the_optimizer_make_optimizer_builds(name):
    config = OptimizerConfig(name=name, lr=0.03, momentum=0.8, beta1=0.85, beta2=0.99, weight_decay=1e-3)
    p = torch.zeros(2, requires_grad=True)
    built = eval(optimizer_code(config, "[p]"), {"torch": torch, "p": p})
    reference = make_optimizer([p], config)
    assert type(built) is type(reference)
    assert built.defaults == reference.defaults


@pytest.mark.parametrize("config", [
    *[ScheduleConfig(name=name) for name in SCHEDULES],
    ScheduleConfig(name="StepLR", step_size=7, gamma=0.5),
    ScheduleConfig(name="MultiStepLR", milestones=(40, 5, 5, 99), gamma=0.3),
    ScheduleConfig(name="CosineAnnealingWarmRestarts", T_0=9, T_mult=2, eta_min=1e-3),
    ScheduleConfig(name="OneCycleLR", max_lr=0.5, pct_start=0.4, div_factor=5, final_div_factor=100),
    ScheduleConfig(name="Warm-up + cosine", warmup_steps=0),
    ScheduleConfig(name="Warm-up + cosine", warmup_steps=20, start_factor=0.1, eta_min=1e-3),
], ids=lambda c: c.name)
def test_schedule_code_builds_the_scheduler_make_scheduler_builds(config):
    n, lr = 60, 0.1
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = eval(schedule_code(config, n, lr), {"lr_scheduler": lr_scheduler, "optimizer": optimizer})
    lrs = []
    for _ in range(n):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    assert_close(torch.tensor(lrs, dtype=torch.float64), torch.from_numpy(lr_curve(config, lr, n)))


def test_race_code_is_python_naming_every_racer():
    code = race_code(list(DEFAULT_CONFIGS), RaceSetup(), seed=5)
    compile(code, "race.py", "exec")
    for i, config in enumerate(DEFAULT_CONFIGS):
        assert config_name(i, config) in code
    assert "CosineAnnealingLR(opt, T_max=1860" in code and "torch.manual_seed(5)" in code

