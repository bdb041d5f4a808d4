"""What the live views draw, computed headless from a run: the VAE's latent views, the 2D GAN's plane, the comparison."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from dlplay.lessons.generative.data import GenData
from dlplay.lessons.generative.figures import images_figure, latent_scatter_figure, manifold_figure
from dlplay.lessons.generative.figures_gan import gan2d_figure
from dlplay.lessons.generative.gan2d import Coverage, coverage, d_field
from dlplay.lessons.generative.gan_lab import GanRun
from dlplay.lessons.generative.image_gan import blur_score, gan_images, nearest_classes
from dlplay.lessons.generative.latent import (
    LatentPlane,
    interpolate,
    latent_plane,
    manifold,
    prior_samples,
    reparameterize_example,
)
from dlplay.lessons.generative.vae_lab import VaeRun, kl_per_dim
from dlplay.viz.spec import Spec

PICK_RANGE = 6.0  # the latent-point sliders reach ±this
REAL_SHOWN = 300  # real points drawn on the 2D plane
COMPARE_SAMPLES = 32  # samples of each model side by side


@dataclass
class VaeViews:
    """What the VAE's live view draws, computed together from one state of the model."""

    mu: torch.Tensor  # (M, d) test means
    plane: LatentPlane
    scatter: Spec
    manifold: Spec
    point: Spec  # the decoding of the picked latent point
    reparam: pd.DataFrame  # μ, σ, ε, z of the picked test image, per latent dimension (at most 8)
    reparam_images: Spec  # that image, the decoding of μ, the decoding of z
    interpolation: Spec
    prior: Spec
    kl: np.ndarray  # (d,) average KL per dimension


def vae_views(run: VaeRun, data: GenData, ab: tuple[float, float], pick: int, ends: tuple[int, int],
              eps_seed: int, prior_seed: int) -> VaeViews:
    """Everything the VAE's view shows, for a picked point ab of the plane, a picked test image and two ends."""
    mu, log_var = run.latents()
    plane = latent_plane(mu)
    title = "Test images' latent means μ" + (" (2 principal axes)" if plane.projected else "") + " · click one"
    scatter = latent_scatter_figure(plane.project(mu).numpy(), data.y_test.numpy(), data.classes, plane.half_span,
                                    plane.projected, ab, title)
    manifold_spec = manifold_figure(manifold(run, plane), plane.half_span, plane.projected, ab,
                                    "Decoded manifold: a grid of z, decoded")
    point = images_figure(run.decode(plane.lift(torch.tensor([ab]))), ncols=1, height=170)
    example = reparameterize_example(run, data.X_test[pick], seed=eps_seed)
    shown = min(len(example.mu), 8)
    rows = (example.mu, example.sigma, example.eps, example.z)
    table = pd.DataFrame({f"z{i + 1}": [float(v[i]) for v in rows] for i in range(shown)},
                         index=["μ", "σ = exp(½·log σ²)", "ε ~ N(0, 1)", "z = μ + σ·ε"])
    images = images_figure(torch.stack([data.X_test[pick], example.decoded_mu, example.decoded_z]), ncols=3,
                           labels=["input x", "decoded μ", "decoded z"], height=200)
    strip = images_figure(interpolate(run, data.X_test[ends[0]], data.X_test[ends[1]], steps=10), ncols=10, height=120)
    prior = images_figure(prior_samples(run, 32, seed=prior_seed), ncols=8, height=330)
    return VaeViews(mu, plane, scatter, manifold_spec, point, table, images, strip, prior, kl_per_dim(mu, log_var).numpy())


def picked_point(views: VaeViews, index: int) -> tuple[float, float]:
    """Where test image `index`'s mean sits on the drawn plane, rounded and clipped to the sliders' range and step."""
    a, b = views.plane.project(views.mu[index][None])[0].tolist()
    return tuple(round(float(np.clip(v, -PICK_RANGE, PICK_RANGE)), 1) for v in (a, b))


def first_of_class(data: GenData, c: int) -> int:
    """The index of the first test image of class c (0 when there is none)."""
    found = (data.y_test == c).nonzero()
    return int(found[0]) if len(found) else 0


def gan2d_view(run: GanRun, show_field: bool = True, show_pull: bool = True) -> tuple[Spec, Coverage, float]:
    """The plane: D's field, real and generated points, G's pull; how the generated points cover the modes; and the
    mean length of the pull |−∂L_G/∂x| (the arrows are drawn to scale with each other, not across rounds)."""
    axis_values, field = d_field(run) if show_field else (torch.linspace(-1, 1, 2), None)
    fake, pull = run.generator_pull()
    real = run.target.X[:: max(1, len(run.target.X) // REAL_SHOWN)]
    title = f"Round {run.steps:,} · {run.d_updates:,} D updates · {run.g_updates:,} G updates"
    spec = gan2d_figure(axis_values.numpy(), None if field is None else field.numpy(), real.numpy(), fake.numpy(),
                        pull.numpy() if show_pull else None, run.target.modes.numpy(), title)
    return spec, coverage(run.target, fake), float(pull.norm(dim=1).mean())


@dataclass(frozen=True)
class Side:
    """One model's column of the comparison."""

    name: str
    seconds: float  # training time so far
    steps: int
    samples: Spec
    blur: float  # blur_score of the samples
    classes: list[tuple[str, int]]  # (class, samples most like it), for the classes that appear


def compare(vae: VaeRun, gan: GanRun, data: GenData) -> tuple[Side, Side, float]:
    """The VAE's prior samples and the image GAN's fixed-noise samples, measured; and the real images' blur."""
    sides = []
    for name, run, samples in (("VAE", vae, prior_samples(vae, COMPARE_SAMPLES, seed=7)),
                               ("GAN", gan, gan_images(gan)[:COMPARE_SAMPLES])):
        counts = nearest_classes(samples, data.X_test, data.y_test, len(data.classes))
        sides.append(Side(name, run.train_seconds, run.steps, images_figure(samples, ncols=8, height=300),
                          blur_score(samples), [(data.classes[c], int(k)) for c, k in enumerate(counts) if k]))
    return sides[0], sides[1], blur_score(data.X_test[:256])
