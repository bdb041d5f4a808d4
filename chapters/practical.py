"""Chapter 12 · Practical deep learning: transfer learning raced three ways, mixed precision measured, a model deployed."""

import streamlit as st

from dlplay.lessons.practical.sections import (
    deployment_section,
    formats_section,
    precision_section,
    scaling_section,
    transfer_section,
)
from dlplay.ui.sidebar import current_device, current_seed

st.title("🧰 Practical deep learning")
st.markdown(
    "Three things every real project needs once a model trains. **Transfer learning** starts from a network already "
    "trained on a big task, so a new task needs far fewer labels. **Mixed precision** runs the heavy maths in 16-bit "
    "formats to save time and memory — where the hardware supports it. **Deployment** turns the trained model into a "
    "file other programs can run, checked to give the same answers."
)

st.header("1 · Transfer learning")
st.markdown(
    "A convolutional network's early layers learn edges, corners and textures that most image tasks share. "
    "Pretrain it on a **source task** with plenty of labels, then reuse it for a **target task** with only a few: "
    "keep the backbone **frozen** and train a new head (the curriculum's code), **fine-tune** everything with a "
    "smaller learning rate for the backbone, or train the same network **from scratch** for comparison. Here the "
    "source task is five classes of dlplay's colour images, the target task five others."
)
# Each section is a fragment: its widgets re-run it alone, never the page.
transfer_section(current_seed(), current_device())

st.header("2 · Mixed precision, measured")
st.markdown(
    "`torch.autocast` runs matrix products and convolutions in a 16-bit format and keeps the sensitive parts "
    "(reductions, the loss, the weights) in float32. **bfloat16** keeps float32's range with fewer digits, so it "
    "needs nothing else; **float16** has more digits but a tiny range, so small gradients underflow to zero unless "
    "the loss is scaled up first (`torch.amp.GradScaler`). Whether it is *faster* depends on the hardware: below, "
    "the same model from the same weights trains both ways, and the clock decides."
)
precision_section(current_seed(), current_device())

st.subheader("The number formats, seen")
st.markdown(
    "Each format spends its bits on an exponent (the range) and a mantissa (the precision). float16 tops out at "
    "65,504 and flushes anything below 6·10⁻⁸ to zero; bfloat16 reaches 3·10³⁸ like float32 but keeps under three "
    "significant digits. Type a value to see what each format stores."
)
formats_section()

st.subheader("Why float16 needs a loss scale")
st.markdown(
    "Backpropagation multiplies small numbers: the gradient of a weight is an activation **a** times the gradient "
    "flowing back **∂L/∂y**. Below, y = w·a runs under `torch.autocast` and the real `torch.amp.GradScaler` does the "
    "scaling: in float16 the product can fall under 2⁻²⁴ and vanish, while the loss scaled by 2¹⁶ keeps every "
    "gradient of the backward pass in range, and the float32 weight gradient is divided back before the step. "
    "Too large a scale overflows instead — the scaler then skips the step and halves itself."
)
scaling_section()

st.header("3 · Deployment")
st.markdown(
    "Save the weights (`state_dict`), not the pickled object. For other runtimes, export: **ONNX** (the current "
    "exporter, `torch.onnx.export(..., dynamo=True)`) runs in ONNX Runtime, C++, browsers and phones; "
    "**`torch.export`** captures the forward pass as a graph of PyTorch operators (`.pt2`) for PyTorch's own "
    "deployment tools; **TorchScript**, the curriculum's route, still works but is deprecated in favour of "
    "`torch.export`. Every file below is reloaded and checked against eager PyTorch on the same inputs."
)
deployment_section(current_seed())
