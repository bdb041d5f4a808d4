"""The Backpropagation page through AppTest: renders, steps, resets, compares, and warns on bad input."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dlplay.lessons.backprop.expression_parser import ExpressionError, parse
from dlplay.lessons.backprop.stepper import PRESETS, stepper_for

PAGE = str(Path(__file__).resolve().parents[1] / "chapters" / "backpropagation.py")


def _app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.run()
    assert not at.exception
    return at


def _button(at: AppTest, start: str):
    return next(b for b in at.button if b.label.startswith(start))


def _progress(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith(("**Forward", "**Backward", "**Done")))


def _explanation(at: AppTest) -> str:
    # The code blocks are: the preset's formula, this explanation, then the two show_code panels.
    return [c.value for c in at.code if "import" not in c.value and "def " not in c.value][-1]


def test_page_renders_with_graph_table_and_code():
    at = _app()
    assert at.title[0].value.startswith("🔁 Backpropagation")
    assert len(at.get("plotly_chart")) == 2  # the graph and the manual-vs-autograd errors
    assert len(at.dataframe) == 1  # the per-layer table; the gradient table waits for the backward pass
    assert any("Finish the backward pass" in i.value for i in at.info)
    assert _progress(at).startswith("**Forward pass:** 0 of 5")
    assert _button(at, "◀ Step backward").disabled and not _button(at, "Step forward").disabled


def test_step_forward_backward_and_reset_buttons():
    at = _app()
    n = len(stepper_for(PRESETS[0].expression, PRESETS[0].values).nodes)
    for _ in range(n):
        _button(at, "Step forward").click().run()
        assert not at.exception
    assert _progress(at).startswith("**Backward pass:** 0 of")
    assert _button(at, "Step forward").disabled and not _button(at, "◀ Step backward").disabled
    for k in range(n):
        _button(at, "◀ Step backward").click().run()
        assert not at.exception
        if k == 1:
            assert "∂y/∂" in _explanation(at)
    assert _progress(at).startswith("**Done:**")
    assert "∂y/∂x = 6 + 2 = 8" in _explanation(at) or "∂y/∂x = 2 + 6 = 8" in _explanation(at)
    table = at.dataframe[0].value
    assert list(table.index) == ["x"] and float(table["|diff|"].max()) < 1e-9
    _button(at, "Reset").click().run()
    assert _progress(at).startswith("**Forward pass:** 0 of")
    assert at.session_state["bp_stepper"].current is None


@pytest.mark.parametrize("preset", [p.key for p in PRESETS])
def test_every_preset_runs_to_the_end_and_matches_pytorch(preset):
    at = _app()
    at.selectbox(key="bp_preset").set_value(preset).run()
    _button(at, "Run to the end").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert float(table["|diff|"].max()) < 1e-9
    assert set(table.index) == set(next(p for p in PRESETS if p.key == preset).values)


def test_changing_a_value_resets_the_stepper():
    at = _app()
    _button(at, "Step forward").click().run()
    _button(at, "Step forward").click().run()
    assert at.session_state["bp_stepper"].forward_done == 2
    at.number_input(key="bp_quad_x").set_value(-1.5).run()
    assert not at.exception
    assert at.session_state["bp_stepper"].forward_done == 0
    assert _progress(at).startswith("**Forward pass:** 0 of")


@pytest.mark.parametrize(
    "expression, words",
    [("x^2 + * 3", "can't be read"), ("2x + 1", "missing operator"), ("(a + b", "to close the"), ("", "type an"),
     ("log(a - 5)", "maths problem"), ("a / (b + 1)", "maths problem"), ("exp(a*999)", "maths problem")],
)
def test_malformed_or_undefined_expression_shows_a_warning_not_an_exception(expression, words):
    at = _app()
    at.selectbox(key="bp_preset").set_value("own").run()
    at.text_input(key="bp_expr").set_value(expression).run()
    assert not at.exception
    assert any(words in w.value for w in at.warning)
    if "maths" not in words and expression:  # the expression with a caret under the offending character
        with pytest.raises(ExpressionError) as info:
            parse(expression)
        assert info.value.caret() in [c.value for c in at.code]


def test_own_expression_with_new_variables_gets_inputs():
    at = _app()
    at.selectbox(key="bp_preset").set_value("own").run()
    at.text_input(key="bp_expr").set_value("relu(p*q) - sigmoid(q)^2").run()
    assert not at.exception
    keys = {n.key for n in at.number_input}
    assert {"bp_own_p", "bp_own_q"} <= keys
    _button(at, "Run to the end").click().run()
    assert float(at.dataframe[0].value["|diff|"].max()) < 1e-9


def test_manual_section_controls():
    at = _app()
    at.slider(key="bp_layers").set_value(3).run()
    at.slider(key="bp_hidden").set_value(5).run()
    at.slider(key="bp_batch").set_value(1).run()
    at.radio(key="bp_dtype").set_value("float64").run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert len(table) == 4  # three hidden layers and the output layer
    assert float(table["∂L/∂W rel. error"].max()) < 1e-5


def test_markdown_in_a_message_is_shown_literally():
    at = _app()
    at.selectbox(key="bp_preset").set_value("own").run()
    at.text_input(key="bp_expr").set_value("__init__(x)").run()
    assert not at.exception
    assert r"\_\_init\_\_" in at.warning[0].value  # not rendered as bold "init"
