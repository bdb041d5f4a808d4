"""The Generative Models page's sections (chapter 10): the shared images, the live VAE, the 2D GAN, the image GAN and
the comparison — each a fragment, so its own widgets re-run it alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from dlplay.data.torchvision_sets import data_dir
from dlplay.lessons.generative.data import DATASETS, GenData, load_gen_data, missing_message
from dlplay.lessons.generative.figures import images_figure, kl_bars_figure, vae_loss_figures
from dlplay.lessons.generative.figures_gan import canvas_figure, distance_figure, gan_curves_figures
from dlplay.lessons.generative.gan2d import Gan2dConfig, build_gan2d, collapse_note, gan2d_code
from dlplay.lessons.generative.gan_lab import GAN_LOSSES, GAN_OPTIMIZERS, GanRun
from dlplay.lessons.generative.gan_targets import CLICKED, MIN_CLICKED, TARGETS, add_selection, canvas_points
from dlplay.lessons.generative.image_gan import ImageGanConfig, build_image_gan, gan_images, image_gan_code
from dlplay.lessons.generative.vae_lab import ACTIVE_KL, LATENT_RANGE, VaeConfig, VaeRun, vae_code
from dlplay.lessons.generative.views import (
    PICK_RANGE,
    VaeViews,
    compare,
    first_of_class,
    gan2d_view,
    picked_point,
    vae_views,
)
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code
from dlplay.ui.training_panel import is_playing, panel_run, training_panel

VAE, GAN, IMG = "gen_vae", "gen_gan", "gen_img"  # the three training panels' keys
COMPARE = "gen_compare"  # the comparison's fragment key: Pause, Step and Reset of the VAE or the image GAN re-run it
BETAS = [0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]
VAE_LRS = [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2]
GAN_LRS = [1e-5, 3e-5, 1e-4, 2e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0]
IMG_LRS = [1e-5, 3e-5, 1e-4, 2e-4, 3e-4, 1e-3, 3e-3, 1e-2, 0.1, 1.0]
SLOW_EVERY = 2.0  # seconds between rebuilds of the heavy live figures while playing (they hold the run's lock)
COLLAPSE_AFTER = 200  # steps before unused latent dimensions are reported
CATCH_UP_LIMIT = 60.0  # seconds the comparison trains the run that is behind, at most


# ----- the images both models learn -----------------------------------------------------------------------------------
@st.cache_resource(max_entries=4, show_spinner="Drawing digit images…")
def cached_data(name: str, n_train: int, seed: int, root: str) -> GenData:
    """Images shared read-only by every session (real sets only if already on disk, else the cached synthetic ones)."""
    missing = missing_message(name, Path(root))
    if missing:  # the synthetic digits of the same size, drawn once for both names
        return replace(cached_data(DATASETS[0], n_train, seed, root), message=missing)
    return load_gen_data(name, n_train, seed=seed, root=Path(root), download=False)


def _download(name: str, root: str) -> None:
    """Button callback: try to download a real data set; say what happened."""
    result = load_gen_data(name, 1, root=Path(root), download=True)
    st.session_state["gen_download_note"] = result.message or f"{name} is downloaded."
    if not result.message:
        cached_data.clear()


def image_data(n_train: int, seed: int) -> GenData:
    """The images of the VAE and the image GAN (a page-wide choice), with a plain notice when a real set is missing."""
    name = st.selectbox("Images for the VAE and the image GAN", DATASETS, key="gen_data", bind="query-params",
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


def _bump(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + 1


# ----- 1 · the VAE ----------------------------------------------------------------------------------------------------
def latent_size(default: int) -> int:
    """The VAE's latent size; a value out of range gets a message and the last valid size is kept."""
    value = st.number_input("Latent size d", value=default, step=1, key="gen_vae_latent", bind="query-params",
                            help=f"{LATENT_RANGE[0]} draws the latent space as it is; up to {LATENT_RANGE[1]} is shown "
                                 "through its two principal axes.")
    low, high = LATENT_RANGE
    if value is not None and low <= value <= high and float(value).is_integer():
        st.session_state["gen_vae_latent_ok"] = int(value)
    else:
        kept = st.session_state.get("gen_vae_latent_ok", default)
        st.warning(f"The latent size must be a whole number from {low} to {high}; got {value}. Keeping d = {kept}.")
    return int(st.session_state.get("gen_vae_latent_ok", default))


@st.fragment
def vae_section(data: GenData, seed: int, device: torch.device) -> None:
    """The VAE lab: latent size, β and learning rate, the live panel, the code."""
    c = st.columns(3)
    with c[0]:
        latent = latent_size(VaeConfig.latent_dim)
    beta = c[1].select_slider("β on the KL term (live)", BETAS, 1.0, key="gen_vae_beta", bind="query-params",
                              help="1 is the true ELBO. Raise it until the codes collapse onto the prior; 0 is a plain "
                                   "autoencoder with noise.")
    lr = c[2].select_slider("Learning rate (live)", VAE_LRS, VaeConfig.lr, key="gen_vae_lr", bind="query-params")
    config = VaeConfig(dataset=data.name, latent_dim=latent, beta=beta, lr=lr, seed=seed)
    run = training_panel(VAE, (config.signature(), str(device)),
                         lambda: VaeRun(data.X_train, data.X_test, data.y_test, config, device),
                         lambda current: render_vae(current, data), device=device, step_size=50, rerun_also=(COMPARE,))
    run.set_lr(lr)
    run.set_beta(beta)
    show_code(vae_code(config), label="🐍 The curriculum's VAE, its loss and the loop for these settings")


def _on_pick() -> None:
    """The latent scatter's selection callback: remember which test image was clicked."""
    for point in st.session_state["gen_fig_vae_scatter"].selection.points:
        index = point.get("customdata")
        index = index[0] if isinstance(index, list | tuple) else index
        if isinstance(index, int | float):
            st.session_state["gen_vae_pick"] = int(index)
            st.session_state["gen_vae_pick_pending"] = True
            return


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
    state, h = st.session_state, run.history
    recon, kl = vae_loss_figures(h.series, h.eval_step, h.evals, run.beta)
    left, right = st.columns(2)
    plot(recon, key="gen_fig_vae_recon", container=left)
    plot(kl, key="gen_fig_vae_kl_curve", container=right)
    if h.eval_step:
        st.caption(f"Step {run.steps:,} · test reconstruction **{h.latest('test_recon'):.1f}** nats · KL "
                   f"**{h.latest('test_kl'):.2f}** nats · 5-NN accuracy of the classes from the latent means "
                   f"**{h.latest('knn_acc'):.0%}** (chance 10 %) · active dimensions "
                   f"**{h.latest('active_dims'):.0f} of {run.config.latent_dim}**")
    previous = state.get("gen_vae_views")
    if state.pop("gen_vae_pick_pending", False) and previous and previous["run"] is run:
        state["gen_vae_a"], state["gen_vae_b"] = picked_point(previous["value"], state["gen_vae_pick"])
    pick = min(int(state.get("gen_vae_pick", 0)), len(data.X_test) - 1)
    c = st.columns([2, 2, 1, 1])
    a = c[0].slider("Latent point: a", -PICK_RANGE, PICK_RANGE, 0.0, step=0.1, key="gen_vae_a", bind="query-params")
    b = c[1].slider("Latent point: b", -PICK_RANGE, PICK_RANGE, 0.0, step=0.1, key="gen_vae_b", bind="query-params")
    classes = range(len(data.classes))
    start = c[2].selectbox("Interpolate from", classes, index=3 % len(classes), format_func=lambda k: data.classes[k],
                           key="gen_vae_from", bind="query-params") or 0
    end = c[3].selectbox("to", classes, index=8 % len(classes), format_func=lambda k: data.classes[k],
                         key="gen_vae_to", bind="query-params") or 0
    ends = (first_of_class(data, start), first_of_class(data, end))
    seeds = (state.get("gen_vae_eps_seed", 0), state.get("gen_vae_prior_seed", 0))
    views: VaeViews = _throttled("gen_vae_views", run, (a, b, pick, ends, *seeds), is_playing(VAE),
                                 lambda: vae_views(run, data, (a, b), pick, ends, *seeds))
    left, right = st.columns(2)
    plot(views.scatter, key="gen_fig_vae_scatter", container=left, on_select=_on_pick, selection_mode="points")
    plot(views.manifold, key="gen_fig_vae_manifold", container=right)
    left, mid, right = st.columns([1, 2, 2])
    left.markdown(f"**Decoding of ✕** ({a:g}, {b:g})")
    plot(views.point, key="gen_fig_vae_point", container=left)
    with mid:
        st.markdown(f"**The reparameterization trick** on test image {pick} ({data.classes[int(data.y_test[pick])]})")
        st.dataframe(views.reparam.round(3), width="stretch")
        st.button("🎲 New ε", key="gen_vae_eps", on_click=_bump, args=("gen_vae_eps_seed",),
                  help="Draw another ε: z moves around μ by σ·ε, and its decoding changes a little.")
    plot(views.reparam_images, key="gen_fig_vae_reparam", container=right)
    st.markdown(f"**Interpolation** from a test {data.classes[start]} to a test {data.classes[end]}: the straight line "
                "between their latent means, decoded in 10 steps.")
    plot(views.interpolation, key="gen_fig_vae_interp")
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Samples from the prior**: z ~ N(0, I), decoded — what the VAE generates.")
        plot(views.prior, key="gen_fig_vae_prior")
        st.button("🎲 New samples", key="gen_vae_resample", on_click=_bump, args=("gen_vae_prior_seed",))
    with right:
        plot(kl_bars_figure(views.kl, ACTIVE_KL), key="gen_fig_vae_kl")
        collapse_message(views.kl, run.beta, run.steps)


# ----- 2 · the GAN in 2D ----------------------------------------------------------------------------------------------
def _on_canvas() -> None:
    """The canvas's selection callback: add the clicked (or boxed, lassoed) points."""
    selected = st.session_state["gen_fig_canvas"].selection.points
    st.session_state["gen_gan_points"] = add_selection(st.session_state.get("gen_gan_points", []), selected)


def clicked_points() -> list[tuple[float, float]]:
    """The canvas where the user clicks a target; returns the points (with a message while there are too few)."""
    points = st.session_state.setdefault("gen_gan_points", [])
    left, right = st.columns([3, 1])
    with right:
        st.markdown(f"**{len(points)} point{'s' * (len(points) != 1)}**. Each becomes a small Gaussian blob of real "
                    "samples. Try two far-apart clusters, or a letter.")
        if st.button("↶ Undo last", key="gen_gan_undo", disabled=not points, width="stretch"):
            points.pop()
        if st.button("🗑 Clear", key="gen_gan_clear", disabled=not points, width="stretch"):
            points.clear()
    plot(canvas_figure(canvas_points().numpy(), np.array(points, dtype=float).reshape(-1, 2)), key="gen_fig_canvas",
         container=left, on_select=_on_canvas, selection_mode=("points", "box", "lasso"))
    if len(points) < MIN_CLICKED:
        st.info(f"Click at least {MIN_CLICKED} points onto the plot above to give the GAN something to learn "
                f"({len(points)} so far). The GAN trains once there are enough.", icon="👆")
    return list(points)


@st.fragment
def gan2d_section(seed: int, device: torch.device) -> None:
    """The 2D GAN lab: target and players, the click canvas, the live panel, the code."""
    d = Gan2dConfig()
    with st.expander("Target and players", expanded=True):
        c = st.columns(5)
        target = c[0].selectbox("Target", TARGETS, key="gen_gan_target", bind="query-params") or TARGETS[0]
        loss = c[1].selectbox("Loss", GAN_LOSSES, key="gen_gan_loss", bind="query-params",
                              help="non-saturating: G minimizes −log D(G(z)); minimax: G minimizes log(1 − D(G(z))); "
                                   "least squares: squared errors on D's raw score (LSGAN).") or GAN_LOSSES[0]
        optimizer = c[2].selectbox("Optimizer", GAN_OPTIMIZERS, key="gen_gan_opt", bind="query-params") or "Adam"
        width = c[3].select_slider("Hidden width (G and D)", [8, 16, 32, 64, 128, 256], d.hidden_size,
                                   key="gen_gan_width", bind="query-params",
                                   help="Two hidden layers each; 256 is close to the curriculum's.")
        noise = c[4].select_slider("Noise dimensions", [1, 2, 4, 8], d.latent_dim, key="gen_gan_noise",
                                   bind="query-params", help="The size of z. With 1, G can only draw a curve.")
        c = st.columns(4)
        lr_d = c[0].select_slider("D learning rate (live)", GAN_LRS, d.lr_d, key="gen_gan_lr_d", bind="query-params")
        lr_g = c[1].select_slider("G learning rate (live)", GAN_LRS, d.lr_g, key="gen_gan_lr_g", bind="query-params")
        d_steps = c[2].slider("D updates per round (live)", 1, 10, d.d_steps, key="gen_gan_d_steps", bind="query-params")
        g_steps = c[3].slider("G updates per round (live)", 1, 10, d.g_steps, key="gen_gan_g_steps", bind="query-params")
    points = clicked_points() if target == CLICKED else []
    config = Gan2dConfig(target=target, points=tuple(points), latent_dim=noise, hidden_size=width, loss=loss,
                         optimizer=optimizer, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps, g_steps=g_steps, seed=seed)
    if target != CLICKED or len(points) >= MIN_CLICKED:
        run = training_panel(GAN, (config.signature(), str(device)), lambda: build_gan2d(config, device), render_gan2d,
                             device=device, step_size=1)
        run.set_lr(lr_d, lr_g)
        run.set_ratio(d_steps, g_steps)
    show_code(gan2d_code(config), label="🐍 The GAN loop for these settings")


def render_gan2d(run: GanRun) -> None:
    """The 2D GAN's live view: D's field, real and fake points, G's pull; the distance and the losses over time."""
    playing = is_playing(GAN)
    c = st.columns(4, vertical_alignment="center")
    show_field = c[0].toggle("D's verdict (heatmap)", True, key="gen_gan_show_field", bind="query-params")
    show_pull = c[1].toggle("G's gradient (arrows)", True, key="gen_gan_show_pull", bind="query-params")
    if c[2].button("½ · one D update", key="gen_gan_d_once", disabled=playing or run.stopped, width="stretch",
                   help="Only D learns: watch the heatmap move towards the real points and away from the fakes."):
        run.update_once("D")
    if c[3].button("½ · one G update", key="gen_gan_g_once", disabled=playing or run.stopped, width="stretch",
                   help="Only G learns: watch the purple points move along the arrows."):
        run.update_once("G")
    plane, cov, push = gan2d_view(run, show_field, show_pull)
    left, right = st.columns([3, 2])
    plot(plane, key="gen_fig_gan2d", container=left)
    h, n_modes = run.history, len(run.target.modes)
    with right:
        plot(distance_figure(h.eval_step, h.evals.get("js", []), h.evals.get("covered", []), n_modes),
             key="gen_fig_gan_distance")
        st.caption(f"Now: {cov.n_covered} of {n_modes} modes hold at least a quarter of their fair share of the "
                   f"{len(run.z_fixed)} watched points; {cov.on_target:.0%} of them lie on a mode. G's mean push "
                   f"|−∂L_G/∂x| = **{push:.3g}** (the arrows show directions and relative lengths).")
        note = collapse_note(run)
        if note:
            st.warning(note, icon="🎯")
    losses, verdict = gan_curves_figures(h.series, run.loss)
    left, right = st.columns(2)
    plot(losses, key="gen_fig_gan_losses", container=left)
    plot(verdict, key="gen_fig_gan_verdict", container=right)


# ----- 3 · the GAN on images ------------------------------------------------------------------------------------------
@st.fragment
def image_gan_section(data: GenData, seed: int, device: torch.device) -> None:
    """The curriculum's GAN on the images: loss, learning rate, D steps and batch size, the live panel, the code."""
    c = st.columns(4)
    loss = c[0].selectbox("Loss", GAN_LOSSES, key="gen_img_loss", bind="query-params") or GAN_LOSSES[0]
    lr = c[1].select_slider("Learning rate, both (live)", IMG_LRS, ImageGanConfig.lr, key="gen_img_lr", bind="query-params")
    d_steps = c[2].slider("D updates per round (live)", 1, 5, 1, key="gen_img_d_steps", bind="query-params")
    batch = c[3].select_slider("Batch size", [16, 32, 64, 128, 256], ImageGanConfig.batch_size, key="gen_img_batch",
                               bind="query-params")
    config = ImageGanConfig(loss=loss, lr=lr, d_steps=d_steps, batch_size=batch, seed=seed)
    run = training_panel(IMG, (config.signature(), data.name, str(device)),
                         lambda: build_image_gan(data.X_train, config, device), render_image_gan, device=device,
                         step_size=20, rerun_also=(COMPARE,))
    run.set_lr(lr)
    run.set_ratio(d_steps, 1)
    show_code(image_gan_code(config), label="🐍 The curriculum's Generator and Discriminator, and the image loop")


def render_image_gan(run: GanRun) -> None:
    """Samples from fixed noise and the players' curves, with the training time so far."""
    left, right = st.columns([2, 3])
    samples = _throttled("gen_img_views", run, (), is_playing(IMG),
                         lambda: images_figure(gan_images(run), ncols=8, height=420))
    plot(samples, key="gen_fig_img_samples", container=left)
    losses, verdict = gan_curves_figures(run.history.series, run.loss)
    plot(losses, key="gen_fig_img_losses", container=right)
    plot(verdict, key="gen_fig_img_verdict", container=right)
    right.caption(f"**{run.train_seconds:.0f} s** of training · round {run.steps:,}. The same 64 noise vectors every "
                  "time, so you watch one set of samples change.")


# ----- 4 · side by side -----------------------------------------------------------------------------------------------
def _catch_up(vae: VaeRun, gan: GanRun) -> None:
    """Train the run that is behind until both have trained equally long (at most CATCH_UP_LIMIT s)."""
    behind, ahead = (vae, gan) if vae.train_seconds < gan.train_seconds else (gan, vae)
    deadline = time.monotonic() + min(ahead.train_seconds - behind.train_seconds, CATCH_UP_LIMIT) + 5
    while behind.train_seconds < ahead.train_seconds - 0.05 and not behind.stopped and time.monotonic() < deadline:
        behind.step_for(min(0.5, ahead.train_seconds - behind.train_seconds))


@st.fragment(key=COMPARE)
def comparison_section(data: GenData) -> None:
    """Samples of the page's VAE and image GAN, the time each trained, how blurry and how varied they are."""
    vae, gan = panel_run(VAE), panel_run(IMG)
    if vae is None or gan is None:
        st.info("Both models appear here once their sections above have been drawn.")
        return
    gap = abs(vae.train_seconds - gan.train_seconds)
    left, right = st.columns([1, 2])
    left.button("↻ Show their current samples", key="gen_compare_refresh", width="stretch",
                help="This section shows the two models as they were when it was last drawn; training goes on above.")
    if right.button(f"⚖ Train the one behind for {min(gap, CATCH_UP_LIMIT):.0f} s, so both have trained equally long",
                    key="gen_catch_up", disabled=gap < 1 or vae.stopped or gan.stopped, width="stretch"):
        with st.spinner("Training the run that is behind…"):
            _catch_up(vae, gan)
    if vae.steps == 0 and gan.steps == 0:
        st.info("Neither model has trained yet: play the VAE (section 1) and the image GAN (section 3), then press "
                "↻ to compare their samples here.", icon="ℹ️")
    with vae.locked(), gan.locked():
        sides = compare(vae, gan, data)
    for column, side in zip(st.columns(2), sides[:2]):
        with column:
            st.markdown(f"**{side.name}** after **{side.seconds:.0f} s** of training ({side.steps:,} "
                        f"{'steps' if side.name == 'VAE' else 'rounds'})")
            plot(side.samples, key=f"gen_fig_cmp_{side.name}")
            st.caption(f"Blur: {side.blur:.0%} of inked pixels only grey (real images: {sides[2]:.0%}) · looks most like "
                       f"{len(side.classes)} of {len(data.classes)} classes (nearest test image: "
                       f"{', '.join(f'{name}×{k}' for name, k in side.classes)})")
