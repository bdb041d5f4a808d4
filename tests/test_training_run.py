"""TrainingRun against a hand-written PyTorch loop; divergence, early stopping, max_steps and RunGroup."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from dlplay.models import MLP
from dlplay.optim import OptimizerConfig, make_optimizer
from dlplay.training import RunConfig, RunGroup, TrainingRun


def blobs(n: int = 256, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g)
    y = (X[:, 0] * X[:, 1] > 0).long()
    return X, y


def test_run_equals_a_hand_written_loop_on_the_same_batches():
    X, y = blobs()
    torch.manual_seed(0)
    model = MLP(2, 16, 2)
    reference = copy.deepcopy(model)
    config = RunConfig(batch_size=32, seed=7, eval_every=1000)
    run = TrainingRun(model, X, y, optimizer=OptimizerConfig("Adam", lr=0.01), config=config)
    run.step(20)

    # The same seeded shuffle, sliced into batches, with the textbook loop.
    optimizer = make_optimizer(reference.parameters(), OptimizerConfig("Adam", lr=0.01))
    generator = torch.Generator().manual_seed(7)
    losses, order, cursor = [], torch.empty(0, dtype=torch.long), 0
    for _ in range(20):
        if cursor + 32 > len(order):
            order, cursor = torch.randperm(len(X), generator=generator), 0
        index = order[cursor : cursor + 32]
        cursor += 32
        loss = nn.functional.cross_entropy(reference(X[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    torch.testing.assert_close(torch.tensor(run.history.step_loss), torch.tensor(losses))
    for ours, theirs in zip(run.model.parameters(), reference.parameters()):
        torch.testing.assert_close(ours, theirs)


def test_evaluation_matches_direct_computation():
    X, y = blobs()
    run = TrainingRun(MLP(2, 8, 2), X[:200], y[:200], X[200:], y[200:], config=RunConfig(eval_every=5))
    run.step(5)
    with torch.no_grad():
        run.model.eval()
        logits = run.model(X[200:])
        expected_loss = nn.functional.cross_entropy(logits, y[200:]).item()
        expected_acc = (logits.argmax(1) == y[200:]).float().mean().item()
    assert run.history.eval_step[-1] == 5
    assert math.isclose(run.history.val_loss[-1], expected_loss, rel_tol=1e-5)
    assert math.isclose(run.history.val_acc[-1], expected_acc, rel_tol=1e-6)


def test_diverging_run_stops_and_keeps_finite_weights():
    X, y = blobs()
    run = TrainingRun(MLP(2, 16, 2), X, y, optimizer=OptimizerConfig("SGD", lr=1e8), config=RunConfig(batch_size=64))
    run.step(200)
    assert run.status == "diverged" and run.stopped
    assert "diverged" in run.message
    assert all(torch.isfinite(p).all() for p in run.model.parameters())
    assert all(math.isfinite(v) for v in run.history.step_loss)
    steps = run.steps
    run.step(10)  # a stopped run does nothing
    assert run.steps == steps


def test_max_steps_finishes_with_a_final_evaluation():
    X, y = blobs()
    run = TrainingRun(MLP(2, 8, 2), X, y, X, y, config=RunConfig(max_steps=30, eval_every=100))
    run.step(100)
    assert run.steps == 30 and run.status == "finished"
    assert run.history.eval_step[-1] == 30


def test_early_stopping_restores_the_best_weights():
    torch.manual_seed(0)
    X_train, y_train = torch.randn(40, 20), torch.randint(0, 2, (40,))  # pure noise: validation loss must rise
    X_val, y_val = torch.randn(200, 20), torch.randint(0, 2, (200,))
    config = RunConfig(batch_size=40, eval_every=5, patience=3)
    run = TrainingRun(MLP(20, 128, 2), X_train, y_train, X_val, y_val, optimizer=OptimizerConfig("Adam", lr=0.01), config=config)
    for _ in range(200):
        run.step(5)
        if run.stopped:
            break
    assert run.status == "early_stopped"
    best_step, best_loss = run.history.best("val_loss")
    assert run.early_stopping.best_step == best_step
    restored_loss, _ = run.evaluate(X_val, y_val)
    assert math.isclose(restored_loss, best_loss, rel_tol=1e-5)
    assert math.isclose(run.restored_metrics["val_loss"], best_loss, rel_tol=1e-5)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_binary_and_regression_tasks(task):
    X, y = blobs()
    target = y.float() if task == "binary" else X[:, 0] * 2.0
    run = TrainingRun(MLP(2, 16, 1), X, target, X, target, task=task, optimizer=OptimizerConfig("Adam", lr=0.02),
                      config=RunConfig(eval_every=50))
    run.step(150)
    first, last = run.history.train_loss[0], run.history.train_loss[-1]
    assert last < first
    assert math.isnan(run.history.train_acc[-1]) == (task == "regression")


def test_l2_penalty_is_added_to_the_loss():
    X, y = blobs(64)
    torch.manual_seed(1)
    model = MLP(2, 8, 2)
    expected = nn.functional.cross_entropy(model(X), y) + 0.1 * sum(p.pow(2).sum() for p in model.parameters() if p.dim() > 1)
    run = TrainingRun(model, X, y, optimizer=OptimizerConfig("SGD", lr=0.0), config=RunConfig(batch_size=64, l2=0.1))
    run.step(1)
    assert math.isclose(run.history.step_loss[0], expected.item(), rel_tol=1e-5)


def test_set_lr_applies_live_and_scheduler_steps_every_step():
    X, y = blobs()
    run = TrainingRun(MLP(2, 8, 2), X, y, optimizer=OptimizerConfig("SGD", lr=0.1))
    run.set_lr(0.05)
    run.step(1)
    assert run.history.step_lr == [0.05]
    scheduled = TrainingRun(
        MLP(2, 8, 2), X, y, optimizer=OptimizerConfig("SGD", lr=0.1),
        scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
    )
    scheduled.step(5)
    assert scheduled.history.step_lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_step_for_grows_its_chunks_and_stops_at_the_budget(monkeypatch):
    """On a fake clock where every step takes 1 ms: chunks 1, 4, 16, … until 0.2 s of steps, never past the budget."""
    from dlplay.training import pacing

    now = [0.0]
    monkeypatch.setattr(pacing.time, "perf_counter", lambda: now[0])
    chunks = []

    def step(n):
        chunks.append(n)
        now[0] += n * 0.001

    taken = pacing.step_for(step, lambda: False, 0.2)
    assert chunks[:3] == [1, 4, 16] and taken == sum(chunks) == 200


def test_step_for_trains_a_run():
    X, y = blobs()
    run = TrainingRun(MLP(2, 8, 2), X, y)
    assert run.step_for(0.05) == run.steps > 0


def test_run_group_steps_together_and_a_diverged_run_drops_out_alone():
    X, y = blobs()
    torch.manual_seed(0)
    good = TrainingRun(MLP(2, 8, 2), X, y, optimizer=OptimizerConfig("Adam", lr=0.01))
    bad = TrainingRun(MLP(2, 8, 2), X, y, optimizer=OptimizerConfig("SGD", lr=1e9))
    group = RunGroup({"good": good, "bad": bad})
    for _ in range(10):
        group.step(10)
    assert bad.status == "diverged" and not good.stopped
    assert good.steps == 100 and not group.stopped
    assert group.throughput()[1] == pytest.approx(group.last_rate * good.batch_size)


def test_mixed_precision_bfloat16_trains_on_cpu():
    X, y = blobs()
    run = TrainingRun(MLP(2, 16, 2), X, y, X, y, optimizer=OptimizerConfig("Adam", lr=0.01),
                      config=RunConfig(amp_dtype=torch.bfloat16, eval_every=20))
    run.step(1)
    run.step(60)
    assert run.scaler is None, "a GradScaler is only for float16 on CUDA"
    assert not run.stopped and run.history.train_loss[-1] < run.history.train_loss[0]
    assert all(p.dtype == torch.float32 for p in run.model.parameters()), "autocast keeps float32 master weights"


def test_evaluations_fall_every_eval_every_steps_whatever_the_chunk_size():
    X, y = blobs()
    run = TrainingRun(MLP(2, 8, 2), X, y, X, y, config=RunConfig(eval_every=10))
    run.step(3)
    run.step(45)
    run.step(2)
    assert run.history.eval_step == [3, 10, 20, 30, 40, 50]
    assert len(run.history.step_loss) == run.steps == 50
