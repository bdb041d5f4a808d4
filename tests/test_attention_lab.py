"""The task lab: tasks, the live run, heads switched off, and the position demos."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from dlplay.lessons.attention.lab import (
    LabConfig,
    build_lab_run,
    head_ablation,
    heads_off,
    look,
    position_accuracy,
    problems,
    sequence_accuracy,
)
from dlplay.lessons.attention.live import example, lab_view
from dlplay.lessons.attention.position import permutation_check, position_similarity, shuffle_order
from dlplay.lessons.attention.run import SequenceRun
from dlplay.lessons.attention.tasks import TASKS, parse_digits, sample
from dlplay.lessons.attention.tokens import token_embeddings
from dlplay.models.attention import sinusoidal_encoding

# dropout 0: dropout's masks come from the global RNG, so only without them are two runs of one seed equal
SMALL = LabConfig(length=5, num_layers=1, num_heads=2, embed_dim=16, batch_size=16, dropout=0.0)


def test_task_targets():
    X = torch.tensor([[3, 1, 4, 1, 5]])
    assert TASKS["reverse"].target(X).tolist() == [[5, 1, 4, 1, 3]]
    assert TASKS["copy"].target(X).tolist() == [[3, 1, 4, 1, 5]]
    assert TASKS["sort"].target(X).tolist() == [[1, 1, 3, 4, 5]]
    assert TASKS["count"].target(X).tolist() == [[1, 2, 1, 2, 1]]
    X, y = sample("reverse", 4, 6, torch.Generator().manual_seed(0))
    assert X.shape == y.shape == (4, 6) and torch.equal(y, X.flip(1))


def test_parse_digits_and_its_messages():
    assert parse_digits("3 1,4").tolist() == [3, 1, 4]
    with pytest.raises(ValueError, match="Type a few digits"):
        parse_digits("  ")
    with pytest.raises(ValueError, match="0–9"):
        parse_digits("12a")
    with pytest.raises(ValueError, match="maximum length 16"):
        parse_digits("1" * 17)


def test_problems_name_heads_that_do_not_divide_the_width():
    assert problems(LabConfig()) == []
    assert any("do not divide" in p for p in problems(LabConfig(embed_dim=16, num_heads=3)))
    assert problems(LabConfig(length=40))
    with pytest.raises(ValueError):
        build_lab_run(LabConfig(embed_dim=16, num_heads=3))


def test_run_records_every_metric_at_each_evaluation():
    run = build_lab_run(SMALL)
    run.step(30)  # an evaluation at step 25
    assert run.steps == 30 and len(run.history.step_loss) == 30 and run.history.eval_step == [25]
    for name in ("seq_acc", "pos_0", "pos_4"):
        assert len(run.history.extras[name]) == 1
    assert 0 <= run.latest("seq_acc") <= run.latest("val_acc") <= 1
    assert position_accuracy(run).shape == (5,)
    run.set_lr(1e-2)
    assert run.lr == 1e-2
    steps_per_s, samples_per_s = run.throughput()
    assert samples_per_s == pytest.approx(16 * steps_per_s)


def test_same_seed_same_run():
    a, b = build_lab_run(SMALL), build_lab_run(SMALL)
    a.step(10), b.step(10)
    assert a.history.step_loss == b.history.step_loss


def test_reverse_with_the_page_defaults_is_learnt():
    run = build_lab_run(LabConfig())
    while run.latest("seq_acc", 0.0) < 0.95 and run.steps < 500:
        run.step(25)
    assert run.latest("seq_acc") >= 0.95, f"{run.latest('seq_acc'):.2f} after {run.steps} steps"
    X = run.X_val[0].cpu()
    prediction, maps = look(run.model, X)
    assert np.array_equal(prediction, X.flip(0).numpy())
    # some head of the last layer attends along the anti-diagonal: output position i looks at input T-1-i
    anti = maps[-1][:, np.arange(8), np.arange(8)[::-1]].mean(-1)  # (H,)
    assert anti.max() > 0.5


def test_heads_off_zeroes_that_heads_columns_of_w_o_in_a_copy():
    run = build_lab_run(SMALL)
    run.step(5)
    before = run.model.blocks[0].attention.out_proj.weight.clone()
    ablated = heads_off(run.model, [(0, 1)])
    weight = ablated.blocks[0].attention.out_proj.weight  # (16, 16), head 1 = columns 8…15
    assert torch.all(weight[:, 8:] == 0) and torch.equal(weight[:, :8], before[:, :8])
    assert torch.equal(run.model.blocks[0].attention.out_proj.weight, before)  # the live model is untouched
    every = head_ablation(run)
    assert every.shape == (1, 2)
    for head in range(2):
        assert every[0, head] == sequence_accuracy(heads_off(run.model, [(0, head)]), run.X_val, run.y_val)
    assert torch.equal(run.model.blocks[0].attention.out_proj.weight, before)


def test_a_switched_off_head_contributes_nothing():
    run = build_lab_run(SMALL)
    X = run.X_val[:4]
    ablated = heads_off(run.model, [(0, 0), (0, 1)])  # every head of the only layer: attention adds its bias alone
    with torch.no_grad():
        ablated(X)
        block = ablated.blocks[0]
        h = (ablated.embedding(X) + ablated.positions(5)).transpose(0, 1)  # (T, B, C)
        after_attention = block.norm1(h + block.attention.out_proj.bias)
        expected = block.norm2(after_attention + block.ff(after_attention))
        torch.testing.assert_close(ablated(X), ablated.head(expected.transpose(0, 1)))


class Poisoned(nn.Module):
    """A tiny model whose logits turn NaN once `poison` is set."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 10)
        self.poison = False

    def forward(self, X):
        logits = self.embedding(X)
        return logits * float("nan") if self.poison else logits


def test_a_nan_loss_stops_the_run_and_keeps_the_last_finite_weights():
    model = Poisoned()
    run = SequenceRun(model, lambda g: sample("copy", 8, 4, g), lambda m: {}, eval_every=3)
    run.step(3)
    kept = model.embedding.weight.clone()
    model.poison = True
    run.step(4)
    assert run.status == "diverged" and run.stopped and "step 4" in run.message
    assert torch.equal(model.embedding.weight, kept) and run.steps == 3
    finished = SequenceRun(Poisoned(), lambda g: sample("copy", 8, 4, g), lambda m: {}, max_steps=5)
    finished.step(10)
    assert finished.steps == 5 and finished.status == "finished"


def test_lab_view_builds_every_live_figure():
    run = build_lab_run(dataclasses.replace(SMALL, num_layers=2))
    run.step(25)
    view = lab_view(run, example(run, None, 3), (1, 0), "layer 2 · head 1")
    assert set(view.figures) == {"grid", "map", "loss", "accuracy", "positions"}
    assert torch.equal(torch.as_tensor(view.X), run.X_val[3]) and view.prediction.shape == (5,)
    typed = example(run, parse_digits("1234567"), 0)  # another length than trained on: still drawn
    assert lab_view(run, typed, (0, 1), "").figures["map"]["data"][0]["z"].shape == (7, 7)


def test_permutation_check_without_and_with_positions():
    X = token_embeddings("the cat sat on the mat".split(), 16)
    order = shuffle_order(6, seed=0)
    assert sorted(order.tolist()) == list(range(6)) and order.tolist() != list(range(6))
    assert permutation_check(X, order, positions=False).gap < 1e-5
    assert permutation_check(X, order, positions=True).gap > 1e-2


def test_position_similarity_is_a_cosine_matrix():
    similarity = position_similarity(sinusoidal_encoding(20, 16))
    torch.testing.assert_close(similarity.diagonal(), torch.ones(20))
    torch.testing.assert_close(similarity, similarity.T)
    assert similarity[0, 1] > similarity[0, 10]  # neighbours look more alike than distant positions
