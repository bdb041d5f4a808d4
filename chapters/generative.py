"""Chapter 10 · Generative Models: a VAE trained live with its latent space, and GANs you watch fight, in 2D and on images."""

import streamlit as st

from dlplay.lessons.generative.sections import (
    comparison_section,
    gan2d_section,
    image_data,
    image_gan_section,
    vae_section,
)
from dlplay.lessons.generative.vae_lab import VaeConfig
from dlplay.ui.sidebar import current_device, current_seed

seed, device = current_seed(), current_device()
st.title("🎨 Generative Models")
st.markdown(
    "A classifier learns p(y | x); a **generative model** learns p(x) itself, so it can draw new x. Two classic ways: "
    "a **variational autoencoder** squeezes each image into a small random code z and learns to rebuild it, with z kept "
    "close to a standard normal so that any z drawn from N(0, I) decodes to something plausible; a **generative "
    "adversarial network** sets a generator G, which turns noise into samples, against a discriminator D, which tells "
    "real from generated — each improves by beating the other. Both train live below, in real PyTorch."
)
data = image_data(VaeConfig.n_train, seed)

st.header("1 · A variational autoencoder, live")
st.markdown(
    "The encoder gives each image a Gaussian **q(z|x) = N(μ, σ²)** instead of one point; the decoder rebuilds the image "
    "from a sample z of it. The loss is the negative **ELBO**: the reconstruction error −log p(x|z) plus "
    "**β · KL(q(z|x) ‖ N(0, I))**, which pulls every code towards the prior. Sampling is not differentiable, so the "
    "**reparameterization trick** writes z = μ + σ·ε with ε ~ N(0, 1): the randomness sits outside the gradient's path. "
    "Click a dot of the latent scatter, or move the sliders, to decode any point."
)
vae_section(data, seed, device)
st.markdown(
    "**Read it.** Each dot is a test image's μ: within seconds the classes gather into regions, though nobody told the "
    "VAE the labels. The manifold decodes a grid of z — neighbouring codes decode to neighbouring images, and the "
    "interpolation walks that smooth space. The samples look **blurry**: the decoder predicts each pixel's *mean* over "
    "everything a code could stand for. **Raise β** to 32 or more and the KL term wins: the codes pile onto the prior, "
    "the grey bars show dimensions switched off, and at full **posterior collapse** every z decodes to the same "
    "average digit."
)

st.header("2 · A GAN in 2D, live")
st.markdown(
    "GAN Lab's game, in PyTorch. Green dots are real samples of a target distribution; purple dots are G's samples "
    "from fixed noise. The background is **D's verdict** D(x) ∈ [0, 1] on every point of the plane (green: real); "
    "each arrow is **−∂L_G/∂x**, where D's verdict pushes that generated point. A **round** is D's updates (real → 1, "
    "fake → 0), then G's (make D say 1); the ½ buttons take a round apart. When G matches the target, D can do no "
    "better than ½ everywhere."
)
gan2d_section(seed, device)
st.markdown(
    "**Try.** Give D 5 updates per round at a learning rate of 0.003, then compare **minimax** and **non-saturating** "
    "from a fresh start: where D rejects the fakes, log(1 − D) is flat and G's mean push (under the plot) is several "
    "times weaker — just when G needs it most; that is why practice uses the non-saturating loss. The same fast D "
    "often crowds the purple points onto a few blobs: **mode collapse**, named beside the plot when it happens. With "
    "**1 noise dimension** G can only draw a curve, and threads the modes like beads on a string; the **grid** of 25 "
    "takes thousands of rounds. Push a learning rate to 3 or 10 with SGD and the run diverges: it stops and keeps the "
    "last finite weights."
)

st.header("3 · A GAN on images")
st.markdown(
    "The curriculum's `Generator(100, 784)` and `Discriminator(784)` — about 0.56 M and 0.53 M parameters, fully "
    "connected — on the same images as the VAE. **Be patient on a CPU:** a round takes some tens of milliseconds "
    "(about 1,300 rounds a minute on an idle 2-core machine). First a grey haze, then blobs on a dark background — "
    "often all alike, an early collapse — and after about 1,500 rounds speckled but recognizable digits: the GAN "
    "copies even the pixel noise of its training images, which the VAE averages away. On a GPU this takes seconds. "
    "The 64 samples come from the same fixed noise every time."
)
image_gan_section(data, seed, device)

st.header("4 · VAE and GAN side by side")
st.markdown(
    "Samples of the VAE above (decoded from the prior) and of the image GAN, with the training time each has had. "
    "The VAE is **blurry but covers** every class: its loss punishes missing any training image, so it hedges with "
    "averages. The GAN is **sharper** — D rejects blur at once — but nothing forces it to cover everything, so whole "
    "classes can go missing (**collapse**). The measures below put numbers on both."
)
comparison_section(data)
