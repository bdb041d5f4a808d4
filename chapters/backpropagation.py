"""Chapter 3: backpropagation, one node at a time, then the matrix version checked against autograd."""

import streamlit as st

from dlplay.lessons.backprop.sections import expression_section, manual_section
from dlplay.ui.sidebar import current_seed

st.title("🔁 Backpropagation")
st.markdown(
    "A network is a chain of small operations, and the **chain rule** says how a change in any input travels to the "
    "loss: multiply the local derivatives along each path, ∂L/∂w = ∂L/∂y × ∂y/∂z × ∂z/∂w. "
    "Backpropagation computes every node's value left to right (forward pass), then walks the graph right to left, "
    "handing each node the **upstream gradient** × its **local derivative**, and summing where a value is used more "
    "than once. Step through it below, then check every number against PyTorch."
)
# Each section is a fragment: a step, a value or a slider re-runs its own section, not the page.
expression_section()

st.header("The matrix version: 3.2 by hand vs autograd")
st.markdown(
    "For a whole layer the same rule works on matrices: with z = aW + b, the backward pass carries δ = ∂L/∂z and "
    "gives ∂L/∂W = aᵀδ, ∂L/∂b = Σ_rows δ and, for the layer below, δ ← (δWᵀ) ⊙ relu′(z). "
    "Here a small ReLU MLP with loss `F.mse_loss` = mean((ŷ − y)²): the correct δ at the output is **2(ŷ − y)/N**, "
    "N = batch_size × outputs. The curriculum's snippet uses `ŷ − y` (the gradient of ½·Σ(ŷ − y)²), has no bias "
    "gradients, and applies relu′ to the activation instead of the pre-activation (the same thing for ReLU, not "
    "for tanh or sigmoid)."
)
manual_section(current_seed())
