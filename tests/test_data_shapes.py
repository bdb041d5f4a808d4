"""Tests of the synthetic shapes with segmentation masks."""

import math
import time

import pytest
import torch

from dlplay.data import shapes
from dlplay.data.shapes import SHAPE_CLASSES, make_shapes


def test_shapes_dtypes_and_ranges():
    images, masks, labels = make_shapes(40, size=24, seed=0)
    assert images.shape == (40, 1, 24, 24) and images.dtype == torch.float32
    assert masks.shape == (40, 24, 24) and masks.dtype == torch.int64
    assert labels.shape == (40,) and labels.dtype == torch.int64
    assert images.min() >= 0 and images.max() <= 1
    assert set(masks.unique().tolist()) <= {0, 1, 2, 3}
    assert set(labels.tolist()) <= {1, 2, 3} and len(set(labels.tolist())) == 3
    assert SHAPE_CLASSES[0] == "background"


def test_same_seed_same_data():
    a = make_shapes(10, seed=3)
    b = make_shapes(10, seed=3)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a[1], make_shapes(10, seed=4)[1])


def test_clean_images_are_lit_exactly_where_the_mask_has_a_shape():
    images, masks, labels = make_shapes(50, seed=1, noise=0.0)
    lit = images[:, 0] > 0
    assert torch.equal(lit, masks > 0)
    assert (images[:, 0][lit] >= 0.5).all()  # shapes are drawn with brightness 0.5–1


def test_one_shape_per_image_gives_its_class_as_label():
    images, masks, labels = make_shapes(60, seed=2, max_shapes=1, noise=0.0)
    for mask, label in zip(masks, labels):
        assert set(mask.unique().tolist()) == {0, int(label)}


def test_label_is_the_class_of_the_largest_visible_shape():
    _, masks, labels = make_shapes(200, seed=5, max_shapes=2)
    area = torch.stack([(masks == k).flatten(1).sum(1) for k in range(4)], dim=1)  # (N, 4) pixels per class
    assert (area.gather(1, labels[:, None]) > 0).all()
    # With at most two shapes, two distinct classes in a mask are two shapes: the larger one wins.
    shown = area[:, 1:] > 0
    two = (shown.sum(1) == 2) & (area[:, 1:].max(1).values != area[:, 1:].sort(1).values[:, 1])
    assert two.sum() > 20  # enough images of two shapes to mean something
    assert torch.equal(labels[two], area[two, 1:].argmax(1) + 1)


@pytest.mark.parametrize(
    "kind, area",
    [(1, math.pi), (2, 1.7**2), (3, 3 * math.sqrt(3) / 4 * 1.2**2)],  # areas for r = 1, in r² units
)
def test_inside_tests_cover_the_analytic_area(kind, area):
    coords = torch.linspace(-1.5, 1.5, 601)
    dy, dx = torch.meshgrid(coords, coords, indexing="ij")
    one = torch.ones(())
    inside = shapes._inside(torch.tensor(kind), dx, dy, one, torch.tensor(0.4))
    measured = inside.float().mean().item() * 3.0**2
    assert measured == pytest.approx(area, rel=0.02)



def test_two_thousand_images_in_under_two_seconds():
    make_shapes(10)  # warm-up
    start = time.process_time()  # CPU time: other processes sharing the cores do not count
    images, masks, labels = make_shapes(2000, size=32, seed=0)
    elapsed = time.process_time() - start
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    assert images.shape == (2000, 1, 32, 32)
