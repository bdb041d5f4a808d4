"""What the live lab draws, as figure specs: built by the page while training plays, and by the benchmark."""

from __future__ import annotations

import numpy as np

from dlplay.data.torchvision_sets import ImageData
from dlplay.lessons.cnn.figures_lab import feature_grid_image, kernel_grid_image, picture
from dlplay.lessons.cnn.lab import TARGET_ACC, feature_maps_of, first_layer_kernels, first_reaching
from dlplay.training.run import TrainingRun
from dlplay.viz.spec import Spec
from dlplay.viz.training import accuracy_figure, loss_figure

MAX_POINTS = 250  # points per live curve: smooth enough, light for the browser to redraw


def status_line(run: TrainingRun) -> str:
    """'Epoch 1.2 · validation accuracy 97.8 % · reached 97 % at step 250 (…)' — or "" before the first evaluation."""
    latest = run.latest()
    if "val_acc" not in latest:
        return ""
    reached = first_reaching(run.history)
    if reached is None:
        when = f"not yet at {TARGET_ACC:.0%}"
    else:
        seconds = run.history.extras["train_seconds"][run.history.eval_step.index(reached[0])]
        when = f"reached {TARGET_ACC:.0%} at step {reached[0]:,} (epoch {reached[1]:.1f}, {seconds:.1f} s of training)"
    return f"**Epoch {run.epoch:.1f}** · validation accuracy **{latest['val_acc']:.1%}** · {when}"


def curve_figures(run: TrainingRun) -> tuple[Spec, Spec]:
    """Loss (batch, train, validation) and accuracy (train, validation) against the step, downsampled."""
    histories = {"": run.history}
    return (loss_figure(histories, title="Loss", max_points=MAX_POINTS),
            accuracy_figure(histories, title="Accuracy", max_points=MAX_POINTS))


def model_pictures(run: TrainingRun, data: ImageData, index: int) -> list[tuple[str, np.ndarray]]:
    """(title, picture) of the test image, the first layer's kernels and each block's feature maps of that image:
    pictures, not charts, so an unchanged one costs the browser nothing while training plays."""
    index %= len(data.X_test)
    grey = data.X_train.shape[1] == 1
    maps = feature_maps_of(run.model, data.X_test[index])
    return [
        (f"Test image {index}: {data.classes[int(data.y_test[index])]}", picture(data.X_test[index].numpy())),
        ("First-layer kernels " + ("(blue −, white 0, red +)" if grey else "(grey = 0)"),
         kernel_grid_image(first_layer_kernels(run.model).numpy())),
        *((f"Block {i + 1}: {m.shape[0]} maps {m.shape[1]}×{m.shape[2]}", feature_grid_image(m.numpy()))
          for i, m in enumerate(maps)),
    ]
