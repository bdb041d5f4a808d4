"""The Activation Functions page's sections (chapter 2): curves, softmax, gradient flow, the facts of the chosen ones.

Each section is a fragment, so its own widgets re-run it alone. The activations chosen in section 1 (and Leaky ReLU's
α) also drive the gradient flow and the facts table: changing them re-runs those three fragments by key, not the page.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st

from dlplay.lessons.activations.activations import (
    ACTIVATION_NAMES,
    FACTS,
    INITS,
    MAX_LOGITS,
    MIN_TEMPERATURE,
    USES_ALPHA,
    StackConfig,
    clamp_temperature,
    curves,
    curves_code,
    flow_summary,
    gradient_norms,
    parse_logits,
    softmax_code,
    softmax_steps,
    stack_code,
)
from dlplay.lessons.activations.figures import curves_figure, gradient_flow_figure, softmax_figure
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code

DEFAULT_NAMES = ["Sigmoid", "Tanh", "ReLU", "Leaky ReLU", "GELU"]
DEFAULT_ALPHA = 0.1
DEFAULT_LOGITS = "2, 1, 0.1"
HUGE_LOGITS = "1000, 1001, 1002"
WIDTHS = [4, 8, 16, 32, 64, 128, 256]
CURVES, FLOW, FACTS_TABLE = "act_curves", "act_flow", "act_facts"  # fragment keys


def fmt(v: float) -> str:
    """A number in 4 significant digits; inf and nan spelled out."""
    return f"{v:.4g}"


def chosen() -> tuple[list[str], float]:
    """The activations chosen in section 1 and Leaky ReLU's slope α (defaults before section 1 has run)."""
    s = st.session_state
    return list(s.get("act_names", DEFAULT_NAMES)), float(s.get("act_alpha", DEFAULT_ALPHA))


def _names_changed() -> None:
    """Widget callback: the choice drives the curves, the gradient flow and the facts table: re-run those three."""
    st.rerun([CURVES, FLOW, FACTS_TABLE])


def _alpha_changed() -> None:
    """Widget callback: α changes the gradient flow only when Leaky ReLU is drawn there."""
    if "Leaky ReLU" in st.session_state.get("act_names", ()):
        st.rerun([CURVES, FLOW])


# ---------------------------------------------------------------- 1 · curves and derivatives
@st.fragment(key=CURVES)
def curves_section() -> None:
    """Pick activations, an x range and α; their curves and autograd derivatives side by side."""
    c1, c2, c3 = st.columns([3, 2, 2])
    names = c1.multiselect("Activations to overlay", ACTIVATION_NAMES, default=DEFAULT_NAMES, key="act_names",
                           bind="query-params", on_change=_names_changed,
                           help="The curves, the gradient-flow chart and the table at the bottom show these.")
    x_lo, x_hi = c2.slider("x range", -50.0, 50.0, (-5.0, 5.0), step=0.5, key="act_xrange", bind="query-params",
                           help="Widen it to see where sigmoid and tanh flatten out (saturate).")
    alpha = c3.slider("Leaky ReLU slope α", 0.0, 0.5, DEFAULT_ALPHA, step=0.01, key="act_alpha", bind="query-params",
                      on_change=_alpha_changed,
                      help="Leaky ReLU(x) = max(αx, x). PyTorch's default is α = 0.01; α = 0 is plain ReLU.")
    if x_lo >= x_hi:
        st.warning(f"The x range has zero width ({x_lo:g} to {x_hi:g}): drag the handles apart. "
                   f"Showing {x_lo - 1:g} to {x_lo + 1:g}.")
        x_lo, x_hi = x_lo - 1.0, x_lo + 1.0
    if not names:
        st.info("Pick at least one activation above to see its curve, its derivative and its gradient flow.")
        return
    x, values, derivatives = curves(names, x_lo, x_hi, alpha=alpha)  # 801 points: ~3 ms, not worth a cache
    left, right = st.columns(2)
    plot(curves_figure(x.numpy(), _np(values), "Activation f(x)", "f(x)"), container=left, key="act_fig_values")
    plot(curves_figure(x.numpy(), _np(derivatives), "Derivative f′(x), by autograd", "f′(x)"), container=right,
         key="act_fig_derivs")
    st.markdown(
        "Where **f′(x) ≈ 0** the unit is *saturated*: a change in its input barely changes its output, so almost no "
        "gradient passes. Sigmoid's slope never exceeds **0.25** and tanh's never exceeds **1**; ReLU passes gradient "
        "1 for x > 0 and exactly **0** for x < 0 (a unit stuck there is *dead*), which Leaky ReLU's slope α avoids."
    )
    show_code(curves_code(names, x_lo, x_hi, alpha), label="🐍 PyTorch: these curves and their derivatives")


def _np(tensors: dict) -> dict:
    return {name: t.numpy() for name, t in tensors.items()}


# ---------------------------------------------------------------- 2 · softmax
def _set_logits(text: str) -> None:
    """Button callback: put an example into the logits box."""
    st.session_state["act_logits"] = text


@st.fragment
def softmax_section() -> None:
    """Logits and a temperature; the probabilities, and naive vs max-shifted softmax step by step in float32."""
    c1, c2 = st.columns([3, 2])
    if "act_logits" not in st.session_state:  # set here, not as the widget's default, so the buttons may overwrite it
        st.session_state["act_logits"] = DEFAULT_LOGITS
    with c1:
        text = st.text_input(f"Logits z (comma-separated, up to {MAX_LOGITS})", key="act_logits", bind="query-params",
                             help="For example 2, 1, 0.1 — or 1000, 1001, 1002 to break the naive formula.")
        with st.container(horizontal=True):
            st.button(f"Try huge logits: {HUGE_LOGITS}", on_click=_set_logits, args=(HUGE_LOGITS,), key="act_btn_huge")
            st.button(f"Back to {DEFAULT_LOGITS}", on_click=_set_logits, args=(DEFAULT_LOGITS,), key="act_btn_reset")
    raw_t = c2.slider("Temperature T", 0.0, 5.0, 1.0, step=0.05, key="act_temp", bind="query-params",
                      help="Divides every logit before softmax. T → 0 picks the largest (argmax); large T → uniform.")
    temperature = clamp_temperature(raw_t)
    if temperature != raw_t:
        st.info(f"T = {raw_t:g} would divide by zero: using T = {MIN_TEMPERATURE:g}. "
                "As T → 0, softmax becomes a one-hot argmax.")
    try:
        logits = parse_logits(text or "")
    except ValueError as err:
        st.warning(f"Could not read the logits ({err}). Showing the example {DEFAULT_LOGITS} instead.")
        logits = parse_logits(DEFAULT_LOGITS)

    steps = softmax_steps(logits, temperature)
    labels = [f"z{i + 1} = {v:g}" for i, v in enumerate(logits)]
    left, right = st.columns([1, 1])
    baseline = softmax_steps(logits, 1.0).reference.numpy() if temperature != 1.0 else None
    plot(softmax_figure(labels, steps.stable.numpy(), temperature, baseline), container=left, key="act_fig_softmax")
    with right:
        rows = {
            "z / T": steps.scaled, "naive: exp(z/T)": steps.naive_exp, "naive: p": steps.naive,
            "shifted: z/T − max": steps.shifted, "shifted: exp(z/T − max)": steps.shifted_exp, "shifted: p": steps.stable,
            "F.softmax(z/T)": steps.reference,
        }
        table = pd.DataFrame([[fmt(float(v)) for v in row] for row in rows.values()], index=list(rows), columns=labels)
        st.markdown("**Step by step, in float32:** the naive formula (top) and the max-shifted one (bottom)")
        st.dataframe(table, width="stretch", key="act_table_softmax")
        if steps.naive_failed:
            st.warning(
                "**The naive formula fails here:** exp overflows to `inf` (or underflows to 0 for all), and "
                "inf / inf = `nan`. The max-shifted version is fine and matches `F.softmax` "
                f"(largest difference {steps.stable_error:.1e})."
            )
        else:
            st.success(f"Both versions work for these logits; the max-shifted one matches `F.softmax` (largest difference "
                       f"{steps.stable_error:.1e}). Try **{HUGE_LOGITS}** to see the naive one break.")
    show_code(softmax_code(logits, temperature), label="🐍 PyTorch: softmax, naive and stable")


# ---------------------------------------------------------------- 3 · gradient flow
@st.cache_data(max_entries=512, show_spinner=False)
def cached_norms(name: str, depth: int, hidden_size: int, init: str, seed: int, alpha: float) -> np.ndarray:
    """Gradient norms of one activation's stack, cached per activation: an α change recomputes Leaky ReLU only."""
    config = StackConfig(depth=depth, hidden_size=hidden_size, init=init, seed=seed)
    return gradient_norms(name, config, alpha).numpy()


@st.fragment(key=FLOW)
def gradient_flow_section(seed: int) -> None:
    """Depth, width and init of a deep stack; the gradient reaching each layer for every chosen activation."""
    c1, c2, c3 = st.columns(3)
    depth = c1.slider("Depth (layers)", 1, 50, 20, key="act_depth", bind="query-params")
    width = c2.select_slider("Width (hidden_size)", WIDTHS, value=64, key="act_width", bind="query-params")
    init = c3.selectbox("Weight init", INITS, key="act_init", bind="query-params",
                        help="PyTorch default: U(±1/√fan_in). Xavier: Var = 2/(fan_in+fan_out), for tanh/sigmoid. "
                             "Kaiming: Var = 2/fan_in, for ReLU.")
    names, alpha = chosen()
    if not names:
        st.info("Pick at least one activation in section 1 to compare how gradients flow through a deep stack.")
        return
    norms = {name: cached_norms(name, depth, width, init, seed, alpha if name in USES_ALPHA else 0.0) for name in names}
    plot(gradient_flow_figure(norms, f"{depth} layers × {width} units, {init} init"), key="act_fig_flow")
    summary = pd.DataFrame(flow_summary(norms)).set_index("activation")
    st.dataframe(summary.map(lambda v: fmt(v) if isinstance(v, float) else v), width="stretch", key="act_table_flow")
    gaps = [name for name, n in norms.items() if not (np.isfinite(n) & (n > 0)).all()]
    if gaps:
        st.caption(f"Gaps in the lines of {', '.join(gaps)}: the gradient there is exactly 0 (it underflowed float32, "
                   "or every unit is dead) — a log axis cannot show 0.")
    st.caption("Try: sigmoid at depth 30 (vanishing), then Kaiming init with ReLU (flat), then width 4 (noisy, dead units).")
    show_code(stack_code(names, StackConfig(depth=depth, hidden_size=width, init=init, seed=seed), alpha),
              label="🐍 PyTorch: the deep stack and its gradient norms")


# ---------------------------------------------------------------- 4 · which activation where
@st.fragment(key=FACTS_TABLE)
def facts_section() -> None:
    """Formula, range, saturation, dead units and use of each chosen activation."""
    names, _ = chosen()
    if names:
        st.markdown("**The activations you selected**")
        facts = pd.DataFrame([asdict(FACTS[n]) for n in names], index=pd.Index(names, name="activation"))
        st.table(facts.rename(columns={"saturation": "saturates", "dead_neurons": "dead neurons?", "use": "used for"}))
