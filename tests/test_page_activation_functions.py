"""The Activation Functions page: renders, every control changes what it shows (the shared choice re-runs the sections
that use it), bad input is messaged."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from dlplay.lessons.activations.activations import StackConfig, gradient_norms

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "activation_functions.py")


def decode(values) -> np.ndarray:
    """A plotly JSON array: a plain list, or typed binary {"dtype", "bdata"}."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.asarray(values, dtype=float) if values and not isinstance(values[0], str) else np.asarray(values)


def figure(at: AppTest, key: str) -> dict:
    """The spec of the plotly chart with this key, with every trace's x and y decoded."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(key):
            spec = json.loads(element.proto.spec)
            for trace in spec["data"]:
                trace["x"], trace["y"] = decode(trace["x"]), decode(trace["y"])
            return spec
    raise AssertionError(f"no chart {key!r}; charts: {[e.proto.id for e in at.get('plotly_chart')]}")


def traces(at: AppTest, key: str) -> dict[str, dict]:
    return {t["name"]: t for t in figure(at, key)["data"]}


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_page_renders_its_four_charts_and_tables(at):
    for key in ["act_fig_values", "act_fig_derivs", "act_fig_softmax", "act_fig_flow"]:
        assert figure(at, key)["data"], key
    assert at.title[0].value.endswith("Activation functions")
    assert len(at.dataframe) == 2 and len(at.table) == 1
    values = traces(at, "act_fig_values")
    assert list(values) == ["Sigmoid", "Tanh", "ReLU", "Leaky ReLU", "GELU"]
    x = torch.tensor(values["Tanh"]["x"], dtype=torch.float32)
    np.testing.assert_allclose(values["Tanh"]["y"], torch.tanh(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(traces(at, "act_fig_derivs")["Tanh"]["y"], (1 - torch.tanh(x) ** 2).numpy(), atol=1e-6)


def test_which_activation_where_guidance_and_facts(at):
    guidance = " ".join(m.value for m in at.markdown)
    for phrase in ["**ReLU** (the default)", "**Leaky ReLU**", "**GELU**", "**Sigmoid**", "**Softmax**", "**Linear** (no activation)"]:
        assert phrase in guidance
    facts = at.table[0].value
    assert list(facts.index) == ["Sigmoid", "Tanh", "ReLU", "Leaky ReLU", "GELU"]
    assert {"range", "saturates", "dead neurons?"} <= set(facts.columns)
    at.multiselect(key="act_names").set_value(["SiLU"]).run()
    assert list(at.table[0].value.index) == ["SiLU"]


def test_overlay_selection_and_empty_selection(at):
    at.multiselect(key="act_names").set_value(["ELU", "Softplus"]).run()
    assert list(traces(at, "act_fig_values")) == ["ELU", "Softplus"]
    assert list(traces(at, "act_fig_flow")) == ["ELU", "Softplus"]
    at.multiselect(key="act_names").set_value([]).run()
    assert not at.exception
    assert any("Pick at least one activation" in i.value for i in at.info)
    names = [e.proto.id for e in at.get("plotly_chart")]
    assert not any(n.endswith(("act_fig_values", "act_fig_flow")) for n in names)
    # The choice re-runs sections 1, 3 and 4 (fragments, by key), not the softmax section, which does not depend on it.
    assert not any(n.endswith("act_fig_softmax") for n in names)
    at.run()  # a full run draws every section
    names = [e.proto.id for e in at.get("plotly_chart")]
    assert any(n.endswith("act_fig_softmax") for n in names)
    assert not any(n.endswith(("act_fig_values", "act_fig_flow")) for n in names)


def test_x_range_and_alpha_change_the_curves(at):
    at.slider(key="act_xrange").set_value((-50.0, 20.0)).run()
    x = traces(at, "act_fig_values")["ReLU"]["x"]
    assert x[0] == -50.0 and x[-1] == 20.0
    before = traces(at, "act_fig_values")["Leaky ReLU"]["y"]
    at.slider(key="act_alpha").set_value(0.3).run()
    leaky = traces(at, "act_fig_values")["Leaky ReLU"]
    assert not np.allclose(before, leaky["y"])
    np.testing.assert_allclose(leaky["y"], F.leaky_relu(torch.tensor(leaky["x"]), 0.3).numpy(), rtol=1e-5, atol=1e-6)
    assert "negative_slope=0.3" in at.code[0].value
    # α drives the gradient flow too (Leaky ReLU is drawn there), so that section re-runs with it.
    expected = gradient_norms("Leaky ReLU", StackConfig(), alpha=0.3)
    np.testing.assert_allclose(traces(at, "act_fig_flow")["Leaky ReLU"]["y"], expected.numpy(), rtol=1e-5)


def test_zero_width_range_is_messaged(at):
    at.slider(key="act_xrange").set_value((3.0, 3.0)).run()
    assert not at.exception
    assert any("zero width" in w.value for w in at.warning)
    x = traces(at, "act_fig_values")["ReLU"]["x"]
    assert x[0] < 3.0 < x[-1]


def test_temperature_and_logits_change_the_softmax_bars(at):
    bars = traces(at, "act_fig_softmax")
    np.testing.assert_allclose(bars["T = 1"]["y"], F.softmax(torch.tensor([2.0, 1.0, 0.1]), 0).numpy(), rtol=1e-5)
    at.slider(key="act_temp").set_value(2.5).run()
    bars = traces(at, "act_fig_softmax")
    np.testing.assert_allclose(bars["T = 2.5"]["y"], F.softmax(torch.tensor([2.0, 1.0, 0.1]) / 2.5, 0).numpy(), rtol=1e-5)
    assert "T = 1" in bars  # the T = 1 baseline for comparison
    at.text_input(key="act_logits").set_value("0, 3, 1, -2").run()
    bars = traces(at, "act_fig_softmax")
    np.testing.assert_allclose(bars["T = 2.5"]["y"], F.softmax(torch.tensor([0.0, 3.0, 1.0, -2.0]) / 2.5, 0).numpy(), rtol=1e-5)


def test_huge_logits_button_shows_the_naive_overflow(at):
    assert any("Both versions work" in s.value for s in at.success)
    at.button(key="act_btn_huge").click().run()
    assert not at.exception
    assert at.text_input(key="act_logits").value == "1000, 1001, 1002"
    assert any("naive formula fails" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert set(table.loc["naive: p"]) == {"nan"} and set(table.loc["naive: exp(z/T)"]) == {"inf"}
    assert set(table.loc["shifted: z/T − max"]) == {"-2", "-1", "0"}
    expected = F.softmax(torch.tensor([1000.0, 1001.0, 1002.0]), 0)
    np.testing.assert_allclose(traces(at, "act_fig_softmax")["T = 1"]["y"], expected.numpy(), rtol=1e-5)
    at.button(key="act_btn_reset").click().run()
    assert at.text_input(key="act_logits").value == "2, 1, 0.1"


@pytest.mark.parametrize("text", ["a, b", "", "1e400", ",".join(["1"] * 12)])
def test_bad_logits_are_messaged(at, text):
    at.text_input(key="act_logits").set_value(text).run()
    assert not at.exception
    assert any("Could not read the logits" in w.value for w in at.warning)


def test_temperature_zero_is_clamped_and_said(at):
    at.slider(key="act_temp").set_value(0.0).run()
    assert not at.exception
    assert any("using T = 0.05" in i.value for i in at.info)
    bars = traces(at, "act_fig_softmax")
    np.testing.assert_allclose(bars["T = 0.05"]["y"], F.softmax(torch.tensor([2.0, 1.0, 0.1]) / 0.05, 0).numpy(), atol=1e-6)


def test_depth_width_and_init_change_the_gradient_flow(at):
    at.slider(key="act_depth").set_value(50).run()
    at.select_slider(key="act_width").set_value(16).run()
    at.selectbox(key="act_init").set_value("Kaiming").run()
    assert not at.exception
    flow = traces(at, "act_fig_flow")
    expected = gradient_norms("Tanh", StackConfig(depth=50, hidden_size=16, init="Kaiming"))
    np.testing.assert_allclose(flow["Tanh"]["x"], np.arange(1, 51))
    np.testing.assert_allclose(flow["Tanh"]["y"], expected.numpy(), rtol=1e-5)
    assert figure(at, "act_fig_flow")["layout"]["yaxis"]["type"] == "log"
    assert any("range(50)" in c.value and "nn.Linear(16, 16)" in c.value and "kaiming_normal_" in c.value for c in at.code)
