"""A safe recursive-descent parser for small maths expressions, and evaluators for Value graphs and PyTorch."""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import torch

from dlplay.lessons.backprop.scalar_autograd import Value, as_value

FUNCTIONS = ("tanh", "exp", "relu", "sigmoid", "log")
MAX_LENGTH = 300  # characters: a graph bigger than this is unreadable anyway
MAX_DEPTH = 30  # nesting of parentheses, unary minus and powers, far below Python's recursion limit
MAX_VARIABLES = 16  # one number input per variable on the page

# Grammar (lowest precedence first); '^' and '**' are the same right-associative power, as in Python -x**2 = -(x**2):
#   expr    := term (('+' | '-') term)*
#   term    := unary (('*' | '/') unary)*
#   unary   := ('-' | '+') unary | power
#   power   := primary (('^' | '**') unary)?
#   primary := NUMBER | NAME | FUNCTION '(' expr ')' | '(' expr ')'
_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<number>(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^()])"
)


class ExpressionError(ValueError):
    """A malformed expression, with the position of the offending character."""

    def __init__(self, message: str, text: str, position: int):
        super().__init__(f"{message} (at position {position})")
        self.message = message
        self.text = text
        self.position = position  # 0-based index into text; len(text) means "at the end"

    def caret(self) -> str:
        """The expression with a caret under the offending character, on two lines."""
        return f"{self.text}\n{' ' * self.position}^"


@dataclass(frozen=True)
class Num:
    """A number literal."""

    value: float
    text: str
    pos: int


@dataclass(frozen=True)
class Var:
    """A named variable."""

    name: str
    pos: int


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Node
    pos: int


@dataclass(frozen=True)
class Binary:
    """A binary operation: one of + - * / ^."""

    op: str
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True)
class Call:
    """One of FUNCTIONS applied to an expression."""

    func: str
    arg: Node
    pos: int


Node = Num | Var | Neg | Binary | Call


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            hint = " — use ^ or ** for powers" if char in "²³" else ""
            raise ExpressionError(f"unexpected character {char!r}{hint}", text, pos)
        kind = match.lastgroup
        if kind != "space":
            tokens.append(_Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    """One pass over the tokens; each grammar rule is a method."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def error(self, message: str, token: _Token | None = None) -> ExpressionError:
        return ExpressionError(message, self.text, (token or self.peek()).pos)

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text in texts

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)")

    def parse(self) -> Node:
        tree = self.expr()
        token = self.peek()
        if token.kind != "end":
            if token.text == ")":
                raise self.error("this ')' has no matching '('")
            previous = self.tokens[self.i - 1].text
            raise self.error(f"missing operator between {previous!r} and {token.text!r} (write e.g. 2*x, not 2x)")
        return tree

    def expr(self) -> Node:
        node = self.term()
        while self.at("+", "-"):
            op = self.take()
            node = Binary(op.text, node, self.term(), op.pos)
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            op = self.take()
            node = Binary(op.text, node, self.unary(), op.pos)
        return node

    def unary(self) -> Node:
        if self.at("-", "+"):
            op = self.take()
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return Neg(operand, op.pos) if op.text == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.at("^", "**"):
            op = self.take()
            self.nest()
            exponent = self.unary()
            self.depth -= 1
            return Binary("^", base, exponent, op.pos)
        return base

    def primary(self) -> Node:
        token = self.peek()
        if token.kind == "number":
            self.take()
            if not math.isfinite(float(token.text)):
                raise self.error(f"the number {token.text} is too large", token)
            return Num(float(token.text), token.text, token.pos)
        if token.kind == "name":
            self.take()
            if token.text in FUNCTIONS:
                if not self.at("("):
                    raise self.error(f"{token.text} is a function: write {token.text}(...)")
                return Call(token.text, self.parenthesized(), token.pos)
            if self.at("("):
                raise self.error(f"unknown function {token.text!r} (available: {', '.join(FUNCTIONS)})", token)
            if keyword.iskeyword(token.text):
                raise self.error(f"{token.text!r} is a reserved word in Python: pick another variable name", token)
            return Var(token.text, token.pos)
        if self.at("("):
            return self.parenthesized()
        if token.kind == "end":
            raise self.error("the expression ends too early: expected a number, a variable, a function or '('")
        raise self.error(f"unexpected {token.text!r}: expected a number, a variable, a function or '('")

    def parenthesized(self) -> Node:
        opening = self.take()
        self.nest()
        node = self.expr()
        self.depth -= 1
        if not self.at(")"):
            token = self.peek()
            if token.kind == "end":
                raise self.error(f"missing ')' to close the '(' at position {opening.pos}")
            raise self.error(f"expected ')' to close the '(' at position {opening.pos}, found {token.text!r}")
        self.take()
        return node


def parse(text: str) -> Node:
    """The syntax tree of text; raises ExpressionError with a position on malformed input."""
    if not text.strip():
        raise ExpressionError("type an expression, e.g. x^2 + 2*x", text, 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters", text, MAX_LENGTH)
    tree = _Parser(text).parse()
    names = variable_names(tree)
    if len(names) > MAX_VARIABLES:
        raise ExpressionError(f"at most {MAX_VARIABLES} variables, found {len(names)}", text, 0)
    return tree


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, (Neg, Call)):
        return (node.operand if isinstance(node, Neg) else node.arg,)
    return ()


def variable_names(tree: Node) -> list[str]:
    """The variables of tree, in order of first appearance."""
    names: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Var) and node.name not in names:
            names.append(node.name)
        stack.extend(reversed(_children(node)))
    return names


def _evaluate(tree: Node, leaf: Callable, power_const: Callable, funcs: dict[str, Callable]):
    """Walk tree bottom-up; numbers in a variable-free exponent are folded into one constant."""
    if isinstance(tree, Num):
        return leaf(tree)
    if isinstance(tree, Var):
        return leaf(tree)
    if isinstance(tree, Neg):
        return -_evaluate(tree.operand, leaf, power_const, funcs)
    if isinstance(tree, Call):
        return funcs[tree.func](_evaluate(tree.arg, leaf, power_const, funcs))
    left = _evaluate(tree.left, leaf, power_const, funcs)
    if tree.op == "^" and not variable_names(tree.right):
        # A constant exponent is a parameter of the power, not an input needing a gradient (as in x ** 2).
        return power_const(left, constant_value(tree.right))
    right = _evaluate(tree.right, leaf, power_const, funcs)
    return {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
            "/": lambda: left / right, "^": lambda: left**right}[tree.op]()


def constant_value(tree: Node) -> float:
    """The number a variable-free tree stands for."""
    root = build_values(tree, {})
    return root.data


def build_values(tree: Node, env: dict[str, float | Value]) -> Value:
    """The Value graph of tree with variables taken from env (one shared leaf per variable name)."""
    leaves: dict[str, Value] = {}

    def leaf(node: Num | Var) -> Value:
        if isinstance(node, Num):
            return Value(node.value, label=node.text)
        if node.name not in leaves:
            if node.name not in env:
                raise KeyError(f"no value for variable {node.name!r}")
            given = env[node.name]
            leaves[node.name] = given if isinstance(given, Value) else Value(float(given), label=node.name)
        return leaves[node.name]

    funcs = {name: (lambda n: lambda v: getattr(v, n)())(name) for name in FUNCTIONS}
    return as_value(_evaluate(tree, leaf, lambda v, p: v**p, funcs))


def evaluate_torch(tree: Node, env: dict[str, torch.Tensor]) -> torch.Tensor:
    """The same expression computed with PyTorch ops on the tensors in env (constants: float64, no grad)."""
    funcs = {"tanh": torch.tanh, "exp": torch.exp, "relu": torch.relu, "sigmoid": torch.sigmoid, "log": torch.log}

    def leaf(node: Num | Var):
        return torch.tensor(node.value, dtype=torch.float64) if isinstance(node, Num) else env[node.name]

    return _evaluate(tree, leaf, lambda t, p: t**p, funcs)


def torch_gradients(tree: Node, values: dict[str, float]) -> tuple[float, dict[str, float]]:
    """PyTorch's output and ∂output/∂variable for every variable of tree (float64)."""
    names = variable_names(tree)
    env = {name: torch.tensor(float(values[name]), dtype=torch.float64, requires_grad=True) for name in names}
    output = evaluate_torch(tree, env)
    if not env:
        return float(output.detach()), {}
    grads = torch.autograd.grad(output, list(env.values()), allow_unused=True)
    return float(output.detach()), {name: 0.0 if g is None else float(g) for name, g in zip(env, grads)}


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "^": 4}


def to_python(tree: Node, funcs_prefix: str = "torch.") -> str:
    """Python source for tree (powers as **, functions as torch.tanh(...)), with only the needed parentheses."""

    def show(node: Node, parent_prec: int, right_side: bool = False) -> str:
        if isinstance(node, Num):
            return node.text
        if isinstance(node, Var):
            return node.name
        if isinstance(node, Call):
            return f"{funcs_prefix}{node.func}({show(node.arg, 0)})"
        if isinstance(node, Neg):
            text, prec = f"-{show(node.operand, _PRECEDENCE['neg'])}", _PRECEDENCE["neg"]
        else:
            prec = _PRECEDENCE[node.op]
            if node.op == "^":  # right-associative; the exponent may be a unary minus
                text = f"{show(node.left, prec + 1)} ** {show(node.right, _PRECEDENCE['neg'])}"
            else:
                text = f"{show(node.left, prec)} {node.op} {show(node.right, prec, right_side=True)}"
        # Left-associative - and /: a right operand of equal precedence needs parentheses, a - (b - c).
        needs = prec < parent_prec or (right_side and prec == parent_prec)
        return f"({text})" if needs else text

    return show(tree, 0)
