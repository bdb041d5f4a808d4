"""Transfer learning (chapter 12): the backbone, its pretraining cache, the three ways, the race and the sweep."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from dlplay.data.colour_images import COLOUR_CLASSES, make_colour_images
from dlplay.lessons.practical import pretraining
from dlplay.lessons.practical.backbone import (
    SOURCE_CLASSES,
    TARGET_CLASSES,
    ColourNet,
    first_per_class,
    head_and_backbone,
    task_images,
)
from dlplay.lessons.practical.pretraining import (
    PretrainConfig,
    cache_path,
    ensure_pretrained,
    load_cached,
    pretrain,
    save,
    start_pretraining,
)
from dlplay.lessons.practical.sweep import LabelSweep, SweepConfig
from dlplay.lessons.practical.transfer import (
    MAX_LABELS_PER_CLASS,
    WAYS,
    TransferConfig,
    build_race,
    feature_projection,
    head_inputs,
    make_target_data,
    results,
    trainable_parameters,
    transfer_models,
)
from dlplay.models.init import seeded_init_

TINY = PretrainConfig(width=4, n_per_class=12, n_test_per_class=4, steps=6, batch_size=16)


@pytest.fixture(scope="module")
def backbone() -> ColourNet:
    return pretrain(TINY).model


@pytest.fixture(scope="module")
def data():
    return make_target_data(n_val_per_class=6, seed=0)


def scratch(n: int) -> nn.Module:
    return ColourNet(num_classes=n, width=4)


def test_colournet_shapes_and_resnet_interface():
    model = ColourNet(num_classes=5, width=16)
    X = torch.rand(2, 3, 32, 32)
    assert model(X).shape == (2, 5) and model.embed(X).shape == (2, 64)
    assert model.fc.in_features == 64
    # conv weights (no bias), batch norm γ and β, the head
    expected = 3 * 16 * 9 + 16 * 32 * 9 + 32 * 64 * 9 + 64 * 64 * 9 + 2 * (16 + 32 + 64 + 64) + 64 * 5 + 5
    assert sum(p.numel() for p in model.parameters()) == expected
    head, body = head_and_backbone(model)
    assert [p.shape for p in head] == [(5, 64), (5,)] and len(head) + len(body) == len(list(model.parameters()))


def test_task_images_keep_their_classes_relabelled():
    X, y = task_images(TARGET_CLASSES, 3, seed=7)
    X_all, y_all = make_colour_images(3, seed=7)
    keep = torch.isin(y_all, torch.tensor(TARGET_CLASSES))
    torch.testing.assert_close(X, X_all[keep])
    assert [TARGET_CLASSES[int(c)] for c in y] == y_all[keep].tolist()
    assert set(SOURCE_CLASSES).isdisjoint(TARGET_CLASSES) and len(SOURCE_CLASSES + TARGET_CLASSES) == len(COLOUR_CLASSES)


def test_first_per_class_takes_the_first_k_of_each():
    y = torch.tensor([1, 0, 1, 1, 0, 2])
    assert first_per_class(y, 2, 3).tolist() == [1, 4, 0, 2, 5]


def test_target_data_pool_and_held_out_are_disjoint(data):
    assert len(data.X_pool) == MAX_LABELS_PER_CLASS * 5 and len(data.X_val) == 6 * 5
    assert torch.bincount(data.y_val).tolist() == [6] * 5
    X5, y5 = data.labelled(5)
    X2, _ = data.labelled(2)
    assert torch.bincount(y5).tolist() == [5] * 5
    assert all(any(torch.equal(x, z) for z in X5) for x in X2)  # more labels keep the fewer ones
    assert not any(torch.equal(x, v) for x in X5 for v in data.X_val)


def test_pretraining_learns_caches_and_reloads(tmp_path):
    pretrained = pretrain(TINY)
    assert 0.0 <= pretrained.source_accuracy <= 1.0 and not pretrained.model.training
    path = cache_path(TINY, tmp_path)
    assert path != cache_path(PretrainConfig(), tmp_path) and path.parent == tmp_path / "pretrained"
    save(pretrained, TINY, path)
    again = load_cached(TINY, tmp_path)
    for name, tensor in pretrained.model.state_dict().items():
        torch.testing.assert_close(again.model.state_dict()[name], tensor)
    assert again.source_accuracy == pretrained.source_accuracy
    record = torch.load(path, weights_only=True)  # the cache file is a plain weights file
    assert record["architecture"] == "ColourNet" and record["classes"][0] == COLOUR_CLASSES[SOURCE_CLASSES[0]]


def test_pretraining_does_not_depend_on_the_global_generator():
    torch.manual_seed(123)
    a = pretrain(TINY)
    torch.manual_seed(456)
    b = pretrain(TINY)
    for (name, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        torch.testing.assert_close(x, y, msg=name)


def test_ensure_pretrained_uses_the_cache(tmp_path, monkeypatch):
    first = ensure_pretrained(TINY, tmp_path)
    monkeypatch.setattr(pretraining, "pretrain", lambda *a, **k: pytest.fail("pretrained again despite the cache"))
    second = ensure_pretrained(TINY, tmp_path)
    torch.testing.assert_close(second.model.fc.weight, first.model.fc.weight)


def test_a_damaged_cache_file_counts_as_absent(tmp_path):
    path = cache_path(TINY, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    assert load_cached(TINY, tmp_path) is None


def test_background_job_pretrains_once_and_writes_the_cache(tmp_path):
    job = start_pretraining(TINY, tmp_path)
    assert start_pretraining(TINY, tmp_path) is job  # a second session shares the job
    assert job.wait(60) and job.fraction == 1.0 and not job.error
    assert cache_path(TINY, tmp_path).is_file()
    assert start_pretraining(TINY, tmp_path) is job  # finished with its file present: nothing to redo


def test_the_three_ways_follow_the_curriculum(backbone):
    models = transfer_models(backbone, scratch, 5, seed=3)
    frozen, tuned, fresh = (models[w] for w in WAYS)
    # the curriculum's freeze-and-replace, written out, trains the same parameters
    curriculum = copy.deepcopy(backbone)
    for param in curriculum.parameters():
        param.requires_grad = False
    curriculum.fc = nn.Linear(curriculum.fc.in_features, 5)
    assert [n for n, p in frozen.named_parameters() if p.requires_grad] == \
        [n for n, p in curriculum.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    assert trainable_parameters(frozen) == 16 * 5 + 5 and trainable_parameters(tuned) == trainable_parameters(fresh)
    torch.testing.assert_close(frozen.fc.weight, tuned.fc.weight)  # the same new head for both
    torch.testing.assert_close(frozen.features[0][0].weight, backbone.features[0][0].weight)
    assert not torch.equal(fresh.features[0][0].weight, backbone.features[0][0].weight)
    torch.testing.assert_close(fresh.fc.weight, seeded_init_(scratch(5), 3).fc.weight)


def test_frozen_run_changes_only_the_head_and_keeps_bn_statistics(backbone, data):
    race = build_race(TransferConfig(labels_per_class=3, max_steps=50, eval_every=5), backbone, scratch, data)
    frozen, tuned = race.runs["frozen"], race.runs["fine-tuned"]
    before_frozen = copy.deepcopy(frozen.model.state_dict())
    before_tuned = copy.deepcopy(tuned.model.state_dict())
    race.step(6)
    after = frozen.model.state_dict()
    for name, tensor in before_frozen.items():
        if name.startswith("fc."):
            assert not torch.equal(after[name], tensor), f"{name} did not learn"
        else:
            assert torch.equal(after[name], tensor), f"{name} changed in the frozen backbone"
    changed = [n for n, t in before_tuned.items() if not torch.equal(tuned.model.state_dict()[n], t)]
    assert "features.0.0.weight" in changed and "features.0.1.running_mean" in changed
    assert [run.steps for run in race.runs.values()] == [6, 6, 6]


def test_fine_tuning_learning_rates_keep_their_ratio_live(backbone, data):
    race = build_race(TransferConfig(lr=1e-3, backbone_lr_scale=0.1), backbone, scratch, data)
    tuned = race.runs["fine-tuned"]
    assert [g["lr"] for g in tuned.optimizer.param_groups] == pytest.approx([1e-4, 1e-3])
    race.set_lr(1e-2)
    assert [g["lr"] for g in tuned.optimizer.param_groups] == pytest.approx([1e-3, 1e-2])
    assert race.runs["frozen"].lr == pytest.approx(1e-2) and race.runs["from scratch"].lr == pytest.approx(1e-2)
    frozen_params = {id(p) for g in race.runs["frozen"].optimizer.param_groups for p in g["params"]}
    assert frozen_params == {id(p) for p in race.runs["frozen"].model.fc.parameters()}


def test_race_results_and_single_module(backbone, data):
    race = build_race(TransferConfig(labels_per_class=2, max_steps=8, eval_every=4), backbone, scratch, data)
    while not race.stopped:
        race.step(3)
    rows = results(race)
    assert [r["steps"] for r in rows] == [8, 8, 8]
    assert all(0 <= r["val acc"] <= 1 and r["best val acc"] >= r["val acc"] for r in rows)
    assert rows[0]["trainable parameters"] == 85 and rows[2]["trainable parameters"] == rows[2]["of all parameters"]
    assert set(race.model) == {"frozen", "fine_tuned", "from_scratch"}
    assert race.model["frozen"] is race.runs["frozen"].model


def test_sweep_fills_every_point_then_finishes(backbone, data):
    config = SweepConfig(steps=4, labels=(1, 3), transfer=TransferConfig())
    sweep = LabelSweep(config, backbone, scratch, data)
    assert sweep.current() == (1, "frozen") and sweep.total_steps == 4 * 6
    sweep.step(5)  # finishes the first job and starts the second
    assert not math.isnan(sweep.accuracy["frozen"][0]) and sweep.current() == (1, "fine-tuned")
    while not sweep.stopped:
        sweep.step(7)
    assert sweep.status == "finished" and sweep.steps == 24 and sweep.current() is None
    assert all(0 <= a <= 1 for values in sweep.accuracy.values() for a in values)


def test_feature_projection_is_the_top_two_principal_components(backbone, data):
    features = head_inputs(backbone, data.X_val)
    assert features.shape == (30, 16)
    xy = feature_projection(backbone, data.X_val)
    centred = features - features.mean(0)
    variances = torch.linalg.svdvals(centred) ** 2
    torch.testing.assert_close(xy.pow(2).sum(0), variances[:2], rtol=1e-3, atol=1e-5)


def test_resnet18_without_cached_weights_gives_a_plain_message(tmp_path, monkeypatch):
    from dlplay.lessons.practical.torchvision_backbone import pretrained_resnet18, resnet18_weights_file

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert resnet18_weights_file().parent == tmp_path / "hub" / "checkpoints"
    model, message = pretrained_resnet18(download=False)
    assert model is None and "not in torch's cache" in message and "offline" in message


def test_resnet18_loads_cached_weights(tmp_path, monkeypatch):
    import torchvision

    from dlplay.lessons.practical.torchvision_backbone import pretrained_resnet18, resnet18_weights_file

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = seeded_init_(torchvision.models.resnet18(weights=None), 0).state_dict()
    resnet18_weights_file().parent.mkdir(parents=True)
    torch.save(weights, resnet18_weights_file())  # as torch.hub would have cached it
    model, message = pretrained_resnet18(download=False)
    assert message == "" and not model.training
    torch.testing.assert_close(model.state_dict()["layer4.1.conv2.weight"], weights["layer4.1.conv2.weight"])
    race_models = transfer_models(model, lambda n: torchvision.models.resnet18(num_classes=n), 5, seed=0)
    assert trainable_parameters(race_models["frozen"]) == 512 * 5 + 5


def test_resnet18_download_failure_is_a_message(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    from dlplay.lessons.practical import torchvision_backbone

    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    model, message = torchvision_backbone.pretrained_resnet18(download=True)
    assert model is None and "Could not load" in message and "Name or service not known" in message


def test_a_job_stops_early_when_asked(tmp_path):
    slow = PretrainConfig(width=4, n_per_class=12, n_test_per_class=4, steps=100_000, batch_size=16)
    job = start_pretraining(slow, tmp_path)
    job.stop()
    assert job.done and "stopped" in job.error and not cache_path(slow, tmp_path).exists()
