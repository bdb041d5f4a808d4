"""Chapter 4 · Training neural networks: loss functions, a live training lab, evaluation."""

import streamlit as st

from dlplay.lessons.training_networks.sections import evaluation_section, lab_section, loss_functions_section
from dlplay.ui.sidebar import current_device, current_seed

st.title("🏋️ Training neural networks")
st.markdown(
    "Training is one loop repeated thousands of times: a **forward pass** predicts, a **loss function** scores the "
    "predictions with a single number, **backpropagation** gives that number's gradient for every weight, and an "
    "**optimizer** nudges the weights downhill — one minibatch at a time. The loss decides what *wrong* means; images "
    "the model never trains on (**validation**) tell whether it learned the task or memorised its examples."
)
# Each section is a fragment: a loss slider re-runs the loss curves; a lab setting re-runs the lab and the evaluation;
# Play, Pause and Step re-run the training panel only.

st.header("1 · Loss functions")
loss_functions_section()

st.header("2 · Training lab")
st.markdown(
    "The curriculum's `MLP(784, 256, 10)` learns to read 28×28 images of digits (or clothes). Press **▶ Play** and watch "
    "the loss fall and the accuracy climb; the learning rate and the number of epochs apply live, anything else starts a "
    "fresh model."
)
lab_section(current_seed(), current_device())

st.header("3 · Evaluation")
evaluation_section()
