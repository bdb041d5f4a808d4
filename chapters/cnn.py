"""Chapter 5 · Convolutional neural networks: the convolution stepped, pooling, a CNN trained live, your own drawing,
and a race against an MLP."""

import streamlit as st

from dlplay.lessons.cnn.lab import build_run, signature, steps_for_epochs
from dlplay.lessons.cnn.race import build_race
from dlplay.lessons.cnn.sections import (
    cached_data,
    convolution_sections,
    data_notice,
    evaluation_section,
    lab_controls,
    layer_section,
    render_live,
    render_race,
    shift_test_section,
    your_input_section,
)
from dlplay.lessons.cnn.snippets import CURRICULUM_CNN, lab_code
from dlplay.ui.code_panel import show_code
from dlplay.ui.sidebar import current_device, current_seed
from dlplay.ui.training_panel import session_run, training_panel

st.title("🖼️ Convolutional neural networks")
st.markdown(
    "An MLP sees an image as one long list of numbers: move the digit by two pixels and every input changes. A "
    "**convolutional network** looks through small windows instead: the same few weights — a **kernel** — slide over "
    "every position, so a stroke or an edge is found wherever it is, with a fraction of the parameters. "
    "**Pooling** then keeps the strongest answers of each neighbourhood, and stacked blocks see ever larger patterns."
)

# ---------------------------------------------------------------- 1 · convolution
st.header("1 · Convolution, stepped")
st.markdown(
    "Each output cell is a **sum of products**: lay the kernel on a window of the input, multiply tap by tap, add up "
    "(and add the bias). **Stride** is how far the window jumps, **padding** adds zeros around the input, **dilation** "
    "spreads the taps apart. Step through the cells and watch the window move."
)
seed = current_seed()
convolution_sections(seed)

# ---------------------------------------------------------------- 3 · the live lab
st.header("3 · Train the CNN live")
st.markdown(
    "The curriculum's `CNN`: blocks of **Conv → ReLU → MaxPool**, then **Flatten → Linear → ReLU → Dropout → Linear**. "
    "Press **▶ Play**: the loss falls, the first layer's kernels turn from noise into edge and stroke detectors, and "
    "each block's feature maps show what it found in a test image. Learning rate and epochs apply live; anything else "
    "starts a fresh model."
)
config = lab_controls(seed)
data = cached_data(config.dataset, config.n_train, config.n_test, config.seed)
data_notice(config.dataset, data)
st.select_slider("Feature maps of test image", list(range(min(len(data.X_test), 50))), 0, key="cnn_fm_image",
                 bind="query-params", help="The image whose feature maps are drawn below the curves.")
device = current_device()
lab_signature = signature(config, data.name, device)


def build():
    """A fresh seeded run for the current settings (the panel calls it on Reset and when the signature changes)."""
    return build_run(config, data, device)


run = session_run("cnn", lab_signature, build)
run.set_lr(config.lr)
run.set_max_steps(steps_for_epochs(config.epochs, len(data.X_train), config.batch_size))
run = training_panel("cnn", lab_signature, build, lambda r: render_live(r, data), device=device, step_size=20,
                     chunk_seconds=0.3)
with st.expander("🧱 The layers: output shape and parameters", expanded=False):
    layer_section(run)
show_code(lab_code(config, data.X_train.shape[1], data.X_train.shape[-1], len(data.classes)),
          label="🐍 PyTorch: this model and its training loop")
show_code(CURRICULUM_CNN, label="📘 The curriculum's CNN (chapter 5.2) — the defaults of `dlplay.models.cnn.CNN`")
st.subheader("Evaluation")
st.markdown("Which classes does the model confuse, and which mistakes is it most sure of? The model as it is now, on "
            "the held-out images.")
evaluation_section(data)

# ---------------------------------------------------------------- 4 · your own input
st.header("4 · Your own input")
st.markdown(
    "Draw a digit (or upload a picture) and the lab's model classifies it. **Grad-CAM** weighs the last block's "
    "feature maps by how much each one pushes the winning class up and shows where they fire; **saliency** shows how "
    "sensitive the answer is to each pixel. A model that only looks at the right strokes has learned the task."
)
your_input_section(data)

# ---------------------------------------------------------------- 5 · CNN vs MLP
st.header("5 · CNN vs MLP")
st.markdown(
    "The same images, an MLP with about as many parameters as the CNN, the same batches and optimizer: press **▶ Play** "
    "to race them. Then the **shift test** moves the test images by 0–6 pixels: the CNN's shared kernels and pooling "
    "cope with the move much better than the MLP, whose every weight belongs to one pixel position."
)
race_signature = ("race", *lab_signature)
race = training_panel("cnn_race", race_signature, lambda: build_race(config, data, device), render_race, device=device,
                      step_size=20, chunk_seconds=0.3)
for member in race.runs.values():
    member.set_lr(config.lr)
shift_test_section(data)
