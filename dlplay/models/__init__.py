"""The course's models, one family per file; defaults build exactly the course's layers."""

from dlplay.models.attention import SelfAttention, SequenceTransformer, TransformerBlock
from dlplay.models.cnn import CNN
from dlplay.models.generative import VAE, Discriminator, Generator
from dlplay.models.init import seeded_init_
from dlplay.models.mlp import MLP, make_activation
from dlplay.models.resnet import ResidualBlock, ResNet
from dlplay.models.rnn import CharModel, LSTMModel, SimpleRNN
from dlplay.models.unet import UNet

__all__ = [
    "CNN", "MLP", "VAE", "CharModel", "Discriminator", "Generator", "LSTMModel", "ResNet", "ResidualBlock", "SelfAttention",
    "SequenceTransformer", "SimpleRNN", "TransformerBlock", "UNet", "make_activation", "seeded_init_",
]
