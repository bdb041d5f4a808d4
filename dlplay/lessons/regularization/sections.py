"""The Regularization page's sections (chapter 7): the overfitting lab (settings, live race, code) and dropout, seen."""

from __future__ import annotations

import dataclasses
import math
import time

import pandas as pd
import streamlit as st

from dlplay.data.toy2d import CLASSIFICATION_SETS
from dlplay.lessons.regularization.dropout_view import dropout_view, hidden_sample
from dlplay.lessons.regularization.figures import (
    boundary_figure,
    dropout_figure,
    histogram_grid,
    mark_best,
    race_figure,
    weight_norm_figure,
)
from dlplay.lessons.regularization.lab import (
    DEFAULT_CONFIGS,
    LAB_OPTIMIZERS,
    LETTERS,
    MAX_CONFIGS,
    MIN_CONFIGS,
    LabConfig,
    RegConfig,
    best_marks,
    build_group,
    config_name,
    decision_grid,
    hidden_histograms,
    lab_code,
    problems,
    results,
    signature,
)
from dlplay.models.mlp import ACTIVATION_MODULES
from dlplay.training.race import RunGroup
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code
from dlplay.ui.sidebar import current_device
from dlplay.ui.training_panel import is_playing, training_panel
from dlplay.viz.training import accuracy_figure, loss_figure

WEIGHT_DECAYS = [0.0, 1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
HIST_BATCH = 128  # validation points whose hidden outputs the histograms show
SLOW_EVERY = 1.5  # seconds between redraws of the heavy live figures while playing
MAX_POINTS = 250  # points per live curve: enough for a smooth line, light for the browser to redraw
RUN_KEY = "reg__run"  # the training panel's run (a RunGroup) in session state
LAB, DROPOUT = "reg_lab", "reg_dropout"  # the sections' fragment keys


def _settings_changed() -> None:
    """Callback of the lab's settings: re-run the lab and the dropout view (which shows the lab's first model), not the page."""
    st.rerun([LAB, DROPOUT])


# ---------------------------------------------------------------- 1 · the overfitting lab: controls
def shared_controls(seed: int) -> LabConfig:
    """Data, model and training settings every configuration shares."""
    d, changed = LabConfig(), _settings_changed
    c = st.columns(5)
    dataset = c[0].selectbox("Data set", CLASSIFICATION_SETS, index=CLASSIFICATION_SETS.index(d.dataset), key="reg_data",
                             bind="query-params", on_change=changed,
                             help="A 2D toy set with two classes (TensorFlow-Playground style).")
    noise = c[1].slider("Label noise", 0.0, 1.0, d.noise, step=0.05, key="reg_noise", bind="query-params", on_change=changed,
                        help="Noisy labels are what a big network memorizes — the cause of overfitting here.")
    n_train = c[2].select_slider("Training points", [50, 100, 200, 400, 800], d.n_train, key="reg_n_train",
                                 bind="query-params", on_change=changed, help="Fewer points are easier to memorize.")
    epochs = c[3].slider("Epochs", 20, 1000, d.epochs, step=10, key="reg_epochs", bind="query-params", on_change=changed,
                         help="Every configuration stops after this many passes over the training set.")
    lr = c[4].select_slider("Learning rate (live)", LRS, d.lr, key="reg_lr", bind="query-params",
                            help="Applies to every configuration at once, without restarting.")
    c = st.columns(5)
    width = c[0].select_slider("Hidden width", [8, 16, 32, 64, 128, 256, 512], d.hidden_size, key="reg_width",
                               bind="query-params", on_change=changed,
                               help="Units per hidden layer: wide layers memorize easily.")
    depth = c[1].slider("Hidden layers", 1, 4, d.depth, key="reg_depth", bind="query-params", on_change=changed)
    activation = c[2].selectbox("Activation", list(ACTIVATION_MODULES), index=0, key="reg_act", bind="query-params",
                                on_change=changed)
    optimizer = c[3].selectbox("Optimizer", LAB_OPTIMIZERS, key="reg_opt", bind="query-params", on_change=changed,
                               help="Adam adds weight_decay × w to the gradient (L2); AdamW shrinks the weights directly.")
    return LabConfig(dataset=dataset, noise=noise, n_train=n_train, hidden_size=width, depth=depth, activation=activation,
                     optimizer=optimizer, lr=lr, epochs=epochs, seed=seed)


def config_controls() -> list[RegConfig]:
    """A 'number of configurations' control, then one column of regularizers per configuration."""
    changed = _settings_changed
    n = st.radio("Number of configurations", list(range(MIN_CONFIGS, MAX_CONFIGS + 1)), index=MAX_CONFIGS - MIN_CONFIGS,
                 key="reg_n_configs", bind="query-params", horizontal=True, on_change=changed,
                 help="They train side by side on the same data, seed and initial weights.")
    configs = []
    for i, column in enumerate(st.columns(n, border=True)):
        d, k = DEFAULT_CONFIGS[i], f"reg_{LETTERS[i].lower()}"
        with column:
            title = st.empty()
            dropout = st.slider("Dropout rate p", 0.0, 0.95, d.dropout, step=0.05, key=f"{k}_dropout", bind="query-params",
                                on_change=changed, help="nn.Dropout(p) after each hidden layer; 0 adds no dropout module.")
            batch_norm = st.toggle("Batch norm", d.batch_norm, key=f"{k}_bn", bind="query-params", on_change=changed,
                                   help="nn.BatchNorm1d after each hidden activation.")
            weight_decay = st.select_slider("Weight decay", WEIGHT_DECAYS, d.weight_decay, key=f"{k}_wd", bind="query-params",
                                            on_change=changed, help="The optimizer's weight_decay.")
            patience = st.slider("Early-stopping patience (0 = off)", 0, 100, d.patience, key=f"{k}_patience",
                                 bind="query-params", on_change=changed,
                                 help="Stop after this many epochs without a better validation loss.")
            config = RegConfig(dropout=dropout, batch_norm=batch_norm, weight_decay=weight_decay, patience=patience)
            title.markdown(f"#### {config_name(i, config)}")
        configs.append(config)
    return configs


# ---------------------------------------------------------------- 1 · the overfitting lab: the live view
def _curves_only(group: RunGroup) -> dict:
    """The runs' histories without the per-step batch loss, which would bury four races in noise."""
    return {name: dataclasses.replace(run.history, step_loss=[]) for name, run in group.runs.items()}


def _table(group: RunGroup, per_epoch: int) -> pd.DataFrame:
    """The results as display strings: 3 decimals, percentages, '—' where a value does not exist (yet)."""
    rows = []
    for row in results(group, per_epoch):
        loss = {k: "—" if math.isnan(v) else f"{v:.3f}" for k, v in row.items() if "loss" in k or "norm" in k}
        acc = {k: "—" if math.isnan(v) else f"{v:.1%}" for k, v in row.items() if "acc" in k}
        rows.append({"configuration": row["configuration"], "epochs": f"{row['epochs']:.0f}",
                     "best val loss": loss["best val loss"],
                     "best epoch": "—" if math.isnan(row["best at epoch"]) else f"{row['best at epoch']:.0f}",
                     "final val loss": loss["final val loss"],
                     "final val acc": acc["final val acc"], "restored val loss": loss["restored val loss"],
                     "restored val acc": acc["restored val acc"], "final train loss": loss["final train loss"],
                     "‖W‖₂": loss["weight norm"], "status": row["status"]})
    return pd.DataFrame(rows).set_index("configuration")


def throttled(group: RunGroup, build) -> tuple:
    """build()'s figures, rebuilt at most every SLOW_EVERY s while playing: an unchanged figure costs the browser nothing."""
    cache = st.session_state.get("reg_slow_figures")
    now = time.monotonic()
    stale = cache is None or cache[1] is not group or (
        cache[2] != group.steps and (not is_playing("reg") or now - cache[0] > SLOW_EVERY)
    )
    if stale:
        cache = (now, group, group.steps, build())
        st.session_state["reg_slow_figures"] = cache
    return cache[3]


def heavy_figures(group: RunGroup, names: list[str], per_epoch: int) -> tuple:
    """The live figures redrawn less often: accuracy, decision boundaries, weight norms, histograms."""
    first = next(iter(group.runs.values()))
    histories = _curves_only(group)
    accuracy = mark_best(accuracy_figure(histories, title="Accuracy · train solid, validation dashed", max_points=MAX_POINTS),
                         {n: (s, a) for n, (s, _, a) in best_marks(group).items()}, names)
    grid, probs = decision_grid(group)
    boundary = boundary_figure(grid.numpy(), probs.numpy(), names, first.X_train.cpu().numpy(), first.y_train.cpu().numpy())
    norms = race_figure(weight_norm_figure(histories, max_points=MAX_POINTS), per_epoch)
    return race_figure(accuracy, per_epoch), boundary, norms, histogram_grid(hidden_histograms(group, HIST_BATCH))


def render_live(group: RunGroup) -> None:
    """Everything that updates while the configurations train: curves, results, weight norms, boundaries, histograms."""
    histories = _curves_only(group)
    names = list(histories)
    per_epoch = next(iter(group.runs.values())).config.eval_every  # the lab evaluates once per epoch
    loss = mark_best(loss_figure(histories, title="Loss · train solid, validation dashed", max_points=MAX_POINTS),
                     {n: (s, v) for n, (s, v, _) in best_marks(group).items()}, names)
    accuracy, boundary, norms, hists = throttled(group, lambda: heavy_figures(group, names, per_epoch))
    left, right = st.columns(2)
    plot(race_figure(loss, per_epoch), key="reg_fig_loss", container=left)
    plot(accuracy, key="reg_fig_acc", container=right)
    st.table(_table(group, per_epoch))
    st.caption("★ and the dotted line mark the best epoch early stopping holds; **restored val loss** is measured on the "
               "model after those weights were loaded back — it matches the best epoch, not the last one.")
    left, right = st.columns([1, 1])
    plot(norms, key="reg_fig_norm", container=left)
    left.markdown("**Weight decay** shrinks every weight a little at each step (Adam adds λ·w to the gradient, AdamW "
                  "subtracts lr·λ·w from the weight; λ = `weight_decay`): the norm of a decayed network stays small, "
                  "and small weights can only draw a smooth boundary. Without it, memorizing noisy points makes the "
                  "weights — and the boundary's wiggles — grow.")
    plot(boundary, key="reg_fig_boundary", container=right)
    st.subheader("Batch norm, seen")
    st.markdown("Each histogram pools every unit of one hidden layer on the same validation points. **Without** batch "
                "norm the spread of what a layer passes on drifts as its weights grow; **with** it, every unit is "
                "re-centred and re-scaled (μ ≈ 0, σ ≈ 1, then its learned γ and β), whatever the layer below does.")
    plot(hists, key="reg_fig_hist")


@st.fragment(key=LAB)
def lab_section(seed: int) -> None:
    """The shared settings, one column per configuration, the live race and its code: one fragment."""
    with st.expander("Data, model and training — shared by every configuration", expanded=True):
        lab = shared_controls(seed)
    configs = config_controls()
    for message in problems(lab, configs):
        st.warning(message, icon="⚠️")
    device = current_device()
    group = training_panel("reg", signature(lab, configs, device), lambda: build_group(lab, configs, device), render_live,
                           device=device, step_size=30, chunk_seconds=0.2, rerun_also=(DROPOUT,))
    for run in group.runs.values():
        run.set_lr(lab.lr)  # the learning rate applies live, without a rebuild
    show_code(lab_code(lab, configs))


# ---------------------------------------------------------------- 2 · dropout, seen
def _resample() -> None:
    st.session_state["reg_view_seed"] = st.session_state.get("reg_view_seed", 0) + 1


@st.fragment(key=DROPOUT)
def dropout_section() -> None:
    """One training step of a real nn.Dropout on the first configuration's hidden units, and the same in eval mode."""
    group = st.session_state.get(RUN_KEY)
    if group is None:
        return
    run_name, run = next(iter(group.runs.items()))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    p = left.slider("Dropout rate p of this view", 0.0, 0.95, 0.5, step=0.05, key="reg_view_p", bind="query-params")
    right.button("🎲 Resample", key="reg_view_resample", width="stretch", on_click=_resample,
                 help="Draw another dropout mask, on the network as it is now.")
    with run.locked():  # the lab may be training in the background
        h, steps = hidden_sample(run.model, run.X_val), run.steps
    view = dropout_view(h, p, seed=st.session_state.get("reg_view_seed", 0))
    plot(dropout_figure(view), key="reg_fig_dropout")
    st.caption(f"Input: {run_name}'s first hidden layer on 8 validation points (first {view.h.shape[1]} units), after "
               f"{steps:,} training step{'s' * (steps != 1)}. This step dropped {view.dropped_fraction:.0%} of the units "
               f"(p = {p:g}) and multiplied the rest by 1/(1 − p) = {view.scale:.3g}, so each unit's expected value stays "
               "the same. In eval mode nothing is dropped and nothing rescaled.")
