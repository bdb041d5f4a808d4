"""The scalar autograd engine against torch.autograd: every op, random expression trees, domain errors."""

import math
import random

import pytest
import torch
from torch.testing import assert_close

from dlplay.lessons.backprop.scalar_autograd import MathDomainError, Value, leaves, topological_order, variables


def _pair(value: float, name: str) -> tuple[Value, torch.Tensor]:
    return Value(value, label=name), torch.tensor(value, dtype=torch.float64, requires_grad=True)


def random_expression(rng: random.Random, depth: int, inputs: list[tuple[Value, torch.Tensor]]):
    """The same random expression tree built twice: as a Value graph and with torch ops (domains kept valid)."""
    if depth == 0 or rng.random() < 0.1:
        if rng.random() < 0.2:
            c = round(rng.uniform(-2, 2), 2)
            return Value(c, label=f"{c:g}"), torch.tensor(c, dtype=torch.float64)
        return rng.choice(inputs)
    op = rng.choice(["+", "-", "*", "/", "neg", "pow", "vpow", "tanh", "exp", "log", "relu", "sigmoid", "rsub", "rdiv"])
    a, ta = random_expression(rng, depth - 1, inputs)
    if op in ("+", "-", "*", "/", "vpow"):
        b, tb = random_expression(rng, depth - 1, inputs)
        if op == "/" and abs(b.data) < 0.2:
            op = "*"
        if op == "vpow" and not (0.2 < a.data < 4 and abs(b.data) < 3):
            op = "+"
        v, t = {"+": lambda: (a + b, ta + tb), "-": lambda: (a - b, ta - tb), "*": lambda: (a * b, ta * tb),
                "/": lambda: (a / b, ta / tb), "vpow": lambda: (a**b, ta**tb)}[op]()
    elif op == "pow":
        p = rng.choice([2.0, 3.0, -1.0, 0.5, 1.5]) if a.data > 0.2 else rng.choice([2.0, 3.0])
        v, t = a**p, ta**p
    elif op == "rsub":
        v, t = 1.5 - a, 1.5 - ta
    elif op == "rdiv":
        v, t = (2.0 / a, 2.0 / ta) if abs(a.data) > 0.2 else (2.0 * a, 2.0 * ta)
    elif op == "log" and a.data <= 0.2:
        v, t = a.tanh(), torch.tanh(ta)
    elif op == "exp" and a.data > 4:
        v, t = a.sigmoid(), torch.sigmoid(ta)
    elif op == "neg":
        v, t = -a, -ta
    else:
        v, t = getattr(a, op)(), getattr(torch, op)(ta)
    if abs(v.data) > 30:  # keep magnitudes modest so deeper ops stay in their domains
        v, t = v.tanh(), torch.tanh(t)
    return v, t


@pytest.mark.parametrize("block", range(4))
def test_random_expressions_match_torch_autograd(block):
    for seed in range(block * 75, (block + 1) * 75):
        rng = random.Random(seed)
        inputs = [_pair(rng.uniform(-2, 2), name) for name in ("a", "b", "c")]
        out, t_out = random_expression(rng, depth=rng.randint(2, 6), inputs=inputs)
        if not t_out.requires_grad:
            continue  # a constant expression: nothing to differentiate
        out.backward()
        t_out.backward()
        assert_close(out.data, t_out.item(), msg=f"value, seed {seed}")
        for v, t in inputs:
            expected = 0.0 if t.grad is None else t.grad.item()
            assert_close(v.grad, expected, msg=f"grad of {v.label}, seed {seed}")


@pytest.mark.parametrize("op", ["tanh", "exp", "relu", "sigmoid", "log", "neg"])
@pytest.mark.parametrize("x", [-1.7, -0.3, 0.0, 0.4, 2.5])
def test_unary_ops_match_torch(op, x):
    if op == "log" and x <= 0:
        with pytest.raises(MathDomainError):
            Value(x).log()
        return
    v, t = _pair(x, "x")
    out = -v if op == "neg" else getattr(v, op)()
    t_out = -t if op == "neg" else getattr(torch, op)(t)
    out.backward()
    t_out.backward()
    assert_close(out.data, t_out.item())
    assert_close(v.grad, t.grad.item())  # relu'(0) is 0 in both


@pytest.mark.parametrize("p", [2, 3, 0.5, -1, -2.5, 0])
@pytest.mark.parametrize("x", [0.0, 0.7, 1.9])
def test_constant_powers_match_torch_including_edges(p, x):
    if x == 0 and p < 0:
        with pytest.raises(MathDomainError):
            Value(x) ** p
        return
    v, t = _pair(x, "x")
    out, t_out = v**p, t**p
    out.backward()
    t_out.backward()
    assert_close(out.data, t_out.item())
    assert_close(v.grad, t.grad.item())  # e.g. 0 ** 0.5 has an infinite slope in both


def test_binary_ops_and_reflected_ops_match_torch():
    (a, ta), (b, tb) = _pair(1.3, "a"), _pair(-0.6, "b")
    out = (a * b + 2 - a / b) * (3 - b) + 1 / a - 2 * b + a**b.tanh()
    t_out = (ta * tb + 2 - ta / tb) * (3 - tb) + 1 / ta - 2 * tb + ta ** torch.tanh(tb)
    out.backward()
    t_out.backward()
    assert_close(out.data, t_out.item())
    assert_close((a.grad, b.grad), (ta.grad.item(), tb.grad.item()))


def test_a_value_used_twice_accumulates_both_paths():
    x, tx = _pair(-1.5, "x")
    out = x * x + x.exp() * x
    t_out = tx * tx + torch.exp(tx) * tx
    out.backward()
    t_out.backward()
    assert_close(x.grad, tx.grad.item())


def test_backward_twice_gives_the_same_gradients_not_double():
    x, tx = _pair(0.8, "x")
    out = (x * x).tanh()
    out.backward()
    out.backward()
    torch.tanh(tx * tx).backward()
    assert_close(x.grad, tx.grad.item())


def test_a_very_deep_graph_needs_no_recursion():
    x, tx = _pair(0.5, "x")
    out, t_out = x, tx
    for _ in range(5000):
        out, t_out = out + x, t_out + tx
    out.backward()
    t_out.backward()
    assert_close(x.grad, tx.grad.item())


def test_sigmoid_is_stable_for_large_inputs():
    for x in (-800.0, 800.0):
        assert_close(Value(x).sigmoid().data, torch.sigmoid(torch.tensor(x, dtype=torch.float64)).item())


@pytest.mark.parametrize(
    "make",
    [lambda: Value(-1.0).log(), lambda: Value(0.0).log(), lambda: Value(1.0) / 0, lambda: Value(-8.0) ** (1 / 3),
     lambda: Value(1000.0).exp(), lambda: Value(-2.0) ** Value(2.0), lambda: Value(1e300) * 1e300],
)
def test_domain_problems_raise_a_plain_error(make):
    with pytest.raises(MathDomainError) as info:
        make()
    assert str(info.value)  # a message a page can show


def test_topological_order_puts_parents_first_and_lists_leaves_and_variables():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    out = (x * y + x) * 2
    order = topological_order(out)
    position = {id(n): i for i, n in enumerate(order)}
    assert order[-1] is out and len(order) == len(set(map(id, order)))
    assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)
    assert [n.label for n in leaves(out)] == ["x", "y", "2"]
    assert set(variables(order)) == {"x", "y"}
    assert math.isfinite(out.data)
