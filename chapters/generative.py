"""Chapter 10 · Generative Models: a VAE trained live with its latent space, and GANs you watch fight, in 2D and on images."""

import streamlit as st

from dlplay.lessons.generative.gan2d import Gan2dConfig, build_gan2d, gan2d_code
from dlplay.lessons.generative.gan_lab import GAN_LOSSES, GAN_OPTIMIZERS
from dlplay.lessons.generative.gan_targets import CLICKED, MIN_CLICKED, TARGETS
from dlplay.lessons.generative.image_gan import ImageGanConfig, build_image_gan, image_gan_code
from dlplay.lessons.generative.sections import (
    clicked_points,
    image_data,
    latent_size,
    render_gan2d,
    render_image_gan,
    render_vae,
    side_by_side,
)
from dlplay.lessons.generative.vae_lab import VaeConfig, VaeRun, vae_code
from dlplay.ui.code_panel import show_code
from dlplay.ui.sidebar import current_device, current_seed
from dlplay.ui.training_panel import training_panel

BETAS = [0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]
VAE_LRS = [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2]
GAN_LRS = [1e-5, 3e-5, 1e-4, 2e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0]
IMG_LRS = [1e-5, 3e-5, 1e-4, 2e-4, 3e-4, 1e-3, 3e-3, 1e-2, 0.1, 1.0]

seed, device = current_seed(), current_device()
st.title("🎨 Generative Models")
st.markdown(
    "A classifier learns p(y | x); a **generative model** learns p(x) itself, so it can draw new x. Two classic ways: "
    "a **variational autoencoder** squeezes each image into a small random code z and learns to rebuild it, with z kept "
    "close to a standard normal so that any z drawn from N(0, I) decodes to something plausible; a **generative "
    "adversarial network** sets a generator G, which turns noise into samples, against a discriminator D, which tells "
    "real from generated — each improves by beating the other. Both train live below, in real PyTorch."
)

# ----- 1 · VAE --------------------------------------------------------------------------------------------------------
st.header("1 · A variational autoencoder, live")
st.markdown(
    "The encoder gives each image a Gaussian **q(z|x) = N(μ, σ²)** instead of one point; the decoder rebuilds the image "
    "from a sample z of it. The loss is the negative **ELBO**: the reconstruction error −log p(x|z) plus "
    "**β · KL(q(z|x) ‖ N(0, I))**, which pulls every code towards the prior. Sampling is not differentiable, so the "
    "**reparameterization trick** writes z = μ + σ·ε with ε ~ N(0, 1): the randomness sits outside the gradient's path."
)
c1, c2, c3, c4 = st.columns(4)
data = image_data(VaeConfig.n_train, seed, c1)
with c2:
    latent = latent_size(VaeConfig.latent_dim)
beta = c3.select_slider("β on the KL term (live)", BETAS, 1.0, key="gen_vae_beta", bind="query-params",
                        help="1 is the true ELBO. Raise it until the codes collapse onto the prior; 0 is a plain "
                             "autoencoder with noise.")
vae_lr = c4.select_slider("Learning rate (live)", VAE_LRS, VaeConfig.lr, key="gen_vae_lr", bind="query-params")
vae_config = VaeConfig(dataset=data.name, latent_dim=latent, beta=beta, lr=vae_lr, seed=seed)
vae = training_panel("gen_vae", (vae_config.signature(), str(device)),
                     lambda: VaeRun(data.X_train, data.X_test, data.y_test, vae_config, device),
                     lambda run: render_vae(run, data), device=device, step_size=50, chunk_seconds=0.2)
vae.set_lr(vae_lr)
vae.set_beta(beta)
st.markdown(
    "**Read it.** Each dot is a test image's μ: within seconds the classes gather into regions, though nobody told the "
    "VAE the labels. The manifold decodes a grid of z, so neighbouring codes decode to neighbouring images, and the "
    "interpolation walks that smooth space. The samples look **blurry**: the decoder predicts each pixel's *mean* "
    "over everything a code could mean. **Raise β** to 32 or more and the KL term wins: the codes pile onto the "
    "prior, the grey bars show dimensions switched off, and at full **posterior collapse** every z decodes to the "
    "same average digit."
)
show_code(vae_code(vae_config), label="🐍 The curriculum's VAE, its loss and the loop for these settings")

# ----- 2 · GAN in 2D --------------------------------------------------------------------------------------------------
st.header("2 · A GAN in 2D, live")
st.markdown(
    "GAN Lab's game, in PyTorch. Green dots are real samples of a target distribution; purple dots are G's samples "
    "from fixed noise. The background is **D's verdict** D(x) ∈ [0, 1] on every point of the plane (green: real); "
    "each arrow is **−∂L_G/∂x**, where D's verdict pushes that generated point. A **round** is D's updates (real → 1, "
    "fake → 0), then G's (make D say 1). When G matches the target, D can do no better than ½ everywhere."
)
with st.expander("Target and players", expanded=True):
    d = Gan2dConfig()
    c = st.columns(5)
    target = c[0].selectbox("Target", TARGETS, key="gen_gan_target", bind="query-params") or TARGETS[0]
    loss = c[1].selectbox("Loss", GAN_LOSSES, key="gen_gan_loss", bind="query-params",
                          help="non-saturating: G minimizes −log D(G(z)); minimax: G minimizes log(1 − D(G(z))); "
                               "least squares: squared errors on D's raw score (LSGAN).") or GAN_LOSSES[0]
    optimizer = c[2].selectbox("Optimizer", GAN_OPTIMIZERS, key="gen_gan_opt", bind="query-params") or "Adam"
    width = c[3].select_slider("Hidden width (G and D)", [8, 16, 32, 64, 128, 256], d.hidden_size, key="gen_gan_width",
                               bind="query-params", help="Two hidden layers each; 256 is close to the curriculum's.")
    noise_dim = c[4].select_slider("Noise dimensions", [1, 2, 4, 8], d.latent_dim, key="gen_gan_noise",
                                   bind="query-params", help="The size of z. With 1, G can only draw a curve.")
    c = st.columns(4)
    lr_d = c[0].select_slider("D learning rate (live)", GAN_LRS, d.lr_d, key="gen_gan_lr_d", bind="query-params")
    lr_g = c[1].select_slider("G learning rate (live)", GAN_LRS, d.lr_g, key="gen_gan_lr_g", bind="query-params")
    d_steps = c[2].slider("D updates per round (live)", 1, 10, d.d_steps, key="gen_gan_d_steps", bind="query-params")
    g_steps = c[3].slider("G updates per round (live)", 1, 10, d.g_steps, key="gen_gan_g_steps", bind="query-params")
points = clicked_points() if target == CLICKED else []
gan_config = Gan2dConfig(target=target, points=tuple(points), latent_dim=noise_dim, hidden_size=width, loss=loss,
                         optimizer=optimizer, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps, g_steps=g_steps, seed=seed)
if target != CLICKED or len(points) >= MIN_CLICKED:
    gan = training_panel("gen_gan", (gan_config.signature(), str(device)), lambda: build_gan2d(gan_config, device),
                         render_gan2d, device=device, step_size=1, chunk_seconds=0.2)
    gan.set_lr(lr_d, lr_g)
    gan.set_ratio(d_steps, g_steps)
st.markdown(
    "**Try.** Switch the loss to **minimax** on a fresh run: early on D easily rejects the fakes, log(1 − D) is flat "
    "there and G's arrows are short — that is why practice uses the non-saturating loss. On the **grid**, or with "
    "D far faster than G, the purple points may crowd onto a few blobs: **mode collapse**, named below the plot when "
    "it happens. Push a learning rate to 3 or 10 with SGD and the run diverges: it stops and keeps the last finite weights."
)
show_code(gan2d_code(gan_config), label="🐍 The GAN loop for these settings")

# ----- 3 · GAN on images ----------------------------------------------------------------------------------------------
st.header("3 · A GAN on images")
st.markdown(
    "The curriculum's `Generator(100, 784)` and `Discriminator(784)` — about 0.56 M and 0.53 M parameters, fully "
    "connected — on the same images as the VAE. **Be patient on a CPU:** a round takes a few tens of milliseconds, so a "
    "minute brings a thousand-odd rounds: first a grey haze, then blobs with a dark background, then stroke-like shapes; "
    "recognizable digits take several minutes (seconds on a GPU). The 64 samples come from the same fixed noise every time."
)
c = st.columns(4)
img_loss = c[0].selectbox("Loss", GAN_LOSSES, key="gen_img_loss", bind="query-params") or GAN_LOSSES[0]
img_lr = c[1].select_slider("Learning rate, both (live)", IMG_LRS, ImageGanConfig.lr, key="gen_img_lr", bind="query-params")
img_d_steps = c[2].slider("D updates per round (live)", 1, 5, 1, key="gen_img_d_steps", bind="query-params")
img_batch = c[3].select_slider("Batch size", [16, 32, 64, 128, 256], ImageGanConfig.batch_size, key="gen_img_batch",
                               bind="query-params")
img_config = ImageGanConfig(loss=img_loss, lr=img_lr, d_steps=img_d_steps, batch_size=img_batch, seed=seed)
img_gan = training_panel("gen_img", (img_config.signature(), data.name, str(device)),
                         lambda: build_image_gan(data.X_train, img_config, device), render_image_gan, device=device,
                         step_size=20, chunk_seconds=0.2)
img_gan.set_lr(img_lr)
img_gan.set_ratio(img_d_steps, 1)
show_code(image_gan_code(img_config), label="🐍 The curriculum's Generator and Discriminator, and the image loop")

# ----- 4 · side by side -----------------------------------------------------------------------------------------------
st.header("4 · VAE and GAN side by side")
st.markdown(
    "Samples of the VAE above (decoded from the prior) and of the image GAN, with the training time each has had. "
    "The VAE is **blurry but covers** every class: its loss punishes missing any training image, so it hedges with "
    "averages. The GAN is **sharper** — D rejects blur at once — but nothing forces it to cover everything, so whole "
    "classes can go missing (**collapse**). The measures below put numbers on both."
)
side_by_side(vae, img_gan, data)
