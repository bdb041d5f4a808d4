"""The curriculum's models, one family per file; defaults build exactly the curriculum's layers."""

from dlplay.models.mlp import MLP, make_activation

__all__ = ["MLP", "make_activation"]
