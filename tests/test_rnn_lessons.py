"""The RNN page's cores: stepper, gradients through time, race, gates, character model, sentence classifier."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlplay.data.text_corpus import load_corpus
from dlplay.lessons.rnn import bptt, char_model, race, sentiment, stepper
from dlplay.lessons.rnn.gates import gate_panels, input_labels


# ----- stepper -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sine", "sum of sines"])
def test_stepper_terms_add_up_and_equal_nn_rnn(kind):
    setup = stepper.StepperSetup(kind=kind, seq_len=12, hidden_size=4, trained=False, seed=1)
    u = stepper.unroll_sequence(stepper.build_stepper_model(setup), setup)
    assert u.steps == 12 and u.h.shape == (12, 4)
    np.testing.assert_allclose(u.h, u.reference, atol=1e-6)
    np.testing.assert_allclose(u.pre, u.input_term + u.recurrent_term, atol=1e-6)
    np.testing.assert_allclose(u.h, np.tanh(u.pre), atol=1e-6)
    np.testing.assert_allclose(u.h_prev(0), 0.0)
    np.testing.assert_allclose(u.target[:-1], u.x[1:])  # the target of step t is the input of step t + 1


def test_trained_stepper_predicts_the_next_value_better_than_random_weights():
    errors = {}
    for trained in (False, True):
        setup = stepper.StepperSetup(seq_len=30, hidden_size=6, trained=trained)
        u = stepper.unroll_sequence(stepper.build_stepper_model(setup), setup)
        errors[trained] = float(np.abs(u.y_hat - u.target)[5:].mean())
    assert errors[True] < 0.5 * errors[False]


def test_stepper_length_is_bounded():
    setup = stepper.StepperSetup(seq_len=10_000, hidden_size=2, trained=False)
    assert stepper.unroll_sequence(stepper.build_stepper_model(setup), setup).steps == stepper.MAX_STEPS


# ----- gradients through time --------------------------------------------------------------------------------------
def test_hidden_gradients_end_with_the_read_out_gradient_and_vanish_backwards():
    setup = bptt.BPTTSetup(seq_len=30, hidden_size=8, recurrent_scale=0.5)
    model = bptt.scaled_model("RNN", setup)
    X, y = race.make_adding(16, 30, seed=0)
    norms = bptt.hidden_gradients(model, X, y)
    assert norms.shape == (30,)
    # ∂L/∂h_T of L = mean((w·h_T + b − y)²) is 2/B (ŷ − y) w
    with torch.no_grad():
        y_hat = model(X).squeeze(-1)
        expected = (2 / 16 * (y_hat - y))[:, None] * model.fc.weight  # (B, H)
    assert norms[-1] == pytest.approx(expected.norm(dim=1).mean().item(), rel=1e-4)
    assert np.all(np.diff(norms) > 0)  # a contracting recurrence: every step back loses gradient
    assert norms[0] < 1e-3 * norms[-1]


def test_gradient_profiles_and_ratios_cover_every_cell():
    setup = bptt.BPTTSetup(seq_len=12, hidden_size=4)
    profiles = bptt.gradient_profiles(setup)
    assert set(profiles) == {"RNN", "LSTM", "GRU"} and all(p.shape == (12,) for p in profiles.values())
    ratios = bptt.gradient_vs_length(setup, lengths=(3, 6))
    assert all(r.shape == (2,) and r[1] < r[0] for r in ratios.values())  # longer: less reaches the first step


def test_clipping_keeps_a_run_alive_that_diverges_without():
    traces = bptt.clipping_runs("RNN", bptt.BPTTSetup(seq_len=50, hidden_size=32), lr=0.5, max_norm=1.0, steps=40)
    free, clipped = traces["without clipping"], traces["with clipping"]
    assert free.diverged_at is not None and clipped.diverged_at is None
    assert free.grad_norm[0] == pytest.approx(clipped.grad_norm[0])  # same model, same first batch
    assert len(clipped.loss) == 40 and np.isfinite(clipped.loss).all()


# ----- the race ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", race.TASKS)
def test_race_builds_three_cells_on_the_same_data(task):
    setup = race.RaceSetup(task=task, seq_len=10, hidden_size=8, n_train=64, n_val=32)
    group = race.build_race(setup)
    assert list(group.runs) == ["RNN", "LSTM", "GRU"]
    runs = list(group.runs.values())
    assert all(torch.equal(r.X_train, runs[0].X_train) for r in runs)
    group.step(3)
    assert all(r.steps == 3 and 0 <= r.history.val_acc[-1] <= 1 for r in runs)
    positions, accuracy, title = race.position_accuracy(group, task)
    assert set(accuracy) == set(group.runs) and all(len(a) == len(positions) for a in accuracy.values())
    assert all(np.nanmin(a) >= 0 and np.nanmax(a) <= 1 for a in accuracy.values())
    if task == "Copy memory":
        assert list(positions) == [1, 2, 3]
    compile(race.race_code(setup), "race_code", "exec")


def test_race_lengths_are_bounded_and_lr_is_live():
    assert race.bounded(race.RaceSetup(seq_len=1)).seq_len == race.MIN_LEN
    assert race.bounded(race.RaceSetup(seq_len=10**6)).seq_len == race.MAX_LEN
    assert race.bounded(race.RaceSetup(task="Copy memory", seq_len=0)).seq_len == 2 * race.N_SYMBOLS
    base = race.RaceSetup()
    assert race.signature(base, "cpu") == race.signature(race.RaceSetup(lr=0.1), "cpu")
    assert race.signature(base, "cpu") != race.signature(race.RaceSetup(seq_len=40), "cpu")
    assert race.chance_level("Copy memory") == 0.25 and 0.1 < race.chance_level("Adding problem") < 0.3


def test_length_notes_at_the_ends_of_the_range():
    assert "every cell can learn" in race.length_note(race.RaceSetup(seq_len=6))
    assert race.length_note(race.RaceSetup(seq_len=30)) is None
    assert "slower" in race.length_note(race.RaceSetup(seq_len=100))
    assert "Delay 0" in race.length_note(race.RaceSetup(task="Copy memory", seq_len=6))
    assert "plateau" in race.length_note(race.RaceSetup(task="Copy memory", seq_len=100))


def test_an_lstm_learns_the_short_adding_problem():
    group = race.build_race(race.RaceSetup(seq_len=8, hidden_size=16, lr=1e-2, n_train=512, n_val=128))
    lstm = group.runs["LSTM"]
    lstm.step(400)
    assert lstm.history.val_loss[-1] < 0.2 * lstm.history.val_loss[0]
    assert lstm.history.val_acc[-1] > 2 * race.chance_level("Adding problem")


def test_clipped_adam_bounds_the_gradient_it_steps_with():
    params = [torch.nn.Parameter(torch.zeros(3))]
    optimizer = race.clipped_adam(0.1, 1.0)(params)
    params[0].grad = torch.tensor([30.0, 40.0, 0.0])
    optimizer.step()
    torch.testing.assert_close(params[0].grad, torch.tensor([0.6, 0.8, 0.0]))  # rescaled to norm 1 before the step


# ----- gates -------------------------------------------------------------------------------------------------------------
def test_gate_panels_of_the_race_models():
    group = race.build_race(race.RaceSetup(seq_len=10, hidden_size=6, n_train=32, n_val=8))
    x = group.runs["LSTM"].X_val[0]
    panels = gate_panels(group.runs["LSTM"].model, x)
    assert list(panels) == ["input gate iₜ", "forget gate fₜ", "output gate oₜ", "cell state cₜ"]
    assert all(v.shape == (10, 6) for v in panels.values())
    assert all(0 <= v.min() and v.max() <= 1 for k, v in panels.items() if "gate" in k)
    gru = gate_panels(group.runs["GRU"].model, x)
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(gru["hidden state hₜ"]), group.runs["GRU"].model.rnn(x[None])[0][0])
    with pytest.raises(ValueError, match="gates"):
        gate_panels(group.runs["RNN"].model, x)
    labels = input_labels("Adding problem", x)
    assert len(labels) == 10 and sum(label.startswith("★") for label in labels) == 2


# ----- the character model -------------------------------------------------------------------------------------------
def test_check_text_messages():
    assert char_model.check_text(None).source == "corpus"
    empty = char_model.check_text("   \n ")
    assert empty.source == "corpus" and empty.messages[0][0] == "error"
    short = char_model.check_text("hello " * 10)
    assert short.source == "corpus" and any(level == "warning" for level, _ in short.messages)
    odd = char_model.check_text("caf\u00e9 \U0001f600 \u201cquoted\u201d. " * 100)
    assert odd.source == "pasted" and "\U0001f600" not in odd.text and '"quoted"' in odd.text
    assert any(level == "info" for level, _ in odd.messages)
    long = char_model.check_text("a" * (char_model.MAX_CHARS + 10))
    assert len(long.text) == char_model.MAX_CHARS and long.messages[0][0] == "warning"
    assert long.digest != odd.digest


def test_char_windows_predict_the_next_character():
    vocab, (X, y, X_val, y_val) = char_model.char_data(load_corpus(), 32)
    assert X.shape[1] == 32 and torch.equal(X[:, 1:], y[:, :-1])
    assert torch.equal(X[1, :16], X[0, 16:])  # half-overlapping windows
    assert len(X_val) > 0 and int(X.max()) < vocab.size


def test_char_run_trains_samples_and_shows_units():
    setup = char_model.CharSetup(hidden_size=16, embed_dim=8, seq_len=16, batch_size=8)
    run = char_model.build_char_run(setup, load_corpus()[:3000])
    run.step(5)
    assert run.steps == 5 and np.isfinite(run.history.step_loss).all()
    greedy = char_model.sample_from(run, "The ", 30, 0.0)
    assert greedy.startswith("The ") and len(greedy) == 34 and greedy == char_model.sample_from(run, "The ", 30, 0.0, seed=9)
    assert len(char_model.sample_from(run, "", 10, 1.5)) == 10
    assert char_model.sample_from(run, "\u00e9\u00e9", 5, 0.8).startswith("\u00e9\u00e9")  # unknown prompt: fallback ids
    passage = char_model.held_out_passage(run, 50)
    assert 0 < len(passage) <= 50
    acts = char_model.unit_activations(run.model, run.vocab, passage)
    assert acts.shape == (len(passage), 16) and np.abs(acts).max() <= 1
    compile(char_model.char_code(setup, "corpus"), "char_code", "exec")


def test_greedy_sampling_takes_the_argmax():
    setup = char_model.CharSetup(hidden_size=8, embed_dim=4, seq_len=16, batch_size=4, cell="GRU")
    run = char_model.build_char_run(setup, load_corpus()[:2000])
    text = char_model.sample_from(run, "a", 3, 0.0)
    ids = run.vocab.encode(text)
    with torch.no_grad():
        logits = run.model(ids[None, :-1])[0]  # (T, V): each position's next-character logits
    assert torch.equal(logits.argmax(dim=1)[-3:], ids[-3:])


# ----- sentence classification -----------------------------------------------------------------------------------------
def test_sentiment_run_reads_sentences_word_by_word():
    setup = sentiment.SentimentSetup(embed_dim=8, hidden_dim=8, n_train=200, n_val=50)
    run = sentiment.build_sentiment_run(setup)
    assert run.model.lstm.num_layers == 2 and run.model.lstm.bidirectional
    run.step(3)
    reading = sentiment.read_sentence(run, "The soup wasn't good, but the zebra was lovely!")
    assert reading.words[:5] == ["the", "soup", "was", "not", "good"] and reading.unknown == ["zebra"]
    assert reading.prefix_positive.shape == (len(reading.words),)
    assert reading.probs.sum() == pytest.approx(1.0, abs=1e-5) and reading.prefix_positive[-1] == pytest.approx(reading.probs[1])
    with pytest.raises(ValueError, match="no words"):
        sentiment.read_sentence(run, "1234 !!")
    long = sentiment.read_sentence(run, "good " * 100)
    assert long.truncated and len(long.words) == sentiment.MAX_WORDS
    assert all(truth in ("negative", "positive") for _, truth, _ in sentiment.validation_mistakes(run))
    compile(sentiment.sentiment_code(setup), "sentiment_code", "exec")


def test_bag_of_words_cannot_solve_the_set():
    assert sentiment.bag_of_words_accuracy(sentiment.SentimentSetup(n_train=600, n_val=200)) < 0.8


def test_signatures_leave_the_learning_rate_out():
    check = char_model.check_text(None)
    base = char_model.CharSetup()
    assert char_model.char_signature(base, check, "cpu") == char_model.char_signature(
        char_model.CharSetup(lr=0.1), check, "cpu")
    assert sentiment.sentiment_signature(sentiment.SentimentSetup(), "cpu") == sentiment.sentiment_signature(
        sentiment.SentimentSetup(lr=0.1), "cpu")
