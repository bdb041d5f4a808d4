"""Chapter 4 · Training neural networks: loss functions, a live training lab, evaluation."""

import streamlit as st

from dlplay.data.torchvision_sets import data_dir
from dlplay.lessons.training_networks.evaluation import build_lab_run, lab_max_steps, train_code
from dlplay.lessons.training_networks.sections import (
    batch_notes,
    cached_data,
    data_notice,
    evaluation_section,
    lab_controls,
    loss_functions_section,
    render_live,
)
from dlplay.ui.code_panel import show_code
from dlplay.ui.sidebar import current_device, current_seed
from dlplay.ui.training_panel import session_run, training_panel

st.title("🏋️ Training neural networks")
st.markdown(
    "Training is one loop repeated thousands of times: a **forward pass** predicts, a **loss function** scores the "
    "predictions with a single number, **backpropagation** gives that number's gradient for every weight, and an "
    "**optimizer** nudges the weights downhill — one minibatch at a time. The loss decides what *wrong* means; images "
    "the model never trains on (**validation**) tell whether it learned the task or memorised its examples."
)

# ---------------------------------------------------------------- 1 · loss functions
st.header("1 · Loss functions")
loss_functions_section()

# ---------------------------------------------------------------- 2 · training lab
st.header("2 · Training lab")
st.markdown(
    "The curriculum's `MLP(784, 256, 10)` learns to read 28×28 images of digits (or clothes). Press **▶ Play** and watch the loss fall and "
    "the accuracy climb; the learning rate and the number of epochs apply live, anything else starts a fresh model."
)
config = lab_controls(current_seed())
root = str(data_dir())
data = cached_data(config.dataset, config.n_train, config.n_test, config.seed, root)
data_notice(config.dataset, data, root)
n_train = len(data.X_train)
batch_notes(config, n_train)
device = current_device()
signature = (config.dataset, data.name, config.n_train, config.hidden_size, config.depth, config.loss, config.optimizer,
             config.batch_size, config.seed, str(device))


def build():
    """A fresh seeded run for the current settings (the panel calls it on Reset and on a change of signature)."""
    return build_lab_run(config, data, device)


run = session_run("tn", signature, build)
run.set_lr(config.lr)  # live: the next step uses the new rate
run.set_max_steps(lab_max_steps(config.epochs, n_train, config.batch_size))
run = training_panel("tn", signature, build, render_live, device=device, step_size=20)
show_code(train_code(config, len(data.classes)), label="🐍 PyTorch: chapter 4.2's train() with these settings")

# ---------------------------------------------------------------- 3 · evaluation
st.header("3 · Evaluation")
evaluation_section(run, data, config)
