"""The expression parser: the grammar, errors with positions, no eval, and gradients equal to PyTorch's."""

import ast
import random
import re
from pathlib import Path

import pytest
import torch
from torch.testing import assert_close

import dlplay.lessons.backprop.expression_parser as parser_module
from dlplay.lessons.backprop.expression_parser import (
    MAX_DEPTH,
    ExpressionError,
    build_values,
    evaluate_torch,
    parse,
    to_python,
    torch_gradients,
    variable_names,
)
from dlplay.lessons.backprop.scalar_autograd import MathDomainError, topological_order

VALUES = {"x": 0.7, "y": 1.6, "z": -1.2}

# Each text beside the same function written directly with torch: the reference for value and gradients.
GRAMMAR_CASES = [
    ("x^2 + 2*x", lambda x, y, z: x**2 + 2 * x),
    ("x ** 2 + 2 * x", lambda x, y, z: x**2 + 2 * x),
    ("-x^2", lambda x, y, z: -(x**2)),
    ("(-x)^2", lambda x, y, z: (-x) ** 2),
    ("2^-1 * y", lambda x, y, z: 2**-1 * y),
    ("y^x^2", lambda x, y, z: y ** (x**2)),
    ("x - y - z", lambda x, y, z: (x - y) - z),
    ("x / y / z", lambda x, y, z: (x / y) / z),
    ("x - (y - z)", lambda x, y, z: x - (y - z)),
    ("--x + +y", lambda x, y, z: x + y),
    ("-(x + y) * 3 / z", lambda x, y, z: -(x + y) * 3 / z),
    ("tanh(x) + exp(y) - relu(z) + sigmoid(x) * log(y)",
     lambda x, y, z: torch.tanh(x) + torch.exp(y) - torch.relu(z) + torch.sigmoid(x) * torch.log(y)),
    ("relu(x*y - z)", lambda x, y, z: torch.relu(x * y - z)),
    ("1e-3*x + .5*y + 2.*z + 1E2", lambda x, y, z: 1e-3 * x + 0.5 * y + 2.0 * z + 100),
    ("  x*x*x  ", lambda x, y, z: x * x * x),
    ("(y)^(1/2)", lambda x, y, z: y**0.5),
    ("2^(x*y)", lambda x, y, z: 2 ** (x * y)),
    ("log(exp(z)) / (1 + x^2)", lambda x, y, z: torch.log(torch.exp(z)) / (1 + x**2)),
]


@pytest.mark.parametrize("text, reference", GRAMMAR_CASES)
def test_grammar_values_and_gradients_equal_torch(text, reference):
    tree = parse(text)
    root = build_values(tree, VALUES)
    root.backward()
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in VALUES.items()}
    expected = reference(**tensors)
    expected.backward()
    assert_close(root.data, expected.item())
    nodes = {n.label: n for n in topological_order(root)}
    for name in variable_names(tree):
        assert_close(nodes[name].grad, tensors[name].grad.item(), msg=f"{text}: grad of {name}")
    # The torch evaluator of the same tree agrees too.
    output, grads = torch_gradients(tree, VALUES)
    assert_close(output, expected.item())
    assert_close([grads[n] for n in variable_names(tree)], [tensors[n].grad.item() for n in variable_names(tree)])


@pytest.mark.parametrize(
    "text, position, words",
    [
        ("", 0, "type an expression"),
        ("   ", 0, "type an expression"),
        ("x +", 3, "ends too early"),
        ("x + * 2", 4, "unexpected '*'"),
        ("(x + 1", 6, "missing ')'"),
        ("(x + 1 y", 7, "expected ')'"),
        ("x + 1)", 5, "no matching '('"),
        ("2x", 1, "missing operator"),
        ("foo(x)", 0, "unknown function 'foo'"),
        ("tanh x", 5, "tanh is a function"),
        ("x $ y", 2, "unexpected character '$'"),
        ("x²", 1, "use ^ or **"),
        ("x.y", 1, "unexpected character '.'"),
        ("1e999 * x", 0, "too large"),
        ("import os", 0, "reserved word"),
        ("__import__('os')", 11, "unexpected character"),
        ("__import__(os)", 0, "unknown function '__import__'"),
        ("x ^ ", 4, "ends too early"),
        ("()", 1, "unexpected ')'"),
        ("exp()", 4, "unexpected ')'"),
    ],
)
def test_malformed_input_is_rejected_with_a_position(text, position, words):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    error = info.value
    assert error.position == position
    assert words in error.message
    expression_line, caret_line = error.caret().split("\n")
    assert expression_line == text and caret_line == " " * position + "^"


def test_limits_on_nesting_length_and_variables():
    deep = "(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse(deep)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("-" * 200 + "x")
    with pytest.raises(ExpressionError, match="longer than"):
        parse("x+" * 200 + "x")
    with pytest.raises(ExpressionError, match="at most"):
        parse("+".join(f"v{i}" for i in range(20)))


def test_domain_problems_surface_as_math_domain_errors():
    for text, values in [("log(x)", {"x": -1.0}), ("1 / (x - 1)", {"x": 1.0}), ("x ^ 0.5", {"x": -4.0}),
                         ("exp(x)", {"x": 1000.0})]:
        with pytest.raises(MathDomainError):
            build_values(parse(text), values)


def test_the_parser_source_never_uses_eval_or_exec():
    source = Path(parser_module.__file__).read_text()
    code = "\n".join(line.split("#")[0] for line in source.splitlines())  # comments may mention anything
    for forbidden in (r"\beval\s*\(", r"\bexec\s*\(", r"(?<![.\w])compile\s*\(", r"__import__", r"\bgetattr\(__builtins__"):
        assert not re.search(forbidden, code), forbidden


def random_text(rng: random.Random, depth: int) -> str:
    """A random expression in the page's grammar, with domains kept safe by construction."""
    if depth == 0 or rng.random() < 0.15:
        return rng.choice(["x", "y", "z", "x", "y", "z", "2", "0.5", "3"])
    kind = rng.choice(["bin", "bin", "unary", "func", "pow", "div"])
    a = random_text(rng, depth - 1)
    if kind == "bin":
        op = rng.choice(["+", "-", "*"])
        return f"({a} {op} {random_text(rng, depth - 1)})" if rng.random() < 0.5 else f"{a} {op} {random_text(rng, 0)}"
    if kind == "unary":
        return f"-{a}" if a[0] != "-" else f"-({a})"
    if kind == "pow":
        return f"({a}){rng.choice(['^', '**'])}{rng.choice(['2', '3'])}"
    if kind == "div":
        return f"{a} / (1 + ({random_text(rng, depth - 1)})^2)"
    func = rng.choice(["tanh", "sigmoid", "relu", "exp(tanh", "log(1 + sigmoid"])
    closing = ")" * (func.count("(") + 1)
    return f"{func}({a}{closing}"


def test_random_texts_give_torch_gradients_and_round_trip_through_python_syntax():
    for seed in range(150):
        rng = random.Random(seed)
        text = random_text(rng, depth=rng.randint(2, 5))
        values = {"x": rng.uniform(-1.5, 1.5), "y": rng.uniform(-1.5, 1.5), "z": rng.uniform(-1.5, 1.5)}
        tree = parse(text)
        root = build_values(tree, values)
        root.backward()
        output, grads = torch_gradients(tree, values)
        assert_close(root.data, output, msg=text)
        ours = {n.label: n.grad for n in topological_order(root) if n.label in values}
        assert_close([ours.get(n, 0.0) for n in grads], list(grads.values()), msg=text)
        # to_python keeps the structure: re-parsing its output (our grammar accepts **) gives the same value,
        # and with the torch. prefix it is valid Python.
        again = build_values(parse(to_python(tree, funcs_prefix="")), values)
        assert_close(again.data, root.data, msg=text)
        ast.parse(to_python(tree))


def test_variables_are_shared_leaves_and_listed_in_order_of_appearance():
    tree = parse("b*a + a^2 + c/b")
    assert variable_names(tree) == ["b", "a", "c"]
    root = build_values(tree, {"a": 1.0, "b": 2.0, "c": 3.0})
    named = [n for n in topological_order(root) if n.label in ("a", "b", "c")]
    assert len(named) == 3  # one leaf per name, however often it is used
    with pytest.raises(KeyError):
        build_values(tree, {"a": 1.0})


def test_evaluate_torch_of_a_constant_expression_is_a_tensor():
    assert_close(evaluate_torch(parse("2^3 - 1"), {}), torch.tensor(7.0, dtype=torch.float64))
