"""Tests of the synthetic handwritten digits."""

import time

import torch

from dlplay.data import digits
from dlplay.data.digits import DIGIT_CLASSES, make_digits


def test_shapes_range_and_balanced_labels():
    X, y = make_digits(105, seed=0)
    assert X.shape == (105, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (105,) and y.dtype == torch.int64
    assert X.min() >= 0 and X.max() <= 1
    counts = torch.bincount(y, minlength=10)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 105
    assert DIGIT_CLASSES == tuple("0123456789")


def test_same_seed_same_digits_other_seed_other_digits():
    X1, y1 = make_digits(30, seed=7)
    X2, y2 = make_digits(30, seed=7)
    torch.testing.assert_close((X1, y1), (X2, y2), rtol=0, atol=0)
    X3, _ = make_digits(30, seed=8)
    assert not torch.equal(X1, X3)


def test_clean_digits_have_ink_strokes_on_a_black_background():
    X, y = make_digits(200, seed=1, noise=0.0)
    ink = (X > 0.5).float().mean(dim=(1, 2, 3))  # (N,) fraction of inked pixels
    assert (ink > 0.04).all() and (ink < 0.4).all()
    torch.testing.assert_close(X.amax(dim=(1, 2, 3)), torch.ones(200))  # every digit reaches full ink
    border = torch.cat([X[:, 0, 0], X[:, 0, -1], X[:, 0, :, 0], X[:, 0, :, -1]], dim=1)
    assert border.mean() < 0.02  # digits stay inside the frame
    # Different classes look different: class means are far apart compared with pixel noise.
    means = torch.stack([X[y == k].flatten(1).mean(0) for k in range(10)])
    assert torch.cdist(means, means).add(torch.eye(10) * 1e9).min() > 1.0


def test_noise_is_additive_and_clamped():
    clean, _ = make_digits(20, seed=2, noise=0.0)
    noisy, _ = make_digits(20, seed=2, noise=0.3)
    assert (noisy != clean).float().mean() > 0.5
    assert noisy.min() >= 0 and noisy.max() <= 1


def test_renderer_matches_a_direct_point_to_segment_distance():
    gen = torch.Generator().manual_seed(0)
    seg = 4 + 20 * torch.rand(5, 7, 2, 2, generator=gen)  # (n, S, 2, 2) random segments inside the frame
    half_width = 0.8 + torch.rand(5, generator=gen)
    got = digits._render(seg, half_width)
    # Reference: the textbook distance |p − (a + clamp(t, 0, 1)(b − a))| for every pixel p and segment.
    coords = torch.arange(28.0)
    p = torch.stack(torch.meshgrid(coords, coords, indexing="xy"), -1).reshape(1, 1, -1, 2)  # (1, 1, P, 2)
    a, b = seg[:, :, None, 0], seg[:, :, None, 1]
    t = (((p - a) * (b - a)).sum(-1) / ((b - a) ** 2).sum(-1)).clamp(0, 1)
    dist = (p - (a + t[..., None] * (b - a))).norm(dim=-1).amin(dim=1)  # (n, P)
    expected = (half_width[:, None] + 0.5 - dist).clamp(0, 1).reshape(5, 28, 28)
    torch.testing.assert_close(got, expected, atol=1e-3, rtol=0)


def test_bezier_strokes_start_and_end_at_their_control_points():
    glyph = digits._GLYPHS[0]  # the 0: two half-ellipses
    seg = digits._segments(glyph, 3, torch.Generator().manual_seed(0), point_jitter=0.0)  # (3, S, 2, 2)
    first_curve = seg[0, : digits._CURVE_STEPS]
    torch.testing.assert_close(first_curve[0, 0], torch.tensor(glyph.points[0]))
    torch.testing.assert_close(first_curve[-1, 1], torch.tensor(glyph.points[1]))
    torch.testing.assert_close(seg[:, 1:, 0], seg[:, :-1, 1])  # a closed, connected outline


def test_ten_thousand_digits_in_under_three_seconds():
    make_digits(100)  # warm-up
    start = time.process_time()  # CPU time: other processes sharing the cores do not count
    X, _ = make_digits(10_000, seed=0)
    elapsed = time.process_time() - start
    assert X.shape[0] == 10_000
    assert elapsed < 3.0, f"took {elapsed:.2f} s"


def test_an_mlp_learns_the_digits_but_not_instantly():
    torch.manual_seed(0)
    X, y = make_digits(10_000, seed=0)
    X = X.flatten(1)  # (N, 784)
    X_train, y_train, X_val, y_val = X[:8000], y[:8000], X[8000:], y[8000:]
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))  # MLP(784, 256, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    accuracy = []
    for _ in range(4):
        for batch in torch.randperm(8000).split(64):
            loss = torch.nn.functional.cross_entropy(model(X_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            accuracy.append((model(X_val).argmax(1) == y_val).float().mean().item())
    assert accuracy[0] < 0.995, accuracy  # something left to watch after the first epoch
    assert accuracy[-1] >= 0.97, accuracy
