"""Forward and backward passes over a Value graph, one node at a time, with the chain rule written out."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlplay.lessons.backprop.expression_parser import build_values, parse, to_python, torch_gradients, variable_names
from dlplay.lessons.backprop.scalar_autograd import OPS, Value, is_number_label, topological_order

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
MAX_NODES = 60  # more boxes than this do not fit a readable graph
MAX_COLUMNS = 20  # nor do more depth columns


class GraphTooLargeError(ValueError):
    """An expression whose graph is too big to draw readably."""


@dataclass(frozen=True)
class Preset:
    """A ready-made expression for the page, with starting values for its variables."""

    key: str  # short id used in widget keys
    title: str  # shown in the picker
    expression: str  # in the grammar of expression_parser
    values: dict[str, float] = field(default_factory=dict)  # starting value per variable
    output_name: str = "L"  # the name of the graph's output in the chain-rule text


PRESETS: tuple[Preset, ...] = (
    Preset("quad", "y = x² + 2x (chapter 3.3)", "x^2 + 2*x", {"x": 3.0}, "y"),
    Preset(
        "neuron", "One neuron + squared error", "(tanh(w1*x1 + w2*x2 + b) - target)^2",
        # micrograd's neuron: the pre-activation is 0.8814, so tanh gives 1/√2.
        {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432, "target": 1.0},
    ),
    Preset(
        "net", "2-2-1 network + MSE (one sample)",
        "(v1*tanh(w11*x1 + w12*x2 + b1) + v2*tanh(w21*x1 + w22*x2 + b2) + c - y)^2",
        {"x1": 1.0, "x2": -2.0, "w11": 0.5, "w12": -0.3, "b1": 0.1, "w21": -0.8, "w22": 0.2, "b2": 0.0,
         "v1": 1.2, "v2": -0.7, "c": 0.3, "y": 1.0},
    ),
    Preset("own", "Your own expression", "sigmoid(a*b + c) * log(a)", {"a": 2.0, "b": -1.0, "c": 0.5}, "f"),
)


def fmt(x: float | None) -> str:
    """A number in 4 significant digits; negatives in parentheses so products read unambiguously."""
    if x is None:
        return "?"
    x = x + 0.0  # turns −0.0 into 0.0
    text = f"{x:.4g}".replace("inf", "∞")
    return f"({text})" if x < 0 else text


class BackpropStepper:
    """Forward in topological order computing values, backward in reverse order accumulating gradients."""

    def __init__(self, root: Value, output_name: str = "L"):
        self.nodes = topological_order(root)
        index = {id(node): i for i, node in enumerate(self.nodes)}
        self.parents = [tuple(index[id(p)] for p in node.parents) for node in self.nodes]
        # users[i]: (j, k) for every node j that takes node i as its k-th input.
        self.users: list[list[tuple[int, int]]] = [[] for _ in self.nodes]
        for j, parents in enumerate(self.parents):
            for k, i in enumerate(parents):
                self.users[i].append((j, k))
        self.names = self._names(output_name)
        self.reset()

    def _names(self, output_name: str) -> list[str]:
        labels = {node.label for node in self.nodes if node.is_leaf}
        names, count = [], 0
        for i, node in enumerate(self.nodes):
            if node.is_leaf:
                names.append(node.label or f"c{i}")
            elif i == len(self.nodes) - 1 and output_name not in labels:
                names.append(output_name)
            else:
                count += 1
                names.append(f"n{count}".translate(_SUBSCRIPTS))
        return names

    def reset(self) -> None:
        """Forget every computed value and gradient."""
        self.values: list[float | None] = [None] * len(self.nodes)
        self.grads: list[float | None] = [None] * len(self.nodes)
        self.forward_done = 0  # nodes whose value is known, a prefix of the topological order
        self.backward_done = 0  # nodes whose gradient is final, a suffix of the topological order
        self.current: int | None = None  # the node visited by the last step

    @property
    def phase(self) -> str:
        """'forward', 'backward' or 'done'."""
        if self.forward_done < len(self.nodes):
            return "forward"
        return "backward" if self.backward_done < len(self.nodes) else "done"

    @property
    def output(self) -> int:
        """The index of the output node (last in topological order)."""
        return len(self.nodes) - 1

    def step_forward(self) -> bool:
        """Compute the value of the next node from its parents' values; False when the forward pass is over."""
        if self.forward_done >= len(self.nodes):
            return False
        i = self.forward_done
        node = self.nodes[i]
        if node.is_leaf:
            self.values[i] = node.data
        else:
            inputs = tuple(self.values[p] for p in self.parents[i])
            self.values[i] = OPS[node.op].forward(inputs, node.param)
        self.forward_done += 1
        self.current = i
        return True

    def step_backward(self) -> bool:
        """Finalize the gradient of the next node in reverse order; False before the forward pass ends or when done."""
        if self.phase != "backward":
            return False
        i = self.output - self.backward_done
        if i == self.output:
            self.grads[i] = 1.0  # ∂L/∂L
        else:
            # Pull: every user j of node i is later in topological order, so its gradient is already final.
            self.grads[i] = sum(self.grads[j] * self._local(j, k) for j, k in self.users[i])
        self.backward_done += 1
        self.current = i
        return True

    def run_to_end(self) -> None:
        """Finish the forward pass and then the backward pass."""
        while self.step_forward() or self.step_backward():
            pass

    def _local(self, j: int, k: int) -> float:
        """∂node_j/∂(its k-th input), from the values computed in the forward pass."""
        node = self.nodes[j]
        inputs = tuple(self.values[p] for p in self.parents[j])
        return OPS[node.op].local(inputs, self.values[j], node.param)[k]

    def _fill(self, template: str, j: int, numbers: bool) -> str:
        """An op template of node j with its inputs' names (or values)."""
        parents = self.parents[j]
        show = (lambda p: fmt(self.values[p])) if numbers else (lambda p: self.names[p])
        a = show(parents[0])
        b = show(parents[1]) if len(parents) > 1 else ""
        p = f"{self.nodes[j].param:g}" if self.nodes[j].param is not None else ""
        return template.format(a=a, b=b, p=p)

    def label(self, i: int) -> str:
        """A node's name with how it is computed: 'n₁ = x^2'."""
        node = self.nodes[i]
        if node.is_leaf:
            return self.names[i]
        return f"{self.names[i]} = {self._fill(OPS[node.op].template, i, numbers=False)}"

    def short_label(self, i: int) -> str:
        """A node's name with just its op, compact enough for a graph box: 'n₁: ^2'."""
        node = self.nodes[i]
        if node.is_leaf:
            return self.names[i]
        symbol = f"^{node.param:g}" if node.op == "pow" else OPS[node.op].symbol
        return f"{self.names[i]}: {symbol}"

    def explain(self, i: int | None = None) -> list[str]:
        """Lines of text showing how the current (or given) node's value or gradient was computed."""
        i = self.current if i is None else i
        if i is None:
            return ["Press Step forward to compute the first node."]
        name, node = self.names[i], self.nodes[i]
        out = self.names[self.output]
        if self.grads[i] is None:  # the last visit of node i was in the forward pass
            if node.is_leaf:
                kind = "a constant" if name == node.label and is_number_label(name) else "an input"
                return [f"{name} is {kind}: {name} = {fmt(self.values[i])}"]
            template = OPS[node.op].template
            return [f"{name} = {self._fill(template, i, False)} = {self._fill(template, i, True)} = {fmt(self.values[i])}"]
        if i == self.output:
            return [f"∂{out}/∂{out} = 1: the backward pass starts from the output."]
        terms = []
        for j, k in self.users[i]:
            local = self._local(j, k)
            formula = self._fill(OPS[self.nodes[j].op].formulas[k], j, numbers=False)
            terms.append((j, local, formula, self.grads[j] * local))
        if len(terms) == 1:
            j, local, formula, product = terms[0]
            user = self.names[j]
            return [
                f"∂{out}/∂{name} = ∂{out}/∂{user} × ∂{user}/∂{name} = {fmt(self.grads[j])} × {fmt(local)} = {fmt(product)}",
                f"upstream gradient ∂{out}/∂{user} = {fmt(self.grads[j])}, from {self.label(j)}",
                f"local derivative ∂{user}/∂{name} = {formula}" + ("" if formula == fmt(local) else f" = {fmt(local)}"),
            ]
        lines = [f"{name} is used by {len(terms)} nodes: its gradient sums one chain-rule product per use"]
        for j, local, formula, product in terms:
            user = self.names[j]
            lines.append(
                f"  via {self.label(j)}:  ∂{out}/∂{user} × ∂{user}/∂{name} = {fmt(self.grads[j])} × {fmt(local)}"
                f" = {fmt(product)}   (∂{user}/∂{name} = {formula})"
            )
        lines.append(f"∂{out}/∂{name} = {' + '.join(fmt(t[3]) for t in terms)} = {fmt(self.grads[i])}")
        return lines

    def active_edges(self) -> list[tuple[int, int]]:
        """Edges the last step used: into the current node (forward) or from it to its users (backward)."""
        i = self.current
        if i is None:
            return []
        if self.grads[i] is None:
            return [(p, i) for p in self.parents[i]]
        return [(i, j) for j, _ in self.users[i]]

    def depths(self) -> list[int]:
        """Column of each node, left to right: ops one right of their deepest input, leaves just left of first use."""
        depth = [0] * len(self.nodes)
        for i, parents in enumerate(self.parents):
            if parents:
                depth[i] = 1 + max(depth[p] for p in parents)
        for i, node in enumerate(self.nodes):
            if node.is_leaf and self.users[i]:
                depth[i] = min(depth[j] for j, _ in self.users[i]) - 1
        return depth

    def edges(self) -> list[tuple[int, int]]:
        """(input, user) pairs, one per use."""
        return [(p, j) for j, parents in enumerate(self.parents) for p in parents]

    def variable_grads(self) -> dict[str, float | None]:
        """The stepper's gradient for each named input."""
        return {self.names[i]: self.grads[i] for i, n in enumerate(self.nodes) if n.is_leaf and not is_number_label(n.label)}


def stepper_for(expression: str, values: dict[str, float], output_name: str = "L") -> BackpropStepper:
    """Parse expression, build its graph at values and wrap it in a fresh stepper (parse and domain errors propagate)."""
    stepper = BackpropStepper(build_values(parse(expression), values), output_name)
    if len(stepper.nodes) > MAX_NODES:
        raise GraphTooLargeError(f"its graph has {len(stepper.nodes)} nodes; at most {MAX_NODES} can be drawn")
    if max(stepper.depths()) + 1 > MAX_COLUMNS:
        raise GraphTooLargeError(f"its graph is {max(stepper.depths()) + 1} steps deep; at most {MAX_COLUMNS} can be drawn")
    return stepper


def comparison_rows(expression: str, values: dict[str, float], ours: dict[str, float | None]) -> list[dict]:
    """One row per variable: our gradient, PyTorch's and the absolute difference."""
    tree = parse(expression)
    _, torch_grads = torch_gradients(tree, values)
    rows = []
    for name in variable_names(tree):
        mine, theirs = ours.get(name), torch_grads[name]
        diff = abs(mine - theirs) if mine is not None else None
        rows.append({"variable": name, "ours": mine, "PyTorch": theirs, "|diff|": diff})
    return rows


def torch_code(expression: str, values: dict[str, float], output_name: str = "L") -> str:
    """The PyTorch autograd program for expression at values (the curriculum's 3.3, adapted)."""
    tree = parse(expression)
    names = variable_names(tree)
    lines = ["import torch", "", "# Leaves that need gradients"]
    lines += [f"{n} = torch.tensor({values[n]!r}, dtype=torch.float64, requires_grad=True)" for n in names]
    lines += ["", "# Forward pass: PyTorch records the graph as it computes", f"{output_name} = {to_python(tree)}", ""]
    lines += ["# Backward pass (automatic!)", f"{output_name}.backward()", "", "# Gradients"]
    lines += [f"print({n}.grad)  # ∂{output_name}/∂{n}" for n in names]
    return "\n".join(lines)
