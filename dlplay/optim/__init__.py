"""Optimizers, learning-rate schedules and 2D test surfaces."""

from dlplay.optim.factory import OPTIMIZERS, OptimizerConfig, make_optimizer

__all__ = ["OPTIMIZERS", "OptimizerConfig", "make_optimizer"]
