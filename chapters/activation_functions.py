"""Chapter 2 · Activation functions: curves and derivatives, softmax with temperature, gradient flow, which one where."""

import streamlit as st

from dlplay.lessons.activations.sections import curves_section, facts_section, gradient_flow_section, softmax_section
from dlplay.ui.sidebar import current_seed

st.title("📈 Activation functions")
st.markdown(
    "Without a nonlinearity between them, stacked linear layers collapse into **one** linear map: the activation "
    "function is what lets a network bend. Its **shape** decides what a unit can output, and its **derivative** decides "
    "how much gradient flows back through it — too little and deep networks stop learning (vanishing gradients). "
    "Below, every curve comes from `torch.nn.functional` and every derivative from autograd."
)
# Each section is a fragment: a widget re-runs its own section; the activations chosen in section 1 re-run 1, 3 and 4.

st.header("1 · Curves and their derivatives")
curves_section()

st.header("2 · Softmax, temperature and the max-subtraction trick")
st.markdown(
    "Softmax turns a vector of scores (logits) **z** into probabilities: softmax(z)ᵢ = e^(zᵢ/T) / Σⱼ e^(zⱼ/T). "
    "A temperature **T < 1** sharpens the distribution towards the largest logit, **T > 1** flattens it. "
    "Computed straight from the formula, e^z overflows float32 for z > 88.7 — so one subtracts max(z) first, "
    "which leaves the result unchanged (the factor e^(−max) cancels) and keeps every exponent ≤ 0."
)
softmax_section()

st.header("3 · Vanishing and exploding gradients")
st.markdown(
    "Backpropagation multiplies, layer after layer, by the activation's slope f′ and by the weights. "
    "Through L sigmoid layers that product holds up to L factors ≤ 0.25, so the gradient that reaches the first "
    "layers can be billions of times smaller than at the last — those layers barely learn. Below, a stack of "
    "`Linear → activation` layers is built for each selected activation (same weights, same random batch, "
    "seed from the sidebar), and one real `backward()` measures the gradient reaching each layer's weights. "
    "A **flat line** means healthy flow; a line **rising to the right** means vanishing gradients."
)
gradient_flow_section(current_seed())

st.header("4 · Which activation where")
st.markdown(
    """
| Where | Activation | Why |
|---|---|---|
| Hidden layers | **ReLU** (the default), **Leaky ReLU**, **GELU** | cheap, no saturation for x > 0: gradients flow through depth |
| Output · binary | **Sigmoid** | one probability in (0, 1); `nn.BCEWithLogitsLoss` applies it for you |
| Output · multi-class | **Softmax** | probabilities summing to 1; `nn.CrossEntropyLoss` applies it for you |
| Output · regression | **Linear** (no activation) | the output can be any real number |
"""
)
facts_section()
