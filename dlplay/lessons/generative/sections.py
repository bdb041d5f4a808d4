"""The sections of the Generative Models page: data, the live VAE, the 2D GAN, the image GAN, the comparison."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
import torch

from dlplay.data.torchvision_sets import data_dir
from dlplay.lessons.generative.data import DATASETS, GenData, load_gen_data
from dlplay.lessons.generative.figures import (
    images_figure,
    kl_bars_figure,
    latent_scatter_figure,
    manifold_figure,
    vae_loss_figure,
)
from dlplay.lessons.generative.figures_gan import canvas_figure, distance_figure, gan2d_figure, gan_curves_figure
from dlplay.lessons.generative.gan2d import collapse_note, coverage, d_field
from dlplay.lessons.generative.gan_lab import GanRun
from dlplay.lessons.generative.gan_targets import MIN_CLICKED, add_selection, canvas_points
from dlplay.lessons.generative.image_gan import blur_score, gan_images, nearest_classes
from dlplay.lessons.generative.latent import (
    LatentPlane,
    interpolate,
    latent_plane,
    manifold,
    prior_samples,
    reparameterize_example,
)
from dlplay.lessons.generative.vae_lab import ACTIVE_KL, LATENT_RANGE, VaeRun, kl_per_dim
from dlplay.ui.training_panel import is_playing

SLOW_EVERY = 1.0  # seconds between rebuilds of the heavy live figures while playing
PICK_RANGE = 6.0  # the latent-point sliders reach ±this
COLLAPSE_AFTER = 200  # steps before unused latent dimensions are reported
CATCH_UP_LIMIT = 60.0  # seconds the comparison trains the run that is behind, at most


# ----- data -----------------------------------------------------------------------------------------------------------
@st.cache_resource(max_entries=4, show_spinner="Drawing digit images…")
def cached_data(name: str, n_train: int, seed: int, root: str) -> GenData:
    """Images shared read-only by every session (real sets only if already on disk)."""
    return load_gen_data(name, n_train, seed=seed, root=Path(root), download=False)


def _download(name: str, root: str) -> None:
    """Button callback: try to download a real data set; say what happened."""
    result = load_gen_data(name, 1, root=Path(root), download=True)
    st.session_state["gen_download_note"] = result.message or f"{name} is downloaded."
    if not result.message:
        cached_data.clear()


def image_data(n_train: int, seed: int, where: st.delta_generator.DeltaGenerator) -> GenData:
    """The data-set choice shared by the VAE and the image GAN (its selectbox in `where`); a notice when a set is missing."""
    name = where.selectbox("Images (VAE and image GAN)", DATASETS, key="gen_data", bind="query-params",
                           help="Synthetic digits are drawn by dlplay (no network) and centred like MNIST's; MNIST and "
                                "FashionMNIST come through torchvision when they are on disk.") or DATASETS[0]
    root = str(data_dir())
    data = cached_data(name, n_train, seed, root)
    note = st.session_state.pop("gen_download_note", "")
    if note:
        (st.success if data.name == name else st.warning)(note)
    if data.name != name:
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.warning(f"{data.message} Both models train on **synthetic digits** for now.", icon="📦")
        right.button("⬇ Download", key="gen_download", on_click=_download, args=(name, root),
                     help=f"Fetch {name} into {root} (about 30 MB; needs a network).")
    return data


def latent_size(default: int) -> int:
    """The VAE's latent size; a value out of range gets a message and the last valid size is kept."""
    value = st.number_input("Latent size d", value=default, step=1, key="gen_vae_latent", bind="query-params",
                            help=f"{LATENT_RANGE[0]} draws the latent space as it is; up to {LATENT_RANGE[1]} is shown "
                                 "through its two principal axes.")
    low, high = LATENT_RANGE
    valid = value is not None and low <= value <= high and float(value).is_integer()
    if valid:
        st.session_state["gen_vae_latent_ok"] = int(value)
    else:
        kept = st.session_state.get("gen_vae_latent_ok", default)
        st.warning(f"The latent size must be a whole number from {low} to {high}; got {value}. Keeping d = {kept}.")
    return int(st.session_state.get("gen_vae_latent_ok", default))


def _throttled(name: str, run: object, inputs: tuple, playing: bool, build: Callable[[], object]) -> object:
    """build()'s result, rebuilt when inputs change or the run moved — at most every SLOW_EVERY s while playing."""
    cache = st.session_state.get(name)
    now = time.monotonic()
    fresh = (cache is not None and cache["run"] is run and cache["inputs"] == inputs
             and (cache["steps"] == run.steps or (playing and now - cache["time"] < SLOW_EVERY)))
    if not fresh:
        cache = {"run": run, "inputs": inputs, "steps": run.steps, "time": now, "value": build()}
        st.session_state[name] = cache
    return cache["value"]


# ----- 1 · the VAE ----------------------------------------------------------------------------------------------------
@dataclass
class VaeViews:
    """What the VAE's live view draws, computed together from one state of the model."""

    mu: torch.Tensor  # (M, d) test means
    plane: LatentPlane
    scatter: object
    manifold: object
    point: object
    reparam: pd.DataFrame
    reparam_images: object
    interpolation: object
    prior: object
    kl: np.ndarray  # (d,) average KL per dimension


def _on_pick() -> None:
    """The latent scatter's selection callback: remember which test image was clicked."""
    points = st.session_state["gen_fig_vae_scatter"].selection.points
    for point in points:
        index = point.get("customdata")
        index = index[0] if isinstance(index, list | tuple) else index
        if isinstance(index, int | float):
            st.session_state["gen_vae_pick"] = int(index)
            st.session_state["gen_vae_pick_pending"] = True
            return


def _first_of_class(data: GenData, c: int) -> int:
    found = (data.y_test == c).nonzero()
    return int(found[0]) if len(found) else 0


def _vae_views(run: VaeRun, data: GenData, ab: tuple[float, float], pick: int, ends: tuple[int, int],
               eps_seed: int, prior_seed: int) -> VaeViews:
    mu, log_var = run.latents()
    plane = latent_plane(mu)
    xy = plane.project(mu).numpy()
    title = "Test images' latent means μ" + (" (2 principal axes)" if plane.projected else "") + " · click one"
    scatter = latent_scatter_figure(xy, data.y_test.numpy(), data.classes, plane.half_span, plane.projected, ab, title)
    mosaic = manifold(run, plane)
    manifold_fig = manifold_figure(mosaic, plane.half_span, plane.projected, ab, "Decoded manifold: a grid of z decoded")
    point = images_figure(run.decode(plane.lift(torch.tensor([ab]))), ncols=1, height=170)
    example = reparameterize_example(run, data.X_test[pick], seed=eps_seed)
    shown = min(len(example.mu), 8)
    table = pd.DataFrame({f"z{i + 1}": [float(v[i]) for v in (example.mu, example.sigma, example.eps, example.z)]
                          for i in range(shown)}, index=["μ", "σ = exp(½·log σ²)", "ε ~ N(0, 1)", "z = μ + σ·ε"])
    images = images_figure(torch.stack([data.X_test[pick], example.decoded_mu, example.decoded_z]), ncols=3,
                           labels=["input x", "decoded μ", "decoded z"], height=190)
    strip = images_figure(interpolate(run, data.X_test[ends[0]], data.X_test[ends[1]], steps=10), ncols=10, height=120)
    prior = images_figure(prior_samples(run, 32, seed=prior_seed), ncols=8, height=330)
    return VaeViews(mu, plane, scatter, manifold_fig, point, table, images, strip, prior,
                    kl_per_dim(mu, log_var).numpy())


def _bump(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + 1


def collapse_message(kl: np.ndarray, beta: float, steps: int) -> None:
    """Say plainly when the posterior collapsed, fully or in some dimensions (once training had a chance to use them)."""
    active = int((kl > ACTIVE_KL).sum())
    if steps < COLLAPSE_AFTER:
        st.caption(f"Unused dimensions are named here after {COLLAPSE_AFTER} steps: an untrained encoder outputs μ ≈ 0, "
                   "σ ≈ 1 — the prior — for every image.")
    elif active == 0:
        st.error(f"**Posterior collapse** (β = {beta:g}): every latent dimension carries less than {ACTIVE_KL} nats. "
                 "The KL penalty won: the encoder now outputs the prior N(0, I) for every image, so z says nothing "
                 "about x and the decoder draws the same average blur whatever z is. Lower β and the codes come back.",
                 icon="🫥")
    elif active < len(kl):
        st.info(f"{len(kl) - active} of {len(kl)} latent dimensions are unused (KL < {ACTIVE_KL} nats, grey bars): "
                "the VAE switched them off, keeping only what pays for its KL cost.")


def render_vae(run: VaeRun, data: GenData) -> None:
    """The VAE's live view: losses, latent scatter and manifold, a picked point, the trick in numbers, samples."""
    state = st.session_state
    h = run.history
    st.plotly_chart(vae_loss_figure(h.series, h.eval_step, h.evals, run.beta), width="stretch", key="gen_fig_vae_loss")
    if h.eval_step:
        st.caption(f"Step {run.steps:,} · test reconstruction **{h.latest('test_recon'):.1f}** nats · KL "
                   f"**{h.latest('test_kl'):.2f}** nats · 5-NN accuracy of the classes from the latent means "
                   f"**{h.latest('knn_acc'):.0%}** (chance 10 %) · active dimensions "
                   f"**{h.latest('active_dims'):.0f} of {run.config.latent_dim}**")
    previous = state.get("gen_vae_views")
    if state.pop("gen_vae_pick_pending", False) and previous and previous["run"] is run:
        views: VaeViews = previous["value"]
        a, b = views.plane.project(views.mu[state["gen_vae_pick"]][None])[0].tolist()
        state["gen_vae_a"], state["gen_vae_b"] = (round(float(np.clip(v, -PICK_RANGE, PICK_RANGE)), 1) for v in (a, b))
    pick = min(int(state.get("gen_vae_pick", 0)), len(data.X_test) - 1)
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
    a = c1.slider("Latent point: a", -PICK_RANGE, PICK_RANGE, 0.0, step=0.1, key="gen_vae_a", bind="query-params")
    b = c2.slider("Latent point: b", -PICK_RANGE, PICK_RANGE, 0.0, step=0.1, key="gen_vae_b", bind="query-params")
    start = c3.selectbox("Interpolate from", range(len(data.classes)), index=3 % len(data.classes),
                         format_func=lambda c: data.classes[c], key="gen_vae_from", bind="query-params")
    end = c4.selectbox("to", range(len(data.classes)), index=8 % len(data.classes),
                       format_func=lambda c: data.classes[c], key="gen_vae_to", bind="query-params")
    ends = (_first_of_class(data, int(start or 0)), _first_of_class(data, int(end or 0)))
    seeds = (state.get("gen_vae_eps_seed", 0), state.get("gen_vae_prior_seed", 0))
    views = _throttled("gen_vae_views", run, (a, b, pick, ends, *seeds), is_playing("gen_vae"),
                       lambda: _vae_views(run, data, (a, b), pick, ends, *seeds))
    left, right = st.columns(2)
    left.plotly_chart(views.scatter, width="stretch", key="gen_fig_vae_scatter", on_select=_on_pick,
                      selection_mode="points")
    right.plotly_chart(views.manifold, width="stretch", key="gen_fig_vae_manifold")
    left, mid, right = st.columns([1, 2, 2])
    with left:
        st.markdown(f"**Decoding of ✕** ({a:g}, {b:g})")
        st.plotly_chart(views.point, width="stretch", key="gen_fig_vae_point")
    with mid:
        st.markdown(f"**The reparameterization trick** on test image {pick} ({data.classes[int(data.y_test[pick])]})")
        st.dataframe(views.reparam.style.format("{:.3f}"), width="stretch")
        st.button("🎲 New ε", key="gen_vae_eps", on_click=_bump, args=("gen_vae_eps_seed",),
                  help="Draw another ε: z moves around μ by σ·ε, and its decoding changes a little.")
    right.plotly_chart(views.reparam_images, width="stretch", key="gen_fig_vae_reparam")
    st.markdown(f"**Interpolation** between a test {data.classes[int(start or 0)]} and a test {data.classes[int(end or 0)]}: "
                "the straight line between their latent means, decoded in 10 steps.")
    st.plotly_chart(views.interpolation, width="stretch", key="gen_fig_vae_interp")
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Samples from the prior**: z ~ N(0, I), decoded — what the VAE generates.")
        st.plotly_chart(views.prior, width="stretch", key="gen_fig_vae_prior")
        st.button("🎲 New samples", key="gen_vae_resample", on_click=_bump, args=("gen_vae_prior_seed",))
    with right:
        st.plotly_chart(kl_bars_figure(views.kl, ACTIVE_KL), width="stretch", key="gen_fig_vae_kl")
        collapse_message(views.kl, run.beta, run.steps)


# ----- 2 · the GAN in 2D ----------------------------------------------------------------------------------------------
def _on_canvas() -> None:
    """The canvas's selection callback: add the clicked (or boxed, lassoed) points."""
    selected = st.session_state["gen_fig_canvas"].selection.points
    st.session_state["gen_gan_points"] = add_selection(st.session_state.get("gen_gan_points", []), selected)


def clicked_points() -> list[tuple[float, float]]:
    """The canvas where the user clicks a target; returns the points (a message when there are too few)."""
    points = st.session_state.setdefault("gen_gan_points", [])
    left, right = st.columns([3, 1])
    with right:
        st.markdown(f"**{len(points)} point{'s' * (len(points) != 1)}**. Each becomes a small Gaussian blob of real "
                    "samples. Try two far-apart clusters, or a letter.")
        if st.button("↶ Undo last", key="gen_gan_undo", disabled=not points, width="stretch"):
            points.pop()
        if st.button("🗑 Clear", key="gen_gan_clear", disabled=not points, width="stretch"):
            points.clear()
    left.plotly_chart(canvas_figure(canvas_points().numpy(), np.array(points, dtype=float).reshape(-1, 2)),
                      width="stretch", key="gen_fig_canvas", on_select=_on_canvas, selection_mode=("points", "box", "lasso"))
    if len(points) < MIN_CLICKED:
        st.info(f"Click at least {MIN_CLICKED} points onto the plot above to give the GAN something to learn "
                f"({len(points)} so far). The GAN trains once there are enough.", icon="👆")
    return list(points)


def render_gan2d(run: GanRun) -> None:
    """The 2D GAN's live view: D's field, real and fake points, G's pull; the distance and the losses over time."""
    playing = is_playing("gen_gan")
    c1, c2, c3, c4 = st.columns(4, vertical_alignment="center")
    show_field = c1.toggle("D's verdict (heatmap)", True, key="gen_gan_show_field", bind="query-params")
    show_pull = c2.toggle("G's gradient (arrows)", True, key="gen_gan_show_pull", bind="query-params")
    if c3.button("½ · one D update", key="gen_gan_d_once", disabled=playing or run.stopped, width="stretch",
                 help="Only D learns: watch the heatmap move towards the real points and away from the fakes."):
        run.update_once("D")
    if c4.button("½ · one G update", key="gen_gan_g_once", disabled=playing or run.stopped, width="stretch",
                 help="Only G learns: watch the purple points move along the arrows."):
        run.update_once("G")
    axis, field = d_field(run) if show_field else (torch.linspace(-1, 1, 2), None)
    fake, pull = run.generator_pull()
    real = run.target.X[:: max(1, len(run.target.X) // 300)]
    figure = gan2d_figure(axis.numpy(), None if field is None else field.numpy(), real.numpy(), fake.numpy(),
                          pull.numpy() if show_pull else None, run.target.modes.numpy(),
                          title=f"Round {run.steps:,} · {run.d_updates:,} D updates · {run.g_updates:,} G updates")
    left, right = st.columns([3, 2])
    left.plotly_chart(figure, width="stretch", key="gen_fig_gan2d")
    h = run.history
    with right:
        n_modes = len(run.target.modes)
        st.plotly_chart(distance_figure(h.eval_step, h.evals.get("js", []), h.evals.get("covered", []), n_modes),
                        width="stretch", key="gen_fig_gan_distance")
        st.plotly_chart(gan_curves_figure(h.series, run.loss), width="stretch", key="gen_fig_gan_curves")
        cov = coverage(run.target, fake)
        st.caption(f"Now: {cov.n_covered} of {n_modes} modes hold at least a quarter of their fair share of the "
                   f"{len(fake)} watched points; {cov.on_target:.0%} of them lie on a mode.")
    note = collapse_note(run)
    if note:
        st.warning(note, icon="🎯")


# ----- 3 · the GAN on images ------------------------------------------------------------------------------------------
def render_image_gan(run: GanRun) -> None:
    """Samples from fixed noise and the players' curves, with the training time so far."""
    left, right = st.columns([2, 3])
    images = _throttled("gen_img_views", run, (), is_playing("gen_img"),
                        lambda: images_figure(gan_images(run), ncols=8, height=420))
    left.plotly_chart(images, width="stretch", key="gen_fig_img_samples")
    right.plotly_chart(gan_curves_figure(run.history.series, run.loss), width="stretch", key="gen_fig_img_curves")
    right.caption(f"**{run.train_seconds:.0f} s** of training · round {run.steps:,}. The same 64 noise vectors every "
                  "time, so you watch one set of samples change.")


# ----- 4 · side by side -----------------------------------------------------------------------------------------------
def _catch_up(vae: VaeRun, gan: GanRun) -> None:
    """Train the run that is behind until both have trained equally long (at most CATCH_UP_LIMIT s)."""
    behind, ahead = (vae, gan) if vae.train_seconds < gan.train_seconds else (gan, vae)
    gap = min(ahead.train_seconds - behind.train_seconds, CATCH_UP_LIMIT)
    deadline = time.monotonic() + gap + 5
    while behind.train_seconds < ahead.train_seconds - 0.05 and not behind.stopped and time.monotonic() < deadline:
        behind.step_for(min(0.5, ahead.train_seconds - behind.train_seconds))


@st.fragment
def side_by_side(vae: VaeRun, gan: GanRun, data: GenData) -> None:
    """Samples of the VAE and of the image GAN, the time each trained, how blurry and how varied they are."""
    gap = abs(vae.train_seconds - gan.train_seconds)
    if st.button(f"⚖ Train the one behind for {min(gap, CATCH_UP_LIMIT):.0f} s so both have trained equally long",
                 key="gen_catch_up", disabled=gap < 1 or vae.stopped or gan.stopped):
        with st.spinner("Training the run that is behind…"):
            _catch_up(vae, gan)
    n = len(data.classes)
    real_blur = blur_score(data.X_test[:256])
    columns = st.columns(2)
    for column, name, run, samples in ((columns[0], "VAE", vae, prior_samples(vae, 32, seed=7)),
                                       (columns[1], "GAN", gan, gan_images(gan)[:32])):
        with column:
            st.markdown(f"**{name}** after **{run.train_seconds:.0f} s** of training ({run.steps:,} "
                        f"{'steps' if name == 'VAE' else 'rounds'})")
            st.plotly_chart(images_figure(samples, ncols=8, height=300), width="stretch", key=f"gen_fig_cmp_{name}")
            counts = nearest_classes(samples, data.X_test, data.y_test, n)
            st.caption(f"Blur: {blur_score(samples):.0%} of inked pixels only grey (real images: {real_blur:.0%}) · "
                       f"looks most like {int((counts > 0).sum())} of {n} classes "
                       f"(nearest test image: {', '.join(f'{data.classes[c]}×{int(k)}' for c, k in enumerate(counts) if k)})")
