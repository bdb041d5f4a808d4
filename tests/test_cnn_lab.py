"""The CNN lab's data, run and read-outs, the inspection of one input, the CNN-vs-MLP race, and the image helpers."""

import io

import pytest
import torch
from torch import nn

from dlplay.lessons.cnn.images import SOURCES, decode_upload, prepare_drawing, sample_picture, shift
from dlplay.lessons.cnn.inspect_input import fit_to_model, grad_cam, read, saliency
from dlplay.lessons.cnn.lab import (
    COLOUR_SET,
    LabConfig,
    build_model,
    build_run,
    confusion_matrix,
    feature_maps_of,
    first_layer_kernels,
    layer_table,
    load_lab_data,
    mistakes,
    signature,
)
from dlplay.lessons.cnn.race import build_race, matching_hidden_size, parameter_count, shift_accuracy
from dlplay.models.cnn import CNN
from dlplay.models.mlp import MLP

SMALL = LabConfig(n_train=200, n_test=50, width=4, hidden_size=16, eval_every=10, eval_samples=50)


def _png(array: torch.Tensor, fmt: str = "PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray((array * 255).byte().numpy()).save(buffer, format=fmt)
    return buffer.getvalue()


def test_lab_data_digits_and_colour_images():
    digits = load_lab_data(SMALL.dataset, 30, 10)
    assert digits.X_train.shape == (30, 1, 28, 28) and digits.X_test.shape == (10, 1, 28, 28)
    colour = load_lab_data(COLOUR_SET, 30, 12, seed=1)
    assert colour.X_train.shape == (30, 3, 32, 32) and colour.X_test.shape == (12, 3, 32, 32)
    assert len(colour.classes) == 10 and colour.name == COLOUR_SET and colour.message == ""
    with pytest.raises(ValueError):
        load_lab_data("ImageNet", 10, 10)


def test_lab_run_trains_and_the_page_reads_layers_kernels_and_maps():
    data = load_lab_data(SMALL.dataset, SMALL.n_train, SMALL.n_test)
    run = build_run(SMALL, data)
    assert isinstance(run.model, CNN) and run.model.widths == (4, 8, 16)
    run.step(20)
    assert run.steps == 20 and len(run.history.eval_step) == 2
    rows = layer_table(run.model)
    assert [r.output_shape for r in rows if "Conv2d" in r.name] == [(4, 28, 28), (8, 14, 14), (16, 7, 7)]
    assert rows[-1].output_shape == (10,) and sum(r.parameters for r in rows) == parameter_count(run.model)
    assert first_layer_kernels(run.model).shape == (4, 1, 3, 3)
    maps = feature_maps_of(run.model, data.X_test[0])
    assert [tuple(m.shape) for m in maps] == [(4, 28, 28), (8, 14, 14), (16, 7, 7)]
    assert run.model.training  # reading put the model back in training mode


def test_signature_ignores_live_settings():
    base = signature(SMALL, "Synthetic digits", "cpu")
    assert signature(LabConfig(**{**SMALL.__dict__, "lr": 0.1, "epochs": 3}), "Synthetic digits", "cpu") == base
    assert signature(LabConfig(**{**SMALL.__dict__, "width": 8}), "Synthetic digits", "cpu") != base


def test_confusion_matrix_and_mistakes():
    y = torch.tensor([0, 1, 2, 2, 1])
    y_pred = torch.tensor([0, 2, 2, 1, 1])
    matrix = confusion_matrix(y, y_pred, 3)
    assert matrix.tolist() == [[1, 0, 0], [0, 1, 1], [0, 1, 1]]
    logits = torch.nn.functional.one_hot(y_pred, 3).float() * torch.tensor([1, 5, 1, 2, 1.0])[:, None]
    assert mistakes(y, logits).tolist() == [1, 3]  # both wrong, the more confident first


def test_saliency_is_the_input_gradient_and_grad_cam_matches_a_hook_reference():
    model = seeded_init_model()
    x = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(0))
    # Saliency: |∂ logit / ∂ x| from torch.autograd.functional.jacobian.
    model.eval()
    jac = torch.autograd.functional.jacobian(lambda inp: model(inp[None])[0, 3], x)  # (1, 28, 28)
    expected = jac.abs().amax(dim=0)
    torch.testing.assert_close(saliency(model, x, 3), expected / expected.max())
    # Grad-CAM: the last block's ReLU output and its gradient caught with PyTorch hooks.
    caught = {}
    relu = [m for m in model.conv_layers if isinstance(m, nn.ReLU)][-1]

    def keep(module, inputs, output):
        caught["a"] = output
        output.register_hook(lambda grad: caught.update(g=grad))

    handle = relu.register_forward_hook(keep)
    model(x[None])[0, 3].backward()
    handle.remove()
    cam = torch.relu((caught["g"].mean(dim=(2, 3), keepdim=True) * caught["a"]).sum(1, keepdim=True))
    cam = torch.nn.functional.interpolate(cam, size=(28, 28), mode="bilinear", align_corners=False)[0, 0]
    torch.testing.assert_close(grad_cam(model, x, 3), (cam / cam.max()).detach())


def seeded_init_model() -> CNN:
    from dlplay.models.init import seeded_init_

    return seeded_init_(CNN(in_channels=1, image_size=28, widths=(4, 8), hidden_size=16, dropout=0.5), 0)


def test_read_gives_probabilities_maps_and_a_heat_map_without_changing_the_mode():
    model = seeded_init_model()
    model.train()
    for explainer in ("Grad-CAM", "Saliency"):
        reading = read(model, torch.rand(1, 28, 28), explainer)
        assert reading.probs.shape == (10,) and float(reading.probs.sum()) == pytest.approx(1.0)
        assert reading.heat.shape == (28, 28) and 0 <= float(reading.heat.min()) and float(reading.heat.max()) <= 1
        assert [m.shape[0] for m in reading.feature_maps] == [4, 8] and model.training
    with pytest.raises(ValueError):
        read(model, torch.rand(1, 28, 28), "LIME")


def test_fit_to_model_converts_channels_and_size():
    x = torch.rand(3, 20, 10)
    out = fit_to_model(x, 1, 28)
    assert out.shape == (1, 28, 28)
    assert fit_to_model(torch.rand(1, 28, 28), 3, 32).shape == (3, 32, 32)
    same = torch.rand(3, 32, 32)
    torch.testing.assert_close(fit_to_model(same, 3, 32), same)


def test_the_mlp_of_the_race_has_about_the_cnns_parameter_count():
    for target in (25_000, 100_000, 620_362):
        h = matching_hidden_size(target, 784, 10)
        count = parameter_count(MLP(784, h, 10))
        assert abs(count - target) <= 784 + 2 * h + 12  # within one unit of h
    data = load_lab_data(SMALL.dataset, SMALL.n_train, SMALL.n_test)
    group = build_race(SMALL, data)
    cnn, mlp = group.runs["CNN"].model, group.runs["MLP"].model
    assert isinstance(mlp, MLP) and abs(parameter_count(mlp) - parameter_count(cnn)) / parameter_count(cnn) < 0.05
    group.step(5)
    assert group.runs["CNN"].steps == group.runs["MLP"].steps == 5


def test_shift_accuracy_against_a_direct_count():
    data = load_lab_data(SMALL.dataset, 50, 40)
    model = build_model(SMALL, data)
    accuracies = shift_accuracy(model, data.X_test, data.y_test, max_shift=2)
    model.eval()
    with torch.no_grad():
        assert accuracies[0] == float((model(data.X_test).argmax(1) == data.y_test).float().mean())
        moved = [shift(data.X_test, 2 * dx, 2 * dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))]
        direct = sum(int((model(m).argmax(1) == data.y_test).sum()) for m in moved) / (4 * 40)
    assert accuracies[2] == pytest.approx(direct) and len(accuracies) == 3


def test_shift_moves_pixels_and_fills_with_zeros():
    x = torch.arange(1, 10.0).view(1, 3, 3)
    assert shift(x, 1, 0).tolist() == [[[0, 1, 2], [0, 4, 5], [0, 7, 8]]]
    assert shift(x, 0, -1).tolist() == [[[4, 5, 6], [7, 8, 9], [0, 0, 0]]]
    assert shift(x, 5, 0).abs().sum() == 0


def test_sample_pictures():
    digit, colour = sample_picture(SOURCES[0], 3), sample_picture(SOURCES[1], 25)
    assert digit.x.shape == (1, 28, 28) and colour.x.shape == (3, 32, 32) and "colour image" in colour.caption
    with pytest.raises(ValueError):
        sample_picture("A cat", 0)


def test_uploads_are_decoded_shrunk_and_bad_ones_explained():
    picture, message = decode_upload(_png(torch.rand(64, 48, 3)))
    assert message == "" and picture.x.shape == (3, 32, 24) and 0 <= picture.x.min() and picture.x.max() <= 1
    picture, message = decode_upload(_png(torch.rand(10, 10, 3), "JPEG"), size=28, grey=True)
    assert message == "" and picture.x.shape == (1, 10, 10)
    for data, words in [(b"", "empty"), (b"not an image at all", "not an image"), (b"x" * (6 * 2**20), "MB"),
                        (_png(torch.rand(8, 8, 3), "GIF"), "PNG or a JPEG")]:
        picture, message = decode_upload(data)
        assert picture is None and words in message, message


def test_a_drawing_is_cropped_scaled_and_centred_like_mnist():
    ink = torch.zeros(56, 56)
    ink[5:15, 40:44] = 1.0  # a short bar in the top-right corner
    x = prepare_drawing(ink)
    assert x.shape == (1, 28, 28) and float(x.max()) == pytest.approx(1.0)
    grid = torch.arange(28.0)
    cy, cx = float((x[0].sum(1) * grid).sum() / x.sum()), float((x[0].sum(0) * grid).sum() / x.sum())
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1
    assert (x[0] > 0.5).any(dim=1).sum() >= 18  # its height was scaled to about 20 pixels
    assert prepare_drawing(torch.zeros(56, 56)) is None


def test_an_upload_of_dark_ink_on_paper_is_inverted_for_a_grey_model_only():
    from dlplay.lessons.cnn.inspect_input import upload_to_input

    paper = torch.ones(3, 40, 30)
    paper[:, 10:30, 12:16] = 0.0  # a dark stroke on white
    x, inverted = upload_to_input(paper, 1, 28)
    assert inverted and x.shape == (1, 28, 28) and float(x.mean()) < 0.5
    assert float(x[0, :, :2].max()) == 0.0  # the padding of the narrow image stays black
    x, inverted = upload_to_input(paper, 3, 32)
    assert not inverted and x.shape == (3, 32, 32)
