"""The Optimization Algorithms page's sections (chapter 8): paths on 2D surfaces, schedules, the live race.

Each section is a fragment: its widgets re-run it alone. The paths animation is a nested fragment on a timer, drawn
only while it plays, so its frames re-draw the paths and nothing else."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import streamlit as st

from dlplay.lessons.optimization.figures import lr_curves
from dlplay.lessons.optimization.path_lab import (
    DEFAULT_OPTIMIZERS,
    DEFAULT_SCHEDULES,
    PATH_LRS,
    SUGGESTED_LRS,
    SURFACE_NAMES,
    cached_lr_curve,
    make_surface,
    path_specs,
    paths_code,
    schedules_code,
    slug,
    start_step,
)
from dlplay.lessons.optimization.race_lab import (
    DEFAULT_CONFIGS,
    LETTERS,
    MAX_CONFIGS,
    MIN_CONFIGS,
    RaceConfig,
    RaceSetup,
    apply_live_lrs,
    build_race,
    diverged,
    make_data,
    problems,
    race_code,
    race_figures,
    results,
    signature,
)
from dlplay.lessons.optimization.surfaces import Surface
from dlplay.optim.factory import OPTIMIZERS, OptimizerConfig
from dlplay.optim.schedules import SCHEDULES, ScheduleConfig
from dlplay.training.race import RunGroup
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code
from dlplay.ui.sidebar import current_device
from dlplay.ui.training_panel import training_panel
from dlplay.ui.widgets import bound, fmt, initial

PATHS = "opt_paths"  # the paths section's fragment key
FRAME_KEY, PLAYING_KEY = "opt_paths__frame", "opt_paths__playing"  # animation state (not widgets, not in the URL)
FRAMES = 30  # an animation shows the paths growing in this many frames
TICK = 0.1  # seconds between animation frames (each frame also waits for the browser to redraw)


def _on_surface_change() -> None:
    """A new surface: start at its default point, with learning rates that suit it."""
    name = st.session_state["opt_surface"]
    surface = make_surface(name, 10.0, 2.0)
    st.session_state["opt_x0"], st.session_state["opt_y0"] = surface.start
    for optimizer, lr in SUGGESTED_LRS[name].items():
        st.session_state[f"opt_{slug(optimizer)}_lr"] = lr
    st.session_state[FRAME_KEY], st.session_state[PLAYING_KEY] = None, False


def _on_click() -> None:
    """A click on the contour plot moves the start there (rounded to the sliders' step)."""
    points = st.session_state["opt_fig_paths"].selection["points"]
    if not points or "x" not in points[0]:
        return
    surface = make_surface(st.session_state.get("opt_surface", SURFACE_NAMES[1]), 10.0, 2.0)
    step = start_step(surface)
    for key, value, (low, high) in (("opt_x0", points[0]["x"], surface.x_range), ("opt_y0", points[0]["y"], surface.y_range)):
        st.session_state[key] = float(np.clip(round(round(value / step) * step, 4), low, high))
    st.session_state[FRAME_KEY] = None
    st.rerun(PATHS)  # the start sliders live in the section: re-run it (not only the animation holding the chart)


def optimizer_controls(names: list[str], surface_name: str) -> dict[str, OptimizerConfig]:
    """One popover per chosen optimizer with its learning rate and, where it has them, β/momentum and weight decay."""
    configs = {}
    slider, choice = st.slider, st.select_slider
    for name, column in zip(names, st.columns(max(len(names), 4))):
        k = f"opt_{slug(name)}"
        with column:
            with st.popover(f"⚙️ {name}", width="stretch"):
                lr = bound(choice, "Learning rate", PATH_LRS, key=f"{k}_lr", default=SUGGESTED_LRS[surface_name][name])
                config = OptimizerConfig(name=name, lr=lr)
                if name in ("Momentum", "Nesterov"):
                    config.momentum = bound(slider, "Momentum β", 0.0, 0.99, step=0.01, key=f"{k}_beta", default=0.9,
                                            help="v ← βv + ∇L: how much of the last step carries over.")
                if name == "RMSProp":
                    config.momentum = bound(slider, "α (average of g²)", 0.5, 0.999, step=0.001, key=f"{k}_beta", default=0.9,
                                            help="Decay of the running mean of squared gradients.")
                if name in ("Adam", "AdamW"):
                    config.beta1 = bound(slider, "β₁ (momentum)", 0.0, 0.99, step=0.01, key=f"{k}_b1", default=0.9)
                    config.beta2 = bound(choice, "β₂ (average of g²)", [0.9, 0.99, 0.999, 0.9999], key=f"{k}_b2", default=0.999)
                if name == "AdamW":
                    config.weight_decay = bound(choice, "Weight decay", [0.0, 0.01, 0.05, 0.1, 0.5, 1.0], key=f"{k}_wd",
                                                default=0.1, help="Decoupled: every step also shrinks (x, y) towards 0.")
            extra = {"Momentum": f" · β {config.momentum:g}", "Nesterov": f" · β {config.momentum:g}",
                     "AdamW": f" · wd {config.weight_decay:g}"}.get(name, "")
            st.caption(f"lr {lr:g}{extra}")
        configs[name] = config
    return configs


def _surface_controls() -> tuple[str, float, float, int]:
    c = st.columns([2, 2, 2], vertical_alignment="bottom")
    name = c[0].selectbox("Loss surface", SURFACE_NAMES, key="opt_surface", bind="query-params", on_change=_on_surface_change,
                          **initial("opt_surface", 1, "index"),
                          help="Each surface is a function f(x, y); the optimizers minimize it from the start point.")
    kappa, noise = 10.0, 2.0
    if name == "Quadratic bowl":
        kappa = c[1].select_slider("Condition number κ", [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0], key="opt_kappa",
                                   bind="query-params", format_func=fmt, **initial("opt_kappa", 10.0),
                                   help="Curvature ratio of the two axes: ½(x² + κy²). Large κ = a long narrow valley.")
    if name == "Noisy bowl":
        noise = c[1].slider("Gradient noise σ", 0.0, 10.0, step=0.5, key="opt_noise", bind="query-params",
                            **initial("opt_noise", 2.0), help="Std of the noise added to each gradient, like a minibatch's.")
    steps = c[2].slider("Steps", 1, 1000, step=1, key="opt_steps", bind="query-params", **initial("opt_steps", 200))
    return name, kappa, noise, steps


def _start_controls(surface: Surface) -> tuple[float, float]:
    step = start_step(surface)
    for key, (low, high), default in (("opt_x0", surface.x_range, surface.start[0]), ("opt_y0", surface.y_range, surface.start[1])):
        value = st.session_state.get(key)
        if value is not None and not low <= value <= high:  # left over from another surface
            st.session_state[key] = default
    c = st.columns(2)
    x0 = c[0].slider("Start x", *map(float, surface.x_range), step=step, key="opt_x0", bind="query-params",
                     **initial("opt_x0", float(surface.start[0])))
    y0 = c[1].slider("Start y", *map(float, surface.y_range), step=step, key="opt_y0", bind="query-params",
                     **initial("opt_y0", float(surface.start[1])))
    return x0, y0


def _animate(steps: int) -> None:
    """▶ Animate: play the paths from where they stand (from step 0 when they are whole)."""
    frame = st.session_state.get(FRAME_KEY)
    st.session_state[PLAYING_KEY] = True
    st.session_state[FRAME_KEY] = 0 if frame is None or frame >= steps else frame


def _stop() -> None:
    st.session_state[PLAYING_KEY] = False


def _forward(steps: int, step_size: int) -> None:
    """⏩ +n steps: grow the paths by step_size (from step 0 when they are whole)."""
    frame = st.session_state.get(FRAME_KEY)
    frame = min(steps, (0 if frame is None or frame >= steps else frame) + step_size)
    st.session_state[PLAYING_KEY], st.session_state[FRAME_KEY] = False, None if frame >= steps else frame


def _rewind() -> None:
    st.session_state[PLAYING_KEY], st.session_state[FRAME_KEY] = False, 0


def _animation_buttons(steps: int) -> bool:
    """▶ Animate / ⏹ Stop / ⏩ +n steps / ⏮ Rewind over the paths (not ▶ Play / ⏭ Step: those name the race's panel).

    Their callbacks change the animation state; the click then re-runs this section. Returns whether it plays."""
    playing = bool(st.session_state.get(PLAYING_KEY, False))
    c = st.columns([1, 1, 1, 1, 4], vertical_alignment="center")
    c[0].button("▶ Animate", key="opt_paths_play", on_click=_animate, args=(steps,), disabled=playing, type="primary",
                width="stretch")
    c[1].button("⏹ Stop", key="opt_paths_pause", on_click=_stop, disabled=not playing, width="stretch")
    step_size = max(1, steps // 20)
    c[2].button(f"⏩ +{step_size} steps", key="opt_paths_step", on_click=_forward, args=(steps, step_size), width="stretch")
    c[3].button("⏮ Rewind", key="opt_paths_reset", on_click=_rewind, width="stretch")
    c[4].caption("Animate grows the paths step by step; click the contour plot to start elsewhere.")
    return playing


def _draw_paths(key: tuple, shown: int, steps: int, playing: bool) -> None:
    """The paths up to step `shown`: warnings for cut paths, contour (clickable), 3D view, loss per step."""
    frame, contour, surface_view, losses = path_specs(*key, shown, playing)
    st.caption(f"Showing **step {shown} of {steps}**.")
    for path in frame.values():
        if path.message:
            st.warning(f"✕ {path.message} — its path is cut there. Lower its learning rate.", icon="💥")
    left, right = st.columns(2)
    plot(contour, key="opt_fig_paths", container=left, on_select=_on_click, selection_mode="points")
    plot(surface_view, key="opt_fig_3d", container=right)
    plot(losses, key="opt_fig_path_loss")


@st.fragment(run_every=TICK)
def _animation(key: tuple, steps: int) -> None:
    """One frame of the animation on every tick; drawn only while it plays, so Stop (which leaves it out) ends the timer."""
    frame = min(steps, (st.session_state.get(FRAME_KEY) or 0) + max(1, steps // FRAMES))
    if frame >= steps:  # the whole paths: stop
        st.session_state[PLAYING_KEY], st.session_state[FRAME_KEY] = False, None
        # a timer's own fragment cannot leave itself out; the page, once, redraws the section without it
        st.rerun()
    st.session_state[FRAME_KEY] = frame
    _draw_paths(key, frame, steps, playing=True)


@st.fragment(key=PATHS)
def paths_section(seed: int) -> None:
    """Surface, optimizers and start; contour, 3D and loss-per-step views; Animate / Stop / +n steps / Rewind."""
    surface_name, kappa, noise, steps = _surface_controls()
    surface = make_surface(surface_name, kappa, noise)
    names = st.multiselect("Optimizers", OPTIMIZERS, key="opt_optimizers", bind="query-params",
                           **initial("opt_optimizers", DEFAULT_OPTIMIZERS, "default"),
                           help="Each is the real torch.optim class stepping a 2-element tensor (x, y).")
    configs = optimizer_controls(names, surface_name)
    start = _start_controls(surface)
    if not configs:
        st.info("Pick at least one optimizer above to draw its path.", icon="👆")
        return
    key = (surface_name, kappa, noise, start, tuple(configs.values()), steps, seed)
    if _animation_buttons(steps):
        _animation(key, steps)
    else:
        frame = st.session_state.get(FRAME_KEY)
        _draw_paths(key, steps if frame is None else min(frame, steps), steps, playing=False)
    show_code(paths_code(surface_name, kappa, noise, start, configs, steps))


# ----- 2 · schedules --------------------------------------------------------------------------------------------------
def schedule_params(name: str) -> ScheduleConfig:
    """Sliders for one schedule's parameters (inside its popover); nonsense is allowed, the core says why."""
    k, c = f"opt_s_{slug(name)}", ScheduleConfig(name=name)
    slider, choice, etas = st.slider, st.select_slider, [0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0]
    if name == "StepLR":
        c.step_size = bound(slider, "step_size (steps)", 0, 1000, step=5, key=f"{k}_size", default=100)
    if name == "MultiStepLR":
        c.milestones = tuple(bound(slider, "milestones (steps)", 0, 2000, step=10, key=f"{k}_ms", default=(250, 375)))
    if name in ("StepLR", "MultiStepLR"):
        c.gamma = bound(slider, "gamma", 0.0, 1.0, step=0.05, key=f"{k}_gamma", default=0.1,
                        help="The lr is multiplied by gamma at each drop.")
    if name == "ExponentialLR":
        c.exp_gamma = bound(slider, "gamma (per step)", 0.9, 1.0, step=0.001, format="%.3f", key=f"{k}_gamma", default=0.99)
    if name == "CosineAnnealingLR":
        c.T_max = bound(slider, "T_max (steps)", 0, 2000, step=10, key=f"{k}_tmax", default=500,
                        help="Half a period: the lr reaches eta_min after T_max steps (and climbs back after).")
    if name == "CosineAnnealingWarmRestarts":
        c.T_0 = bound(slider, "T_0 (first period)", 0, 1000, step=5, key=f"{k}_t0", default=100)
        c.T_mult = bound(slider, "T_mult", 1, 4, key=f"{k}_tmult", default=1, help="Each period is T_mult times the last.")
    if name == "OneCycleLR":
        c.max_lr = bound(choice, "max_lr", PATH_LRS, key=f"{k}_max", default=0.1)
        c.pct_start = bound(slider, "pct_start", 0.0, 1.0, step=0.05, key=f"{k}_pct", default=0.3,
                            help="Fraction of the cycle spent warming up.")
        c.div_factor = bound(choice, "div_factor", [1.0, 5.0, 10.0, 25.0, 100.0], key=f"{k}_div", default=25.0,
                             help="Starting lr = max_lr / div_factor.")
        c.final_div_factor = bound(choice, "final_div_factor", [1.0, 10.0, 100.0, 1e3, 1e4], key=f"{k}_fdiv", default=1e4)
    if name == "Warm-up + cosine":
        c.warmup_steps = bound(slider, "warm-up steps", 0, 2000, step=10, key=f"{k}_warm", default=50)
        c.start_factor = bound(choice, "start_factor", [0.001, 0.01, 0.1, 0.5, 1.0], key=f"{k}_sf", default=0.01,
                               help="The first lr as a fraction of the base lr.")
    if name in ("CosineAnnealingLR", "CosineAnnealingWarmRestarts", "Warm-up + cosine"):
        c.eta_min = bound(choice, "eta_min", etas, key=f"{k}_eta", default=0.0, help="The lowest lr of the cosine.")
    if name == "Constant":
        st.caption("No parameters: the lr stays at the base lr.")
    return c


@st.fragment
def schedules_section() -> None:
    """Schedules to compare, each with its parameters in a popover; their learning rate per step; the code."""
    schedule_names = st.multiselect("Schedules", SCHEDULES, key="opt_schedules", bind="query-params",
                                    **initial("opt_schedules", DEFAULT_SCHEDULES, "default"))
    c = st.columns([3, 3, 1], vertical_alignment="bottom")
    steps = c[0].slider("Training steps", 10, 2000, step=10, key="opt_sched_steps", bind="query-params",
                        **initial("opt_sched_steps", 500))
    lr = c[1].select_slider("Base lr", PATH_LRS, key="opt_sched_lr", bind="query-params", format_func=fmt,
                            **initial("opt_sched_lr", 0.1))
    log_y = c[2].toggle("Log y", key="opt_sched_log", bind="query-params", **initial("opt_sched_log", False))
    if not schedule_names:
        st.info("Pick at least one schedule to plot its learning rate.", icon="👆")
    curves, configs = {}, {}
    for name, column in zip(schedule_names, st.columns(max(len(schedule_names), 4))):
        with column.popover(f"⚙️ {name}", width="stretch"):
            config = schedule_params(name)
        try:  # the core raises ValueError, with a sentence, for a combination that makes no sense
            curves[name], configs[name] = cached_lr_curve(config, lr, steps), config
        except ValueError as error:
            st.warning(f"**{name}**: {error}", icon="⚠️")
    if curves:
        plot(lr_curves(curves, log_y=log_y), key="opt_fig_schedules")
    if configs:
        show_code(schedules_code(configs, lr, steps))


# ----- 3 · the race ---------------------------------------------------------------------------------------------------
@st.cache_data(max_entries=4, show_spinner="Drawing synthetic digits…")
def _digits(n_train: int, n_val: int, noise: float, seed: int) -> tuple:
    return make_data(RaceSetup(n_train=n_train, n_val=n_val, noise=noise), seed)


def race_data(setup: RaceSetup, seed: int) -> tuple:
    """The shared digits, cached by what draws them (drawing takes a moment; epochs or batch size change nothing)."""
    return _digits(setup.n_train, setup.n_val, setup.noise, seed)


def render_race(group: RunGroup) -> None:
    """Live: loss and accuracy overlaid, learning rates beneath, the results table, a ✕ on any run that diverged."""
    loss, accuracy, rates = race_figures(group)
    left, right = st.columns(2)
    plot(loss, key="opt_fig_race_loss", container=left)
    plot(accuracy, key="opt_fig_race_acc", container=right)
    left, right = st.columns([2, 3])
    plot(rates, key="opt_fig_race_lr", container=left)
    table = pd.DataFrame(results(group)).set_index("configuration")
    right.dataframe(table, width="stretch", key="opt_race_table", column_config={
        "configuration": st.column_config.TextColumn("racer"),
        "final val loss": st.column_config.NumberColumn("val loss", format="%.3f"),
        "best val loss": st.column_config.NumberColumn("best loss", format="%.3f"),
        "final val acc": st.column_config.NumberColumn("val acc", format="percent"),
        "best val acc": st.column_config.NumberColumn("best acc", format="percent"),
        "best acc at step": st.column_config.NumberColumn("at step"),
        "lr now": st.column_config.NumberColumn(format="%.1e"),
    })
    right.caption("**val loss / val acc**: the latest evaluation on 500 held-out digits; **best**: the best so far "
                  "(**at step**: when the best accuracy came).")
    for name, (step, _) in diverged(group).items():
        right.caption(f"💥 **{name}** diverged after step {step}: it stopped alone, its last finite weights kept; "
                      "the others race on.")


RACE_LRS = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 3.0, 10.0]
RACE_DECAYS = [0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0]


def racer_controls(n_racers: int) -> list[RaceConfig]:
    """One bordered column per racer: optimizer, learning rate, schedule, weight decay."""
    configs = []
    for i, column in enumerate(st.columns(n_racers, border=True)):
        default, k = DEFAULT_CONFIGS[i], f"opt_race_{LETTERS[i].lower()}"
        with column:
            st.markdown(f"#### {LETTERS[i]}")
            optimizer = st.selectbox("Optimizer", OPTIMIZERS, key=f"{k}_opt", bind="query-params",
                                     **initial(f"{k}_opt", OPTIMIZERS.index(default.optimizer), "index"))
            lr = st.select_slider("Learning rate", RACE_LRS, key=f"{k}_lr", bind="query-params", format_func=fmt,
                                  **initial(f"{k}_lr", default.lr))
            schedule = st.selectbox("Schedule", SCHEDULES, key=f"{k}_sched", bind="query-params",
                                    **initial(f"{k}_sched", SCHEDULES.index(default.schedule), "index"),
                                    help="Default parameters, stretched over the whole run: StepLR drops ×0.1 every "
                                    "quarter, OneCycleLR peaks at the learning rate, the cosines reach 0 at the end.")
            weight_decay = st.select_slider("Weight decay", RACE_DECAYS, key=f"{k}_wd", bind="query-params",
                                            format_func=fmt, **initial(f"{k}_wd", default.weight_decay))
        configs.append(RaceConfig(optimizer, lr, schedule, weight_decay))
    return configs


@st.fragment
def race_section(seed: int) -> None:
    """Shared settings, one column per racer, the live race (training panel) and its code."""
    d = RaceSetup()
    c = st.columns(4)
    n_racers = c[0].slider("Configurations", MIN_CONFIGS, MAX_CONFIGS, key="opt_race_n", bind="query-params",
                           **initial("opt_race_n", MAX_CONFIGS))
    epochs = c[1].slider("Epochs", 1, 50, key="opt_race_epochs", bind="query-params", **initial("opt_race_epochs", d.epochs),
                         help=f"Passes over the {d.n_train} training digits; every schedule spans the whole run.")
    batch_size = c[2].select_slider("Batch size", [8, 16, 32, 64, 128], key="opt_race_batch", bind="query-params",
                                    **initial("opt_race_batch", d.batch_size))
    hidden = c[3].select_slider("Hidden units", [16, 32, 64, 128, 256], key="opt_race_hidden", bind="query-params",
                                **initial("opt_race_hidden", d.hidden_size), help="MLP(784, hidden, 10): one hidden layer.")
    setup = dataclasses.replace(d, epochs=epochs, batch_size=batch_size, hidden_size=hidden)
    configs = racer_controls(n_racers)
    found = problems(configs, setup)
    for message in found:
        st.warning(message, icon="⚠️")
    if found:
        return
    device = current_device()
    group = training_panel(
        "opt_race", signature(configs, setup, seed, device),
        lambda: build_race(configs, race_data(setup, seed), seed, device, setup),
        render_race, device=device, step_size=25, chunk_seconds=0.2,
    )
    apply_live_lrs(group, configs)  # a constant learning rate applies live, without a restart
    show_code(race_code(configs, setup, seed))
