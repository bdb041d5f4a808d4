"""The Backpropagation page's sections (chapter 3): the node-by-node stepper, the matrix version against autograd.

Each section is a fragment: its widgets and buttons re-run it alone."""

from __future__ import annotations

import inspect
import re

import pandas as pd
import streamlit as st
import torch

from dlplay.lessons.backprop.expression_parser import FUNCTIONS, ExpressionError, parse, variable_names
from dlplay.lessons.backprop.figures import computation_graph_figure, relative_error_figure
from dlplay.lessons.backprop.manual_backprop import MLPProblem, compare, manual_backward
from dlplay.lessons.backprop.scalar_autograd import MathDomainError
from dlplay.lessons.backprop.stepper import PRESETS, GraphTooLargeError, comparison_rows, stepper_for, torch_code
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code

STEPPER, SIGNATURE = "bp_stepper", "bp_signature"  # session-state slots (not widgets)
PRESET_BY_KEY = {p.key: p for p in PRESETS}
PER_ROW = 6  # variable inputs per row


def _plain(text: str) -> str:
    """text with markdown's special characters escaped (messages quote what the user typed)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$])", r"\\\1", text)


def _step(action: str) -> None:
    """Button callback: advance or reset the stepper kept in session state."""
    stepper = st.session_state.get(STEPPER)
    if stepper is not None:
        {"forward": stepper.step_forward, "backward": stepper.step_backward,
         "end": stepper.run_to_end, "reset": stepper.reset}[action]()


# ---------------------------------------------------------------- the stepper
@st.fragment
def expression_section() -> None:
    """Pick or type an expression, set its variables, and step through forward and backward passes."""
    preset = PRESET_BY_KEY[st.selectbox(
        "Expression", list(PRESET_BY_KEY), format_func=lambda k: PRESET_BY_KEY[k].title,
        key="bp_preset", bind="query-params",
    )]
    if preset.key == "own":
        expression = st.text_input(
            "Your expression", value=preset.expression, key="bp_expr", bind="query-params", max_chars=300,
            help=f"Numbers, variables, + − * /, ^ or ** for powers, parentheses and {', '.join(FUNCTIONS)}.",
        )
    else:
        expression = preset.expression
        st.code(f"{preset.output_name} = {expression}", language=None)
    try:
        names = variable_names(parse(expression))
    except ExpressionError as error:
        if not expression.strip():
            st.warning(f"**No expression yet:** {_plain(error.message)}.")
        else:
            st.warning(f"**This expression can't be read:** {_plain(error.message)}. The caret marks the spot:")
            st.code(error.caret(), language=None)
        return

    values: dict[str, float] = {}
    for start in range(0, len(names), PER_ROW):
        for column, name in zip(st.columns(PER_ROW), names[start:start + PER_ROW]):
            values[name] = column.number_input(
                name, min_value=-1000.0, max_value=1000.0, value=float(preset.values.get(name, 1.0)), step=0.1,
                format="%.4f", key=f"bp_{preset.key}_{name}", bind="query-params",
            )
    try:
        fresh = stepper_for(expression, values, preset.output_name)
    except MathDomainError as error:
        st.warning(f"**A maths problem at these values:** {_plain(str(error))}. Change a variable or the expression.")
        return
    except GraphTooLargeError as error:
        st.warning(f"**This expression is too big to step through:** {_plain(str(error))}. Try a shorter one.")
        return

    signature = (expression, tuple(values.items()), preset.output_name)
    if st.session_state.get(SIGNATURE) != signature:
        old = st.session_state.get(STEPPER)
        if old is not None and (old.forward_done or old.backward_done):
            st.toast("The expression or a value changed: the stepper starts again.")
        st.session_state[STEPPER], st.session_state[SIGNATURE] = fresh, signature
    stepper = st.session_state[STEPPER]

    phase = stepper.phase
    controls = [  # (label, action, enabled, highlighted)
        ("Step forward ▶", "forward", phase == "forward", phase == "forward"),
        ("◀ Step backward", "backward", phase == "backward", phase == "backward"),
        ("Run to the end »", "end", phase != "done", False),
        ("Reset ↺", "reset", True, False),
    ]
    for column, (text, action, enabled, highlighted) in zip(st.columns(4), controls):
        column.button(text, on_click=_step, args=(action,), disabled=not enabled, width="stretch",
                      type="primary" if highlighted else "secondary", key=f"bp_{action}")

    n = len(stepper.nodes)
    progress = {
        "forward": f"**Forward pass:** {stepper.forward_done} of {n} values computed (topological order).",
        "backward": f"**Backward pass:** {stepper.backward_done} of {n} gradients final (reverse topological order).",
        "done": f"**Done:** every value and all {n} gradients are known.",
    }[phase]
    st.markdown(progress)

    spec = computation_graph_figure(
        [stepper.short_label(i) for i in range(n)], stepper.values, stepper.grads, stepper.edges(), stepper.depths(),
        [node.is_leaf for node in stepper.nodes], current=stepper.current, highlight_edges=stepper.active_edges(),
        title=f"Computation graph of {preset.output_name} (blue: inputs and constants)",
        hover=[stepper.label(i) for i in range(n)],
    )
    plot(spec, key="bp_graph")
    st.markdown("**What the current step computed**")
    st.code("\n".join(stepper.explain()), language=None, wrap_lines=True)

    st.subheader("Our gradients vs PyTorch's")
    if phase != "done":
        st.info("Finish the backward pass (or press **Run to the end**) to compare every gradient with PyTorch's.")
    elif not values:
        st.info("This expression has no variables, so there is no gradient to compare.")
    else:
        rows = comparison_rows(expression, values, stepper.variable_grads())
        table = pd.DataFrame(rows).set_index("variable")
        st.dataframe(table.style.format({"ours": "{:.6g}", "PyTorch": "{:.6g}", "|diff|": "{:.1e}"}), width="stretch")
    show_code(torch_code(expression, values, preset.output_name))


# ---------------------------------------------------------------- the matrix version
@st.fragment
def manual_section(seed: int) -> None:
    """The curriculum's matrix backward pass for a ReLU MLP, compared layer by layer with autograd."""
    columns = st.columns(4)
    layers = columns[0].slider("Hidden layers", 1, 4, 2, key="bp_layers", bind="query-params")
    hidden_size = columns[1].slider("hidden_size", 2, 64, 8, key="bp_hidden", bind="query-params")
    batch_size = columns[2].slider("batch_size", 1, 64, 16, key="bp_batch", bind="query-params")
    dtype_name = columns[3].radio("dtype", ["float32", "float64"], key="bp_dtype", bind="query-params", horizontal=True)
    problem = MLPProblem(
        hidden_sizes=(hidden_size,) * layers, batch_size=batch_size, seed=seed,
        dtype=torch.float32 if dtype_name == "float32" else torch.float64,
    )
    reports = compare(problem)
    table = pd.DataFrame([{
        "layer": r.layer, "W shape (in, out)": str(r.weight_shape), "∂L/∂W rel. error": r.weight_error,
        "∂L/∂b rel. error": r.bias_error, "curriculum snippet ∂L/∂W rel. error": r.curriculum_error,
    } for r in reports]).set_index("layer")
    st.dataframe(table.style.format("{:.1e}", subset=table.columns[1:]), width="stretch")
    left, right = st.columns([3, 2])
    spec = relative_error_figure(
        [f"layer {r.layer}" for r in reports],
        {"manual ∂L/∂W": [r.weight_error for r in reports], "manual ∂L/∂b": [r.bias_error for r in reports],
         "curriculum snippet ∂L/∂W": [r.curriculum_error for r in reports]},
    )
    plot(spec, container=left, key="bp_errors")
    n = batch_size * problem.output_size
    right.markdown(
        f"The manual gradients match autograd to rounding. The snippet's ∂L/∂W are **N/2 = {n / 2:g}** times too "
        f"large here (N = {batch_size} × {problem.output_size} = {n}), a relative error of N/2 − 1 = {n / 2 - 1:g}: "
        "a learning rate tuned with one of them is wrong for the other. Try batch_size 1, where N/2 = 1."
    )
    show_code(inspect.getsource(manual_backward), label="🐍 The manual backward pass (dlplay.lessons.backprop.manual_backprop)")
