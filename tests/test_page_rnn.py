"""The RNN page: renders, the stepper steps, the three panels train, your text and sentences are read, bad input gets a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dlplay.data.text_corpus import load_corpus

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "rnn.py")
GOOD_TEXT = ("The river bends where the bank is soft, and the town grew on the inside of the bend. " * 20)


@pytest.fixture(scope="module")
def at():
    """One rendered page at small settings (small hidden sizes, short sequences), shared by the tests in order."""
    app = AppTest.from_file(PAGE, default_timeout=180)
    for key, value in {"rnn_race_hidden": "8", "rnn_race_len": "10", "rnn_char_hidden": "32", "rnn_char_seq": "32",
                       "rnn_sent_embed": "8", "rnn_sent_hidden": "8", "rnn_grad_len": "20", "rnn_step_len": "8"}.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    yield app


def open_tab(app: AppTest, label: str) -> AppTest:
    """Open one of the page's lazy tabs (only the open tab's content runs)."""
    app.session_state["rnn_tab"] = label
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _run(app: AppTest, key: str):
    return app.session_state[f"{key}__run"]


def _click(app: AppTest, key: str) -> None:
    [b for b in app.button if b.key == key][0].click().run()
    assert not app.exception, [e.value for e in app.exception]


def _texts(elements) -> str:
    return " ".join(e.value for e in elements)


def test_opens_on_the_race_and_every_tab_renders(at):
    assert [t.label for t in at.tabs][2] == "🏁 The race · gates"
    assert [h.value.split(" ·")[0] for h in at.header] == ["3", "4"]  # only the open tab runs
    assert not at.error and not at.warning
    assert len(at.get("plotly_chart")) >= 4  # loss, accuracy, per position, gates
    assert list(_run(at, "rnn_race").runs) == ["RNN", "LSTM", "GRU"]
    assert _run(at, "rnn_race").runs["RNN"].X_train.shape[1] == 10  # the URL's sequence length reached the race
    headers = []
    for label in [t.label for t in at.tabs]:
        open_tab(at, label)
        assert not at.error and not at.warning, label
        assert at.get("plotly_chart"), label
        headers += [h.value.split(" ·")[0] for h in at.header]
    assert sorted(set(headers)) == ["1", "2", "3", "4", "5", "6"]


def test_the_stepper_moves_one_step_per_click(at):
    open_tab(at, "🔁 The RNN, unrolled")
    assert at.slider(key="rnn_step_t").value == 8  # mid-sequence, or its end when shorter
    at.slider(key="rnn_step_t").set_value(3).run()
    _click(at, "rnn_step_next")
    assert at.slider(key="rnn_step_t").value == 4
    _click(at, "rnn_step_back")
    _click(at, "rnn_step_back")
    assert at.slider(key="rnn_step_t").value == 2
    at.slider(key="rnn_step_len").set_value(2).run()  # a shorter sequence keeps the step inside it
    assert not at.exception and at.slider(key="rnn_step_t").value <= 2


def test_step_trains_each_panel(at):
    open_tab(at, "🏁 The race · gates")
    _click(at, "rnn_race__step")
    assert [r.steps for r in _run(at, "rnn_race").runs.values()] == [25, 25, 25]
    assert "step 25" in _texts(at.caption)
    assert "LSTM at step 25" in str(at.get("plotly_chart")[-1].proto.spec)  # the gates follow the race
    open_tab(at, "✍️ A character model writes")
    _click(at, "rnn_char__step")
    assert _run(at, "rnn_char").steps == 20
    open_tab(at, "💬 Sentence classification")
    _click(at, "rnn_sent__step")
    assert _run(at, "rnn_sent").steps == 25


def test_learning_rates_apply_live_and_length_extremes_rebuild(at):
    open_tab(at, "🏁 The race · gates")
    race = _run(at, "rnn_race")
    at.select_slider(key="rnn_race_lr").set_value(3e-3).run()
    assert _run(at, "rnn_race") is race and all(r.lr == 3e-3 for r in race.runs.values())
    for length in (100, 6):
        at.slider(key="rnn_race_len").set_value(length).run()
        assert not at.exception
        assert _run(at, "rnn_race").runs["GRU"].X_train.shape[1] == length
        assert f"At T = {length}" in _texts(at.info)  # what to expect at either end of the range
    assert any("fresh weights" in i.value for i in at.info)
    at.selectbox(key="rnn_race_task").set_value("Copy memory").run()
    assert not at.exception and _run(at, "rnn_race").runs["LSTM"].y_train.shape[1] == 3


def test_gates_and_race_gradients(at):
    at.radio(key="rnn_gate_cell").set_value("GRU").run()
    at.slider(key="rnn_gate_seq").set_value(5).run()
    assert not at.exception
    open_tab(at, "📉 Gradients through time")
    at.radio(key="rnn_grad_source").set_value("the race's models (section 3), as trained so far").run()
    assert not at.exception and "the race's models at step" in _texts(at.caption)


def test_pasted_text_is_checked(at):
    open_tab(at, "✍️ A character model writes")
    at.radio(key="rnn_char_source").set_value("your own text").run()
    assert "empty" in _texts(at.error)  # nothing pasted yet: a message, and the corpus meanwhile
    at.text_area(key="rnn_char_text").set_value("too short").run()
    assert "at least 1,000" in _texts(at.warning)
    assert _run(at, "rnn_char").text == load_corpus()  # nothing lost: the model trains on the corpus meanwhile
    at.text_area(key="rnn_char_text").set_value(GOOD_TEXT + "\u00e9\U0001f600").run()
    assert not at.exception and "left out" in _texts(at.info)
    assert _run(at, "rnn_char").text.startswith("The river bends")


def test_temperature_zero_and_unknown_prompt_characters(at):
    at.slider(key="rnn_char_temp").set_value(0.0).run()
    assert "greedy" in _texts(at.info)
    at.text_input(key="rnn_char_prompt").set_value("Zq#").run()
    assert not at.exception and "never saw" in _texts(at.warning)


def test_sentences_are_read_and_bad_ones_get_a_message(at):
    open_tab(at, "💬 Sentence classification")
    at.text_input(key="rnn_sent_text").set_value("the film was not bad").run()
    assert any("P(positive)" in m.value for m in at.markdown)
    at.text_input(key="rnn_sent_text").set_value("!!! 42").run()
    assert "Nothing to classify" in _texts(at.warning)
    at.text_input(key="rnn_sent_text").set_value("the zebra was good").run()
    assert "zebra" in _texts(at.warning)
    assert not at.exception
