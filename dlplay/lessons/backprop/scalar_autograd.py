"""A scalar autograd engine for teaching (micrograd-sized): every number remembers how it was made."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Inputs = tuple[float, ...]


class MathDomainError(ValueError):
    """A value outside an operation's domain: log of a non-positive number, division by zero, overflow."""


@dataclass(frozen=True)
class Op:
    """One operation: its forward rule, its local derivatives and how to write both."""

    symbol: str  # shown in the graph node: "+", "×", "tanh", ...
    template: str  # how the output is computed, with {a}, {b} the inputs and {p} the constant exponent
    forward: Callable[[Inputs, float | None], float]  # (inputs, param) -> output
    local: Callable[[Inputs, float, float | None], Inputs]  # (inputs, output, param) -> ∂out/∂input_i
    formulas: tuple[str, ...]  # ∂out/∂input_i, written with the same {a}, {b}, {p}


def _finite(x: float, what: str) -> float:
    """The number itself, or a plain error when it overflowed."""
    if not math.isfinite(x):
        raise MathDomainError(f"{what} is too large to represent (overflow)")
    return x


def _div(inputs: Inputs, _: float | None) -> float:
    a, b = inputs
    if b == 0:
        raise MathDomainError(f"division by zero: {a:g} / 0")
    return _finite(a / b, f"{a:g} / {b:g}")


def _pow(a: float, b: float) -> float:
    """a ** b for real numbers, with plain errors where it is undefined."""
    if a < 0 and not float(b).is_integer():
        raise MathDomainError(f"a negative number to a fractional power is not real: ({a:g}) ^ {b:g}")
    if a == 0 and b < 0:
        raise MathDomainError(f"0 to a negative power divides by zero: 0 ^ {b:g}")
    try:
        return _finite(float(a) ** b, f"{a:g} ^ {b:g}")
    except OverflowError:
        raise MathDomainError(f"{a:g} ^ {b:g} is too large to represent (overflow)") from None


def _pow_local(a: float, b: float) -> float:
    """∂(a^b)/∂a = b·a^(b−1); infinite where a = 0 and b < 1 (as in PyTorch)."""
    if b == 0:
        return 0.0
    try:
        return b * float(a) ** (b - 1)
    except (ZeroDivisionError, OverflowError):
        return math.copysign(math.inf, b)


def _exp(inputs: Inputs, _: float | None) -> float:
    try:
        return math.exp(inputs[0])
    except OverflowError:
        raise MathDomainError(f"exp({inputs[0]:g}) is too large to represent (overflow)") from None


def _log(inputs: Inputs, _: float | None) -> float:
    if inputs[0] <= 0:
        raise MathDomainError(f"log is only defined for positive numbers: log({inputs[0]:g})")
    return math.log(inputs[0])


def _sigmoid(inputs: Inputs, _: float | None) -> float:
    a = inputs[0]
    # Two forms so that exp never overflows: 1/(1+e^−a) for a ≥ 0, e^a/(1+e^a) for a < 0.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _var_pow_forward(inputs: Inputs, _: float | None) -> float:
    a, b = inputs
    if a <= 0:
        raise MathDomainError(f"a power with a variable exponent needs a positive base: ({a:g}) ^ {b:g}")
    return _pow(a, b)


OPS: dict[str, Op] = {
    "+": Op("+", "{a} + {b}", lambda i, _: _finite(i[0] + i[1], "a sum"), lambda i, o, _: (1.0, 1.0), ("1", "1")),
    "-": Op("−", "{a} − {b}", lambda i, _: _finite(i[0] - i[1], "a difference"), lambda i, o, _: (1.0, -1.0),
            ("1", "−1")),
    "*": Op("×", "{a} × {b}", lambda i, _: _finite(i[0] * i[1], "a product"), lambda i, o, _: (i[1], i[0]),
            ("{b}", "{a}")),
    "/": Op("÷", "{a} ÷ {b}", _div, lambda i, o, _: (1.0 / i[1], -i[0] / i[1] ** 2), ("1/{b}", "−{a}/{b}²")),
    "neg": Op("neg", "−{a}", lambda i, _: -i[0], lambda i, o, _: (-1.0,), ("−1",)),
    # Power by a constant exponent p (kept in `param`): one input.
    "pow": Op("^", "{a}^{p}", lambda i, p: _pow(i[0], p), lambda i, o, p: (_pow_local(i[0], p),),
              ("{p}·{a}^({p}−1)",)),
    # Power by a variable exponent: ∂/∂a = b·a^(b−1), ∂/∂b = a^b·ln a (a > 0).
    "vpow": Op(
        "^", "{a}^{b}", _var_pow_forward, lambda i, o, _: (_pow_local(i[0], i[1]), o * math.log(i[0])),
        ("{b}·{a}^({b}−1)", "{a}^{b}·ln {a}"),
    ),
    "tanh": Op("tanh", "tanh({a})", lambda i, _: math.tanh(i[0]), lambda i, o, _: (1.0 - o * o,),
               ("1 − tanh²({a})",)),
    "exp": Op("exp", "exp({a})", _exp, lambda i, o, _: (o,), ("exp({a})",)),
    "log": Op("log", "log({a})", _log, lambda i, o, _: (1.0 / i[0],), ("1/{a}",)),
    # relu'(0) = 0, as in PyTorch.
    "relu": Op(
        "relu", "relu({a})", lambda i, _: max(i[0], 0.0), lambda i, o, _: (1.0 if i[0] > 0 else 0.0,),
        ("(1 if {a} > 0 else 0)",),
    ),
    "sigmoid": Op("σ", "σ({a})", _sigmoid, lambda i, o, _: (o * (1.0 - o),), ("σ({a})·(1 − σ({a}))",)),
}


class Value:
    """A scalar in a computation graph: data, grad, the op that made it, its parents and their local derivatives."""

    def __init__(
        self,
        data: float,
        parents: tuple[Value, ...] = (),
        op: str = "",
        label: str = "",
        param: float | None = None,
    ):
        self.data = float(data)
        self.grad = 0.0  # ∂(output of backward)/∂self, filled in by backward()
        self.parents = parents  # the Values this one was computed from, in argument order
        self.op = op  # a key of OPS, "" for a leaf
        self.label = label  # a variable name, a number, or "" for intermediate results
        self.param = param  # the constant exponent of "pow"

    @classmethod
    def apply(cls, op: str, *parents: Value, param: float | None = None) -> Value:
        """A new Value made by running OPS[op] on the parents."""
        return cls(OPS[op].forward(tuple(p.data for p in parents), param), parents, op, param=param)

    def local_grads(self) -> Inputs:
        """∂self/∂parent for each parent, evaluated at the current data."""
        if not self.op:
            return ()
        return OPS[self.op].local(tuple(p.data for p in self.parents), self.data, self.param)

    @property
    def is_leaf(self) -> bool:
        """True for inputs and constants (made by no op)."""
        return not self.op

    # Arithmetic: numbers are wrapped as constant leaves so they show up in the graph.
    def __add__(self, other: Value | float) -> Value:
        return Value.apply("+", self, as_value(other))

    def __radd__(self, other: float) -> Value:
        return Value.apply("+", as_value(other), self)

    def __sub__(self, other: Value | float) -> Value:
        return Value.apply("-", self, as_value(other))

    def __rsub__(self, other: float) -> Value:
        return Value.apply("-", as_value(other), self)

    def __mul__(self, other: Value | float) -> Value:
        return Value.apply("*", self, as_value(other))

    def __rmul__(self, other: float) -> Value:
        return Value.apply("*", as_value(other), self)

    def __truediv__(self, other: Value | float) -> Value:
        return Value.apply("/", self, as_value(other))

    def __rtruediv__(self, other: float) -> Value:
        return Value.apply("/", as_value(other), self)

    def __neg__(self) -> Value:
        return Value.apply("neg", self)

    def __pow__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return Value.apply("vpow", self, other)
        return Value.apply("pow", self, param=float(other))

    def __rpow__(self, other: float) -> Value:
        return Value.apply("vpow", as_value(other), self)

    def tanh(self) -> Value:
        return Value.apply("tanh", self)

    def exp(self) -> Value:
        return Value.apply("exp", self)

    def log(self) -> Value:
        return Value.apply("log", self)

    def relu(self) -> Value:
        return Value.apply("relu", self)

    def sigmoid(self) -> Value:
        return Value.apply("sigmoid", self)

    def backward(self) -> None:
        """Fill .grad of every node with ∂self/∂node: reverse topological order, chain rule, sums over uses."""
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            # Push: each parent gets upstream grad × local derivative; a parent used twice receives twice.
            for parent, local in zip(node.parents, node.local_grads()):
                parent.grad += node.grad * local

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}, op={self.op!r}, label={self.label!r})"


def as_value(x: Value | float) -> Value:
    """x itself, or a constant leaf holding the number x."""
    return x if isinstance(x, Value) else Value(float(x), label=f"{float(x):g}")


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from root, each after all of its parents (iterative DFS: deep graphs are fine)."""
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in reversed(node.parents):
            if id(parent) not in seen:
                stack.append((parent, False))
    return order


def leaves(root: Value) -> list[Value]:
    """The leaves (inputs and constants) of root's graph, in topological order."""
    return [node for node in topological_order(root) if node.is_leaf]


def variables(nodes: Iterable[Value]) -> dict[str, Value]:
    """Named leaves by name (constants, labelled by their number, are left out)."""
    return {n.label: n for n in nodes if n.is_leaf and n.label and not is_number_label(n.label)}


def is_number_label(text: str) -> bool:
    """True when a leaf's label is a number (a constant), not a variable name (names start with a letter or _)."""
    return bool(text) and not (text[0].isalpha() or text[0] == "_")
