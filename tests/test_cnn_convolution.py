"""The hand-written convolution, the stepper's windows, kernels, pooling and shifts against PyTorch."""

import random

import pytest
import torch
import torch.nn.functional as F

from dlplay.lessons.cnn.convolution import (
    ConvSettings,
    conv2d_by_hand,
    output_size,
    output_size_formula,
    problems,
    sum_of_products,
    window_at,
)
from dlplay.lessons.cnn.kernels import KERNEL_NAMES, KERNEL_SIZES, format_kernel, make_kernel, parse_kernel
from dlplay.lessons.cnn.pooling import compare_shift, convolve, pool


def _random_case(rng: random.Random, gen: torch.Generator):
    k = rng.choice([1, 2, 3, 5])
    settings = ConvSettings(stride=rng.randint(1, 3), padding=rng.randint(0, 2), dilation=rng.randint(1, 3))
    span = settings.dilation * (k - 1) + 1
    smallest = max(1, span - 2 * settings.padding)  # the padded input must hold the dilated kernel once
    h, w = rng.randint(smallest, smallest + 8), rng.randint(smallest, smallest + 8)
    x = torch.randn(rng.randint(1, 2), rng.randint(1, 3), h, w, generator=gen, dtype=torch.float64)
    weight = torch.randn(rng.randint(1, 4), x.shape[1], k, k, generator=gen, dtype=torch.float64)
    bias = torch.randn(weight.shape[0], generator=gen, dtype=torch.float64) if rng.random() < 0.5 else None
    return x, weight, bias, settings


def test_conv_by_hand_equals_f_conv2d_for_random_shapes_strides_paddings_dilations_and_channels():
    rng, gen = random.Random(0), torch.Generator().manual_seed(0)
    for _ in range(60):
        x, weight, bias, s = _random_case(rng, gen)
        expected = F.conv2d(x, weight, bias, stride=s.stride, padding=s.padding, dilation=s.dilation)
        torch.testing.assert_close(conv2d_by_hand(x, weight, bias, s), expected)
        assert expected.shape[-2:] == (output_size(x.shape[2], weight.shape[2], s), output_size(x.shape[3], weight.shape[3], s))


def test_every_stepper_window_is_the_f_conv2d_cell_and_its_sum_of_products():
    rng, gen = random.Random(1), torch.Generator().manual_seed(1)
    for _ in range(15):
        x, weight, _, s = _random_case(rng, gen)
        image, kernel, bias = x[0], weight[0], 0.25
        expected = F.conv2d(image[None], kernel[None], torch.tensor([bias], dtype=x.dtype), stride=s.stride,
                            padding=s.padding, dilation=s.dilation)[0, 0]
        for index in range(expected.numel()):
            window = window_at(image, kernel, index, s, bias=bias)
            assert (window.i, window.j) == divmod(index, expected.shape[1])
            assert window.value == pytest.approx(float(expected[window.i, window.j]), abs=1e-9)
            torch.testing.assert_close(window.channel_sums.sum() + bias, expected[window.i, window.j])
            # The taps' coordinates point at the patch's values (zeros where they fall on the padding).
            for m, r in enumerate(window.rows):
                for n, c in enumerate(window.cols):
                    inside = 0 <= r < image.shape[1] and 0 <= c < image.shape[2]
                    value = image[:, r, c] if inside else torch.zeros(image.shape[0], dtype=x.dtype)
                    torch.testing.assert_close(window.patch[:, m, n], value)


def test_sum_of_products_writes_every_term_for_a_small_kernel_and_sums_over_channels():
    x = torch.arange(18, dtype=torch.float32).view(2, 3, 3) / 10
    kernel = torch.ones(2, 3, 3)
    window = window_at(x, kernel, 0, ConvSettings())
    lines = sum_of_products(window, ["R", "G"])
    assert lines[0].split() == ["R:", "0.00·(1)", "+", "0.10·(1)", "+", "0.20·(1)"]  # one kernel row per line
    assert lines[3].split() == ["=", f"{x[0].sum():.3f}"]
    assert lines[-1] == f"Σ over channels: out[0, 0] = {x[0].sum():.3f} + {x[1].sum():.3f} = {x.sum():.3f}"
    seven = window_at(torch.rand(1, 8, 8), -torch.ones(1, 7, 7), 0, ConvSettings(), bias=-1.0)
    lines = sum_of_products(seven, ["grey"])
    assert "49 products" in lines[0] and lines[-1].startswith("out[0, 0] = (-") and "(-1) (bias)" in lines[-1]


def test_output_size_formula_and_problems():
    s = ConvSettings(stride=2, padding=1, dilation=2)
    assert output_size(28, 3, s) == F.conv2d(torch.zeros(1, 1, 28, 28), torch.zeros(1, 1, 3, 3), stride=2, padding=1,
                                             dilation=2).shape[-1]
    assert output_size_formula(28, 3, s) == f"⌊(28 + 2·1 − 2·(3 − 1) − 1) / 2⌋ + 1 = {output_size(28, 3, s)}"
    assert problems((28, 28), torch.zeros(3, 3), s) == []
    assert "no place to put it" in problems((4, 4), torch.zeros(5, 5), ConvSettings(dilation=2))[0]
    assert problems((4, 4), torch.zeros(5, 5), ConvSettings(padding=1)) == []  # 6×6 padded input fits a 5×5 kernel
    with pytest.raises(ValueError):
        conv2d_by_hand(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 5, 5))


def test_kernels_are_the_classic_ones():
    assert make_kernel("Sobel x").tolist() == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    torch.testing.assert_close(make_kernel("Sobel y"), make_kernel("Sobel x").T)
    assert make_kernel("Emboss").tolist() == [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]
    for size in KERNEL_SIZES:
        for name in ("Box blur", "Gaussian blur", "Identity", "Sharpen"):
            assert float(make_kernel(name, size).sum()) == pytest.approx(1.0)  # brightness kept
        for name in ("Sobel x", "Sobel y", "Laplacian"):
            assert float(make_kernel(name, size).sum()) == pytest.approx(0.0, abs=1e-6)  # flat regions → 0
        assert all(make_kernel(name, size).shape == (size, size) for name in KERNEL_NAMES)
    # A Gaussian blur is separable: rank one.
    assert torch.linalg.matrix_rank(make_kernel("Gaussian blur", 5)) == 1


def test_parse_kernel_round_trips_and_explains_bad_text():
    for name in KERNEL_NAMES:
        kernel, message = parse_kernel(format_kernel(make_kernel(name, 5)))
        assert message == "" and torch.allclose(kernel, make_kernel(name, 5), atol=1e-3)
    kernel, message = parse_kernel("1, 2, 3; 4 5 6\n7 8 9")
    assert message == "" and kernel.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    for text, words in [("", "empty"), ("1 2\n3", "square"), ("1 x\n2 3", "not a number"), ("nan 1\n1 1", "finite"),
                        ("\n".join(["1 " * 9] * 9), "at most"), ("1e309 0\n0 0", "finite")]:
        kernel, message = parse_kernel(text)
        assert kernel is None and words in message, (text, message)


def test_pooling_is_f_max_and_avg_pool2d_and_empty_when_too_big():
    x = torch.randn(6, 7, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(pool(x, "Max", 2, 2), F.max_pool2d(x[None], 2, 2)[0])
    torch.testing.assert_close(pool(x, "Average", 3, 1), F.avg_pool2d(x[None], 3, 1)[0])
    assert pool(x, "Max", 8, 1).numel() == 0
    with pytest.raises(ValueError):
        pool(x, "Median", 2, 2)


def test_convolution_is_shift_equivariant_and_pooling_damps_small_shifts():
    gen = torch.Generator().manual_seed(0)
    x = torch.zeros(1, 28, 28)
    x[0, 8:20, 10:14] = 1.0  # a bar in the middle, far from the borders
    kernel = make_kernel("Sobel x")[None]
    cmp = compare_shift(x, kernel, ConvSettings(padding=1), dx=1, dy=0, kind="Max", pool_size=2, pool_stride=2)
    assert cmp.equivariance_error == pytest.approx(0.0, abs=1e-5)  # conv(shift x) = shift(conv x)
    torch.testing.assert_close(cmp.conv, convolve(x, kernel, ConvSettings(padding=1)))
    assert cmp.pooled_change < cmp.conv_change  # a one-pixel shift moves the map, max pooling mostly hides it
    noisy = compare_shift(torch.rand(3, 20, 20, generator=gen), torch.randn(3, 3, 3, generator=gen), ConvSettings(),
                          dx=0, dy=0, kind="Average", pool_size=2, pool_stride=2)
    assert noisy.conv_change == 0 and noisy.pooled_change == 0
