"""Model files (chapter 12): weights only, a malicious pickle refused, architectures rebuilt, mismatches explained."""

from __future__ import annotations

import builtins
import io
import os
import pickle

import pytest
import torch
from torch import nn

from dlplay.lessons.practical import model_files
from dlplay.lessons.practical.backbone import ColourNet
from dlplay.lessons.practical.model_files import ModelFileError, load_model_file, read_state_dict, rebuild
from dlplay.models.init import seeded_init_
from dlplay.models.mlp import MLP


def _saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


class System:
    """The classic: os.system on unpickling."""

    def __reduce__(self):
        return os.system, ("true",)


def test_os_system_is_named_in_the_refusal():
    with pytest.raises(ModelFileError, match="posix.system|nt.system") as caught:
        read_state_dict(_saved({"state_dict": System()}))
    assert caught.value.kind == "unsafe"


class Payload:
    """A pickle that writes a file when unpickled: what a malicious model file does."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return builtins.exec, (f"open({self.path!r}, 'w').write('pwned')",)


@pytest.mark.parametrize("packing", ["torch.save", "raw pickle"])
def test_a_malicious_pickle_is_refused_and_never_runs(tmp_path, packing):
    marker = tmp_path / "pwned.txt"
    payload = {"state_dict": Payload(str(marker))}
    data = _saved(payload) if packing == "torch.save" else pickle.dumps(payload)
    with pytest.raises(ModelFileError) as caught:
        load_model_file(data)
    assert caught.value.kind == "unsafe" and "Refused" in str(caught.value)
    if packing == "torch.save":
        assert "`exec`" in str(caught.value) and "weights_only=True" in str(caught.value)
    assert not marker.exists(), "the payload ran"


def test_a_whole_pickled_model_is_refused_with_advice():
    with pytest.raises(ModelFileError, match="state_dict") as caught:
        read_state_dict(_saved(nn.Linear(2, 2)))
    assert caught.value.kind == "unsafe"


def test_a_torchscript_archive_is_named():
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), buffer)
    with pytest.raises(ModelFileError) as caught:
        read_state_dict(buffer.getvalue())
    assert caught.value.kind == "torchscript"


@pytest.mark.parametrize("data", [b"", b"hello, not a model"])
def test_files_that_are_not_pytorch(data):
    with pytest.raises(ModelFileError) as caught:
        read_state_dict(data)
    assert caught.value.kind == "not_pytorch"


def test_bytes_that_parse_as_a_foreign_pickle_are_refused():
    with pytest.raises(ModelFileError, match="not a file `torch.save` wrote") as caught:
        read_state_dict(b"\x00" * 64)
    assert caught.value.kind == "unsafe"


@pytest.mark.parametrize("obj", [{"a": 1, "b": "x"}, [torch.zeros(2)], {"state_dict": {"w": 3}}, torch.zeros(3)])
def test_files_without_a_state_dict(obj):
    with pytest.raises(ModelFileError) as caught:
        read_state_dict(_saved(obj))
    assert caught.value.kind == "no_state_dict"


def test_a_too_large_file_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(model_files, "MAX_FILE_BYTES", 10)
    with pytest.raises(ModelFileError) as caught:
        read_state_dict(b"x" * 11)
    assert caught.value.kind == "too_large"


def _same_outputs(original: nn.Module, rebuilt: nn.Module, shape: tuple[int, ...]) -> None:
    X = torch.rand((4, *shape), generator=torch.Generator().manual_seed(0))
    original.eval()
    with torch.inference_mode():
        torch.testing.assert_close(rebuilt(X), original(X))


def test_plain_state_dict_and_dict_with_state_dict_both_load():
    model = seeded_init_(ColourNet(num_classes=5, width=8), 1)
    plain = load_model_file(_saved(model.state_dict()))
    wrapped = load_model_file(_saved({"state_dict": model.state_dict(), "architecture": "ColourNet", "epoch": 3}))
    for loaded in (plain, wrapped):
        assert loaded.architecture == "ColourNet(num_classes=5, width=8)" and loaded.input_shape == (3, 32, 32)
        _same_outputs(model, loaded.model, loaded.input_shape)
    assert wrapped.metadata == {"architecture": "ColourNet", "epoch": 3} and plain.metadata == {}
    assert load_model_file(_saved({"model_state_dict": model.state_dict()})).architecture.startswith("ColourNet")


@pytest.mark.parametrize("kwargs", [{}, {"batch_norm": True}, {"dropout": 0.3}, {"batch_norm": True, "dropout": 0.3},
                                    {"hidden_sizes": [32, 16, 8]}])
def test_dlplay_mlps_are_rebuilt(kwargs):
    model = seeded_init_(MLP(12, 32, 4, **kwargs), 2)
    loaded = rebuild(model.state_dict())
    assert loaded.input_shape == (12,)
    _same_outputs(model, loaded.model, (12,))


def test_the_precision_races_flattened_mlp_is_rebuilt_on_images():
    model = seeded_init_(nn.Sequential(nn.Flatten(), MLP(3 * 32 * 32, 16, 10)), 3)
    loaded = rebuild(model.state_dict())
    assert loaded.input_shape == (3, 32, 32) and loaded.architecture.startswith("nn.Sequential(nn.Flatten(), MLP(3072")
    _same_outputs(model, loaded.model, (3, 32, 32))


@pytest.mark.parametrize(("kwargs", "shape"), [({}, (3, 32, 32)), ({"in_channels": 1, "image_size": 28, "widths": (8, 16),
                                                "batch_norm": True, "hidden_size": 32}, (1, 28, 28))])
def test_the_chapter_5_cnn_is_rebuilt(kwargs, shape):
    cnn = pytest.importorskip("dlplay.models.cnn")
    model = seeded_init_(cnn.CNN(7, **kwargs), 4)
    loaded = rebuild(model.state_dict())
    assert loaded.input_shape == shape
    _same_outputs(model, loaded.model, shape)


def test_torchvision_resnet18_is_rebuilt():
    import torchvision

    model = seeded_init_(torchvision.models.resnet18(num_classes=3), 5)
    loaded = rebuild(model.state_dict())
    assert loaded.architecture == "torchvision.models.resnet18(num_classes=3)"
    _same_outputs(model, loaded.model, (3, 32, 32))


def test_an_architecture_mismatch_is_explained():
    state = ColourNet(num_classes=5, width=8).state_dict()
    state["features.2.0.weight"] = torch.zeros(7, 8, 3, 3)  # a layer of another width
    with pytest.raises(ModelFileError, match="do not fit") as caught:
        rebuild(state)
    assert caught.value.kind == "mismatch" and "size mismatch" in str(caught.value)
    missing = ColourNet(num_classes=5, width=8).state_dict()
    del missing["features.4.1.running_mean"]
    with pytest.raises(ModelFileError, match="Missing key"):
        rebuild(missing)


def test_an_unknown_architecture_lists_its_keys():
    with pytest.raises(ModelFileError, match="encoder.weight") as caught:
        rebuild({"encoder.weight": torch.zeros(2, 2)})
    assert caught.value.kind == "unknown"


def test_a_training_panel_checkpoint_loads_each_of_its_models():
    from dlplay.lessons.practical.transfer import TransferConfig, build_race, make_target_data
    from dlplay.training.checkpoint import save_checkpoint

    backbone = seeded_init_(ColourNet(num_classes=5, width=4), 0)
    race = build_race(TransferConfig(max_steps=2), backbone, lambda n: ColourNet(num_classes=n, width=4),
                      make_target_data(n_val_per_class=2))
    race.step(2)
    data = save_checkpoint(race, page="practical", settings={"prac_labels": "5"})
    models, metadata = model_files.read_state_dicts(data)
    assert list(models) == ["frozen", "fine-tuned", "from scratch"] and metadata["page"] == "practical"
    loaded = load_model_file(data, "from scratch")
    assert loaded.architecture == "ColourNet(num_classes=5, width=4)"
    _same_outputs(race.runs["from scratch"].model, loaded.model, (3, 32, 32))
    with pytest.raises(ModelFileError, match="no model named"):
        load_model_file(data, "nope")
