"""Chapter 11 · Advanced architectures: a ResNet against its plain twin, the loss landscape, and a U-Net segmenting live."""

import streamlit as st

from dlplay.lessons.architectures.sections import inspect_section, landscape_section, race_section, unet_section
from dlplay.ui.sidebar import current_device, current_seed

st.title("🏛️ Advanced architectures")
st.markdown(
    "Two ideas made deep networks work. A **residual connection** adds a block's input to its output, "
    "`out = F(x) + x`, so a block only has to learn a correction to the identity, and the gradient has a path straight "
    "back to the first layers. A **U-Net** runs an encoder that shrinks the image to see context and a decoder that "
    "grows it back, with **skip connections** handing the encoder's fine detail to the decoder at every scale — the "
    "shape of most segmentation and diffusion models."
)
seed, device = current_seed(), current_device()

st.header("1 · Residual vs plain")
st.markdown(
    "A small CIFAR-style ResNet of the curriculum's `ResidualBlock`s races its **plain twin**: the same layers, initial "
    "weights and batches, with the skip switched off in every block (`shortcut=False`; the twin only lacks the 1×1 "
    "projections where a stage widens — see the parameter counts). **The degradation problem** (He et al., 2015): a "
    "deeper plain net reaches a *higher training loss* than a shallower one — not overfitting, the optimizer just fails "
    "to find the deeper solution. Load **Degradation: 8 vs 32 layers** and press **▶ Play**: the plain 32 falls behind "
    "the plain 8, the residual 32 keeps up with the residual 8."
)
st.markdown(
    "**The gradient bars** show ‖∂L/∂W‖ of every layer, input on the left. Without batch norm (third preset) the plain "
    "net's gradients shrink by orders of magnitude on the way back — they *vanish* — while the residual net's reach the "
    "first layer intact (with PyTorch's default initialization and no batch norm, both still train slowly: batch norm "
    "was the other half of the fix). With batch norm the plain net's gradients do not vanish — they grow towards the "
    "input — yet the deep plain net still lags: skips fix more than the size of the gradient."
)
race_section(seed, device)

st.header("2 · The loss landscape")
st.markdown(
    "Pick two random directions d₁, d₂ in weight space, rescale them filter by filter to the size of the weights "
    "(**filter normalization**, Li et al. 2018), and measure the loss at w + α·d₁ + β·d₂ over a grid around the trained "
    "weights ★. Li et al. found residual nets sit in wide, smooth basins and deep plain nets in chaotic, sharp ones."
)
st.info(
    "**What a slice can show and what it cannot.** It is a 2D cut through a space of tens of thousands of dimensions, "
    "along two *random* directions: it shows how the loss behaves around these weights in typical directions — smooth "
    "or rugged, wide or narrow — not the path the optimizer took, and not the directions that matter most (those a "
    "random direction almost never hits). Other seeds give other slices; the contrast between the nets is what holds. "
    "Each loss is measured on a subset of the training images, in eval mode (batch norm uses its running statistics).",
    icon="🧭",
)
landscape_section(seed)

st.header("3 · U-Net, live")
st.markdown(
    "The U-Net predicts a value per pixel: here, the probability that a pixel belongs to a shape (or to one kind of "
    "shape). **IoU** is the overlap of predicted and true masks divided by their union; **Dice** is 2·overlap over the "
    "sum of their sizes (pooled over pixels, Dice = 2·IoU/(1 + IoU)); **boundary IoU** is IoU on each mask's 1-pixel "
    "rim, where blurry masks fail. Race the U-Net with and without its skips: without them, the decoder has only the "
    "coarse bottleneck to rebuild edges from, and the boundary IoU shows it."
)
unet_section(seed, device)

st.subheader("Inside the U-Net")
st.markdown(
    "One validation image through the nets. Each row is one level: the encoder (**enc**) halves the size and doubles "
    "the channels, the bottleneck sees the coarsest, widest view, and the decoder (**up**, then **dec**) grows it back. "
    "Coarse levels look blocky here because every map is drawn at the image's size."
)
inspect_section()
