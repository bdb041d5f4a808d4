"""ResidualBlock, the ResNet and its plain twin, and UNet: the curriculum's layers, shapes, and what the switches do."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlplay.models.init import seeded_init_
from dlplay.models.resnet import ResidualBlock, ResNet, parameter_count
from dlplay.models.unet import UNet


# ----- the curriculum's classes, verbatim (chapter 11) -----------------------------------------------------------------
class CurriculumResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(out_channels)

        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride),
                nn.BatchNorm2d(out_channels)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)  # Skip connection
        return F.relu(out)


class CurriculumUNet(nn.Module):
    def __init__(self):
        super().__init__()
        # Encoder (downsampling)
        self.enc1 = self.conv_block(3, 64)
        self.enc2 = self.conv_block(64, 128)
        self.pool = nn.MaxPool2d(2)

        # Decoder (upsampling)
        self.up = nn.Upsample(scale_factor=2, mode='bilinear')
        self.dec1 = self.conv_block(128 + 64, 64)
        self.final = nn.Conv2d(64, 1, 1)

    def conv_block(self, in_c, out_c):
        return nn.Sequential(
            nn.Conv2d(in_c, out_c, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(out_c, out_c, 3, padding=1),
            nn.ReLU()
        )

    def forward(self, x):
        # Encoder
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))

        # Decoder with skip connections
        d1 = self.up(e2)
        d1 = torch.cat([d1, e1], dim=1)
        d1 = self.dec1(d1)

        return self.final(d1)


# ----- ResidualBlock ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("in_c, out_c, stride", [(8, 8, 1), (8, 16, 2), (3, 16, 1), (16, 16, 2)])
def test_residual_block_is_the_curriculum_block(in_c, out_c, stride):
    ours, theirs = ResidualBlock(in_c, out_c, stride), CurriculumResidualBlock(in_c, out_c, stride)
    assert parameter_count(ours) == parameter_count(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # same layers, same names, same order
    seeded_init_(theirs, 1)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(4, in_c, 12, 12, generator=torch.Generator().manual_seed(0))
    for mode in ("train", "eval"):
        ours.train(mode == "train"), theirs.train(mode == "train")
        out = ours(x)
        assert out.shape == (4, out_c, 12 // stride, 12 // stride)
        torch.testing.assert_close(out, theirs(x))


def test_seeded_block_equals_torch_default_init_under_a_seed():
    torch.manual_seed(3)
    reference = CurriculumResidualBlock(8, 16, 2)
    ours = seeded_init_(ResidualBlock(8, 16, 2), 3)
    for (name, a), b in zip(reference.state_dict().items(), ours.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)


@pytest.mark.parametrize("in_c, out_c, stride", [(8, 8, 1), (8, 16, 2)])
def test_block_without_shortcut_is_the_block_minus_its_skip(in_c, out_c, stride):
    full = seeded_init_(ResidualBlock(in_c, out_c, stride), 0).train()
    plain = ResidualBlock(in_c, out_c, stride, shortcut=False)
    plain.load_state_dict({k: v for k, v in full.state_dict().items() if not k.startswith("shortcut.")})
    assert plain.shortcut is None
    x = torch.randn(3, in_c, 8, 8, generator=torch.Generator().manual_seed(1))
    expected = F.relu(full.bn2(full.conv2(F.relu(full.bn1(full.conv1(x))))))  # the block's layers, no skip
    torch.testing.assert_close(plain(x), expected)
    assert parameter_count(full) - parameter_count(plain) == sum(p.numel() for p in full.shortcut.parameters())


def test_block_without_batch_norm_has_identities_and_a_bare_projection():
    block = ResidualBlock(4, 8, 2, batch_norm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in block.modules())
    assert parameter_count(block) == (4 * 8 * 9 + 8) + (8 * 8 * 9 + 8) + (4 * 8 + 8)  # conv1, conv2, 1×1 projection


# ----- ResNet and its plain twin ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2])
def test_resnet_depth_shapes_and_parameter_count(n):
    model = ResNet(n, width=4, num_classes=10, in_channels=3)
    assert model.depth == 6 * n + 2 == len(model.main_layers())
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)
    assert ResNet(n, 4, 10, 1)(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    stem = 3 * 4 * 9 + 4 + 2 * 4  # conv + its batch norm
    blocks = sum(parameter_count(b) for b in model.blocks)
    assert parameter_count(model) == stem + blocks + (16 * 10 + 10)


def _manual_plain_forward(model: ResNet, x: torch.Tensor) -> torch.Tensor:
    """The residual net's own layers run in order with every skip left out."""
    h = F.relu(model.stem_bn(model.stem(x)))
    for block in model.blocks:
        h = F.relu(block.bn2(block.conv2(F.relu(block.bn1(block.conv1(h))))))
    return model.head(F.adaptive_avg_pool2d(h, 1).flatten(1))


@pytest.mark.parametrize("batch_norm", [True, False])
def test_plain_twin_computes_the_blocks_without_their_skips(batch_norm):
    residual = seeded_init_(ResNet(2, 4, 10, 3, batch_norm=batch_norm), 5)
    twin = residual.plain_twin()
    assert not twin.has_shortcut and all(b.shortcut is None for b in twin.blocks)
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    for mode in (True, False):
        residual.train(mode), twin.train(mode)
        torch.testing.assert_close(twin(copy.deepcopy(x)), _manual_plain_forward(residual, x))
    # the twin lacks exactly the two projection shortcuts (where the stages widen)
    projections = sum(parameter_count(b.shortcut) for b in residual.blocks)
    assert projections > 0 and parameter_count(residual) - parameter_count(twin) == projections
    assert not torch.allclose(twin(x), residual(x))  # the skips do change the function


def test_a_twin_trained_alone_keeps_its_own_weights():
    residual = seeded_init_(ResNet(1, 4, 10, 3), 0)
    twin = residual.plain_twin()
    with torch.no_grad():
        twin.stem.weight.add_(1.0)
    assert not torch.equal(twin.stem.weight, residual.stem.weight)  # copies, not shared tensors


def test_resnet_rejects_zero_depth():
    with pytest.raises(ValueError, match="blocks_per_stage"):
        ResNet(0)


# ----- UNet ------------------------------------------------------------------------------------------------------------
def test_unet_default_is_the_curriculum_unet():
    ours, theirs = UNet(), CurriculumUNet()
    assert parameter_count(ours) == parameter_count(theirs) == 407_809
    assert list(ours.state_dict()) == list(theirs.state_dict())
    seeded_init_(theirs, 0)
    ours.load_state_dict(theirs.state_dict())
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    out = ours(x)
    assert out.shape == (2, 1, 32, 32)
    torch.testing.assert_close(out, theirs(x))
    assert ours.last_padding == (0, 0)
    assert set(ours.last_features) == {"enc1", "enc2", "up1", "dec1"}


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("skips", [True, False])
@pytest.mark.parametrize("upsampling", ["bilinear", "transposed"])
def test_unet_variants_keep_the_input_size(depth, skips, upsampling):
    model = UNet(1, 1, base_width=4, depth=depth, skips=skips, upsampling=upsampling)
    out = model(torch.rand(2, 1, 24, 24))
    assert out.shape == (2, 1, 24, 24)
    widths = [4 * 2**i for i in range(depth + 1)]
    assert model.widths == tuple(widths)
    for i in range(1, depth + 2):
        assert model.last_features[f"enc{i}"].shape == (2, widths[i - 1], 24 // 2 ** (i - 1), 24 // 2 ** (i - 1))
    assert model.last_features["dec1"].shape == (2, 4, 24, 24)
    # the first decoder conv sees the encoder's channels only with skips on
    first_conv = model.dec1[0]
    assert first_conv.in_channels == (widths[1] + widths[0] if skips else widths[1])


def test_unet_without_skips_ignores_the_encoder_maps():
    """With skips off the output depends on enc1 only through the bottleneck: same bottleneck, same output."""
    model = seeded_init_(UNet(1, 1, base_width=4, depth=1, skips=False), 0)
    x = torch.rand(1, 1, 16, 16)
    expected = model.final(model.dec1(model.up(model.enc2(model.pool(model.enc1(x))))))
    torch.testing.assert_close(model(x), expected)


def test_transposed_upsampling_has_learned_weights_bilinear_has_none():
    bilinear = UNet(1, 1, base_width=4, depth=2, upsampling="bilinear")
    transposed = UNet(1, 1, base_width=4, depth=2, upsampling="transposed")
    extra = sum(parameter_count(up) for up in transposed.up_convs)
    assert extra == (8 * 8 * 9 + 8) + (16 * 16 * 9 + 16)
    assert parameter_count(transposed) - parameter_count(bilinear) == extra


@pytest.mark.parametrize("size, depth, padding", [(30, 2, (2, 2)), (33, 1, (1, 1)), (20, 3, (4, 4)), (32, 3, (0, 0))])
def test_unet_pads_a_size_it_cannot_halve_and_crops_back(size, depth, padding):
    model = UNet(1, 1, base_width=4, depth=depth)
    out = model(torch.rand(1, 1, size, size))
    assert out.shape == (1, 1, size, size) and model.last_padding == padding


def test_unet_padding_is_replication_of_the_edge():
    model = seeded_init_(UNet(1, 1, base_width=4, depth=2), 0)
    x = torch.rand(1, 1, 30, 30)
    padded = F.pad(x, (0, 2, 0, 2), mode="replicate")
    torch.testing.assert_close(model(x), model(padded)[..., :30, :30])


def test_unet_rejects_unknown_upsampling_and_zero_depth():
    with pytest.raises(ValueError, match="upsampling"):
        UNet(upsampling="nearest")
    with pytest.raises(ValueError, match="depth"):
        UNet(depth=0)
