"""The sections of the Advanced Architectures page: residual vs plain, the loss landscape, U-Net live."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st
import torch

from dlplay.lessons.architectures.figures import landscape_contours, landscape_surfaces
from dlplay.lessons.architectures.figures_unet import boundary_profile_figure, checkerboard_figure, feature_maps_figure
from dlplay.lessons.architectures.landscape import RESOLUTIONS, SPANS, SUBSETS, LandscapeJob, LandscapeSetup, sharpness
from dlplay.lessons.architectures.live_view import (
    SHOWN_MASKS,
    degradation_line,
    race_figures,
    race_table,
    unet_figures,
    unet_table,
)
from dlplay.lessons.architectures.residual_race import (
    DATASETS,
    MAX_BLOCKS,
    MIN_BLOCKS,
    PRESETS,
    RACE_OPTIMIZERS,
    RaceSetup,
    ResidualRace,
    build_race,
    layers,
    lr_warning,
    make_data,
    problems,
    race_code,
    signature,
)
from dlplay.lessons.architectures.residual_race import step_size as race_step_size
from dlplay.lessons.architectures.segmentation import (
    MAX_DEPTH,
    MAX_SIZE,
    MIN_DEPTH,
    MIN_SIZE,
    RACES,
    SEG_TASKS,
    SegSetup,
    build_lab,
    checkerboard_strength,
    feature_maps,
    lab_code,
    make_seg_data,
    overlap_counts,
    padding_note,
    predicted_probabilities,
)
from dlplay.lessons.architectures.segmentation import lr_warning as seg_lr_warning
from dlplay.lessons.architectures.segmentation import problems as seg_problems
from dlplay.lessons.architectures.segmentation import signature as seg_signature
from dlplay.lessons.architectures.segmentation import step_size as seg_step_size
from dlplay.models.unet import UPSAMPLING
from dlplay.training.race import RunGroup
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code
from dlplay.ui.training_panel import panel_run, training_panel
from dlplay.ui.widgets import fmt, initial

RACE_KEY, UNET_KEY = "arch_race", "arch_unet"
JOB_KEY, RESULT_KEY = "arch_land_job", "arch_land_result"  # the landscape being computed, the latest finished one
LAYER_OPTIONS = [layers(n) for n in range(MIN_BLOCKS, MAX_BLOCKS + 1)]  # 8, 14, …, 62
RACE_LRS = [1e-3, 3e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 3.0, 10.0]
UNET_LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0]
UPSAMPLING_NAMES = {"bilinear": "bilinear + conv", "transposed": "transposed conv"}
SLOW_DEPTH = 44  # from this many layers a lockstep step of the race takes a second or more on a CPU



def _layers_label(v: int) -> str:
    """8 → '8 layers', 0 → 'none' (AppTest may pass an option already formatted)."""
    if not isinstance(v, int):
        return str(v)
    return "none" if v == 0 else f"{v} layers"


# ----- 1 · residual vs plain ----------------------------------------------------------------------------------------
@st.cache_resource(max_entries=4, show_spinner="Drawing the images…")
def race_data(dataset: str, n_train: int, n_val: int, seed: int) -> tuple:
    """The race's images, shared read-only by every session."""
    return make_data(RaceSetup(dataset=dataset, n_train=n_train, n_val=n_val), seed)


def _apply_preset(name: str) -> None:
    p = PRESETS[name]
    st.session_state.update({
        "arch_data": p.dataset, "arch_layers": layers(p.blocks_per_stage),
        "arch_shallow": layers(p.shallow_blocks) if p.shallow_blocks else 0, "arch_width": p.width,
        "arch_bn": p.batch_norm, "arch_opt": p.optimizer, "arch_lr": p.lr,
    })


def race_controls() -> RaceSetup:
    """Presets and the race's widgets; returns the settings (a shallower pair that is not shallower is left out)."""
    d = RaceSetup()
    c = st.columns([1, 2, 2, 2], vertical_alignment="center")
    c[0].markdown("**Presets**")
    for i, name in enumerate(PRESETS):
        c[i + 1].button(name, key=f"arch_preset_{i}", on_click=_apply_preset, args=(name,), width="stretch")
    c = st.columns(4)
    dataset = c[0].selectbox("Data", DATASETS, key="arch_data", bind="query-params",
                             help="The embedded 32×32 colour images (10 classes of shapes and textures) or 28×28 digits.")
    depth = c[1].select_slider("Depth", LAYER_OPTIONS, key="arch_layers", bind="query-params", format_func=_layers_label,
                               help="6n + 2 layers: a stem, three stages of n blocks (2 convs each), a linear head.",
                               **initial("arch_layers", layers(d.blocks_per_stage)))
    shallow = c[2].select_slider("A shallower pair beside", [0, *LAYER_OPTIONS], key="arch_shallow", bind="query-params",
                                 format_func=_layers_label, **initial("arch_shallow", 0),
                                 help="Adds a residual net and a plain net of this depth: the degradation test.")
    width = c[3].select_slider("Width w", [4, 8, 16], key="arch_width", bind="query-params",
                               help="Channels of the first stage; the next stages have 2w and 4w.",
                               **initial("arch_width", d.width))
    c = st.columns(4)
    batch_norm = c[0].toggle("Batch norm", key="arch_bn", bind="query-params", **initial("arch_bn", d.batch_norm),
                             help="The curriculum's block has BatchNorm2d after each conv. Off: nn.Identity there.")
    optimizer = c[1].selectbox("Optimizer", RACE_OPTIMIZERS, key="arch_opt", bind="query-params",
                               help="Momentum = SGD with momentum 0.9, as He et al. trained ResNets.")
    lr = c[2].select_slider("Learning rate (live)", RACE_LRS, key="arch_lr", bind="query-params",
                            format_func=fmt, **initial("arch_lr", d.lr))
    depth, shallow = int(depth or layers(d.blocks_per_stage)), int(shallow or 0)
    if shallow and shallow >= depth:
        st.warning(f"The shallower pair ({shallow} layers) must have fewer layers than the main pair ({depth}): it is "
                   "left out until it does.", icon="⚠️")
        shallow = 0
    if depth == LAYER_OPTIONS[0]:
        st.info("At 8 layers the plain net trains about as well as the residual one: the difference grows with depth.",
                icon="📏")
    if depth >= SLOW_DEPTH:
        st.info(f"Nets of {depth} layers are slow on a CPU (a second or more per step for the race): expect the "
                "curves to move slowly, or pick a CUDA device in the sidebar.", icon="🐢")
    if optimizer == "Adam":
        st.caption("Adam divides each gradient by its own running size, so a tiny gradient still moves its weights: it "
                   "hides part of what the bars show. SGD (with or without momentum) shows it as it is.")
    return replace(d, dataset=dataset or d.dataset, blocks_per_stage=(depth - 2) // 6,
                   shallow_blocks=(shallow - 2) // 6 if shallow else 0, width=int(width or d.width),
                   batch_norm=bool(batch_norm), optimizer=optimizer or d.optimizer, lr=float(lr or d.lr))


def render_race(race: ResidualRace) -> None:
    """The live view: curves, the degradation sentence, gradient bars at initialization and now, the table."""
    loss, accuracy, initial_bars, live_bars = race_figures(race)
    left, right = st.columns(2)
    plot(loss, key="arch_fig_loss", container=left)
    plot(accuracy, key="arch_fig_acc", container=right)
    sentence = degradation_line(race)
    if sentence:
        st.markdown(sentence)
    left, right = st.columns(2)
    plot(initial_bars, key="arch_fig_grad0", container=left)
    plot(live_bars, key="arch_fig_grad", container=right)
    st.table(pd.DataFrame(race_table(race)).set_index("net"))


@st.fragment
def race_section(seed: int, device: torch.device) -> None:
    """Settings, the live race and its code."""
    setup = race_controls()
    found = problems(setup)
    for message in found:
        st.error(message, icon="🚫")
    if found:
        return
    if lr_warning(setup):
        st.warning(lr_warning(setup), icon="🔥")
    data = race_data(setup.dataset, setup.n_train, setup.n_val, seed)
    race = training_panel(RACE_KEY, signature(setup, seed, device), lambda: build_race(setup, data, seed, device),
                          render_race, device=device, step_size=race_step_size(setup), chunk_seconds=0.5)
    for run in race.runs.values():
        run.set_lr(setup.lr)
    show_code(race_code(setup), label="🐍 PyTorch: the block, the two nets and their loop")


# ----- 2 · the loss landscape ---------------------------------------------------------------------------------------
def _start_landscape(setup: LandscapeSetup, names: list[str]) -> None:
    race = panel_run(RACE_KEY)
    if race is None:
        return
    with race.locked():  # a consistent snapshot even while the race trains in the background
        models = {name: race.runs[name].model for name in names}
        steps = {name: race.runs[name].steps for name in names}
        job = LandscapeJob(models, race.runs[names[0]].X_train, race.runs[names[0]].y_train, setup)
    cache = st.session_state.get(RESULT_KEY)
    if cache is not None and cache["race"] is race and cache["steps"] == steps and cache["setup"] == setup:
        return  # the same slice of the same weights: already drawn
    st.session_state[JOB_KEY] = {"job": job, "race": race, "steps": steps, "setup": setup}


@st.fragment(run_every=0.3)
def _landscape_progress() -> None:
    """Computes the pending landscape a slice at a time, with a progress bar; redraws the page when it is done."""
    pending = st.session_state.get(JOB_KEY)
    if pending is None:
        return
    job: LandscapeJob = pending["job"]
    job.advance(0.25)
    st.progress(job.done / job.total, text=f"Computing the landscape: {job.done:,} of {job.total:,} losses "
                                           f"({job.seconds:.0f} s)")
    if job.finished:
        st.session_state[RESULT_KEY] = {**pending, "result": job.result(), "seconds": job.seconds}
        del st.session_state[JOB_KEY]
        st.rerun()


@st.fragment
def landscape_section(seed: int) -> None:
    """Settings, a Compute button, the progress of a computation and the latest slices."""
    race: ResidualRace | None = panel_run(RACE_KEY)
    if race is None:
        st.info("Build the race in section 1 first: the landscape is computed around its weights.")
        return
    d = LandscapeSetup()
    c = st.columns([1, 1, 1, 1, 1], vertical_alignment="bottom")
    resolution = c[0].select_slider("Points a side", RESOLUTIONS, d.resolution, key="arch_land_res", bind="query-params")
    span = c[1].select_slider("Span ±", SPANS, d.span, key="arch_land_span", bind="query-params",
                              help="α and β run from −span to +span; 1 moves every filter by its own norm.")
    n_samples = c[2].select_slider("Images per loss", SUBSETS, d.n_samples, key="arch_land_n", bind="query-params")
    pairs = race.pairs()
    which = c[3].radio("Nets", ["the deeper pair", "every net"] if len(pairs) > 1 else ["the pair"], key="arch_land_nets",
                       horizontal=True)
    names = list(race.runs) if which == "every net" else list(pairs[0])
    setup = LandscapeSetup(int(resolution), float(span), int(n_samples), seed)
    c[4].button("🗺️ Compute", key="arch_land_go", on_click=_start_landscape, args=(setup, names), type="primary",
                width="stretch")
    st.caption(f"{len(names)} nets × {setup.resolution}² points = {len(names) * setup.resolution**2:,} forward passes "
               f"over {setup.n_samples} training images. Training may go on meanwhile (it slows the computation).")
    pending = st.session_state.get(JOB_KEY)
    if pending is not None and pending["race"] is race:
        _landscape_progress()
    cache = st.session_state.get(RESULT_KEY)
    if cache is None or cache["race"] is not race:
        st.info("Press **🗺️ Compute** to map the loss around the nets' current weights (train them a little first).")
        return
    steps = ", ".join(f"{name} at step {s:,}" for name, s in cache["steps"].items())
    st.caption(f"Computed in {cache['seconds']:.1f} s for {steps} (grid {cache['setup'].resolution}², span "
               f"±{cache['setup'].span:g}, {cache['setup'].n_samples} images).")
    result = cache["result"]
    plot(landscape_contours(result), key="arch_fig_land")
    m = st.columns(len(result))
    for column, (name, (axis, losses)) in zip(m, result.items()):
        centre = losses[len(axis) // 2, len(axis) // 2]
        column.metric(f"{name}: mean rise over the slice", f"{sharpness(axis, losses):.3g}",
                      help=f"Mean loss over the slice minus the loss at the trained weights ({centre:.3g}).")
    plot(landscape_surfaces(result), key="arch_fig_land3d")


# ----- 3 · U-Net, live -----------------------------------------------------------------------------------------------
@st.cache_resource(max_entries=6, show_spinner="Drawing the shapes…")
def seg_data(task: str, size: int, noise: float, n_train: int, n_val: int, seed: int) -> tuple:
    """The lab's images and masks, shared read-only by every session."""
    return make_seg_data(SegSetup(task=task, size=size, noise=noise, n_train=n_train, n_val=n_val), seed)


def unet_controls() -> SegSetup:
    """The U-Net lab's widgets; returns their settings."""
    d = SegSetup()
    c = st.columns(5)
    task = c[0].selectbox("Segment", list(SEG_TASKS), key="arch_u_task", bind="query-params",
                          help="Every shape (foreground vs background), or one kind of shape only — harder: the net must "
                               "tell circles from squares and triangles, which takes minutes, not seconds.")
    size = c[1].slider("Image size", MIN_SIZE, MAX_SIZE, d.size, key="arch_u_size", bind="query-params",
                       help="Try a size that 2^depth does not divide, e.g. 30.")
    noise = c[2].slider("Noise", 0.0, 0.5, d.noise, step=0.05, key="arch_u_noise", bind="query-params")
    depth = c[3].slider("Depth (poolings)", MIN_DEPTH, MAX_DEPTH, d.depth, key="arch_u_depth", bind="query-params",
                        help="The curriculum's U-Net pools once (depth 1).")
    width = c[4].select_slider("Base width", [4, 8, 16, 32], d.base_width, key="arch_u_width", bind="query-params",
                               help="Channels of the first level (the curriculum's 64 is slow on a CPU).")
    c = st.columns(4)
    race = c[0].radio("Race", RACES, key="arch_u_race", bind="query-params",
                      help="Which two U-Nets train side by side on the same batches.")
    skips, upsampling = d.skips, d.upsampling
    if race == "skips on vs off":  # raced, so not a setting: say so instead of showing a dead widget
        c[1].caption("**Skip connections**: raced on and off")
    else:
        skips = c[1].toggle("Skip connections", d.skips, key="arch_u_skips", bind="query-params",
                            help="On: the decoder concatenates the encoder's map of the same size at every level.")
    if race == "bilinear vs transposed":
        c[2].caption("**Upsampling**: raced, bilinear + conv vs transposed conv")
    else:
        upsampling = c[2].radio("Upsampling", UPSAMPLING, key="arch_u_up", bind="query-params", horizontal=True,
                                format_func=lambda u: UPSAMPLING_NAMES.get(u, str(u)))
    lr = c[3].select_slider("Adam learning rate (live)", UNET_LRS, d.lr, key="arch_u_lr", bind="query-params",
                            format_func=fmt)
    return replace(d, task=task or d.task, size=int(size), noise=float(noise), depth=int(depth), base_width=int(width),
                   race=race or d.race, skips=bool(skips), upsampling=upsampling or d.upsampling, lr=float(lr or d.lr))


def render_unet(lab: RunGroup, X_show: torch.Tensor, y_show: torch.Tensor) -> None:
    """The live view: loss and mask-metric curves, the table, the masks of a few validation images."""
    loss, metrics, masks = unet_figures(lab, X_show, y_show)
    left, right = st.columns(2)
    plot(loss, key="arch_fig_u_loss", container=left)
    plot(metrics, key="arch_fig_u_iou", container=right)
    st.table(pd.DataFrame(unet_table(lab)).set_index("net"))
    plot(masks, key="arch_fig_u_masks")


@st.fragment
def unet_section(seed: int, device: torch.device) -> None:
    """Settings, the padding note, the live U-Net race and its code."""
    setup = unet_controls()
    found = seg_problems(setup)
    for message in found:
        st.error(message, icon="🚫")
    if found:
        return
    if seg_lr_warning(setup):
        st.warning(seg_lr_warning(setup), icon="🔥")
    note = padding_note(setup.size, setup.depth)
    if note:
        st.info(note, icon="📐")
    data = seg_data(setup.task, setup.size, setup.noise, setup.n_train, setup.n_val, seed)
    X_show, y_show = data[2][:SHOWN_MASKS], data[3][:SHOWN_MASKS]
    lab = training_panel(UNET_KEY, seg_signature(setup, seed, device), lambda: build_lab(setup, data, seed, device),
                         lambda group: render_unet(group, X_show, y_show), device=device,
                         step_size=seg_step_size(setup), chunk_seconds=0.4)
    for run in lab.runs.values():
        run.set_lr(setup.lr)
    show_code(lab_code(setup), label="🐍 PyTorch: the curriculum's U-Net, these nets and their loop")


@st.fragment
def inspect_section() -> None:
    """One validation image through the lab's nets: feature maps per level, an edge profile, and checkerboards."""
    lab: RunGroup | None = panel_run(UNET_KEY)
    if lab is None:
        return
    first = next(iter(lab.runs.values()))
    X_val, y_val = first.X_val.cpu(), first.y_val.cpu()
    c = st.columns([2, 3])
    net = c[0].selectbox("Net", list(lab.runs), key="arch_fm_net")
    index = c[1].slider("Validation image", 0, len(X_val) - 1, 0, key="arch_fm_image", bind="query-params")
    index = min(int(index), len(X_val) - 1)
    run = lab.runs.get(net) or first
    with lab.locked():
        features = feature_maps(run.model, X_val[index])
        probabilities = {name: predicted_probabilities(r, X_val[index : index + 1])[0, 0] for name, r in lab.runs.items()}
        ups = {name: feature_maps(r.model, X_val[index]).get("up1") for name, r in lab.runs.items()}
    plot(feature_maps_figure(features), key="arch_fig_features")
    truth = y_val[index, 0]
    row = int(truth.sum(dim=1).argmax())  # the row crossing the most foreground: it has edges to look at
    plot(boundary_profile_figure({n: p[row].numpy() for n, p in probabilities.items()}, truth[row].numpy()),
         key="arch_fig_profile")
    st.caption(f"Row {row} of validation image {index}. A sharp net jumps from 0 to 1 within a pixel of the true edge; "
               "a net without skips must rebuild the edge from the coarse bottleneck, so its probabilities ramp.")

    st.subheader("Checkerboard artifacts")
    st.markdown("A **transposed convolution** with kernel 3 and stride 2 paints each input pixel's 3×3 kernel at every "
                "other output pixel: the footprints overlap unevenly, so some output pixels add up 4 contributions and "
                "their neighbours 1 or 2. Fed a constant map with every weight 1, it draws a checkerboard before any "
                "training. **Bilinear upsampling then a convolution** spreads every pixel evenly: nothing to see.")
    plot(checkerboard_figure({k: v.numpy() for k, v in overlap_counts(8).items()},
                             "×2 upsampling of a constant 8×8 map (weights 1): contributions per output pixel"),
         key="arch_fig_overlap")
    shown = {name: up.abs().mean(dim=0).numpy() for name, up in ups.items() if up is not None}
    if shown:
        plot(checkerboard_figure(shown, "The lab's nets: mean |activation| after the last upsampling, this image",
                                 colorscale="Viridis"), key="arch_fig_up")
        scores = "; ".join(f"**{n}** {checkerboard_strength(torch.from_numpy(v)):.1%}" for n, v in shown.items())
        st.caption(f"Share of each map's variation that alternates pixel to pixel (the checkerboard frequencies): "
                   f"{scores}. Race **bilinear vs transposed** to compare; training usually tones the pattern down "
                   "but rarely removes it.")
