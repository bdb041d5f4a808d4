"""The VAE run against a hand-written loop, its measures, the latent views, the digit data and the comparison measures."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from dlplay.lessons.generative.data import centre_of_mass, load_gen_data, missing_message
from dlplay.lessons.generative.image_gan import ImageGanConfig, blur_score, build_image_gan, gan_images, nearest_classes
from dlplay.lessons.generative.latent import (
    interpolate,
    latent_plane,
    manifold,
    prior_samples,
    reparameterize_example,
)
from dlplay.lessons.generative.vae_lab import VaeConfig, VaeRun, kl_per_dim, knn_accuracy, vae_code, vae_loss_terms


@pytest.fixture(scope="module")
def digits():
    """A small set of flattened 28×28 images with labels (cheap stand-ins: noise around ten class templates)."""
    g = torch.Generator().manual_seed(0)
    templates = torch.rand(10, 784, generator=g)
    y = torch.arange(300) % 10
    X = (templates[y] * 0.8 + 0.2 * torch.rand(300, 784, generator=g)).clamp(0, 1)
    return X[:200], X[200:], y[200:]


def small_config(**changes) -> VaeConfig:
    return VaeConfig(**{"hidden_size": 32, "batch_size": 16, "eval_every": 10, **changes})


def test_run_equals_a_hand_written_loop(digits):
    X_train, X_test, y_test = digits
    run = VaeRun(X_train, X_test, y_test, small_config(beta=0.5, seed=3))
    model = copy.deepcopy(run.model)
    run.step(12)

    optimizer = torch.optim.Adam(model.parameters(), lr=run.config.lr)
    batches, noise = torch.Generator().manual_seed(3), torch.Generator().manual_seed(4)
    losses, order, cursor = [], torch.empty(0, dtype=torch.long), 0
    for _ in range(12):
        if cursor + 16 > len(order):
            order, cursor = torch.randperm(200, generator=batches), 0
        x = X_train[order[cursor : cursor + 16]]
        cursor += 16
        mu, log_var = model.encode(x)
        z = mu + torch.randn(mu.shape, generator=noise) * torch.exp(0.5 * log_var)
        x_hat = model.decode(z)
        recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / 16
        kl = -0.5 * torch.sum(1 + log_var - mu**2 - log_var.exp()) / 16
        loss = recon + 0.5 * kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    torch.testing.assert_close(torch.tensor(run.history.series["loss"]), torch.tensor(losses))
    for ours, theirs in zip(run.model.parameters(), model.parameters()):
        torch.testing.assert_close(ours, theirs)
    assert run.history.eval_step == [10]  # chunks end at evaluation boundaries: steps 1–10, then 11–12


def test_evaluation_measures_the_test_images(digits):
    X_train, X_test, y_test = digits
    run = VaeRun(X_train, X_test, y_test, small_config())
    run.step(30)
    mu, log_var = run.latents()
    recon, kl = vae_loss_terms(run.decode(mu), X_test, mu, log_var)
    evals = run.history.evals
    assert evals["test_recon"][-1] == pytest.approx(float(recon), rel=1e-5)
    assert evals["test_kl"][-1] == pytest.approx(float(kl), rel=1e-5)
    assert evals["knn_acc"][-1] == pytest.approx(knn_accuracy(mu, y_test))
    assert evals["active_dims"][-1] == float((kl_per_dim(mu, log_var) > 0.01).sum())


def test_beta_and_lr_apply_live_and_a_wild_latent_size_is_refused(digits):
    X_train, X_test, y_test = digits
    run = VaeRun(X_train, X_test, y_test, small_config())
    run.set_beta(3.0)
    run.set_lr(0.01)
    run.step(2)
    series = run.history.series
    torch.testing.assert_close(torch.tensor(series["loss"]), torch.tensor(series["recon"]) + 3.0 * torch.tensor(series["kl"]))
    assert run.lr == 0.01
    with pytest.raises(ValueError, match="between 2 and 16"):
        VaeRun(X_train, X_test, y_test, small_config(latent_dim=40))


def test_knn_accuracy_against_brute_force():
    g = torch.Generator().manual_seed(0)
    points = torch.randn(40, 2, generator=g)
    labels = (points[:, 0] > 0).long()
    labels[:5] = 1 - labels[:5]  # a few wrong labels
    correct = 0
    for i in range(40):
        d = (points - points[i]).norm(dim=1)
        d[i] = float("inf")
        votes = torch.bincount(labels[d.argsort()[:3]], minlength=2)
        correct += int(votes.argmax() == labels[i])
    assert knn_accuracy(points, labels, k=3) == pytest.approx(correct / 40)


def test_latent_plane_is_the_space_itself_in_2d_and_principal_axes_beyond():
    g = torch.Generator().manual_seed(0)
    mu2 = torch.randn(100, 2, generator=g)
    plane = latent_plane(mu2)
    assert not plane.projected and torch.equal(plane.project(mu2), mu2) and plane.half_span[0] >= 3.0
    mu5 = torch.randn(100, 2, generator=g) @ torch.randn(2, 5, generator=g) + 1.0  # a 2D plane inside 5D
    plane = latent_plane(mu5)
    assert plane.projected
    torch.testing.assert_close(plane.basis @ plane.basis.T, torch.eye(2), atol=1e-5, rtol=0)
    torch.testing.assert_close(plane.lift(plane.project(mu5)), mu5, atol=1e-4, rtol=0)  # the means lie in the plane


def test_latent_views_decode_what_they_say(digits):
    X_train, X_test, y_test = digits
    run = VaeRun(X_train, X_test, y_test, small_config(latent_dim=3))
    run.step(5)
    mu, _ = run.latents()
    plane = latent_plane(mu)
    mosaic = manifold(run, plane, n=4)
    assert mosaic.shape == (4 * 28, 4 * 28)
    top_left = run.decode(plane.lift(torch.tensor([[-plane.half_span[0], plane.half_span[1]]])))
    torch.testing.assert_close(mosaic[:28, :28], top_left.reshape(28, 28))
    strip = interpolate(run, X_test[0], X_test[1], steps=5)
    torch.testing.assert_close(strip[0], run.decode(mu[:1])[0])
    torch.testing.assert_close(strip[-1], run.decode(mu[1:2])[0])
    example = reparameterize_example(run, X_test[0], seed=2)
    torch.testing.assert_close(example.z, example.mu + example.sigma * example.eps)
    torch.testing.assert_close(example.decoded_z, run.decode(example.z[None])[0])
    assert prior_samples(run, 6).shape == (6, 784)
    assert "VAE(784, 2)" in vae_code(VaeConfig()) and "beta=1" in vae_code(VaeConfig())


def test_centre_of_mass_centres_an_off_centre_blob():
    X = torch.zeros(2, 1, 28, 28)
    X[0, 0, 3:8, 4:9] = 1.0  # a square centred at (row 5, column 6)
    X[1, 0, 12:16, 12:16] = 1.0  # already centred at 13.5
    centred = centre_of_mass(X)
    rows, cols = torch.arange(28.0)[:, None], torch.arange(28.0)[None, :]
    for image in centred[:, 0]:
        total = image.sum()
        assert float((image * rows).sum() / total) == pytest.approx(13.5, abs=0.1)
        assert float((image * cols).sum() / total) == pytest.approx(13.5, abs=0.1)
    torch.testing.assert_close(centred[1], X[1], atol=1e-5, rtol=0)


def test_gen_data_is_flat_and_falls_back_with_a_message(tmp_path):
    data = load_gen_data("MNIST", 20, root=tmp_path, download=False)
    assert data.name == "Synthetic digits" and "MNIST" in data.message
    assert data.X_train.shape == (20, 784) and data.X_test.shape[1] == 784 and len(data.y_test) == len(data.X_test)
    assert 0.0 <= float(data.X_train.min()) and float(data.X_train.max()) <= 1.0


def test_image_gan_and_comparison_measures():
    g = torch.Generator().manual_seed(0)
    X = (torch.rand(64, 784, generator=g) > 0.7).float()
    run = build_image_gan(X, ImageGanConfig(batch_size=16))
    torch.testing.assert_close(run.X_real, X * 2 - 1)  # the Tanh's range
    images = gan_images(run)
    assert images.shape == (64, 784) and float(images.min()) >= 0 and float(images.max()) <= 1
    sharp = (torch.rand(10, 784, generator=g) > 0.5).float()
    blurry = torch.full((10, 784), 0.5)
    assert blur_score(sharp) == 0.0 and blur_score(blurry) == 1.0
    y = torch.arange(10)
    counts = nearest_classes(sharp[:3] + 0.01, sharp, y, 10)
    assert counts.tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]


def test_missing_message_probes_without_downloading(tmp_path):
    assert missing_message("Synthetic digits") == ""
    assert "FashionMNIST" in missing_message("FashionMNIST", tmp_path) and not any(tmp_path.iterdir())
