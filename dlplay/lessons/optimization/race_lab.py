"""The optimizer race of chapter 8: two to four optimizer/schedule configurations training one MLP from the same weights."""

from __future__ import annotations

import copy
import math
from dataclasses import astuple, dataclass

import numpy as np
import torch

from dlplay.data.digits import make_digits
from dlplay.models.init import seeded_init_
from dlplay.models.mlp import MLP
from dlplay.optim.factory import OPTIMIZERS, OptimizerConfig, make_optimizer
from dlplay.optim.schedules import SCHEDULES, ScheduleConfig, clean_milestones, make_scheduler
from dlplay.training.history import History
from dlplay.training.race import RunGroup
from dlplay.training.run import RunConfig, TrainingRun
from dlplay.viz.spec import Spec, label, merge
from dlplay.viz.training import COLORS, accuracy_figure, line, loss_figure, lr_figure

MIN_CONFIGS, MAX_CONFIGS = 2, 4  # a race needs two; four still train live on two CPU cores
LETTERS = "ABCD"
LR_POINTS = 300  # points per learning-rate curve: smooth enough to read, cheap enough to redraw several times a second


@dataclass(frozen=True)
class RaceConfig:
    """One racer: optimizer, learning rate, schedule and weight decay."""

    optimizer: str = "Adam"  # one of OPTIMIZERS (the real torch.optim class behind it)
    lr: float = 1e-3  # base learning rate; a schedule starts from it (OneCycleLR peaks at it)
    schedule: str = "Constant"  # one of SCHEDULES, its parameters derived from the run's length
    weight_decay: float = 0.0  # the optimizer's weight_decay (decoupled from the gradient for AdamW)


# Distinct defaults that finish differently: plain SGD, SGD with momentum, Adam, AdamW annealed by a cosine.
DEFAULT_CONFIGS = (
    RaceConfig("SGD", 0.1),  # A: the textbook baseline
    RaceConfig("Momentum", 0.05),  # B: momentum 0.9 ≈ a 10× larger effective step, so half the lr
    RaceConfig("Adam", 1e-3),  # C: the default choice of the curriculum's table
    RaceConfig("AdamW", 1e-3, "CosineAnnealingLR", 1e-2),  # D: what transformers use, lr annealed to 0
)


@dataclass(frozen=True)
class RaceSetup:
    """What every racer shares: data, model and training length."""

    n_train: int = 2000  # synthetic digits to train on: a few seconds per epoch for four runs on two cores
    n_val: int = 500  # held-out digits for the validation curves
    noise: float = 0.1  # pixel noise of the synthetic digits
    hidden_size: int = 64  # MLP(784, hidden_size, 10): small, so four runs race live on a CPU
    batch_size: int = 32  # samples per optimizer step
    epochs: int = 30  # each run finishes after this many passes: a race of about five seconds on two CPU cores
    eval_every: int = 25  # steps between evaluations: the points of the train/validation curves
    eval_samples: int = 500  # samples per split evaluated (keeps evaluation a small share of the work)


def steps_per_epoch(setup: RaceSetup) -> int:
    """Optimizer steps in one pass over the training set (the last partial batch is dropped)."""
    return max(1, setup.n_train // max(1, min(setup.batch_size, setup.n_train)))


def total_steps(setup: RaceSetup) -> int:
    """Steps of the whole run, epochs × steps per epoch: the length every schedule is stretched over."""
    return setup.epochs * steps_per_epoch(setup)


def make_data(setup: RaceSetup, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(X_train, y_train, X_val, y_val) of synthetic 28×28 digits."""
    X, y = make_digits(setup.n_train + setup.n_val, seed=seed, noise=setup.noise)  # (N, 1, 28, 28), (N,)
    return X[: setup.n_train], y[: setup.n_train], X[setup.n_train :], y[setup.n_train :]


def config_name(index: int, config: RaceConfig) -> str:
    """'A: SGD' or 'D: AdamW + CosineAnnealingLR' — a letter, the optimizer and any schedule."""
    schedule = "" if config.schedule == "Constant" else f" + {config.schedule}"
    return f"{LETTERS[index]}: {config.optimizer}{schedule}"


def build_model(setup: RaceSetup, seed: int = 0) -> MLP:
    """The shared MLP(784, hidden_size, 10) with one hidden layer, its weights drawn from the seed."""
    return seeded_init_(MLP(784, setup.hidden_size, 10, hidden_sizes=[setup.hidden_size]), seed)


def _schedule(config: RaceConfig, steps: int):
    if config.schedule == "Constant":
        return None
    return lambda optimizer: make_scheduler(optimizer, ScheduleConfig(name=config.schedule), steps)


def build_run(config: RaceConfig, model: MLP, data: tuple, setup: RaceSetup, seed: int, device) -> TrainingRun:
    """One racer: its own deep copy of the shared model, the shared data and batch order, its optimizer and schedule."""
    steps = total_steps(setup)
    run_config = RunConfig(batch_size=setup.batch_size, eval_every=setup.eval_every, eval_samples=setup.eval_samples,
                           max_steps=steps, seed=seed)
    optimizer = OptimizerConfig(name=config.optimizer, lr=config.lr, weight_decay=config.weight_decay)
    return TrainingRun(copy.deepcopy(model), *data, optimizer=optimizer, scheduler=_schedule(config, steps),
                       config=run_config, device=device)


def problems(configs: list[RaceConfig], setup: RaceSetup) -> list[str]:
    """A plain sentence for every configuration the race cannot build (an unknown name, a schedule that makes no sense)."""
    messages = []
    if not MIN_CONFIGS <= len(configs) <= MAX_CONFIGS:
        messages.append(f"A race compares {MIN_CONFIGS} to {MAX_CONFIGS} configurations, got {len(configs)}.")
    for i, c in enumerate(configs):
        try:  # the racer's own optimizer class on a dummy parameter: torch checks lr and weight decay, make_scheduler the rest
            config = OptimizerConfig(name=c.optimizer, lr=c.lr, weight_decay=c.weight_decay)
            dummy = make_optimizer([torch.zeros(1, requires_grad=True)], config)
            make_scheduler(dummy, ScheduleConfig(name=c.schedule), total_steps(setup))
        except ValueError as error:
            messages.append(f"**{config_name(i, c)}**: {error}")
    return messages


def build_race(
    configs: list[RaceConfig], data: tuple, seed: int = 0, device: torch.device | str = "cpu", setup: RaceSetup = RaceSetup()
) -> RunGroup:
    """Every configuration on the same data and batches from identical initial weights (one model, deep-copied)."""
    found = problems(configs, setup)
    if found:
        raise ValueError(" ".join(found))
    model = build_model(setup, seed)
    # each run evaluates every eval_every steps whatever the chunk, so the racers' curves share their x values
    return RunGroup({config_name(i, c): build_run(c, model, data, setup, seed, device) for i, c in enumerate(configs)})


def signature(configs: list[RaceConfig], setup: RaceSetup, seed: int, device: object) -> tuple:
    """Everything that restarts the race; the lr of a constant-rate run applies live and is left out."""
    racers = tuple((c.optimizer, c.schedule, c.weight_decay, None if c.schedule == "Constant" else c.lr) for c in configs)
    return racers, astuple(setup), seed, str(device)


def apply_live_lrs(group: RunGroup, configs: list[RaceConfig]) -> None:
    """Give every constant-rate run its configuration's current lr (a scheduled run's rate belongs to its scheduler)."""
    for run, config in zip(group.runs.values(), configs):
        run.set_lr(config.lr)


def diverged(group: RunGroup) -> dict[str, tuple[int, float]]:
    """{name: (step, last finite training loss)} of every run that diverged."""
    marks = {}
    for name, run in group.runs.items():
        if run.status == "diverged":
            h = run.history
            finite = [v for v in h.train_loss + h.step_loss[-1:] if math.isfinite(v)]
            marks[name] = (run.steps, finite[-1] if finite else math.nan)
    return marks


def results(group: RunGroup) -> list[dict[str, object]]:
    """One row per racer: status, final and best validation loss and accuracy, and the lr it trains with now."""
    rows = []
    for name, run in group.runs.items():
        h = run.history
        best_loss, best_acc = h.best("val_loss"), h.best("val_acc")
        status = {"ready": "training" if run.steps else "ready", "finished": "finished"}.get(run.status, run.status)
        if run.status == "diverged":
            status = f"💥 diverged at step {run.steps + 1}"
        rows.append({
            "configuration": name,
            "status": status,
            "final val loss": h.val_loss[-1] if h.eval_step else math.nan,
            "final val acc": h.val_acc[-1] if h.eval_step else math.nan,
            "best val loss": best_loss[1] if best_loss else math.nan,
            "best val acc": best_acc[1] if best_acc else math.nan,
            "best acc at step": best_acc[0] if best_acc else None,
            "lr now": run.lr,
        })
    return rows


def _curves(group: RunGroup) -> dict[str, History]:
    """The runs' histories without the per-step batch loss, which would bury four races in noise."""
    histories = {}
    for name, run in group.runs.items():
        h = copy.copy(run.history)
        h.step_loss = []
        histories[name] = h
    return histories


def _loss_cap(group: RunGroup) -> float | None:
    """A y-axis top for the loss chart when a diverging run would squash every other curve flat, else None."""
    # every run's first batch loss is the same untrained model on the same batch (ln 10 ≈ 2.3 for ten classes)
    first = [run.history.step_loss[0] for run in group.runs.values() if run.history.step_loss]
    values = [v for run in group.runs.values() for v in run.history.train_loss + run.history.val_loss]
    finite = [v for v in first if math.isfinite(v)]
    if not finite or not values:
        return None
    cap = 1.5 * max(finite)
    return cap if max(values) > cap or not all(math.isfinite(v) for v in values) else None


def _mark_diverged(spec: Spec, marks: dict[str, tuple[int, float]], names: list[str], cap: float | None) -> None:
    """A ✕ where each diverged run stopped, in the run's colour, held inside the plot when its value is off the scale."""
    for name, (step, value) in marks.items():
        if not math.isfinite(value):
            continue
        color = COLORS[names.index(name) % len(COLORS)]
        spec["data"].append(dict(
            type="scatter", x=[step], y=[min(value, cap) if cap else value], mode="markers+text",
            name=f"{name} 💥 diverged", text=[f"💥 {name.split(':')[0]} diverged"], textposition="middle left",
            textfont=dict(color=color, size=15), cliponaxis=False, customdata=[value],
            marker=dict(symbol="x", size=18, color=color, line=dict(color="black", width=1.5)),
            hovertemplate=f"{name} diverged after step {step}<br>last value %{{customdata:.3g}}<extra></extra>",
        ))


def _one_legend_entry_per_run(spec: Spec, names: list[str]) -> None:
    """Legend by run only (the title says solid = train, dashed = validation); a click hides both of a run's curves."""
    for trace in spec["data"]:
        name = trace.get("name")
        run = next((n for n in names if name and name.startswith(n)), None)
        if run is None:
            continue
        trace["legendgroup"] = run
        if name == f"{run} · train":
            trace["name"] = run
        elif not name.endswith("diverged"):
            trace["showlegend"] = False


def _stride(n: int, max_points: int) -> np.ndarray:
    """At most about max_points indices of 0 … n − 1 at an even stride, the last one included."""
    # an lr curve is smooth or piecewise constant: exact values every few steps draw it as well as bucket means,
    # at a fraction of the cost of History's downsample (this runs several times a second)
    index = np.arange(0, n, max(1, math.ceil(n / max_points)))
    return index if index[-1] == n - 1 else np.append(index, n - 1)


def race_figures(group: RunGroup) -> tuple[Spec, Spec, Spec]:
    """(loss, accuracy, learning rate) figure specs of every racer, with a ✕ where a run diverged."""
    histories = _curves(group)
    names = list(histories)
    marks = diverged(group)
    shared = dict(height=440, margin=dict(l=60, r=20, t=50, b=40),
                  legend=dict(orientation="h", y=-0.25, yanchor="top", x=0, xanchor="left", font=dict(size=14)))
    # a log axis: late in the race the losses differ by factors, not by amounts
    loss = loss_figure(histories, title="Loss (log scale) · train solid, validation dashed", log_y=True)
    merge(loss, yaxis=dict(dtick=1, tickformat="~g"))  # a label per decade only: 0.01, 0.1, 1
    cap = _loss_cap(group)
    if cap is not None:  # a diverging run's loss explodes: keep the others readable, say so in the title
        low = min((v for h in histories.values() for v in h.train_loss + h.val_loss if 0 < v < cap), default=cap / 10)
        merge(loss, title=label(f"Loss (log scale, clipped at {cap:.2g}) · train solid, validation dashed"),
              yaxis=dict(range=[math.log10(low) - 0.1, math.log10(cap)]))
    _mark_diverged(loss, marks, names, cap)
    accuracy = accuracy_figure(histories, title="Accuracy · train solid, validation dashed")
    last_acc = {n: (h.train_acc[-1] if h.train_acc else math.nan) for n, h in histories.items()}
    _mark_diverged(accuracy, {n: (step, last_acc[n]) for n, (step, _) in marks.items()}, names, None)
    for spec in (loss, accuracy):
        _one_legend_entry_per_run(spec, names)
        merge(spec, **shared)
    rates = lr_figure({}, title="Learning rate per step")  # the shared layout; the curves are added thinned below
    for i, (name, h) in enumerate(histories.items()):
        if h.step_lr:
            index = _stride(len(h.step_lr), LR_POINTS)
            rates["data"].append(line(index + 1, np.asarray(h.step_lr)[index], name, COLORS[i % len(COLORS)]))
    merge(rates, **shared)
    lrs = [v for h in histories.values() for v in h.step_lr if v > 0]
    if lrs and max(lrs) / min(lrs) > 10:  # Adam's 1e-3 beside SGD's 0.1: only a log axis shows both
        # down to two decades below the lowest starting lr: a cosine's last steps towards 0 would squash the rest
        low = min(h.step_lr[0] for h in histories.values() if h.step_lr and h.step_lr[0] > 0) / 100
        merge(rates, title=label("Learning rate per step (log scale)"),
              yaxis=dict(type="log", dtick=1, tickformat="~g", range=[math.log10(low), math.log10(max(lrs)) + 0.3]))
    else:
        merge(rates, yaxis=dict(rangemode="tozero"))
    return loss, accuracy, rates


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def optimizer_code(config: OptimizerConfig, params: str = "params") -> str:
    """The torch.optim constructor make_optimizer builds for config, as source text."""
    c, wd = config, f", weight_decay={config.weight_decay:g}" if config.weight_decay else ""
    adam = f"lr={c.lr:g}" + (f", betas=({c.beta1:g}, {c.beta2:g})" if (c.beta1, c.beta2) != (0.9, 0.999) else "")
    calls = {
        "SGD": f"SGD({params}, lr={c.lr:g}{wd})",
        "Momentum": f"SGD({params}, lr={c.lr:g}, momentum={c.momentum:g}{wd})",
        "Nesterov": f"SGD({params}, lr={c.lr:g}, momentum={c.momentum:g}, nesterov=True{wd})",
        "RMSProp": f"RMSprop({params}, lr={c.lr:g}, alpha={c.momentum:g}{wd})",
        "Adagrad": f"Adagrad({params}, lr={c.lr:g}{wd})",
        "Adam": f"Adam({params}, {adam}{wd})",
        "AdamW": f"AdamW({params}, {adam}{wd})",
    }
    if c.name not in calls:
        raise ValueError(f"unknown optimizer {c.name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return "torch.optim." + calls[c.name]


def schedule_code(
    config: ScheduleConfig, total: int, lr: float, optimizer: str = "optimizer", cycle_momentum: bool = True
) -> str:
    """The torch.optim.lr_scheduler constructor make_scheduler builds for config over total steps ("None" for Constant)."""
    c, n, o = config, total, optimizer
    if c.name == "Constant":
        return "None"
    if c.name == "StepLR":
        return f"lr_scheduler.StepLR({o}, step_size={_or(c.step_size, max(1, n // 4))}, gamma={c.gamma:g})"
    if c.name == "MultiStepLR":
        milestones = clean_milestones((n // 2, 3 * n // 4) if c.milestones is None else c.milestones, n)
        return f"lr_scheduler.MultiStepLR({o}, milestones={milestones}, gamma={c.gamma:g})"
    if c.name == "ExponentialLR":
        return f"lr_scheduler.ExponentialLR({o}, gamma={c.exp_gamma:g})"
    if c.name == "CosineAnnealingLR":
        return f"lr_scheduler.CosineAnnealingLR({o}, T_max={_or(c.T_max, n)}, eta_min={c.eta_min:g})"
    if c.name == "CosineAnnealingWarmRestarts":
        T_0 = _or(c.T_0, max(1, n // 4))
        return f"lr_scheduler.CosineAnnealingWarmRestarts({o}, T_0={T_0}, T_mult={int(c.T_mult)}, eta_min={c.eta_min:g})"
    if c.name == "OneCycleLR":
        return (f"lr_scheduler.OneCycleLR({o}, max_lr={lr if c.max_lr is None else c.max_lr:g}, "
                f"total_steps={_or(c.total_steps, n)}, pct_start={c.pct_start:g}, div_factor={c.div_factor:g}, "
                f"final_div_factor={c.final_div_factor:g}{'' if cycle_momentum else ', cycle_momentum=False'})")
    if c.name == "Warm-up + cosine":
        warmup = n // 10 if c.warmup_steps is None else c.warmup_steps
        cosine = f"lr_scheduler.CosineAnnealingLR({o}, T_max={n - warmup}, eta_min={c.eta_min:g})"
        if warmup == 0:
            return cosine
        return (f"lr_scheduler.SequentialLR({o}, milestones=[{warmup}], schedulers=[\n"
                f"    lr_scheduler.LinearLR({o}, start_factor={c.start_factor:g}, end_factor=1.0, total_iters={warmup}),\n"
                f"    {cosine}])")
    raise ValueError(f"unknown schedule {c.name!r}; choose one of {', '.join(SCHEDULES)}")


def _cycles_momentum(config: RaceConfig, total: int) -> bool:
    """Whether make_scheduler's OneCycleLR cycles this racer's momentum (only an optimizer that has some)."""
    if config.schedule != "OneCycleLR":
        return True
    dummy = make_optimizer([torch.zeros(1, requires_grad=True)], OptimizerConfig(name=config.optimizer, lr=config.lr))
    return make_scheduler(dummy, ScheduleConfig(name="OneCycleLR"), total).cycle_momentum


def race_code(configs: list[RaceConfig], setup: RaceSetup, seed: int) -> str:
    """The PyTorch code the race runs for these settings: one model copied, one optimizer and scheduler per racer."""
    n, per_epoch = total_steps(setup), steps_per_epoch(setup)
    lines = []
    for i, c in enumerate(configs):
        opt = optimizer_code(OptimizerConfig(name=c.optimizer, lr=c.lr, weight_decay=c.weight_decay))
        schedule = schedule_code(ScheduleConfig(name=c.schedule), n, c.lr, "opt", cycle_momentum=_cycles_momentum(c, n))
        schedule = schedule.replace("\n", "\n        ")
        lines.append(f'    "{config_name(i, c)}": (\n        lambda params: {opt},\n        lambda opt: {schedule},\n    ),')
    return f'''
import copy
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim import lr_scheduler
from dlplay.data.digits import make_digits

X, y = make_digits({setup.n_train + setup.n_val}, seed={seed}, noise={setup.noise:g})  # (N, 1, 28, 28), (N,)
X_train, y_train, X_val, y_val = X[:{setup.n_train}], y[:{setup.n_train}], X[{setup.n_train}:], y[{setup.n_train}:]

torch.manual_seed({seed})
base = nn.Sequential(nn.Flatten(), nn.Linear(784, {setup.hidden_size}), nn.ReLU(), nn.Linear({setup.hidden_size}, 10))
racers = {{  # name: (optimizer for the parameters, scheduler for the optimizer)
{chr(10).join(lines)}
}}
for name, (make_opt, make_sched) in racers.items():
    model = copy.deepcopy(base)  # every racer starts from the same weights
    opt = make_opt(model.parameters())
    scheduler = make_sched(opt)
    batches = torch.Generator().manual_seed({seed})  # … and sees the same batches
    for epoch in range({setup.epochs}):  # {per_epoch} steps per epoch, {n} in all
        order = torch.randperm(len(X_train), generator=batches)
        for start in range(0, len(X_train) - {setup.batch_size} + 1, {setup.batch_size}):
            index = order[start:start + {setup.batch_size}]
            loss = F.cross_entropy(model(X_train[index]), y_train[index])  # logits (B, 10)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if scheduler is not None:
                scheduler.step()  # every optimizer step: the schedule spans all {n} steps
    with torch.no_grad():
        accuracy = (model(X_val).argmax(1) == y_val).float().mean().item()
    print(f"{{name}}: validation accuracy {{accuracy:.1%}}")
'''

