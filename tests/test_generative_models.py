"""The chapter-10 models: the curriculum's classes exactly (parameters, initial weights, outputs), and the VAE's loss is the ELBO."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal, kl_divergence

from dlplay.lessons.generative.vae_lab import kl_per_dim, vae_loss, vae_loss_terms
from dlplay.models.generative import VAE, Discriminator, Generator
from dlplay.models.init import seeded_init_


# ----- the curriculum's code, verbatim (chapter 10) -------------------------------------------------------------------
class CurriculumVAE(nn.Module):
    def __init__(self, input_dim, latent_dim):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_dim, 256), nn.ReLU())
        self.fc_mu = nn.Linear(256, latent_dim)
        self.fc_var = nn.Linear(256, latent_dim)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, input_dim), nn.Sigmoid())

    def reparameterize(self, mu, log_var):
        std = torch.exp(0.5 * log_var)
        eps = torch.randn_like(std)
        return mu + eps * std

    def forward(self, x):
        h = self.encoder(x)
        mu, log_var = self.fc_mu(h), self.fc_var(h)
        z = self.reparameterize(mu, log_var)
        return self.decoder(z), mu, log_var


class CurriculumGenerator(nn.Module):
    def __init__(self, latent_dim, output_dim):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(latent_dim, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                                   nn.Linear(512, output_dim), nn.Tanh())

    def forward(self, z):
        return self.model(z)


class CurriculumDiscriminator(nn.Module):
    def __init__(self, input_dim):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(input_dim, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                                   nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, x):
        return self.model(x)


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def reference(cls, *args, seed: int = 0) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(*args)


CASES = [(VAE, CurriculumVAE, (784, 2)), (VAE, CurriculumVAE, (784, 20)), (Generator, CurriculumGenerator, (100, 784)),
         (Generator, CurriculumGenerator, (2, 2)), (Discriminator, CurriculumDiscriminator, (784,))]


@pytest.mark.parametrize(("ours", "theirs", "args"), CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_defaults_are_the_curriculum_layers_with_the_same_initial_weights(ours, theirs, args):
    model, curriculum = seeded_init_(ours(*args), 3), reference(theirs, *args, seed=3)
    assert count(model) == count(curriculum)
    ours_state, theirs_state = model.state_dict(), curriculum.state_dict()
    assert list(ours_state) == list(theirs_state)  # same names, same order: a curriculum checkpoint loads as is
    for name in ours_state:
        torch.testing.assert_close(ours_state[name], theirs_state[name])


def test_parameter_counts_of_the_curriculum_sizes():
    assert count(VAE(784, 2)) == 404_244
    assert count(Generator(100, 784)) == 559_632
    assert count(Discriminator(784)) == 533_505


def test_outputs_match_the_curriculum_classes():
    g = torch.Generator().manual_seed(0)
    G, G_ref = Generator(100, 784), CurriculumGenerator(100, 784)
    G_ref.load_state_dict(G.state_dict())
    z = torch.randn(5, 100, generator=g)
    torch.testing.assert_close(G(z), G_ref(z))
    D, D_ref = Discriminator(784), CurriculumDiscriminator(784)
    D_ref.load_state_dict(D.state_dict())
    x = torch.rand(5, 784, generator=g) * 2 - 1
    torch.testing.assert_close(D(x), D_ref(x))
    torch.testing.assert_close(torch.sigmoid(D.logits(x)), D_ref(x))  # logits: the score before the Sigmoid

    vae, vae_ref = VAE(784, 3), CurriculumVAE(784, 3)
    vae_ref.load_state_dict(vae.state_dict())
    x = torch.rand(4, 784, generator=g)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        x_hat_ref, mu_ref, log_var_ref = vae_ref(x)
    noise = torch.Generator().manual_seed(5)  # randn_like under manual_seed(5) draws what a Generator seeded 5 draws
    x_hat, mu, log_var = vae(x, generator=noise)
    for ours, theirs in ((x_hat, x_hat_ref), (mu, mu_ref), (log_var, log_var_ref)):
        torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(vae.last_z, mu + vae.last_eps * torch.exp(0.5 * log_var))


def test_hidden_widths_generalize_and_reject_nonsense():
    G = Generator(2, 2, hidden_sizes=(16, 16))
    assert [m.out_features for m in G.model if isinstance(m, nn.Linear)] == [16, 16, 2]
    assert count(VAE(10, 2, hidden_size=8)) == (10 * 8 + 8) + 2 * (8 * 2 + 2) + (2 * 8 + 8) + (8 * 10 + 10)
    with pytest.raises(ValueError):
        Discriminator(2, hidden_sizes=())


def test_the_vae_loss_is_the_negative_elbo():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(6, 784, generator=g)  # pixel intensities in [0, 1]
    x_hat = torch.rand(6, 784, generator=g) * 0.98 + 0.01
    mu = torch.randn(6, 4, generator=g)
    log_var = torch.randn(6, 4, generator=g)
    # ELBO = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)), per image, averaged over the batch; written out by hand.
    log_likelihood = (x * torch.log(x_hat) + (1 - x) * torch.log(1 - x_hat)).sum(dim=1)
    kl = kl_divergence(Normal(mu, torch.exp(0.5 * log_var)), Normal(torch.zeros(4), torch.ones(4))).sum(dim=1)
    elbo = (log_likelihood - kl).mean()
    torch.testing.assert_close(vae_loss(x_hat, x, mu, log_var), -elbo)
    recon, kl_term = vae_loss_terms(x_hat, x, mu, log_var)
    torch.testing.assert_close(recon, -log_likelihood.mean())
    torch.testing.assert_close(vae_loss(x_hat, x, mu, log_var, beta=4.0), recon + 4.0 * kl.mean())
    torch.testing.assert_close(kl_per_dim(mu, log_var).sum(), kl_term)
    torch.testing.assert_close(recon, F.binary_cross_entropy(x_hat, x, reduction="none").sum(1).mean())
