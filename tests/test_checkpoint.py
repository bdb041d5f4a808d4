"""Save and load a trained model: the same predictions after loading, and every bad file refused with its reason."""

from __future__ import annotations

import io
import os
import pickle

import pytest
import torch

from dlplay.lessons.fundamentals.playground import PlaygroundConfig, build_run
from dlplay.training import RunGroup
from dlplay.training.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint

PAGE = "nn-fundamentals"


def trained(**changes):
    run = build_run(PlaygroundConfig(**changes))
    run.step(60)
    return run


def test_a_loaded_model_predicts_exactly_as_the_saved_one():
    run = trained()
    data = save_checkpoint(run, PAGE, {"nn_layers": "2"}, link="http://x/nn-fundamentals?nn_layers=2")
    fresh = build_run(PlaygroundConfig(seed=99))  # another session: other initial weights
    assert not torch.equal(fresh.predict(run.X_val), run.predict(run.X_val))
    loaded = load_checkpoint(data, fresh, PAGE)
    torch.testing.assert_close(fresh.predict(run.X_val), run.predict(run.X_val), rtol=0, atol=0)
    assert loaded.steps == 60 and loaded.with_optimizer and fresh.steps == 60
    fresh.step(5)  # and it trains on from there
    assert fresh.steps == 65


def test_a_race_saves_and_loads_every_member():
    group = RunGroup({"a": trained(), "b": trained(lr=0.3)})
    data = save_checkpoint(group, PAGE)
    other = RunGroup({"a": build_run(PlaygroundConfig(seed=5)), "b": build_run(PlaygroundConfig(seed=6))})
    load_checkpoint(data, other, PAGE)
    for name in ("a", "b"):
        torch.testing.assert_close(other.runs[name].predict(group.runs[name].X_val), group.runs[name].predict(group.runs[name].X_val))


def untouched(run, data, match: str, **kwargs) -> None:
    """Loading fails with a message matching `match`, and the run keeps its weights and steps."""
    before = [p.detach().clone() for p in run.model.parameters()]
    steps = run.steps
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(data, run, PAGE, **kwargs)
    assert run.steps == steps and all(torch.equal(a, b) for a, b in zip(before, run.model.parameters()))


def test_another_architecture_is_refused_and_says_where_its_settings_are():
    data = save_checkpoint(trained(hidden_sizes=(8, 8)), PAGE, link="http://x/nn-fundamentals?nn_h1=8")
    untouched(trained(), data, r"different architecture.*\(2, 4\) here.*nn_h1=8")


def test_another_page_is_refused():
    untouched(trained(), save_checkpoint(trained(), "training"), "another page")


class Exploit:
    """A pickle that would create a file when unpickled."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def test_a_pickle_that_would_run_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    torch.save({"format": "dlplay-checkpoint", "models": {"": Exploit(str(marker))}}, buffer)
    untouched(trained(), buffer.getvalue(), "could run code")
    raw = pickle.dumps(Exploit(str(marker)))  # a bare pickle, not even a torch file
    with pytest.raises(CheckpointError):
        read_checkpoint(raw)
    assert not marker.exists()


def test_corrupt_truncated_empty_oversized_and_foreign_files_are_refused():
    run = trained()
    good = save_checkpoint(run, PAGE)
    untouched(run, good[: len(good) // 2], "cut short or damaged")
    untouched(run, b"\x89PNG\r\n\x1a\n" + os.urandom(200), "not a file saved by PyTorch")
    untouched(run, b"", "empty")
    untouched(run, good, "at most", max_bytes=100)
    buffer = io.BytesIO()
    torch.save({"weights": [1, 2, 3]}, buffer)
    untouched(run, buffer.getvalue(), "not a model saved by dlplay")


def test_a_plain_state_dict_loads_into_a_matching_model():
    run = trained()
    buffer = io.BytesIO()
    torch.save(run.model.state_dict(), buffer)
    fresh = build_run(PlaygroundConfig(seed=3))
    load_checkpoint(buffer.getvalue(), fresh, PAGE)
    torch.testing.assert_close(fresh.predict(run.X_val), run.predict(run.X_val))


def test_a_gan_keeps_both_optimizers():
    from dlplay.lessons.generative.gan2d import Gan2dConfig, build_gan2d

    run = build_gan2d(Gan2dConfig())
    run.step(5)
    fresh = build_gan2d(Gan2dConfig(seed=1))
    loaded = load_checkpoint(save_checkpoint(run, "gen"), fresh, "gen")
    assert loaded.with_optimizer
    torch.testing.assert_close(fresh.opt_d.state_dict()["state"][0]["exp_avg"], run.opt_d.state_dict()["state"][0]["exp_avg"])
