"""The sections of the CNN page: convolution stepped, pooling, the live lab, your own input, CNN vs MLP."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import pandas as pd
import streamlit as st
import torch

from dlplay.data.torchvision_sets import ImageData
from dlplay.lessons.cnn.convolution import (
    ConvSettings,
    output_size,
    output_size_formula,
    problems,
    sum_of_products,
    window_at,
)
from dlplay.lessons.cnn.figures_conv import feature_map_figure, input_figure, products_figure, shift_figure
from dlplay.lessons.cnn.figures_lab import (
    confusion_figure,
    feature_grid_image,
    heat_figure,
    picture,
    probability_figure,
    shift_accuracy_figure,
)
from dlplay.lessons.cnn.images import SOURCES, Picture, decode_upload, prepare_drawing, sample_picture
from dlplay.lessons.cnn.inspect_input import EXPLAINERS, fit_to_model, read, upload_to_input
from dlplay.lessons.cnn.kernels import KERNEL_NAMES, KERNEL_SIZES, format_kernel, make_kernel, parse_kernel
from dlplay.lessons.cnn.lab import LAB_DATASETS, LabConfig, confusion_matrix, layer_table, load_lab_data, mistakes
from dlplay.lessons.cnn.live_view import MAX_POINTS, curve_figures, model_pictures, status_line
from dlplay.lessons.cnn.pooling import POOLS, compare_shift, convolve
from dlplay.lessons.cnn.race import parameter_count, shift_accuracy
from dlplay.lessons.cnn.snippets import convolution_code
from dlplay.optim.factory import OPTIMIZERS
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code
from dlplay.ui.training_panel import is_playing, panel_run
from dlplay.ui.widgets import initial
from dlplay.viz.images import png_bytes
from dlplay.viz.training import accuracy_figure, loss_figure

UPLOAD = "Your upload"
CUSTOM = "Your own numbers"
CHANNELS = {1: ["grey"], 3: ["R", "G", "B"]}
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1]
SLOW_EVERY = 1.0  # seconds between redraws of the kernels and feature maps while training plays

_HERE = Path(__file__).parent
_CANVAS = st.components.v2.component("dlplay_cnn_canvas", html=(_HERE / "canvas.html").read_text(),
                                     css=(_HERE / "canvas.css").read_text(), js=(_HERE / "canvas.js").read_text())


# ----- 1 & 2 · convolution and pooling ------------------------------------------------------------------------------
def _picture(seed: int) -> Picture:
    """The picture the convolution runs over: a digit, a colour image, or an upload (validated)."""
    c = st.columns([2, 3])
    source = c[0].selectbox("Picture", [*SOURCES, UPLOAD], key="cnn_src", bind="query-params",
                            help="A synthetic digit (1 channel), one of the project's colour images (3 channels), "
                                 "or a PNG/JPEG of your own, shrunk to fit 32×32.")
    if source != UPLOAD:
        index = c[1].slider("Which one", 0, 19, 0, key="cnn_pic", bind="query-params")
        return sample_picture(source or SOURCES[0], index, seed)
    upload = c[1].file_uploader("PNG or JPEG, under 5 MB", type=["png", "jpg", "jpeg"], key="cnn_upload")
    picture, message = (None, "Choose an image file above.") if upload is None else _decoded(upload.getvalue())
    if picture is None:
        (st.info if upload is None else st.error)(f"{message} Until then the page shows a digit.", icon="🖼️")
        return sample_picture(SOURCES[0], 0, seed)
    return picture


@st.cache_data(max_entries=8, show_spinner=False)
def _decoded(data: bytes, size: int = 32, grey: bool = False) -> tuple[Picture | None, str]:
    """An upload decoded once (validated, shrunk, converted), not at every rerun."""
    return decode_upload(data, size=size, grey=grey)


def _kernel(channels: int) -> tuple[torch.Tensor | None, ConvSettings, float]:
    """The kernel (C, k, k) — a preset or typed numbers, one slice per channel (the 2D kernel × a channel weight) —
    or None when the typed numbers are not a kernel; the sliding settings; the bias."""
    c = st.columns([2, 1, 1, 1, 1, 1])
    name = c[0].selectbox("Kernel", [*KERNEL_NAMES, CUSTOM], index=KERNEL_NAMES.index("Sobel x"), key="cnn_kernel",
                          bind="query-params")
    size = c[1].radio("Size", KERNEL_SIZES, horizontal=True, key="cnn_ksize", bind="query-params")
    stride = c[2].slider("Stride s", 1, 4, 1, key="cnn_stride", bind="query-params")
    padding = c[3].slider("Padding p", 0, 4, 1, key="cnn_pad", bind="query-params")
    dilation = c[4].slider("Dilation d", 1, 6, 1, key="cnn_dil", bind="query-params")
    bias = c[5].number_input("Bias b", -10.0, 10.0, 0.0, step=0.1, key="cnn_bias", bind="query-params")
    settings, bias = ConvSettings(stride, padding, dilation), float(bias or 0.0)
    if name == CUSTOM:
        text = st.text_area("Your kernel: one row per line, numbers separated by spaces (square, up to 7×7)",
                            format_kernel(make_kernel("Sobel x", size or 3)), key="cnn_kernel_text", bind="query-params")
        kernel, message = parse_kernel(text or "")
        if kernel is None:
            st.error(message, icon="✏️")
            return None, settings, bias
    else:
        kernel = make_kernel(name or "Sobel x", size or 3)
    if channels == 1:
        return kernel[None], settings, bias  # (1, k, k)
    st.caption("A colour picture has 3 channels, so the kernel has **3 slices** — here your kernel times a weight per "
               "channel. Each slice slides over its own channel and the three sums are **added**: one output map.")
    c = st.columns(3)
    weights = [c[i].number_input(f"Weight of the {n} slice", -5.0, 5.0, round(1 / 3, 3), step=0.1, key=f"cnn_w_{n}",
                                 bind="query-params") for i, n in enumerate("RGB")]
    return kernel[None] * torch.tensor([float(w or 0.0) for w in weights]).view(3, 1, 1), settings, bias  # (3, k, k)


def _move(key: str, delta: int, cells: int, start: int) -> None:
    st.session_state[key] = (int(st.session_state.get(key, start)) + delta) % cells


@st.fragment
def convolution_sections(seed: int) -> None:
    """Section 1 (the convolution stepped) and section 2 (pooling and shifts), which share the picture and kernel."""
    picture = _picture(seed)
    x = picture.x
    kernel, settings, bias = _kernel(x.shape[0])
    if kernel is None:
        return
    k, (channels, h, w) = kernel.shape[-1], x.shape
    for message in problems((h, w), kernel, settings):
        st.error(message, icon="📐")
        return
    if not kernel.any():
        st.warning("Every weight of the kernel is 0, so every output cell is just the bias: the map is flat. "
                   "Put some non-zero numbers in.", icon="⚠️")
    h_out, w_out = output_size(h, k, settings), output_size(w, k, settings)
    st.markdown(f"**Output size** ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 — height {output_size_formula(h, k, settings)}, "
                f"width {output_size_formula(w, k, settings)}: a **{h_out}×{w_out}** feature map from a "
                f"{channels}×{h}×{w} input ({picture.caption}).")
    cells = h_out * w_out
    middle = (h_out // 2) * w_out + w_out // 2  # start in the middle of the picture, where the ink is
    # One slider per map size: a new size starts in the middle, and a stale cell can never exceed the new range.
    cell_key = f"cnn_cell_{h_out}x{w_out}"
    c = st.columns([1, 1, 6], vertical_alignment="bottom")
    c[0].button("◀ Back", key="cnn_prev", on_click=_move, args=(cell_key, -1, cells, middle), width="stretch")
    c[1].button("Next ▶", key="cnn_next", on_click=_move, args=(cell_key, 1, cells, middle), width="stretch")
    index = c[2].slider("Output cell (row by row)", 0, max(cells - 1, 1), key=cell_key, bind="query-params",
                        disabled=cells == 1, **initial(cell_key, middle))
    window = window_at(x, kernel, min(index, cells - 1), settings, bias)
    fmap = (convolve(x, kernel, settings) + bias).numpy()
    left, right = st.columns(2)
    plot(input_figure(x.numpy(), settings.padding, window.rows, window.cols, "Input, its padding and the window"),
         key="cnn_fig_input", container=left)
    plot(feature_map_figure(fmap, (window.i, window.j), f"Feature map {h_out}×{w_out}"), key="cnn_fig_map",
         container=right)
    names = CHANNELS.get(channels, [f"channel {i}" for i in range(channels)])
    st.markdown(f"**Cell ({window.i}, {window.j})**, written out:")
    st.code("\n".join(sum_of_products(window, names)), language=None)
    plot(products_figure(window.patch.numpy(), window.kernel.numpy(), window.products.numpy(), names),
         key="cnn_fig_products")
    show_code(convolution_code(kernel, settings, bias), label="🐍 PyTorch: this convolution, and one cell by hand")

    st.header("2 · Pooling and invariance")
    st.markdown("**Pooling** summarizes each small window of a feature map by its maximum (or mean): the map shrinks, "
                "and a feature that moves by a pixel inside a window leaves the pooled value unchanged. "
                "Convolution itself is **equivariant** — shift the input and its feature map shifts the same way; "
                "pooling adds a little **invariance** on top. Shift the picture below and compare.")
    c = st.columns(6)
    kind = c[0].radio("Pooling", POOLS, horizontal=True, key="cnn_pool", bind="query-params")
    size = c[1].slider("Pool size", 2, 4, 2, key="cnn_pool_k", bind="query-params")
    stride = c[2].slider("Pool stride", 1, 4, 2, key="cnn_pool_s", bind="query-params")
    relu = c[3].toggle("ReLU first", True, key="cnn_pool_relu", bind="query-params",
                       help="As in a CNN block: Conv → ReLU → Pool. Off, the pooling sees negative values too.")
    dx = c[4].slider("Shift right (px)", -6, 6, 1, key="cnn_dx", bind="query-params")
    dy = c[5].slider("Shift down (px)", -6, 6, 0, key="cnn_dy", bind="query-params")
    cmp = compare_shift(x, kernel, settings, dx, dy, kind or "Max", size, stride, relu=bool(relu))
    if cmp.pooled.numel() == 0:
        st.warning(f"A {size}×{size} pooling window is larger than the {h_out}×{w_out} feature map: nothing to pool.")
    maps = [cmp.conv.numpy(), cmp.conv_shifted.numpy(), cmp.pooled.numpy(), cmp.pooled_shifted.numpy()]
    pooled = f"{(kind or 'Max').lower()}-pooled"
    titles = ["ReLU(conv(x))" if relu else "conv(x)", f"the same, x moved ({dx}, {dy})", pooled, f"{pooled}, moved"]
    plot(shift_figure(maps, titles), key="cnn_fig_shift")
    m = st.columns(3)
    shown = {name: "—" if math.isnan(v) else f"{v:{spec}}" for name, v, spec in (
        ("conv", cmp.conv_change, ".0%"), ("pooled", cmp.pooled_change, ".0%"), ("error", cmp.equivariance_error, ".1e"))}
    m[0].metric("Feature map changed by", shown["conv"], help="‖conv(shifted) − conv(x)‖ / ‖conv(x)‖, in place")
    m[1].metric("Pooled map changed by", shown["pooled"])
    m[2].metric("conv(shift x) − shift(conv x)", shown["error"], help="Largest difference away from the borders (when "
                "the stride divides the shift): 0 means the convolution commutes with the shift.")
    st.caption("One pooling layer damps a small shift only a little; stacked blocks of them, and a classifier trained "
               "on shifted examples, do the rest — the shift test of section 5 measures the whole network.")


# ----- 3 · the live lab ---------------------------------------------------------------------------------------------
@st.cache_resource(max_entries=6, show_spinner="Loading images…")
def cached_data(name: str, n_train: int, n_test: int, seed: int) -> ImageData:
    """The lab's images, shared read-only by every session (real sets only when already in the data folder)."""
    return load_lab_data(name, n_train, n_test, seed)


def lab_controls(seed: int) -> LabConfig:
    """The lab's widgets; returns their settings."""
    d = LabConfig()
    c = st.columns(5)
    dataset = c[0].selectbox("Data set", LAB_DATASETS, key="cnn_data", bind="query-params",
                             help="Synthetic digits (1×28×28) and the colour images (3×32×32, the curriculum's input) "
                                  "are made by dlplay; MNIST, FashionMNIST and CIFAR-10 load when in the data folder. "
                                  "Colour images learn much faster with batch norm on.")
    n_train = c[1].select_slider("Training images", [1000, 3000, 6000, 12000], d.n_train, key="cnn_ntrain",
                                 bind="query-params")
    width = c[2].select_slider("First block's channels", [4, 8, 16, 32], d.width, key="cnn_width", bind="query-params",
                               help="Each block doubles it; 32 gives the curriculum's 32 → 64 → 128.")
    blocks = c[3].slider("Conv blocks", 1, 4, d.blocks, key="cnn_blocks", bind="query-params")
    hidden = c[4].select_slider("Hidden units", [32, 64, 128, 256], d.hidden_size, key="cnn_hidden", bind="query-params",
                                help="The fully connected layer after the flatten (the curriculum's 256).")
    c = st.columns(6)
    dropout = c[0].slider("Dropout", 0.0, 0.8, d.dropout, step=0.1, key="cnn_dropout", bind="query-params")
    batch_norm = c[1].toggle("Batch norm", d.batch_norm, key="cnn_bn", bind="query-params")
    optimizer = c[2].selectbox("Optimizer", OPTIMIZERS, index=OPTIMIZERS.index(d.optimizer), key="cnn_opt",
                               bind="query-params")
    lr = c[3].select_slider("Learning rate (live)", LRS, d.lr, key="cnn_lr", bind="query-params")
    batch_size = c[4].select_slider("Batch size", [16, 32, 64, 128, 256], d.batch_size, key="cnn_batch",
                                    bind="query-params")
    epochs = c[5].slider("Epochs (live)", 1, 50, d.epochs, key="cnn_epochs", bind="query-params")
    return LabConfig(dataset=dataset or d.dataset, n_train=int(n_train), width=int(width), blocks=int(blocks),
                     hidden_size=int(hidden), dropout=float(dropout), batch_norm=bool(batch_norm),
                     optimizer=optimizer or d.optimizer, lr=float(lr), batch_size=int(batch_size), epochs=int(epochs),
                     seed=seed)


def data_notice(requested: str, data: ImageData) -> None:
    """Say plainly when a real data set is not in the data folder and the lab uses synthetic digits."""
    if data.name != requested:
        st.warning(f"{data.message} Put the files in the data folder (the Training page's download button fetches "
                   "MNIST and FashionMNIST), or pick an embedded set.", icon="📦")


def _throttled(run, build):
    """build()'s result, rebuilt at most every SLOW_EVERY s while playing (always when paused)."""
    cache = st.session_state.get("cnn_slow")
    now = time.monotonic()
    if cache is None or cache[1] is not run or (cache[2] != run.steps and (not is_playing("cnn") or now - cache[0] > SLOW_EVERY)):
        cache = (now, run, run.steps, build())
        st.session_state["cnn_slow"] = cache
    return cache[3]


def render_live(run, data: ImageData) -> None:
    """Curves, learned kernels and the feature maps of one test image, while the CNN trains."""
    if line := status_line(run):
        st.markdown(line)
    for column, (name, figure) in zip(st.columns(2), zip(("loss", "acc"), curve_figures(run))):
        plot(figure, key=f"cnn_fig_{name}", container=column)
    index = int(st.session_state.get("cnn_fm_image", 0))
    # The test image, the kernels and one grid per block, encoded once per refresh: an unchanged one is not re-sent.
    pictures = _throttled(run, lambda: [(title, png_bytes(image)) for title, image in model_pictures(run, data, index)])
    for column, (title, image) in zip([*st.columns([1, 2]), *st.columns(len(pictures) - 2)], pictures):
        _picture_with_title(column, title, image)


def _picture_with_title(container, title: str, image) -> None:
    container.markdown(f"**{title}**")
    container.image(image, width="content", clamp=True)


def layer_section(run) -> None:
    """The layer table: what each layer outputs for one image and how many parameters it has."""
    with run.locked():
        rows = layer_table(run.model)
    table = pd.DataFrame([{"layer": r.name, "output shape": " × ".join(map(str, r.output_shape)),
                           "parameters": f"{r.parameters:,}"} for r in rows]).set_index("layer")
    st.dataframe(table, width="stretch")
    total = sum(r.parameters for r in rows)
    conv = sum(r.parameters for r in rows if "Conv2d" in r.name)
    st.caption(f"{total:,} parameters, {conv:,} of them in the convolutions: a 3×3 kernel is shared by every position, "
               "so a conv layer's size does not depend on the image's; the first Linear layer's does.")


@st.fragment
def evaluation_section(data: ImageData) -> None:
    """Confusion matrix and the most confident mistakes of the lab's current model, on demand."""
    run = panel_run("cnn")
    st.button("↻ Evaluate the current model", key="cnn_eval")
    if run is None or run.steps == 0:
        st.info("The model had not trained when this was drawn: press **▶ Play** or **⏭ Step** above, then "
                "**↻ Evaluate the current model**.", icon="ℹ️")
        return
    with run.locked():
        logits = run.predict(data.X_test)
    y_pred = logits.argmax(dim=1)
    names = [str(c) for c in data.classes]
    st.metric("Test accuracy now", f"{float((y_pred == data.y_test).float().mean()):.1%}", help=f"at step {run.steps:,}")
    left, right = st.columns(2)
    plot(confusion_figure(confusion_matrix(data.y_test, y_pred, len(names)).numpy(), names,
                          f"Confusion matrix at step {run.steps:,}"), key="cnn_fig_confusion", container=left)
    wrong = mistakes(data.y_test, logits)
    right.markdown("**Most confident mistakes** (true → predicted)")
    if len(wrong) == 0:
        right.success("No mistakes on the held-out images.")
    else:
        right.image([picture(data.X_test[i].numpy(), width=84) for i in wrong], width=84,
                    caption=[f"{names[int(data.y_test[i])]} → {names[int(y_pred[i])]}" for i in wrong])


# ----- 4 · your own input -------------------------------------------------------------------------------------------
def _drawing(channels: int, size: int) -> torch.Tensor | None:
    """The canvas's ink made into the model's input, or None (with a message) when the canvas is empty."""
    result = _CANVAS(key="cnn_canvas", data={"pen": 20, "ink": st.session_state.get("cnn_ink")}, default={"ink": None},
                     on_ink_change=lambda: None, width=300, height=330)
    ink = getattr(result, "ink", None)
    st.session_state["cnn_ink"] = ink
    pixels = ink.get("pixels") if isinstance(ink, dict) else None
    side = ink.get("side") if isinstance(ink, dict) else None
    if not pixels or not isinstance(side, int) or len(pixels) != side * side:
        st.info("The canvas is empty: draw a digit with the mouse (or a finger), then let go.", icon="✍️")
        return None
    image = torch.tensor(pixels, dtype=torch.float32).view(side, side) / 255.0  # (side, side) white ink on black
    x = prepare_drawing(image, size=size, box=round(size * 20 / 28))
    if x is None:
        st.info("The canvas has no ink yet: draw a digit.", icon="✍️")
        return None
    return fit_to_model(x, channels, size)


@st.fragment
def your_input_section(data: ImageData) -> None:
    """Draw, upload or pick an image; the lab's model classifies it, with its feature maps and a heat map."""
    run = panel_run("cnn")
    if run is None:
        return
    channels, size = data.X_train.shape[1], data.X_train.shape[-1]
    c = st.columns([2, 2, 3])
    mode = c[0].radio("Input", ["Draw", "Upload", "A test image"], horizontal=True, key="cnn_in_mode", bind="query-params")
    explainer = c[1].radio("Explain with", EXPLAINERS, horizontal=True, key="cnn_explainer", bind="query-params",
                           help="Grad-CAM: which regions of the last conv block pushed the class up. Saliency: how "
                                "much each pixel's change would move the class score.")
    x = None
    left, right = st.columns([1, 2])
    with left:
        if mode == "Draw":
            x = _drawing(channels, size)
        elif mode == "Upload":
            upload = st.file_uploader("PNG or JPEG, under 5 MB", type=["png", "jpg", "jpeg"], key="cnn_in_upload")
            picture, message = (None, "Choose an image file.") if upload is None else _decoded(
                upload.getvalue(), size=size, grey=channels == 1)
            if picture is None:
                (st.info if upload is None else st.error)(message, icon="🖼️")
            else:
                x, inverted = upload_to_input(picture.x, channels, size)
                if inverted:
                    st.caption("Inverted: the training digits are light ink on black.")
        else:
            index = c[2].slider("Test image", 0, len(data.X_test) - 1, 0, key="cnn_in_index", bind="query-params")
            x = data.X_test[index]
    if x is None:
        return
    with run.locked():
        reading = read(run.model, x, explainer or EXPLAINERS[0])
    names = [str(c) for c in data.classes]
    if run.steps == 0:
        st.warning("The lab's model has not trained yet, so this answer is a guess. Press **▶ Play** in section 3.")
    with right:
        st.markdown(f"The model reads it as **{names[reading.predicted]}** "
                    f"({float(reading.probs[reading.predicted]):.0%} sure).")
        a, b = st.columns(2)
        plot(probability_figure(reading.probs.numpy(), names), key="cnn_fig_probs", container=a)
        plot(heat_figure(x.numpy(), reading.heat.numpy(), f"{explainer}: what drove “{names[reading.predicted]}”"),
             key="cnn_fig_heat", container=b)
    for i, (column, m) in enumerate(zip(st.columns(len(reading.feature_maps)), reading.feature_maps)):
        _picture_with_title(column, f"Block {i + 1}: {m.shape[0]} maps {m.shape[1]}×{m.shape[2]}",
                            feature_grid_image(m.numpy()))


# ----- 5 · CNN vs MLP -----------------------------------------------------------------------------------------------
def render_race(group) -> None:
    """Both models' curves on one chart each, and their sizes."""
    histories = {name: dataclasses.replace(run.history, step_loss=[]) for name, run in group.runs.items()}
    left, right = st.columns(2)
    plot(loss_figure(histories, title="Loss", max_points=MAX_POINTS), key="cnn_fig_race_loss", container=left)
    plot(accuracy_figure(histories, title="Accuracy", max_points=MAX_POINTS), key="cnn_fig_race_acc", container=right)
    sizes = " · ".join(f"**{name}** {parameter_count(run.model):,} parameters" for name, run in group.runs.items())
    st.caption(f"{sizes} — same images, batches, optimizer and learning rate. Solid: training, dashed: validation.")


@st.fragment
def shift_test_section(data: ImageData) -> None:
    """Accuracy of both race models against the shift of the test images, recomputed when they have trained more."""
    group = panel_run("cnn_race")
    st.button("↻ Run the shift test on the current models", key="cnn_shift_test")
    if group is None or group.steps == 0:
        st.info("Train the race first (▶ Play or ⏭ Step above): the shift test needs trained models.", icon="ℹ️")
        return
    X, y = data.X_test[:500], data.y_test[:500]
    with group.locked():
        curves = {name: shift_accuracy(run.model, X, y) for name, run in group.runs.items()}
    plot(shift_accuracy_figure(curves), key="cnn_fig_shift_acc")
    cnn, mlp = curves.get("CNN", [0.0]), curves.get("MLP", [0.0])
    st.markdown(f"At 4 pixels the CNN keeps **{cnn[min(4, len(cnn) - 1)]:.0%}** and the MLP "
                f"**{mlp[min(4, len(mlp) - 1)]:.0%}** (unshifted: {cnn[0]:.0%} and {mlp[0]:.0%}).")
