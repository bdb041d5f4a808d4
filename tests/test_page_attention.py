"""The Attention and Transformers page (chapter 9): renders, steps, heads, position, the lab and the language model
train through Step, settings rebuild or apply live, and bad input gets a message."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import numpy as np
import pytest
from spec_check import check
from streamlit.testing.v1 import AppTest
from test_pages_fuzz import randomize

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "attention.py")
LAB, LM = "att_lab__run", "att_lm__run"
TABS = ["① Self-attention, stepped", "② Many heads", "③ Position", "④ Watch attention form", "⑤ A tiny language model"]


def ok(app: AppTest) -> AppTest:
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.fixture(scope="module")
def at() -> AppTest:
    """One rendered page, shared by the tests in order (each leaves the page in a valid state)."""
    return ok(AppTest.from_file(PAGE, default_timeout=120).run())


def open_tab(app: AppTest, number: int) -> AppTest:
    """Open tab ① … ⑤ (lazy tabs: only the open one runs)."""
    app.session_state["att_tab"] = TABS[number - 1]
    return ok(app.run())


def spec(app: AppTest, key: str) -> dict:
    """The spec of the chart with this key, as sent to the browser."""
    (found,) = [c for c in app.get("plotly_chart") if c.proto.id.endswith(key)]
    return json.loads(found.proto.spec)


def chart(app: AppTest, key: str):
    """The chart with this key, its spec validated by plotly."""
    return check(spec(app, key))


def z(app: AppTest, key: str) -> np.ndarray:
    """The first trace's z of a chart: a JSON list, or a typed array {"dtype", "bdata", "shape"} as long arrays travel."""
    values = spec(app, key)["data"][0]["z"]
    if isinstance(values, dict):
        shape = tuple(int(n) for n in values["shape"].split(","))
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).reshape(shape).astype(float)
    return np.array(values, dtype=float)


def step(app: AppTest, panel: str) -> None:
    ok(app.button(key=f"{panel}__step").click().run())


def texts(app: AppTest, kind: str) -> str:
    return " ".join(e.value for e in getattr(app, kind))


def keys(app: AppTest) -> list[str]:
    return [c.proto.id for c in app.get("plotly_chart")]


def test_opens_on_the_lab_and_every_tab_renders_without_a_warning(at):
    assert at.title[0].value.endswith("Attention and Transformers")
    assert [t.label for t in at.tabs] == TABS
    assert any(k.endswith("att_fig_l_grid") for k in keys(at)) and not any(k.endswith("att_fig_s_x") for k in keys(at))
    for number, key in ((1, "att_fig_s_weights"), (2, "att_fig_h_heads"), (3, "att_fig_p_similarity"), (5, "att_fig_m_loss")):
        open_tab(at, number)
        assert any(k.endswith(key) for k in keys(at)), key
        assert not at.warning, [w.value for w in at.warning]
        assert at.expander, "each tab ends with its code"
    open_tab(at, 1)
    assert "exactly what the curriculum" in texts(at, "success")


def test_stepped_attention_shows_the_steps_up_to_the_chosen_one(at):
    open_tab(at, 1)
    ok(at.select_slider(key="att_s_step").set_value("Q, K, V").run())
    assert any(k.endswith("att_fig_s_v") for k in keys(at)) and not any(k.endswith("att_fig_s_scores") for k in keys(at))
    ok(at.select_slider(key="att_s_step").set_value("Output AV").run())
    at.toggle(key="att_s_causal").set_value(True)
    ok(at.select_slider(key="att_s_temp").set_value(3.0).run())
    masked = chart(at, "att_fig_s_masked").data[0]
    assert masked.text[0][1] == "−∞" and masked.text[1][0] != "−∞"
    assert "differs from the module's" in texts(at, "info")
    at.toggle(key="att_s_causal").set_value(False)
    ok(at.select_slider(key="att_s_temp").set_value(1.0).run())


def test_sentence_problems_get_a_message_and_keep_the_text(at):
    ok(at.text_input(key="att_text").set_value("   ").run())
    assert "empty" in texts(at, "warning") and "Type a sentence" in texts(at, "info")
    ok(at.text_input(key="att_text").set_value("one two three four five six seven eight nine ten eleven twelve").run())
    assert "left out" in texts(at, "warning")
    assert z(at, "att_fig_s_weights").shape == (10, 10)  # the cap
    at.radio(key="att_tokenizer").set_value("characters")
    ok(at.text_input(key="att_text").set_value("attention").run())
    assert list(chart(at, "att_fig_s_x").data[0].y) == ["a", "t", "t·2", "e", "n", "t·3", "i", "o", "n·2"]
    at.radio(key="att_tokenizer").set_value("words")
    ok(at.text_input(key="att_text").set_value("the cat sat on the mat").run())


def test_heads_offer_only_divisors_of_the_width(at):
    open_tab(at, 2)
    assert at.text_input(key="att_text").value == "the cat sat on the mat"  # the sentence follows from tab to tab
    ok(at.select_slider(key="att_h_width").set_value(12).run())
    assert at.selectbox(key="att_h_heads").options == ["1", "2", "3", "4", "6"]
    ok(at.selectbox(key="att_h_heads").set_value(3).run())
    assert len(chart(at, "att_fig_h_heads").data) == 3
    ok(at.select_slider(key="att_h_width").set_value(16).run())  # 3 heads do not divide 16: back to a valid choice
    assert at.selectbox(key="att_h_heads").value in (1, 2, 4, 8)
    assert "Same weights, same result" in texts(at, "caption") and "masked, so none" in texts(at, "caption")
    ok(at.toggle(key="att_h_mask_pads").set_value(False).run())
    assert "padding leaks" in texts(at, "caption")


def test_shuffling_with_and_without_positions(at):
    open_tab(at, 3)
    assert "permutation-equivariant" in texts(at, "success")
    ok(at.button(key="att_p_shuffle").click().run())
    ok(at.toggle(key="att_p_add").set_value(True).run())
    assert "order now matters" in texts(at, "warning")
    ok(at.toggle(key="att_p_add").set_value(False).run())


def test_lab_trains_through_step_and_applies_the_learning_rate_live(at):
    open_tab(at, 4)
    before = at.session_state[LAB]
    step(at, "att_lab")
    run = at.session_state[LAB]
    assert run is before and run.steps == 50 and run.history.eval_step == [25, 50]
    ok(at.select_slider(key="att_l_lr").set_value(1e-3).run())
    assert at.session_state[LAB] is run and run.lr == 1e-3
    chart(at, "att_fig_l_grid")
    assert z(at, "att_fig_l_grid").shape == (2 * 9 - 1, 4 * 9 - 1)  # 2 layers × 4 heads of 8 × 8, gaps between


def test_lab_settings_rebuild_and_heads_follow_the_width(at):
    at.selectbox(key="att_l_task").set_value("count")
    ok(at.select_slider(key="att_l_width").set_value(16).run())
    run = at.session_state[LAB]
    assert run.steps == 0 and run.config.task == "count" and run.config.embed_dim == 16
    assert "fresh weights" in texts(at, "info")
    assert at.selectbox(key="att_l_heads").options == ["1", "2", "4", "8"]
    ok(at.selectbox(key="att_l_enlarge").set_value("layer 2 · head 3").run())
    assert chart(at, "att_fig_l_map").layout.title.text == "layer 2 · head 3"


def test_typed_examples_and_their_messages(at):
    ok(at.text_input(key="att_l_example").set_value("3141").run())
    assert "generalizes" in texts(at, "info")
    assert z(at, "att_fig_l_map").shape == (4, 4)
    ok(at.text_input(key="att_l_example").set_value("12345678901234567").run())
    assert "maximum length 16" in texts(at, "warning")
    ok(at.text_input(key="att_l_example").set_value("12x").run())
    assert "Only the digits" in texts(at, "warning")
    ok(at.text_input(key="att_l_example").set_value("").run())
    ok(at.button(key="att_l_another").click().run())


def test_heads_switched_off(at):
    step(at, "att_lab")
    ok(at.button(key="att_l_ablate").click().run())
    chart(at, "att_fig_l_ablation")
    assert z(at, "att_fig_l_ablation").shape == (2, 4)
    ok(at.multiselect(key="att_l_off").set_value(["layer 1 · head 1", "layer 2 · head 2"]).run())
    assert any("heads off" in m.label for m in at.metric)


def test_language_model_trains_generates_and_shows_attention(at):
    open_tab(at, 5)
    at.selectbox(key="att_m_context").set_value(32)
    ok(at.selectbox(key="att_m_width").set_value(32).run())
    step(at, "att_lm")
    run = at.session_state[LM]
    assert run.steps == 20 and run.config.context == 32 and run.history.eval_step == [20]
    at.text_input(key="att_m_prompt").set_value("The é")
    ok(at.slider(key="att_m_length").set_value(30).run())
    assert "vocabulary" in texts(at, "warning")
    ok(at.button(key="att_m_generate").click().run())
    sample = at.session_state["att_m_sample"][1]
    assert len(sample) == len("The é") + 30
    assert z(at, "att_fig_m_attention").shape[0] == 2 * 4  # a row per layer and head
    ok(at.slider(key="att_m_char").set_value(len("The é") + 2).run())


def test_pasted_text_too_short_gets_a_message(at):
    open_tab(at, 5)
    ok(at.radio(key="att_m_source").set_value("pasted").run())
    assert "usable characters" in texts(at, "warning")
    ok(at.text_area(key="att_m_text").set_value("It was a bright cold day in April. " * 12).run())
    assert "usable characters" not in texts(at, "warning") and at.session_state[LM].text.vocab.size < 30


def test_switching_tabs_keeps_the_trained_lab_and_its_settings(at):
    open_tab(at, 4)
    run = at.session_state[LAB]
    open_tab(at, 1)
    open_tab(at, 4)
    assert at.session_state[LAB] is run and at.selectbox(key="att_l_task").value == "count"


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
def test_random_settings_of_each_tab_never_raise(number):
    """The shared fuzz test drives the open tab only: here every tab gets a few random configurations."""
    rng = random.Random(f"attention tab {number}")
    app = open_tab(AppTest.from_file(PAGE, default_timeout=120).run(), number)
    for _ in range(4):
        done = randomize(app, rng)
        assert not app.run().exception, (done, [e.value for e in app.exception])
