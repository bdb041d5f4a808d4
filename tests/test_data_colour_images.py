"""Tests of the synthetic colour images (chapters 5, 11 and 12 use them)."""

import pytest
import torch

from dlplay.data.colour_images import COLOUR_CLASSES, make_colour_images


def test_shapes_dtype_range_and_balanced_labels():
    X, y = make_colour_images(7, seed=0)
    assert len(COLOUR_CLASSES) == 10 and all(isinstance(c, str) for c in COLOUR_CLASSES)
    assert X.shape == (70, 3, 32, 32) and X.dtype == torch.float32
    assert y.shape == (70,) and y.dtype == torch.int64
    assert X.min() >= 0 and X.max() <= 1
    assert torch.bincount(y, minlength=10).tolist() == [7] * 10


def test_classes_are_shuffled_not_in_blocks():
    _, y = make_colour_images(20, seed=0)
    assert not torch.equal(y, y.sort().values)
    assert (y[:20].unique().numel()) >= 5  # the first images already mix many classes


def test_other_sizes():
    X, y = make_colour_images(2, seed=1, size=28)
    assert X.shape == (20, 3, 28, 28) and X.min() >= 0 and X.max() <= 1
    X, _ = make_colour_images(1, seed=1, size=64)
    assert X.shape == (10, 3, 64, 64)


def test_same_seed_same_images_other_seed_other_images():
    X1, y1 = make_colour_images(5, seed=3)
    X2, y2 = make_colour_images(5, seed=3)
    torch.testing.assert_close((X1, y1), (X2, y2), rtol=0, atol=0)
    X3, y3 = make_colour_images(5, seed=4)
    assert not torch.equal(X1, X3) and not torch.equal(y1, y3)


def test_generation_leaves_the_global_random_state_alone():
    state = torch.random.get_rng_state()
    make_colour_images(2, seed=0)
    assert torch.equal(state, torch.random.get_rng_state())


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        make_colour_images(0)
    with pytest.raises(ValueError):
        make_colour_images(3, size=4)


def test_every_image_shows_an_object_in_colour():
    X, _ = make_colour_images(30, seed=5)
    # A foreground in a colour far from the background: the spread of colours per image is well above the noise.
    spread = X.flatten(2).std(dim=2).norm(dim=1)  # (N,) colour spread over pixels
    assert (spread > 0.1).all()
    # Colours vary: the mean colour of the images is not one fixed colour.
    assert X.mean(dim=(2, 3)).std(dim=0).min() > 0.1


def test_stripes_run_the_way_their_class_says():
    X, y = make_colour_images(20, seed=2)
    # Squared colour differences: the noise adds the same to both directions, stripes only across themselves.
    along_x = (X[..., 1:] - X[..., :-1]).square().mean(dim=(1, 2, 3))  # (N,) change from column to column
    along_y = (X[..., 1:, :] - X[..., :-1, :]).square().mean(dim=(1, 2, 3))  # (N,) change from row to row
    horizontal, vertical = COLOUR_CLASSES.index("horizontal stripes"), COLOUR_CLASSES.index("vertical stripes")
    assert (along_y[y == horizontal] > along_x[y == horizontal]).all()
    assert (along_x[y == vertical] > along_y[y == vertical]).all()


def test_textures_change_more_often_than_solid_shapes():
    X, y = make_colour_images(20, seed=6)
    edges = (X[..., 1:] - X[..., :-1]).norm(dim=1).gt(0.3).float().mean(dim=(1, 2))  # (N,) share of edge pixels
    shapes, textures = edges[y < 5].mean(), edges[y >= 5].mean()
    assert textures > 2 * shapes
