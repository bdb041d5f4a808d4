"""Tests of the torchvision image data sets, their offline fallback, and the image grid figure."""

import base64
import io
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from spec_check import check

from dlplay.data import torchvision_sets
from dlplay.data.digits import DIGIT_CLASSES
from dlplay.data.torchvision_sets import IMAGE_DATASETS, ImageData, data_dir, load_image_data
from dlplay.viz.images import image_grid_figure


def test_torchvision_imports_and_runs_with_the_installed_torch():
    import torchvision
    from torchvision.ops import box_iou, nms
    from torchvision.utils import make_grid

    assert torchvision.__version__
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0]])
    scores = torch.tensor([0.6, 0.9])
    assert box_iou(boxes, boxes)[0, 1] > 0.5
    assert nms(boxes, scores, iou_threshold=0.5).tolist() == [1]  # the overlapping, lower-scored box goes
    assert nms(boxes, scores, iou_threshold=0.9).tolist() == [1, 0]  # below the threshold both stay
    images = torch.rand(4, 1, 8, 8)
    grid = make_grid(images, nrow=2, padding=2)
    assert grid.shape == (3, 22, 22)
    torch.testing.assert_close(grid[0, 12:20, 2:10], images[2, 0])  # row 1, column 0


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array in the MNIST idx format (big-endian header: 0, 0, type 8, ndim; then the sizes)."""
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _tiny_mnist(root: Path, folder: str = "MNIST", n_train: int = 12, n_test: int = 5) -> dict:
    """A small MNIST-format data set under root/folder/raw, uncompressed, as torchvision reads it."""
    rng = np.random.default_rng(0)
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for name, array in arrays.items():
        _write_idx(raw / name, array)
    return arrays


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_real_loader_reads_idx_files_through_torchvision(tmp_path, name):
    import torchvision.datasets as tvd

    arrays = _tiny_mnist(tmp_path, folder=name)
    data = load_image_data(name, root=tmp_path, download=False)
    assert data.name == name and data.message == ""
    assert data.X_train.shape == (12, 1, 28, 28) and data.X_train.dtype == torch.float32
    assert data.X_test.shape == (5, 1, 28, 28) and data.y_test.dtype == torch.int64
    expected = torch.from_numpy(arrays["train-images-idx3-ubyte"]).float().unsqueeze(1) / 255
    torch.testing.assert_close(data.X_train, expected)
    assert data.y_train.tolist() == arrays["train-labels-idx1-ubyte"].tolist()
    assert data.y_test.tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()
    assert data.classes == tuple(getattr(tvd, name).classes)


def test_real_loader_subsamples_with_a_seeded_permutation(tmp_path):
    arrays = _tiny_mnist(tmp_path)
    a = load_image_data("MNIST", root=tmp_path, download=False, max_train=4, max_test=2, seed=3)
    b = load_image_data("MNIST", root=tmp_path, download=False, max_train=4, max_test=2, seed=3)
    assert len(a.X_train) == 4 and len(a.X_test) == 2
    torch.testing.assert_close(a.X_train, b.X_train)
    full = torch.from_numpy(arrays["train-images-idx3-ubyte"]).float().unsqueeze(1) / 255
    labels = arrays["train-labels-idx1-ubyte"].tolist()
    for image, label in zip(a.X_train, a.y_train):  # every kept image is an original with its own label
        match = [i for i in range(len(full)) if torch.equal(full[i], image)]
        assert len(match) == 1 and labels[match[0]] == label
    c = load_image_data("MNIST", root=tmp_path, download=False, max_train=4, seed=4)
    assert not torch.equal(a.y_train, c.y_train) or not torch.equal(a.X_train, c.X_train)


def test_missing_files_without_download_fall_back_with_a_message(tmp_path):
    data = load_image_data("FashionMNIST", root=tmp_path, download=False, max_train=20, max_test=10)
    assert data.name == "Synthetic digits"
    assert "FashionMNIST" in data.message and "synthetic digits" in data.message
    assert data.X_train.shape == (20, 1, 28, 28) and len(data.X_test) == 10
    assert data.classes == DIGIT_CLASSES


def test_failed_download_falls_back_fast(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    monkeypatch.setattr(tvd.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # a closed local port: refused at once
    data = load_image_data("MNIST", root=tmp_path, download=True, max_train=10, max_test=5)
    assert data.name == "Synthetic digits"
    assert data.message.startswith("Could not download MNIST")
    assert len(data.X_train) == 10


def test_failed_cifar_download_falls_back(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(tvd.cifar, "download_and_extract_archive", refuse)
    data = load_image_data("CIFAR-10", root=tmp_path, download=True, max_train=10, max_test=5)
    assert data.name == "Synthetic digits" and "CIFAR-10" in data.message


def test_corrupt_files_fall_back_with_a_message(tmp_path):
    _tiny_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"this is not an idx file")
    data = load_image_data("MNIST", root=tmp_path, download=False, max_train=10, max_test=5)
    assert data.name == "Synthetic digits"
    assert "MNIST" in data.message and "damaged" in data.message


def test_cifar_arrays_convert_to_channels_first():
    rng = np.random.default_rng(1)
    fake = SimpleNamespace(data=rng.integers(0, 256, (3, 32, 32, 3)).astype(np.uint8), targets=[4, 0, 9])
    X, y = torchvision_sets._to_tensors(fake)
    assert X.shape == (3, 3, 32, 32) and X.dtype == torch.float32
    torch.testing.assert_close(X, torch.from_numpy(fake.data).permute(0, 3, 1, 2).float() / 255)
    assert y.dtype == torch.int64 and y.tolist() == [4, 0, 9]


def test_synthetic_digits_default_sizes_and_unknown_names(monkeypatch):
    drawn = []

    def fake_digits(n_samples, seed=0):  # records the request; drawing 7000 real digits is tested elsewhere
        drawn.append(n_samples)
        return torch.zeros(n_samples, 1, 28, 28), torch.arange(n_samples) % 10

    monkeypatch.setattr(torchvision_sets, "make_digits", fake_digits)
    data = load_image_data("Synthetic digits")
    assert isinstance(data, ImageData) and drawn == [7000]
    assert data.X_train.shape == (6000, 1, 28, 28) and data.X_test.shape == (1000, 1, 28, 28)
    assert data.message == "" and data.name == IMAGE_DATASETS[0]
    small = load_image_data("Synthetic digits", max_train=30, max_test=10, seed=2)
    assert small.y_train.shape == (30,) and small.y_test.shape == (10,) and drawn[-1] == 40
    with pytest.raises(ValueError, match="MNIST"):
        load_image_data("ImageNet")


def test_data_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DLPLAY_DATA_DIR", str(tmp_path / "here"))
    assert data_dir() == tmp_path / "here"
    monkeypatch.delenv("DLPLAY_DATA_DIR")
    assert data_dir() == Path.home() / ".cache" / "dlplay" / "data"


def test_image_grid_figure_shows_make_grid_with_labels_above_each_image():
    from torchvision.utils import make_grid

    images = torch.rand(5, 1, 9, 9)
    fig = check(image_grid_figure(images, labels=list("abcde"), ncols=3, title="Grid"))
    assert fig.layout.title.text == "Grid"
    png = base64.b64decode(fig.data[0].source.split(",", 1)[1])
    z = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    expected = (make_grid(images, nrow=3, padding=3, pad_value=1.0) * 255).round().byte().permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(z, expected)
    assert (z[..., 0] == z[..., 1]).all() and (z[..., 1] == z[..., 2]).all()  # grayscale shown as gray
    texts = [a.text for a in fig.layout.annotations]
    assert texts == list("abcde")
    positions = [(a.x, a.y) for a in fig.layout.annotations]
    assert positions[0] == (3 + 4.5, 1.5) and positions[4] == (3 + 12 + 4.5, 3 + 12 - 1.5)


def test_image_grid_figure_handles_colour_no_labels_and_bad_input():
    fig = check(image_grid_figure(torch.rand(2, 3, 6, 6)))
    png = base64.b64decode(fig.data[0].source.split(",", 1)[1])
    assert Image.open(io.BytesIO(png)).size == (18, 10)  # padding 2 around each image
    assert len(fig.layout.annotations) == 0
    empty = check(image_grid_figure(torch.zeros(0, 1, 6, 6)))
    assert len(empty.data) == 0 and empty.layout.annotations[0].text
    with pytest.raises(ValueError):
        image_grid_figure(torch.rand(2, 1, 6, 6), labels=["only one"])
