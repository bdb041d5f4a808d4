"""The Neural Network Fundamentals page's sections (chapter 1): perceptron, the MLP playground's live view, forward pass."""

from __future__ import annotations

import copy

import pandas as pd
import streamlit as st
import torch

from dlplay.data.toy2d import make_classification
from dlplay.lessons.fundamentals.figures import (
    canvas_figure,
    decision_figure,
    errors_figure,
    layer_figure,
    loss_curves_figure,
    neuron_maps_figure,
    perceptron_figure,
)
from dlplay.lessons.fundamentals.forward_inspector import forward_code, inspect_forward
from dlplay.lessons.fundamentals.own_data import MAX_ROWS, OwnData, OwnDataError, drawn_points, example_csv, parse_csv
from dlplay.lessons.fundamentals.perceptron import Perceptron, fit_to_limits, perceptron_rule_step, run_perceptron_rule
from dlplay.lessons.fundamentals.playground import PlaygroundRun, grid_view
from dlplay.ui.charts import plot

PERCEPTRON_SETS = {"Gaussians — separable": "gaussians", "XOR — not separable": "xor", "Moons — almost": "moons",
                   "Circle — not separable": "circle"}
W_LIMIT, B_LIMIT = 5.0, 20.0  # slider ranges of the perceptron's weights and bias
RUN_EPOCHS = 20  # passes over the data that "Run the rule" makes at most
GRID = 50  # points per side of the live grid: 2,500 forward passes per redraw


# ---------------------------------------------------------------- perceptron
@st.cache_data(max_entries=32, show_spinner=False)
def perceptron_points(name: str, seed: int):
    """100 points of a toy set as NumPy arrays (cached: the sliders redraw often)."""
    X, y = make_classification(name, n_samples=100, noise=0.0, seed=seed)
    return X.numpy().astype(float), y.numpy()


def _set_weights(weights, bias: float) -> None:
    """Write weights into the sliders, scaled into their range when needed (same line), and say so."""
    w, b, factor = fit_to_limits(weights, bias, W_LIMIT, B_LIMIT)
    st.session_state.update(nn_pc_w1=float(w[0]), nn_pc_w2=float(w[1]), nn_pc_b=float(b))
    if factor != 1.0:
        st.session_state["nn_pc_note"] = (f"w and b were divided by {factor:.2f} to fit the sliders: the line is the same, "
                                          "only the scale of the weights changed.")


def _next_update(X, y) -> None:
    """Button callback: one step of the perceptron rule from the sliders' weights."""
    s = st.session_state
    p = Perceptron.from_weights([s["nn_pc_w1"], s["nn_pc_w2"]], s["nn_pc_b"])
    step = perceptron_rule_step(p, X, y, lr=s["nn_pc_lr"], start=s.get("nn_pc_cursor", 0))
    s["nn_pc_note"] = ""
    if step.converged:
        s["nn_pc_highlight"] = None
        s["nn_pc_note"] = "Every point is already on its side of the line: the rule has nothing left to fix."
        return
    s["nn_pc_cursor"], s["nn_pc_highlight"] = step.next_start, step.index
    s["nn_pc_last"] = (step.index, step.y, step.y_hat)
    s.setdefault("nn_pc_log", [p.errors(X, y)])
    _set_weights(step.weights, step.bias)
    s["nn_pc_log"] = s["nn_pc_log"] + [p.errors(X, y)]


def _run_rule(X, y) -> None:
    """Button callback: apply the rule for up to RUN_EPOCHS passes over the data."""
    s = st.session_state
    p = Perceptron.from_weights([s["nn_pc_w1"], s["nn_pc_w2"]], s["nn_pc_b"])
    trace = run_perceptron_rule(p, X, y, lr=s["nn_pc_lr"], max_epochs=RUN_EPOCHS, start=s.get("nn_pc_cursor", 0))
    s["nn_pc_cursor"], s["nn_pc_highlight"], s["nn_pc_note"] = trace.next_start, None, ""
    s["nn_pc_log"] = s.get("nn_pc_log", [trace.errors[0]]) + trace.errors[1:]
    s["nn_pc_trace"] = (trace.updates, trace.epochs, trace.converged, trace.errors[-1])
    _set_weights(p.weights, p.bias)


def _restart(seed: int) -> None:
    """Button callback: random weights (seeded), an empty log."""
    p = Perceptron(2, seed=seed + len(st.session_state.get("nn_pc_log", [])))
    for k in ("nn_pc_log", "nn_pc_trace", "nn_pc_last", "nn_pc_highlight", "nn_pc_cursor", "nn_pc_note"):
        st.session_state.pop(k, None)
    _set_weights(p.weights, p.bias)


@st.fragment
def perceptron_section(seed: int) -> None:
    """Sliders for w and b, the rule one update at a time, and what happens on data no line separates."""
    c = st.columns([2, 1, 1, 1, 1])
    label = c[0].selectbox("Data set (100 points)", list(PERCEPTRON_SETS), key="nn_pc_data", bind="query-params")
    w1 = c[1].slider("w₁", -W_LIMIT, W_LIMIT, 0.5, step=0.01, key="nn_pc_w1", bind="query-params")
    w2 = c[2].slider("w₂", -W_LIMIT, W_LIMIT, -1.0, step=0.01, key="nn_pc_w2", bind="query-params")
    b = c[3].slider("bias b", -B_LIMIT, B_LIMIT, 0.0, step=0.05, key="nn_pc_b", bind="query-params")
    c[4].select_slider("η (learning rate)", [0.01, 0.03, 0.1, 0.3, 1.0], 0.1, key="nn_pc_lr", bind="query-params")
    X, y = perceptron_points(PERCEPTRON_SETS[label], seed)
    if st.session_state.get("nn_pc_for") != (label, seed):  # new data: forget the old updates
        for k in ("nn_pc_log", "nn_pc_trace", "nn_pc_last", "nn_pc_highlight", "nn_pc_cursor"):
            st.session_state.pop(k, None)
        st.session_state["nn_pc_for"] = (label, seed)
    p = Perceptron.from_weights([w1, w2], b)
    b1, b2, b3, info = st.columns([1, 1, 1, 3], vertical_alignment="center")
    b1.button("⏭ Next update", key="nn_pc_next", on_click=_next_update, args=(X, y), type="primary", width="stretch",
              help="Find the next misclassified point (cycling through the points in a fixed order) and apply "
                   "w ← w + η·(y − ŷ)·x.")
    b2.button(f"⏩ Run {RUN_EPOCHS} epochs", key="nn_pc_run", on_click=_run_rule, args=(X, y), width="stretch",
              help="Apply the rule until no point is misclassified or 20 passes over the data are done.")
    b3.button("🎲 Random weights", key="nn_pc_restart", on_click=_restart, args=(seed,), width="stretch")
    errors = p.errors(X, y)
    info.markdown(f"**Accuracy {p.accuracy(X, y):.0%}** · {errors} of {len(X)} points misclassified · "
                  f"line: {w1:.2f}·x₁ + {w2:.2f}·x₂ + {b:.2f} = 0")
    last = st.session_state.get("nn_pc_last")
    if last and st.session_state.get("nn_pc_highlight") is not None:
        i, yi, y_hat = last
        sign = "+" if yi > y_hat else "−"
        st.caption(f"Last update on point #{i} (ringed): label y = {yi} but ŷ = {y_hat}, so w ← w {sign} η·x and "
                   f"b ← b {sign} η "
                   f"— the line moves towards putting that point on the {'blue' if yi else 'orange'} side.")
    if st.session_state.get("nn_pc_note"):
        st.info(st.session_state["nn_pc_note"])
    trace = st.session_state.get("nn_pc_trace")
    if trace and trace[2]:
        st.success(f"Converged after {trace[0]} updates ({trace[1]} epochs): every point is on its side. The perceptron "
                   "convergence theorem guarantees this whenever a separating line exists.")
    elif trace:
        st.warning(f"Not converged after {trace[1]} epochs ({trace[0]} updates): {trace[3]} points are still misclassified. "
                   "No straight line separates these classes, so each update fixes one point and breaks another — the "
                   "rule never stops. A hidden layer fixes this (next tab).", icon="🔁")
    left, right = st.columns([3, 2])
    plot(container=left, spec=perceptron_figure(X, y, [w1, w2], b, st.session_state.get("nn_pc_highlight"),
                                        title="ŷ = 1 if w·x + b > 0 else 0"), width="stretch", key="nn_fig_perceptron")
    log = st.session_state.get("nn_pc_log", [errors])
    plot(container=right, spec=errors_figure(log, len(X)), width="stretch", key="nn_fig_pc_errors")
    right.caption("On separable data the count reaches 0 and stays; on XOR or the circle it keeps bouncing.")


# ---------------------------------------------------------------- MLP playground: the live view
def _fmt(value: float | None, pattern: str) -> str:
    """A metric's text; a dash before the first evaluation."""
    return "—" if value is None or value != value else pattern.format(value)


def live_view(feature_names, show_test: bool, discretize: bool):
    """The render function of the training panel: metrics, the network's neuron maps, the output map, loss curves."""

    def render(run: PlaygroundRun) -> None:
        latest = run.latest()
        m = st.columns(4)
        m[0].metric("Epoch", f"{run.epoch:,.1f}")
        m[1].metric("Train loss", _fmt(latest.get("train_loss"), "{:.4f}"))
        m[2].metric("Test loss", _fmt(latest.get("val_loss"), "{:.4f}"))
        if run.task == "binary":
            m[3].metric("Test accuracy", _fmt(latest.get("val_acc"), "{:.1%}"))
        view = grid_view(run, GRID)  # ONE forward pass over the grid gives every neuron's map and the output
        output = 2 * view.output - 1 if run.task == "binary" else view.output  # P = 0.5 → 0: the tile's colours match the map
        columns = [view.features.numpy()] + [h.numpy() for h in view.hidden] + [output.numpy()[:, None]]
        titles = ["inputs"] + [f"layer {i + 1}" for i in range(len(view.hidden))] + ["output"]
        weights = [layer.weight.detach().float().cpu().numpy() for layer in run.model.linear_layers()]
        left, right = st.columns([3, 2])
        plot(container=left, spec=neuron_maps_figure(columns, titles, weights, row_labels=feature_names), width="stretch",
                          key="nn_fig_network", config={"displayModeBar": False})
        plot(container=left, spec=loss_curves_figure(run.history), width="stretch", key="nn_fig_loss")
        points = tuple(t.numpy() for t in run.points)
        title = "Output: P(class 1)" if run.task == "binary" else "Output: predicted value"
        plot(container=right, spec=decision_figure(view.axis.numpy(), view.output.numpy(), points, run.task, show_test, discretize,
                                           title=title), width="stretch", key="nn_fig_decision")

    return render


# ---------------------------------------------------------------- forward pass inspector
@st.fragment
def inspector_section(run: PlaygroundRun | None) -> None:
    """Type a point; see its features, then z = W·x + b and a = act(z) layer by layer, ending in model(x)."""
    if run is None:
        st.info("Select at least one input feature in the MLP playground tab: the inspector follows that network.")
        return
    c = st.columns([1, 1, 3])
    x1 = c[0].number_input("x₁", -6.0, 6.0, 1.5, step=0.5, key="nn_fx1", bind="query-params")
    x2 = c[1].number_input("x₂", -6.0, 6.0, -2.0, step=0.5, key="nn_fx2", bind="query-params")
    c[2].caption(f"The playground's network as it is now, after {run.steps:,} training step{'s' * (run.steps != 1)} "
                 "(pause it to inspect a fixed network). Each cell is coloured by its value: blue > 0, orange < 0.")
    point = torch.tensor([[x1, x2]], dtype=torch.float32)  # (1, 2)
    t = run.transform
    features = t(point)[0]  # (F,) standardized
    table = pd.DataFrame({"raw value": t.raw(point)[0].numpy(), "train mean": t.mean.numpy(), "train std": t.std.numpy(),
                          "standardized x": features.numpy()}, index=list(t.names))
    st.markdown("**1 · Features** — each is standardized with the training set's mean and std before entering the network.")
    st.dataframe(table.style.format("{:.3f}"), width="content", key="nn_table_features")
    with run.locked():  # a snapshot: the run may be training in the background
        model = copy.deepcopy(run.model).cpu().eval()
    steps = inspect_forward(model, features)
    st.markdown("**2 · Layer by layer**")
    names = list(t.names)
    for step in steps:
        act = "no activation: a = z" if step.activation == "none" else f"a = {step.activation.lower()}(z)"
        plot(spec=layer_figure(step.x.numpy(), step.W.numpy(), step.b.numpy(), step.z.numpy(), step.a.numpy(), names,
                                     step.activation, title=f"{step.name}: z = W·x + b, {act}"),
                        width="stretch", key=f"nn_fig_layer_{step.name}")
        names = [f"n{j + 1}" for j in range(len(step.a))]
    out = float(steps[-1].a[0])
    with torch.no_grad():
        model_out = float(model(features[None])[0, 0])  # the model's own forward pass
    same = "✅ the same" if abs(out - model_out) <= 1e-5 * max(1.0, abs(out)) else "❌ different"
    text = f"**3 · Output** — the inspector's final value **{out:.6f}**; `model(x)` gives **{model_out:.6f}** ({same})"
    if run.task == "binary":
        text += f". That is a logit: P(class 1) = σ({out:.3f}) = **{torch.sigmoid(torch.tensor(out)).item():.1%}**"
    st.markdown(text + ".")
    left, right = st.columns([2, 3])
    with run.locked():
        view = grid_view(run, GRID)
    points = tuple(p.numpy() for p in run.points)
    plot(container=left, spec=decision_figure(view.axis.numpy(), view.output.numpy(), points, run.task, highlight=(x1, x2),
                                      title="Where the point lies"), width="stretch", key="nn_fig_inspect_point")
    right.code(forward_code(steps), language="python")


# ---------------------------------------------------------------- your own points: a CSV or clicks
POINTS_KEY, CSV_KEY, CSV_ERROR_KEY = "nn_own_points", "nn_own_csv", "nn_own_csv_error"


def _read_upload() -> None:
    """Uploader callback: parse the CSV once, keep the points or the reason it was refused."""
    upload = st.session_state.get("nn_own_upload")
    st.session_state.pop(CSV_ERROR_KEY, None)
    if upload is None:
        return
    try:
        st.session_state[CSV_KEY] = parse_csv(upload.getvalue(), upload.name)
    except OwnDataError as error:
        st.session_state[CSV_ERROR_KEY] = str(error)


def _add_point() -> None:
    """Click callback: a point of the chosen colour where the square was clicked."""
    points = st.session_state["nn_own_canvas"].selection["points"]
    if points and "x" in points[0]:
        colour = 1 if st.session_state.get("nn_own_colour", "🔵 blue") == "🔵 blue" else 0
        st.session_state[POINTS_KEY] = st.session_state.get(POINTS_KEY, []) + [
            (round(float(points[0]["x"]), 2), round(float(points[0]["y"]), 2), colour)]


def own_data_controls() -> OwnData | None:
    """A CSV upload or a drawing; returns the points when they can be trained on, else says what is missing."""
    source = st.radio("Your points from", ["📄 a CSV file", "🖱️ clicks on the square"], horizontal=True,
                      key="nn_own_source", bind="query-params")
    if source == "📄 a CSV file":
        left, right = st.columns([3, 2])
        left.file_uploader("CSV with a header: x1, x2, label (two classes) — or x1, x2, y (a number to predict)",
                           type=["csv", "txt"], key="nn_own_upload", on_change=_read_upload)
        right.download_button("⬇️ An example CSV (two rings)", example_csv(), file_name="two-rings.csv", mime="text/csv",
                              on_click="ignore", key="nn_own_example")
        right.caption(f"10 to {MAX_ROWS:,} rows. Each axis is rescaled into the square [−5, 5]; regression targets "
                      "into [−1, 1]. The training-data slider splits it into training and test points.")
        if error := st.session_state.get(CSV_ERROR_KEY):
            st.error(error, icon="📄")
            return None
        own = st.session_state.get(CSV_KEY)
        if own is None:
            st.info("Upload a CSV to train the network on your points.", icon="👆")
            return None
        kind = f"two classes ({own.classes[0]} = orange, {own.classes[1]} = blue)" if own.task == "binary" else "regression"
        st.success(f"**{own.source}**: {own.size:,} points, {kind}.")
        return own
    points = st.session_state.get(POINTS_KEY, [])
    c = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
    c[0].radio("Colour of the next point", ["🟠 orange", "🔵 blue"], horizontal=True, key="nn_own_colour")
    if c[1].button("↶ Undo", key="nn_own_undo", disabled=not points, width="stretch"):
        st.session_state[POINTS_KEY] = points = points[:-1]
    if c[2].button("🗑 Clear", key="nn_own_clear", disabled=not points, width="stretch"):
        st.session_state[POINTS_KEY] = points = []
    plot(canvas_figure(points), key="nn_own_canvas", on_select=_add_point, selection_mode="points")
    try:
        return drawn_points(points)
    except OwnDataError as error:
        st.info(str(error), icon="🖱️")
        return None
