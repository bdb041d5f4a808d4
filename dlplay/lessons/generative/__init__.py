"""Generative models (chapter 10): a VAE and GANs trained live."""
