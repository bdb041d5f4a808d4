"""Step-wise training: TrainingRun, its history, early stopping and racing groups of runs."""

from dlplay.training.early_stopping import EarlyStopping
from dlplay.training.history import History, downsample
from dlplay.training.race import RunGroup
from dlplay.training.run import LOSSES, TASKS, RunConfig, TrainingRun, count_correct

__all__ = ["EarlyStopping", "History", "LOSSES", "RunConfig", "RunGroup", "TASKS", "TrainingRun", "count_correct", "downsample"]
