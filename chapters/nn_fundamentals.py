"""Chapter 1 · Neural network fundamentals: the perceptron and its rule, a TF-Playground MLP trained live, the forward pass."""

import streamlit as st

from dlplay.lessons.fundamentals.features import FEATURES
from dlplay.lessons.fundamentals.playground import (
    DATASETS,
    EVAL_EVERY,
    MAX_LAYERS,
    MAX_NEURONS,
    OWN,
    REGULARIZATIONS,
    SPIRAL_PRESET,
    PlaygroundConfig,
    build_run,
    playground_code,
)
from dlplay.lessons.fundamentals.sections import inspector_section, live_view, own_data_controls, perceptron_section
from dlplay.models.mlp import ACTIVATION_MODULES
from dlplay.optim.factory import OPTIMIZERS
from dlplay.ui.code_panel import show_code
from dlplay.ui.sidebar import current_device, current_seed
from dlplay.ui.training_panel import training_panel

LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]  # TF Playground's choices
REG_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
DEFAULT = PlaygroundConfig()
DEFAULT_WIDTHS = (4, 2, 4, 4, 4, 4)  # neurons of hidden layers 1–6 before the user changes them
TABS = ["🧩 Perceptron", "🕸️ MLP playground", "🔬 Forward pass"]
DATA_LABELS = {OWN: "🗂️ Your own points", "circle": "Circle", "xor": "XOR", "gaussians": "Gaussians", "spiral": "Spiral", "moons": "Moons",
               "plane": "Plane (regression)", "multi-gaussian": "Multi-Gaussian (regression)"}


def label(name: str) -> str:
    """A data set's display name (a display name maps to itself)."""
    return DATA_LABELS.get(name, name)


def number(value: float | str) -> str:
    """A rate in short form: 0.003, 1e-05."""
    return f"{float(value):g}"


def apply_preset(config: PlaygroundConfig) -> None:
    """Button callback: set every playground control from a configuration."""
    s = st.session_state
    s.update(nn_data=config.dataset, nn_noise=round(config.noise * 100), nn_ratio=round((1 - config.test_fraction) * 100),
             nn_batch=config.batch_size, nn_features=list(config.features), nn_layers=len(config.hidden_sizes),
             nn_act=config.activation, nn_opt=config.optimizer, nn_lr=config.lr, nn_reg=config.regularization,
             nn_reg_rate=config.reg_rate)
    for i, width in enumerate(config.hidden_sizes):
        s[f"nn_h{i + 1}"] = width


st.title("🧩 Neural network fundamentals")
st.markdown(
    "A **perceptron** computes a weighted sum of its inputs plus a bias and fires when it is positive: its decision "
    "boundary is a straight line, so it can only separate classes a line can separate. Stack such units with a "
    "nonlinear **activation** between layers and you get a **multi-layer perceptron (MLP)**, which bends that line into "
    "any shape — each hidden neuron computes a simple map of the input, and the next layer combines them. "
    "**Forward propagation** is just z = W·x + b and a = act(z), layer after layer."
)
# Lazy tabs: only the open one runs (and the URL remembers it); each section is a fragment, so its widgets re-run it alone.
perceptron_tab, playground_tab, forward_tab = st.tabs(TABS, default=TABS[1], key="nn_tab", bind="query-params",
                                                      on_change="rerun")

with perceptron_tab:
    if perceptron_tab.open:
        st.markdown("Move **w₁, w₂, b** to place the line yourself, or let the **perceptron rule** learn it: take a "
                    "misclassified point, nudge w ← w + η·(y − ŷ)·x and b ← b + η·(y − ŷ), repeat. The arrow **w** is "
                    "perpendicular to the line and points to the side predicted 1 (blue).")
        perceptron_section(current_seed())


@st.fragment
def playground_section() -> None:
    """Data, features and network controls, the live panel and the code: one fragment, so a change re-runs it alone."""
    st.markdown("TensorFlow Playground, in PyTorch: pick data and features, shape the network, press **Play**. Every "
                "tile on the left is one neuron's output over the whole square; the lines are the weights (blue > 0, "
                "orange < 0, thicker = larger). New to this? Start with the **🧩 Perceptron** tab. Inputs are "
                "standardized (mean 0, std 1 on the training set) so that x₁² (up to 36) and sin x₁ (±1) start equal.")
    p1, p2, p3, _ = st.columns([1, 1, 1, 2], vertical_alignment="bottom")
    p1.button("🌀 Spiral preset", key="nn_preset_spiral", on_click=apply_preset, args=(SPIRAL_PRESET,), width="stretch",
              help="Features x₁, x₂, x₁², x₂², sin x₁, sin x₂; layers 8-8-6; tanh; Adam lr 0.03; batch 16 — "
                   "passes 95 % test accuracy within about 150 steps, a second or two of Play.")
    p2.button("↺ TF Playground defaults", key="nn_preset_default", on_click=apply_preset, args=(DEFAULT,), width="stretch")
    show_test = p3.checkbox("Show test data", True, key="nn_show_test", bind="query-params")
    discretize = p3.checkbox("Discretize output", False, key="nn_discretize", bind="query-params",
                             help="Colour by the predicted class (or rounded value) instead of the probability.")

    c = st.columns(4)
    dataset = c[0].selectbox("Data set", DATASETS + (OWN,), DATASETS.index(DEFAULT.dataset), format_func=label, key="nn_data",
                             bind="query-params", help="The last two are regression: the output is a number, the loss MSE.")
    noise = c[1].slider("Noise (%)", 0, 50, 0, step=5, key="nn_noise", bind="query-params", disabled=dataset == OWN)
    ratio = c[2].slider("Training data (%)", 10, 90, 50, step=10, key="nn_ratio", bind="query-params",
                        help="The rest is the test set: its loss shows how well the network generalizes.")
    batch_size = c[3].slider("Batch size", 1, 30, DEFAULT.batch_size, key="nn_batch", bind="query-params")
    features = st.pills("Input features", FEATURES, selection_mode="multi", default=list(DEFAULT.features), key="nn_features",
                        bind="query-params", help="What the network sees of each point (x₁, x₂). Nonlinear features "
                                                  "let even a network without hidden layers draw curved boundaries.")
    c = st.columns(5)
    activation = c[0].selectbox("Activation", list(ACTIVATION_MODULES), list(ACTIVATION_MODULES).index(DEFAULT.activation),
                                key="nn_act", bind="query-params")
    optimizer = c[1].selectbox("Optimizer", OPTIMIZERS, OPTIMIZERS.index(DEFAULT.optimizer), key="nn_opt", bind="query-params")
    lr = c[2].select_slider("Learning rate (live)", LRS, DEFAULT.lr, key="nn_lr", bind="query-params", format_func=number)
    regularization = c[3].selectbox("Regularization", REGULARIZATIONS, key="nn_reg", bind="query-params",
                                    help="Adds λ·Σ|w| (L1) or λ·Σw² (L2) over the weight matrices to the loss.")
    reg_rate = c[4].select_slider("Regularization rate λ", REG_RATES, 0.0, key="nn_reg_rate", bind="query-params",
                                  format_func=number)
    c = st.columns([2] + [1] * MAX_LAYERS, vertical_alignment="bottom")
    n_layers = c[0].slider("Hidden layers", 0, MAX_LAYERS, len(DEFAULT.hidden_sizes), key="nn_layers", bind="query-params")
    widths = tuple(int(c[i + 1].number_input(f"Layer {i + 1}", 1, MAX_NEURONS, DEFAULT_WIDTHS[i], key=f"nn_h{i + 1}",
                                             bind="query-params", help="Neurons in this hidden layer (1–8)."))
                   for i in range(n_layers))
    if n_layers == 0:
        st.caption("No hidden layer: the network is one `nn.Linear` — logistic regression on the selected features.")

    own = own_data_controls() if dataset == OWN else None
    if dataset == OWN and own is None:
        pass  # own_data_controls said what is missing
    elif not features:
        st.info("Select at least one input feature above (x₁ and x₂ are a good start): a network with no input has nothing "
                "to learn from.", icon="👆")
    else:
        config = PlaygroundConfig(
            dataset=dataset, noise=noise / 100, test_fraction=1 - ratio / 100, hidden_sizes=widths,
            features=tuple(f for f in FEATURES if f in features),  # the network's input order follows FEATURES
            activation=activation, optimizer=optimizer, lr=lr, batch_size=batch_size, regularization=regularization,
            reg_rate=reg_rate if regularization != "None" else 0.0, seed=current_seed(), own=own,
        )
        if regularization != "None" and reg_rate == 0:
            st.caption(f"{regularization} is selected but λ = 0: no penalty is added. Raise the rate to see weights shrink.")
        device = current_device()
        run = training_panel("nn_mlp", (config.signature(), str(device)), lambda: build_run(config, device),
                             live_view(list(config.features), show_test, discretize), device=device, step_size=EVAL_EVERY)  # Step = one epoch at the defaults, as in TF Playground
        run.set_lr(lr)  # the learning rate applies live, without a rebuild
        if config.task == "regression":
            st.caption("Regression: one linear output trained with MSE; the colour is the predicted value.")
        show_code(playground_code(config), label="🐍 The PyTorch code for these settings: model, features, optimizer, loop")


with playground_tab:
    if playground_tab.open:
        playground_section()

with forward_tab:
    if forward_tab.open:
        st.markdown("Type a point and follow it through the playground's network: its features, then each layer's "
                    "**z = W·x + b** and **a = act(z)** with every number shown, ending in exactly what `model(x)` "
                    "returns.")
        inspector_section(st.session_state.get("nn_mlp__run"))
