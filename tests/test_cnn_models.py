"""The curriculum's CNN: exact layers and parameter count by default, generalized by keywords, keeps its feature maps."""

import pytest
import torch
from torch import nn

from dlplay.models.cnn import CNN, pooled_size
from dlplay.models.init import seeded_init_


def curriculum_cnn(num_classes: int = 10) -> nn.Module:
    """Chapter 5.2's class, verbatim in structure."""

    class Reference(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv_layers = nn.Sequential(
                nn.Conv2d(3, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(64, 128, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            )
            self.fc_layers = nn.Sequential(
                nn.Flatten(), nn.Linear(128 * 4 * 4, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, num_classes)
            )

        def forward(self, x):
            return self.fc_layers(self.conv_layers(x))

    return Reference()


def test_default_is_the_curriculum_cnn_layer_for_layer():
    model, reference = CNN(num_classes=10), curriculum_cnn()
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in reference.parameters()) == 620_362
    assert [repr(m) for m in model.modules()][1:] == [repr(m) for m in reference.modules()][1:]
    assert model.fc_layers[1].in_features == 128 * 4 * 4 and model.fc_layers[3].p == 0.5


def test_same_seed_same_outputs_as_the_reference_under_the_global_seed():
    model = seeded_init_(CNN(), 3)
    torch.manual_seed(3)
    reference = curriculum_cnn()
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    model.eval(), reference.eval()
    torch.testing.assert_close(model(x), reference(x))


def test_it_keeps_each_blocks_feature_maps_of_the_last_batch():
    model = CNN(in_channels=1, image_size=28, widths=(4, 8, 16), hidden_size=32)
    y_hat = model(torch.rand(5, 1, 28, 28))
    assert y_hat.shape == (5, 10)
    assert [tuple(m.shape) for m in model.feature_maps] == [(5, 4, 28, 28), (5, 8, 14, 14), (5, 16, 7, 7)]
    assert [tuple(m.shape) for m in model.block_outputs] == [(5, 4, 14, 14), (5, 8, 7, 7), (5, 16, 3, 3)]
    assert all(not m.requires_grad and (m >= 0).all() for m in model.feature_maps)  # detached ReLU outputs
    model(torch.rand(2, 1, 28, 28))
    assert model.feature_maps[0].shape[0] == 2  # the last batch replaces the previous one


def test_keywords_generalize_the_model():
    model = CNN(num_classes=4, in_channels=1, image_size=28, widths=(8, 16), hidden_size=20, dropout=0.1, batch_norm=True)
    assert model.fc_layers[1].in_features == 16 * 7 * 7
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 2
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 4)
    assert pooled_size(28, 3) == 3 and pooled_size(32, 3) == 4
    with pytest.raises(ValueError):
        CNN(image_size=4, widths=(4, 4, 4))
    with pytest.raises(ValueError):
        CNN(widths=())
