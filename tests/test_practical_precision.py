"""Mixed precision (chapter 12): number formats against torch.finfo and casts, loss scaling with the real GradScaler,
saved-tensor bytes, the float32 / autocast race."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dlplay.lessons.practical.number_formats import (
    FORMATS,
    cast_rows,
    format_rows,
    gradient_census,
    gradient_magnitudes,
    scaled_backward,
    scaling_rows,
    smallest_subnormal,
)
from dlplay.lessons.practical.precision import (
    PrecisionConfig,
    SavedTensorBytes,
    amp_choices,
    build_precision_race,
    cpu_bfloat16_note,
    make_model,
    measurements,
)

SMALL = PrecisionConfig(width=4, batch_size=16, n_train=64, n_val=32, eval_every=5, memory_every=4)


def test_format_rows_match_torch_finfo():
    for row in format_rows():
        info = torch.finfo(FORMATS[row["format"]])
        assert row["bits"] == info.bits == 1 + row["exponent bits"] + row["mantissa bits"]
        assert (row["largest"], row["smallest normal"], row["eps"]) == (info.max, info.smallest_normal, info.eps)
    assert smallest_subnormal(torch.float16) == 2.0**-24 and smallest_subnormal(torch.bfloat16) == 2.0**-133
    for name, dtype in FORMATS.items():  # the smallest subnormal is held; half of it rounds to 0
        tiny = smallest_subnormal(dtype)
        assert torch.tensor(tiny, dtype=torch.float64).to(dtype).item() == tiny, name
        assert torch.tensor(tiny / 2, dtype=torch.float64).to(dtype).item() == 0.0, name


@pytest.mark.parametrize(("value", "format", "verdict"), [
    (70000.0, "float16", "overflow → inf"), (70000.0, "bfloat16", "rounded"), (1e-8, "float16", "underflow → 0"),
    (1e-6, "float16", "subnormal"), (1e-8, "bfloat16", "rounded"), (0.5, "float16", "exact"), (1e39, "bfloat16", "overflow"),
])
def test_cast_rows_say_what_happens(value, format, verdict):
    row = next(r for r in cast_rows(value) if r["format"] == format)
    assert row["stored"] == torch.tensor(value, dtype=torch.float64).to(FORMATS[format]).double().item()
    assert verdict in row["what happens"]


def test_a_small_gradient_vanishes_in_float16_and_survives_scaling():
    exact, fp16, scaled, bf16 = scaling_rows(1e-3, 1e-5, 2.0**16)
    assert exact.grad == pytest.approx(1e-8, rel=1e-6)
    assert fp16.raw_grad == 0.0 and fp16.grad == 0.0 and "vanished" in fp16.verdict
    assert scaled.grad == pytest.approx(1e-8, rel=2e-3) and "survives" in scaled.verdict
    assert scaled.next_scale == 2.0**16  # no overflow: the scale stays
    assert bf16.grad == pytest.approx(1e-8, rel=1e-2)
    # by hand: float16(a) · float16(upstream · scale), rounded to float16, is the scaled gradient autograd produced
    by_hand = (torch.tensor(1e-3).half() * torch.tensor(1e-5 * 2.0**16).half()).item()
    assert scaled.raw_grad == by_hand and scaled.grad == pytest.approx(by_hand / 2.0**16)


def test_too_large_a_scale_overflows_and_the_scaler_backs_off():
    result = scaled_backward(1e-1, 1e-1, torch.float16, 2.0**24)
    assert math.isinf(result.raw_grad) and result.next_scale == 2.0**23 and "skips this step" in result.verdict


def test_gradient_census_agrees_with_casting_to_float16():
    model = make_model(PrecisionConfig(width=4))
    X, y = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(0)), torch.arange(8) % 10
    g = gradient_magnitudes(model, X, y)
    loss = F.cross_entropy(model.eval()(X), y)
    manual = torch.cat([t.flatten().abs() for t in torch.autograd.grad(loss, list(model.parameters()))])
    torch.testing.assert_close(g, manual[manual > 0].double())
    assert all(p.grad is None for p in model.parameters())
    sample = gradient_magnitudes(model, X, y, max_entries=1000)
    assert len(sample) <= 1000 and torch.equal(sample, g[:: -(-len(g) // 1000)])
    g = torch.cat([g, torch.tensor([1e-9, 3e-8, 1e-6, 1.0])])  # make sure every bin is met
    for scale in (1.0, 2.0**16):
        census = gradient_census(g, scale)
        half = (g * scale).half()
        zero = (half == 0).double().mean().item()
        sub = ((half != 0) & (half.abs() < torch.finfo(torch.float16).smallest_normal)).double().mean().item()
        over = half.isinf().double().mean().item()
        shares = (census.zero_unscaled, census.subnormal_unscaled) if scale == 1.0 else \
            (census.zero_scaled, census.subnormal_scaled)
        assert shares == pytest.approx((zero, sub))
        if scale != 1.0:
            assert census.overflow_scaled == pytest.approx(over)


def test_saved_tensor_bytes_count_what_autograd_keeps():
    a = torch.rand(100, requires_grad=True)
    b = torch.rand(100, requires_grad=True)
    with SavedTensorBytes() as counter:
        (a * b).sum().backward()
    assert counter.bytes == a.nbytes + b.nbytes  # mul saves both factors
    x, w = torch.rand(64, 256), torch.rand(128, 256, requires_grad=True)
    with SavedTensorBytes() as full:
        F.linear(x, w).sum()
    with SavedTensorBytes() as half, torch.autocast("cpu", dtype=torch.bfloat16):
        F.linear(x, w).sum()
    assert half.bytes == full.bytes // 2  # linear keeps its bfloat16 input and weight: half the bytes


def test_precision_race_starts_equal_and_measures(monkeypatch):
    race = build_precision_race(SMALL)
    fp32, amp = race.runs.values()
    assert list(race.runs) == ["float32", "autocast bfloat16"] and amp.config.amp_dtype == torch.bfloat16
    for (name, p), q in zip(fp32.model.state_dict().items(), amp.model.state_dict().values()):
        torch.testing.assert_close(p, q, msg=name)
    race.step(9)
    assert fp32.steps == amp.steps == 9
    assert len(fp32.step_seconds) == 9 - 3 and fp32.saved_bytes > amp.saved_bytes > 0  # steps 1, 5, 9 measured memory
    rows = measurements(race)
    assert rows[0]["speed vs float32"] == 1.0 and rows[1]["speed vs float32"] > 0
    assert math.isfinite(rows[1]["train loss"]) and rows[0]["saved for backward (MB)"] > 0
    assert set(race.model) == {"float32", "autocast"}
    race.set_lr(0.01)
    assert all(run.lr == 0.01 for run in race.runs.values())


def test_mlp_race_and_bad_choices():
    race = build_precision_race(PrecisionConfig(model="MLP", width=8, batch_size=8, n_train=16, n_val=8))
    race.step(2)
    assert all(run.steps == 2 for run in race.runs.values())
    assert amp_choices("cpu") == ("bfloat16",) and "float16" in amp_choices("cuda")
    with pytest.raises(ValueError, match="not offered"):
        build_precision_race(PrecisionConfig(amp="float16"), "cpu")
    with pytest.raises(ValueError, match="unknown model"):
        make_model(PrecisionConfig(model="RNN"))


def test_cpu_bfloat16_note_reads_the_flags(tmp_path):
    with_amx = tmp_path / "amx"
    with_amx.write_text("flags\t: fpu sse avx2 amx_bf16 avx512_bf16\n")
    without = tmp_path / "plain"
    without.write_text("flags\t: fpu sse avx2\n")
    assert "AMX-BF16" in cpu_bfloat16_note(with_amx) and "AVX-512 BF16" in cpu_bfloat16_note(with_amx)
    assert "no bfloat16 instructions" in cpu_bfloat16_note(without) and "slower" in cpu_bfloat16_note(without)
    assert "does not say" in cpu_bfloat16_note(tmp_path / "missing")
