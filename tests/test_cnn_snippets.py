"""The code the CNN page shows runs, and builds what the page trains."""

import pytest
import torch

from dlplay.data.torchvision_sets import ImageData
from dlplay.lessons.cnn.convolution import ConvSettings
from dlplay.lessons.cnn.lab import LabConfig, build_model
from dlplay.lessons.cnn.snippets import CURRICULUM_CNN, convolution_code, lab_code
from dlplay.models.cnn import CNN


@pytest.mark.parametrize("channels", [1, 3])
def test_convolution_code_runs_and_checks_its_own_cell(channels):
    kernel = torch.randn(channels, 5, 5, generator=torch.Generator().manual_seed(channels))
    code = convolution_code(kernel, ConvSettings(stride=2, padding=2, dilation=2), bias=-0.25)
    namespace = {"image": torch.rand(channels, 12, 12)}
    exec(code, namespace)  # the snippet asserts its hand-written cell equals F.conv2d's
    assert namespace["out"].shape == (1, 1, 4, 4)  # ⌊(12 + 4 − 2·4 − 1) / 2⌋ + 1


def test_curriculum_code_is_dlplays_default_cnn():
    namespace = {}
    exec(CURRICULUM_CNN, namespace)
    shown = namespace["CNN"]()
    assert sum(p.numel() for p in shown.parameters()) == sum(p.numel() for p in CNN().parameters())


@pytest.mark.parametrize(("channels", "size", "batch_norm"), [(1, 28, False), (3, 32, True)])
def test_lab_code_builds_the_lab_model_and_trains(channels, size, batch_norm):
    config = LabConfig(width=4, blocks=2, hidden_size=16, batch_norm=batch_norm, epochs=1, optimizer="Nesterov")
    X = torch.rand(8, channels, size, size)
    namespace = {"train_loader": [(X, torch.randint(0, 10, (8,)))]}
    exec(lab_code(config, channels, size, 10), namespace)
    data = ImageData(X, torch.zeros(8, dtype=torch.long), X, torch.zeros(8, dtype=torch.long), tuple("0123456789"), "x")
    lab = build_model(config, data)
    assert [tuple(p.shape) for p in namespace["model"].parameters()] == [tuple(p.shape) for p in lab.parameters()]
