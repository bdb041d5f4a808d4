"""The backprop stepper: every node both ways, grads equal Value.backward() and PyTorch, and the graph figure."""

import ast
import random
import sys
from pathlib import Path

import pytest
from spec_check import validated
from torch.testing import assert_close

from dlplay.lessons.backprop import figures
from dlplay.lessons.backprop.expression_parser import parse, torch_gradients
from dlplay.lessons.backprop.figures import ACCENT, layered_positions
from dlplay.lessons.backprop.stepper import (
    MAX_COLUMNS,
    MAX_NODES,
    PRESETS,
    BackpropStepper,
    GraphTooLargeError,
    comparison_rows,
    fmt,
    stepper_for,
    torch_code,
)

sys.path.insert(0, str(Path(__file__).parent))
from test_expression_parser import random_text  # noqa: E402  (the same random grammar texts)

computation_graph_figure, relative_error_figure = map(validated, (figures.computation_graph_figure,
                                                                  figures.relative_error_figure))


def _cases():
    for preset in PRESETS:
        yield preset.expression, preset.values
    for seed in range(40):
        rng = random.Random(seed)
        yield random_text(rng, rng.randint(2, 5)), {n: rng.uniform(-1.5, 1.5) for n in "xyz"}


def _walk(stepper: BackpropStepper) -> tuple[list[int], list[int]]:
    forward, backward = [], []
    while stepper.step_forward():
        forward.append(stepper.current)
    assert stepper.phase == "backward"
    while stepper.step_backward():
        backward.append(stepper.current)
    assert stepper.phase == "done"
    return forward, backward


@pytest.mark.parametrize("expression, values", list(_cases()))
def test_stepper_reaches_every_node_both_ways_and_matches_value_backward(expression, values):
    stepper = stepper_for(expression, values)
    n = len(stepper.nodes)
    forward, backward = _walk(stepper)
    assert forward == list(range(n))  # every node once, in topological order
    assert backward == list(range(n - 1, -1, -1))  # every node once, in reverse
    for j, parents in enumerate(stepper.parents):
        assert all(p < j for p in parents)  # a node is computed after its inputs
    # Values from the stepper's own forward pass equal the graph's, gradients equal Value.backward()'s.
    root = stepper.nodes[-1]
    root.backward()
    assert_close(stepper.values, [node.data for node in stepper.nodes])
    assert_close(stepper.grads, [node.grad for node in stepper.nodes])
    # And PyTorch agrees on every variable.
    rows = comparison_rows(expression, values, stepper.variable_grads())
    assert_close([r["ours"] for r in rows], [r["PyTorch"] for r in rows])


def test_backward_waits_for_the_forward_pass_and_reset_starts_over():
    stepper = stepper_for("x^2 + 2*x", {"x": 3.0})
    assert stepper.phase == "forward" and stepper.current is None
    assert not stepper.step_backward()
    stepper.step_forward()
    assert not stepper.step_backward() and stepper.backward_done == 0
    stepper.run_to_end()
    assert stepper.phase == "done" and not stepper.step_forward() and not stepper.step_backward()
    stepper.reset()
    assert stepper.phase == "forward" and stepper.current is None
    assert stepper.values == [None] * len(stepper.nodes) and stepper.grads == [None] * len(stepper.nodes)


def test_chain_rule_text_shows_the_products_and_their_sum():
    stepper = stepper_for("x^2 + 2*x", {"x": 3.0}, output_name="y")
    stepper.run_to_end()
    x = stepper.names.index("x")
    _, grads = torch_gradients(parse("x^2 + 2*x"), {"x": 3.0})
    lines = stepper.explain(x)
    assert "used by 2 nodes" in lines[0]
    products = [stepper.grads[j] * stepper._local(j, k) for j, k in stepper.users[x]]
    assert lines[-1] == f"∂y/∂x = {' + '.join(fmt(p) for p in products)} = {fmt(grads['x'])}"
    # Forward text (before its gradient is known): the op with names, then with numbers, then the result.
    stepper.reset()
    while stepper.step_forward():
        pass
    square = stepper.parents[stepper.output][0]
    assert stepper.explain(square) == [f"{stepper.names[square]} = x^2 = 3^2 = {fmt(stepper.values[square])}"]
    stepper.run_to_end()
    assert stepper.explain(stepper.output) == ["∂y/∂y = 1: the backward pass starts from the output."]


def test_single_use_text_and_current_node_follow_the_steps():
    stepper = stepper_for("tanh(w*x + b)", {"w": -0.5, "x": 2.0, "b": 0.3})
    assert "Step forward" in stepper.explain()[0]
    stepper.run_to_end()
    stepper.reset()
    while stepper.step_forward():
        pass
    stepper.step_backward()
    stepper.step_backward()
    current = stepper.current
    (user, _), = stepper.users[current]
    lines = stepper.explain()
    assert lines[0].startswith(f"∂L/∂{stepper.names[current]} = ∂L/∂{stepper.names[user]} × ")
    assert lines[0].endswith(fmt(stepper.grads[current]))


def test_active_edges_follow_the_direction_of_the_last_step():
    stepper = stepper_for("x * x + y", {"x": 2.0, "y": 1.0})
    assert stepper.active_edges() == []
    product = stepper.parents[stepper.output][0]
    while stepper.current != product:
        stepper.step_forward()
    assert stepper.active_edges() == [(p, product) for p in stepper.parents[product]]  # x used twice: two edges
    stepper.run_to_end()
    x = stepper.names.index("x")
    assert stepper.current == x and stepper.active_edges() == [(x, product), (x, product)]


def test_depths_run_left_to_right_along_every_edge():
    for expression, values in _cases():
        stepper = stepper_for(expression, values)
        depth = stepper.depths()
        assert all(depth[a] < depth[b] for a, b in stepper.edges())
        assert min(depth) == 0


def test_output_name_falls_back_when_a_variable_has_that_name():
    stepper = stepper_for("L * 2", {"L": 1.0}, output_name="L")
    assert stepper.names[-1] != "L" and stepper.names.count("L") == 1


def test_torch_code_is_python_and_names_every_variable():
    for preset in PRESETS:
        code = torch_code(preset.expression, preset.values, preset.output_name)
        ast.parse(code)
        for name in preset.values:
            assert f"{name} = torch.tensor(" in code and f"print({name}.grad)" in code


def test_graph_figure_draws_every_node_edge_and_the_highlight():
    stepper = stepper_for("x^2 + 2*x", {"x": 3.0})
    stepper.run_to_end()
    current = 0
    highlight = [(current, j) for j, _ in stepper.users[current]]
    n = len(stepper.nodes)
    fig = computation_graph_figure(
        [stepper.label(i) for i in range(n)], stepper.values, stepper.grads, stepper.edges(), stepper.depths(),
        [node.is_leaf for node in stepper.nodes], current=current, highlight_edges=highlight,
    )
    nodes = next(t for t in fig.data if t.name == "nodes")
    assert list(nodes.x) == [float(d) for d in stepper.depths()]
    assert len(fig.layout.annotations) == n
    for i, annotation in enumerate(fig.layout.annotations):
        assert f"grad {stepper.grads[i]:.3g}" in annotation.text and f"value {stepper.values[i]:.3g}" in annotation.text
        assert annotation.text.startswith(f"<b>{stepper.label(i)}</b>")
    assert fig.layout.annotations[current].bordercolor == ACCENT
    lit = next(t for t in fig.data if t.name == "edges (highlight)")
    plain = next(t for t in fig.data if t.name == "edges (plain)")
    assert len(lit.x) == 3 * len(highlight) and len(plain.x) == 3 * (len(stepper.edges()) - len(highlight))


def test_graph_shows_question_marks_before_values_are_known():
    stepper = stepper_for("x*y", {"x": 1.0, "y": 2.0})
    n = len(stepper.nodes)
    fig = computation_graph_figure(
        [stepper.label(i) for i in range(n)], stepper.values, stepper.grads, stepper.edges(), stepper.depths(),
        [True, True, False],
    )
    assert all("value ?" in a.text and "grad ?" in a.text for a in fig.layout.annotations)


def test_layered_positions_keep_columns_and_separate_nodes():
    positions = layered_positions([0, 0, 0, 1, 2], [(0, 3), (1, 3), (3, 4), (2, 4)])
    assert [p[0] for p in positions] == [0, 0, 0, 1, 2]
    column = sorted(p[1] for p in positions[:3])
    assert column == [-1.0, 0.0, 1.0]


def test_relative_error_figure_floors_exact_zeros_for_the_log_axis():
    fig = relative_error_figure(["layer 1", "layer 2"], {"manual": [0.0, 2e-8], "snippet": [7.0, 7.0]}, floor=1e-17)
    assert [list(t.y) for t in fig.data] == [[1e-17, 2e-8], [7.0, 7.0]]
    assert fig.data[0].text[0] == "0" and fig.layout.yaxis.type == "log"



def test_short_labels_name_the_op():
    stepper = stepper_for("-x^2 * tanh(y)", {"x": 1.0, "y": 2.0}, output_name="f")
    short = {stepper.short_label(i) for i in range(len(stepper.nodes))}
    assert {"x", "y", "n₁: ^2", "n₂: neg", "n₃: tanh", "f: ×"} == short


def test_graphs_too_big_to_draw_are_refused_plainly():
    with pytest.raises(GraphTooLargeError, match="steps deep"):
        stepper_for("+".join(["x"] * (MAX_COLUMNS + 2)), {"x": 1.0})

    def balanced(terms: list[str]) -> str:
        return terms[0] if len(terms) == 1 else f"({balanced(terms[:len(terms) // 2])}+{balanced(terms[len(terms) // 2:])})"

    wide = balanced([f"a{i % 8}*b{i // 8}" for i in range(MAX_NODES // 2)])  # shallow (depth 7) but many nodes
    with pytest.raises(GraphTooLargeError, match="nodes"):
        stepper_for(wide, {f"{c}{i}": 1.0 for c in "ab" for i in range(8)})


def test_variables_named_like_special_floats_are_still_variables():
    stepper = stepper_for("inf * nan + 2", {"inf": 2.0, "nan": 3.0})
    stepper.run_to_end()
    assert stepper.variable_grads() == {"inf": 3.0, "nan": 2.0}
