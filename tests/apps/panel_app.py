"""A minimal page using the training panel, for testing the panel itself."""

import streamlit as st
import torch

from dlplay.models import MLP
from dlplay.optim import OptimizerConfig
from dlplay.training import RunConfig, TrainingRun
from dlplay.ui.charts import plot
from dlplay.ui.training_panel import training_panel
from dlplay.viz.training import loss_figure

width = st.slider("Hidden size", 2, 16, 8, key="panel_width")
lr = st.select_slider("Learning rate", [0.01, 0.1, 1e9], value=0.01, key="panel_lr")
X = torch.linspace(-1, 1, 64).unsqueeze(1)  # (N, 1)
y = (X[:, 0] > 0).long()


def build():
    torch.manual_seed(0)
    return TrainingRun(MLP(1, width, 2), X, y, X, y, optimizer=OptimizerConfig("SGD", lr=lr), config=RunConfig(batch_size=16))


def render(run):
    plot(loss_figure({"": run.history}), key="panel_loss")


run = training_panel("panel", (width,), build, render, step_size=5)
run.set_lr(lr)
