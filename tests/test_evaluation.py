"""Evaluation helpers against direct counts and PyTorch; the lab's default run reaches 97% on synthetic digits."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from dlplay.data.torchvision_sets import ImageData, load_image_data
from dlplay.lessons.training_networks.evaluation import (
    LabConfig,
    build_lab_run,
    chance_loss,
    confusion_matrix,
    evaluate_code,
    first_reaching,
    lab_max_steps,
    lab_model,
    misclassified,
    predictions,
    stop_if_exploded,
    stuck_at_chance,
    train_code,
)
from dlplay.models.mlp import MLP
from dlplay.training.history import History


def test_confusion_matrix_matches_a_direct_count():
    gen = torch.Generator().manual_seed(3)
    y_true, y_pred = torch.randint(0, 5, (200,), generator=gen), torch.randint(0, 5, (200,), generator=gen)
    matrix = confusion_matrix(y_true, y_pred, 5)
    direct = torch.zeros(5, 5, dtype=torch.long)
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        direct[t, p] += 1
    assert torch.equal(matrix, direct)
    assert torch.equal(confusion_matrix(y_true, y_true, 5), torch.diag(torch.bincount(y_true, minlength=5)))
    with pytest.raises(ValueError):
        confusion_matrix(y_true, y_pred[:-1], 5)
    with pytest.raises(ValueError):
        confusion_matrix(y_true, y_pred, 4)


def test_predictions_use_softmax_confidence():
    logits, y = torch.randn(30, 4, generator=torch.Generator().manual_seed(1)), torch.arange(30) % 4
    result = predictions(logits, y)
    probs = F.softmax(logits, dim=1)
    assert_close(result.probs, probs)
    assert torch.equal(result.y_pred, logits.argmax(dim=1))
    assert_close(result.confidence, probs.max(dim=1).values)
    assert result.accuracy == pytest.approx(float((logits.argmax(1) == y).float().mean()))


def test_misclassified_lists_confident_mistakes_first():
    y_true = torch.tensor([0, 1, 2, 3, 4, 5])
    y_pred = torch.tensor([0, 2, 2, 0, 1, 5])
    confidence = torch.tensor([0.9, 0.6, 0.8, 0.95, 0.7, 0.5])
    assert misclassified(y_true, y_pred, confidence).tolist() == [3, 4, 1]
    assert misclassified(y_true, y_pred, confidence, limit=2).tolist() == [3, 4]
    assert misclassified(y_true, y_true, confidence).numel() == 0


def test_lab_model_defaults_to_the_curriculum_mlp():
    model, reference = lab_model(LabConfig()), MLP(784, 256, 10)
    assert [p.shape for p in model.parameters()] == [p.shape for p in reference.parameters()]
    assert sum(p.numel() for p in model.parameters()) == 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    assert len(lab_model(LabConfig(depth=0)).linear_layers()) == 1


def test_max_steps_and_live_epoch_changes():
    assert lab_max_steps(2, 100, 32) == 7  # ceil(200 / 32)
    assert lab_max_steps(3, 100, 1000) == 3  # a batch larger than the set is the whole set: one step per epoch
    X, y = torch.rand(64, 1, 28, 28), torch.arange(64) % 10
    data = ImageData(X, y, X[:16], y[:16], tuple("0123456789"), "Synthetic digits")
    run = build_lab_run(LabConfig(hidden_size=16, batch_size=32, epochs=1, eval_every=1), data)
    run.step(10)
    assert run.steps == 2 and run.status == "finished"
    run.set_max_steps(lab_max_steps(2, 64, 32))
    assert run.status == "ready"
    run.step(10)
    assert run.steps == 4 and run.status == "finished"
    run2 = build_lab_run(LabConfig(hidden_size=16, batch_size=32, epochs=5), data)
    run2.step(3)
    run2.set_max_steps(2)  # fewer epochs than already trained: the run is done
    assert run2.stopped and run2.step(5)["step"] == 3


def test_a_loss_that_shoots_up_stops_the_run():
    X, y = torch.rand(64, 1, 28, 28), torch.arange(64) % 10
    data = ImageData(X, y, X[:16], y[:16], tuple("0123456789"), "Synthetic digits")
    run = build_lab_run(LabConfig(hidden_size=16, batch_size=32), data)
    run.step(3)
    assert not stop_if_exploded(run) and not run.stopped  # a healthy loss
    run.history.step_loss.append(1000 * run.history.step_loss[0])  # what SGD at lr 10 does before its ReLUs die
    assert stop_if_exploded(run)
    assert run.status == "diverged" and "step 4" in run.message and "learning rate" in run.message
    assert not stop_if_exploded(run), "an already stopped run is left alone"


def test_a_dead_network_is_noticed_at_chance_level():
    X, y = torch.rand(64, 1, 28, 28), torch.arange(64) % 10
    data = ImageData(X, y, X[:16], y[:16], tuple("0123456789"), "Synthetic digits")
    for loss in ("Cross-entropy", "MSE on one-hot"):
        run = build_lab_run(LabConfig(hidden_size=16, batch_size=32, loss=loss), data)
        uniform = run.loss_fn(torch.zeros(64, 10), y)  # every class equally likely
        assert chance_loss(run, 10) == pytest.approx(float(uniform))
    assert chance_loss(build_lab_run(LabConfig(hidden_size=16), data), 10) == pytest.approx(math.log(10), rel=1e-5)
    run = build_lab_run(LabConfig(hidden_size=16, batch_size=32), data)
    assert not stuck_at_chance(run, 10), "no evaluation yet"
    with torch.no_grad():
        for layer in run.model.linear_layers():
            layer.weight.zero_(), layer.bias.zero_()  # a dead network: every logit 0 for every image
    run.step(4)
    assert run.epoch >= 1 and stuck_at_chance(run, 10)


def test_first_reaching():
    h = History()
    for step, acc in [(10, 0.5), (20, 0.97), (30, 0.99)]:
        h.record_eval(step, step / 10, {"val_acc": acc})
    assert first_reaching(h, 0.97) == (20, 2.0)
    assert first_reaching(h, 0.999) is None


def test_shown_code_runs():
    X, y = torch.rand(40, 1, 28, 28), torch.arange(40) % 10
    for config in (LabConfig(epochs=1, batch_size=16), LabConfig(epochs=1, depth=3, hidden_size=8, loss="MSE on one-hot",
                                                                  optimizer="Nesterov")):
        namespace = {"MLP": MLP, "X_train": X, "y_train": y, "X_test": X, "y_test": y, "print": lambda *a: None}
        exec(train_code(config) + evaluate_code(config), namespace)  # noqa: S102 - our own generated code
        assert namespace["confusion"].sum() == 40
        assert 0.0 <= namespace["evaluate"](namespace["model"], namespace["test_loader"]) <= 1.0


def test_default_lab_reaches_97_percent_on_synthetic_digits():
    """The page's default settings, trained headless through TrainingRun, reach 97% validation accuracy."""
    config = LabConfig()
    data = load_image_data(config.dataset, max_train=config.n_train, max_test=config.n_test, seed=config.seed)
    run = build_lab_run(config, data)
    while not run.stopped and first_reaching(run.history, 0.97) is None:
        run.step(config.eval_every)
    reached = first_reaching(run.history, 0.97)
    assert reached is not None, f"validation accuracy peaked at {max(run.history.val_acc):.3f}"
    step, epoch = reached
    assert epoch <= 6, f"97% took {epoch:.1f} epochs"
