"""Chapter 8 · Optimization Algorithms: optimizer paths on 2D surfaces, learning-rate schedules, a live optimizer race."""

import dataclasses

import streamlit as st

from dlplay.lessons.optimization.figures import lr_curves
from dlplay.lessons.optimization.race_lab import (
    DEFAULT_CONFIGS,
    LETTERS,
    MAX_CONFIGS,
    MIN_CONFIGS,
    RaceConfig,
    RaceSetup,
    apply_live_lrs,
    build_race,
    problems,
    race_code,
    signature,
)
from dlplay.lessons.optimization.sections import (
    DEFAULT_SCHEDULES,
    PATH_LRS,
    bound,
    cached_lr_curve,
    fmt,
    initial,
    paths_section,
    race_data,
    render_race,
    schedules_code,
    slug,
)
from dlplay.optim.factory import OPTIMIZERS
from dlplay.optim.schedules import SCHEDULES, ScheduleConfig
from dlplay.ui.code_panel import show_code
from dlplay.ui.sidebar import current_device, current_seed
from dlplay.ui.training_panel import training_panel


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


st.title("🏎️ Optimization Algorithms")
st.markdown(
    "Every optimizer walks downhill on the loss using the gradient, but they differ in *how far* and *which way* "
    "they step. **SGD** steps straight down the gradient (θ ← θ − α∇L); **Momentum** and **Nesterov** keep a "
    "running velocity, so they speed up along a long valley and damp the zig-zag across it; **RMSProp**, "
    "**Adagrad** and **Adam** divide each coordinate's step by the size of its recent gradients, so steep and flat "
    "directions move at similar speeds. A **learning-rate schedule** changes α during training — large early to "
    "travel, small late to settle."
)

seed = current_seed()

st.header("1 · Optimizers on a loss surface")
st.markdown(
    "Each path is a real `torch.optim` optimizer stepping a two-element tensor (x, y) on the surface f(x, y). "
    "Try the **Rosenbrock** valley: SGD crawls along its flat floor while Adam and momentum move on; on the "
    "**quadratic bowl**, raise the condition number κ and watch SGD zig-zag. A path that leaves the plot or turns "
    "NaN is cut and marked ✕."
)
paths_section(seed)

st.header("2 · Learning-rate schedules")
st.markdown(
    "A scheduler from `torch.optim.lr_scheduler` rewrites the optimizer's learning rate every time you call "
    "`scheduler.step()`. Below, each curve comes from the real scheduler stepped on a dummy optimizer; open a "
    "schedule's ⚙️ to change its parameters."
)
schedule_names = st.multiselect("Schedules", SCHEDULES, key="opt_schedules", bind="query-params",
                                **initial("opt_schedules", DEFAULT_SCHEDULES, "default"))
c = st.columns([3, 3, 1], vertical_alignment="bottom")
sched_steps = c[0].slider("Training steps", 10, 2000, step=10, key="opt_sched_steps", bind="query-params",
                          **initial("opt_sched_steps", 500))
sched_lr = c[1].select_slider("Base lr", PATH_LRS, key="opt_sched_lr", bind="query-params", format_func=fmt,
                              **initial("opt_sched_lr", 0.1))
log_y = c[2].toggle("Log y", key="opt_sched_log", bind="query-params", **initial("opt_sched_log", False))
if not schedule_names:
    st.info("Pick at least one schedule to plot its learning rate.", icon="👆")
curves, schedule_configs = {}, {}
for name, column in zip(schedule_names, st.columns(max(len(schedule_names), 4))):
    with column.popover(f"⚙️ {name}", width="stretch"):
        config = schedule_params(name)
    try:  # the core raises ValueError, with a sentence, for a combination that makes no sense
        curves[name], schedule_configs[name] = cached_lr_curve(config, sched_lr, sched_steps), config
    except ValueError as error:
        st.warning(f"**{name}**: {error}", icon="⚠️")
if curves:
    st.plotly_chart(lr_curves(curves, log_y=log_y), width="stretch", key="opt_fig_schedules")
if schedule_configs:
    show_code(schedules_code(schedule_configs, sched_lr, sched_steps))

st.header("3 · The race")
st.markdown(
    "Two to four configurations train the **same MLP from the same initial weights on the same batches** of "
    "synthetic digits — only the optimizer, learning rate, schedule and weight decay differ. Press **Play**: "
    "the curves race live. Changing a constant learning rate applies at once; any other change restarts the race."
)
RACE_LRS = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 3.0, 10.0]
RACE_DECAYS = [0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0]
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
                                help="Default parameters, stretched over the whole run: StepLR drops ×0.1 every quarter, "
                                "OneCycleLR peaks at the learning rate, the cosines reach 0 at the end.")
        weight_decay = st.select_slider("Weight decay", RACE_DECAYS, key=f"{k}_wd", bind="query-params", format_func=fmt,
                                        **initial(f"{k}_wd", default.weight_decay))
    configs.append(RaceConfig(optimizer, lr, schedule, weight_decay))

device = current_device()
found = problems(configs, setup)
if found:
    for message in found:
        st.warning(message, icon="⚠️")
else:
    group = training_panel(
        "opt_race", signature(configs, setup, seed, device),
        lambda: build_race(configs, race_data(setup, seed), seed, device, setup),
        render_race, device=device, step_size=25, chunk_seconds=0.2,
    )
    apply_live_lrs(group, configs)
    show_code(race_code(configs, setup, seed))
