"""The U-Net lab: targets, IoU / Dice / boundary IoU, the races it builds, feature maps, padding and checkerboards."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from dlplay.data.shapes import make_shapes
from dlplay.lessons.architectures.segmentation import (
    SegSetup,
    build_lab,
    checkerboard_strength,
    erode,
    feature_maps,
    lab_code,
    make_seg_data,
    mask_metrics,
    overlap_counts,
    padding_note,
    predicted_probabilities,
    problems,
    run_variants,
    signature,
)
from dlplay.models.unet import UNet

TINY = SegSetup(size=16, n_train=64, n_val=16, base_width=4, depth=2, batch_size=8, eval_every=5, eval_samples=16)


def _square(size: int, top: int, left: int, side: int) -> torch.Tensor:
    mask = torch.zeros(1, 1, size, size)
    mask[..., top : top + side, left : left + side] = 1
    return mask


def test_targets_are_the_task_pixels():
    X, y, X_val, y_val = make_seg_data(replace(TINY, task="circles"), seed=3)
    images, masks, _ = make_shapes(80, size=16, seed=3, noise=TINY.noise)
    torch.testing.assert_close(X, images[:64])
    torch.testing.assert_close(y_val, (masks[64:] == 1).float().unsqueeze(1))
    _, y_all, _, _ = make_seg_data(TINY, seed=3)
    torch.testing.assert_close(y_all, (masks[:64] > 0).float().unsqueeze(1))
    assert y.shape == (64, 1, 16, 16) and y.dtype == torch.float32


def test_erode_removes_the_rim():
    mask = _square(10, 2, 2, 5)
    torch.testing.assert_close(erode(mask), _square(10, 3, 3, 3))
    torch.testing.assert_close(erode(_square(6, 0, 0, 6)), _square(6, 0, 0, 6))  # the image edge is not a shape edge


def test_mask_metrics_against_hand_counts():
    truth = _square(12, 2, 2, 4)  # 16 pixels
    pred = _square(12, 2, 4, 4)  # shifted by 2 columns: 8 pixels overlap, union 24
    logits = pred * 10 - 5  # > 0 exactly on the predicted square
    m = mask_metrics(logits, truth)
    assert m["iou"] == pytest.approx(8 / 24) and m["dice"] == pytest.approx(2 * 8 / 32)
    assert m["dice"] == pytest.approx(2 * m["iou"] / (1 + m["iou"]))  # pooled Dice is a function of IoU
    rim_t, rim_p = truth - erode(truth), pred - erode(pred)  # 12 rim pixels each
    inter = (rim_t * rim_p).sum()
    assert m["boundary_iou"] == pytest.approx(float(inter / (24 - inter)))
    assert mask_metrics(truth * 10 - 5, truth) == {"iou": 1.0, "dice": 1.0, "boundary_iou": 1.0}
    nothing = torch.zeros(1, 1, 12, 12)
    assert mask_metrics(nothing - 1, nothing)["iou"] == 1.0  # nothing to find, nothing found


def test_blurry_masks_lose_boundary_iou_first():
    truth = _square(16, 3, 3, 9)
    blurry = _square(16, 4, 4, 8)  # off by a pixel on two sides: still a high IoU
    m = mask_metrics(blurry * 2 - 1, truth)
    assert m["iou"] > 0.75 and m["boundary_iou"] < 0.5


def test_races_build_the_variants_on_the_same_batches():
    data = make_seg_data(TINY, seed=0)
    lab = build_lab(TINY, data, seed=0)
    assert list(lab.runs) == ["skips on", "skips off"]
    on, off = lab.runs["skips on"].model, lab.runs["skips off"].model
    assert on.skips and not off.skips
    torch.testing.assert_close(on.enc1[0].weight, off.enc1[0].weight)  # the encoders start equal
    assert list(run_variants(replace(TINY, race="bilinear vs transposed"))) == ["bilinear + conv", "transposed conv"]
    one = build_lab(replace(TINY, race="one model", skips=False, upsampling="transposed"), data, seed=0)
    (name, run), = one.runs.items()
    assert name == "U-Net (skips off, transposed)" and run.model.upsampling == "transposed"


def test_training_records_the_mask_metrics_and_improves_them():
    data = make_seg_data(TINY, seed=0)
    lab = build_lab(replace(TINY, race="one model", lr=1e-2), data, seed=0)
    run = next(iter(lab.runs.values()))
    lab.step(1)
    first = run.history.extras["val_iou"][0]
    lab.step(59)
    extras = run.history.extras
    assert len(extras["val_iou"]) == len(extras["val_dice"]) == len(extras["val_boundary_iou"]) == len(run.history.eval_step)
    with torch.no_grad():
        expected = mask_metrics(run.model.eval()(run.X_val), run.y_val)
    run.model.train()
    assert extras["val_iou"][-1] == pytest.approx(expected["iou"]) and extras["val_dice"][-1] == pytest.approx(expected["dice"])
    assert extras["val_iou"][-1] > max(first, 0.5)
    probs = predicted_probabilities(run, data[2][:3])
    assert probs.shape == (3, 1, 16, 16) and 0 <= probs.min() and probs.max() <= 1


def test_feature_maps_of_one_image_leave_the_model_alone():
    model = UNet(1, 1, base_width=4, depth=2)
    before = copy.deepcopy(model.state_dict())
    maps = feature_maps(model, torch.rand(1, 20, 20))  # 20 is padded to 20 (a multiple of 4): no crop needed
    assert list(maps) == ["enc1", "enc2", "enc3", "up2", "dec2", "up1", "dec1"]
    assert maps["enc3"].shape == (16, 5, 5) and maps["dec1"].shape == (4, 20, 20)
    assert model.last_features == {}
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, before[name])


def test_padding_note_only_for_sizes_that_do_not_divide():
    assert padding_note(32, 2) == "" and padding_note(48, 4) == ""
    note = padding_note(30, 2)
    assert "multiples of 4" in note and "32×32" in note and "torch.cat" in note


def test_overlap_counts_are_the_checkerboard_of_a_stride_2_kernel_3_transposed_conv():
    maps = overlap_counts(4)
    torch.testing.assert_close(maps["bilinear"], torch.ones(8, 8))
    t = maps["transposed"]
    assert set(t.unique().tolist()) == {1.0, 2.0, 4.0}
    assert t[1, 1] == 4 and t[0, 0] == 1 and t[0, 1] == 2  # odd rows and columns get every overlap
    reference = F.conv_transpose2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3), stride=2, padding=1, output_padding=1)
    torch.testing.assert_close(t, reference[0, 0])


def test_checkerboard_strength_separates_patterns():
    checker = (torch.arange(8)[:, None] + torch.arange(8)[None, :]) % 2  # alternates every pixel
    smooth = torch.linspace(0, 1, 8)[None, :].expand(8, 8)
    assert checkerboard_strength(checker.float()) == pytest.approx(1.0)
    assert checkerboard_strength(smooth) < 0.05
    assert checkerboard_strength(overlap_counts(8)["transposed"]) > 0.5


def test_problems_and_signature():
    assert problems(TINY) == []
    text = " ".join(problems(replace(TINY, depth=5, size=8, task="dogs", race="all", upsampling="nearest", lr=0.0)))
    assert all(w in text for w in ("1–4 poolings", "16–64 pixels", "dogs", "all", "nearest", "learning rate"))
    assert signature(TINY, 0, "cpu") == signature(replace(TINY, lr=0.5), 0, "cpu")
    assert signature(TINY, 0, "cpu") != signature(replace(TINY, skips=False), 0, "cpu")


def test_code_names_the_nets():
    code = lab_code(replace(TINY, task="squares"))
    assert "UNet(1, 1, base_width=4, depth=2, skips=False, upsampling='bilinear')" in code and "masks == 2" in code
    compile(code, "lab_code", "exec")
