"""An ONNX file's graph as nodes and edges laid out in columns, so a page can draw it without an outside viewer."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_ATTRIBUTE_CHARS = 60  # a long attribute (a whole tensor) is cut in the hover text


@dataclass
class GraphNode:
    """One operator (or the graph's input/output), placed at (layer, row)."""

    label: str  # the operator type, e.g. "Conv"; "input x" / "output linear" for the ends
    kind: str  # "op" | "input" | "output"
    detail: str  # hover text: name, tensors in and out with shapes, weights, attributes
    layer: int = 0  # column: 1 + the deepest producer's column
    row: float = 0.0  # position within its column, centred on 0


@dataclass
class OnnxGraph:
    """The nodes, the edges between them (producer index, consumer index, tensor name) and the file's header."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[tuple[int, int, str]] = field(default_factory=list)
    opset: int = 0
    producer: str = ""
    n_weights: int = 0  # values stored in the initializers (the weights)

    def op_counts(self) -> dict[str, int]:
        """How many nodes of each operator type."""
        counts: dict[str, int] = {}
        for node in self.nodes:
            if node.kind == "op":
                counts[node.label] = counts.get(node.label, 0) + 1
        return counts


def _shape(value_info) -> str:
    """'batch×3×32×32' from an ONNX ValueInfo's tensor type ('?' for an unknown dimension)."""
    dims = value_info.type.tensor_type.shape.dim
    return "×".join(d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?") for d in dims) or "scalar"


def _attribute(attribute) -> str:
    import onnx

    value = onnx.helper.get_attribute_value(attribute)
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    text = str(list(value) if isinstance(value, list | tuple) else value)
    return text if len(text) <= MAX_ATTRIBUTE_CHARS else text[: MAX_ATTRIBUTE_CHARS - 1] + "…"


def parse_onnx(data: bytes) -> OnnxGraph:
    """Read an ONNX model's bytes into nodes and edges, laid out left to right in dependency order."""
    import onnx

    model = onnx.load_from_string(data)
    graph = model.graph
    shapes = {v.name: _shape(v) for v in [*graph.input, *graph.value_info, *graph.output]}
    weights = {t.name: tuple(t.dims) for t in graph.initializer}
    result = OnnxGraph(opset=next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0),
                       producer=f"{model.producer_name} {model.producer_version}".strip(),
                       n_weights=sum(_count(dims) for dims in weights.values()))
    producer: dict[str, int] = {}  # tensor name → index of the node that makes it
    for value in graph.input:
        if value.name in weights:
            continue
        producer[value.name] = len(result.nodes)
        result.nodes.append(GraphNode(f"input {value.name}", "input", f"input <b>{value.name}</b>: {shapes[value.name]}"))
    for node in graph.node:
        index = len(result.nodes)
        ins = [t for t in node.input if t and t not in weights]
        held = [f"{t} {'×'.join(map(str, weights[t])) or 'scalar'}" for t in node.input if t in weights]
        lines = [f"<b>{node.op_type}</b> ({node.name})",
                 "in: " + (", ".join(f"{t} {shapes.get(t, '')}".strip() for t in ins) or "—"),
                 "out: " + ", ".join(f"{t} {shapes.get(t, '')}".strip() for t in node.output)]
        if held:
            lines.append("weights: " + ", ".join(held))
        lines += [f"{a.name} = {_attribute(a)}" for a in node.attribute]
        layer = 1 + max((result.nodes[producer[t]].layer for t in ins if t in producer), default=0)
        result.nodes.append(GraphNode(node.op_type, "op", "<br>".join(lines), layer))
        for t in ins:
            if t in producer:
                result.edges.append((producer[t], index, t))
        for t in node.output:
            producer[t] = index
    for value in graph.output:
        index = len(result.nodes)
        source = producer.get(value.name)
        layer = 1 + (result.nodes[source].layer if source is not None else 0)
        result.nodes.append(GraphNode(f"output {value.name}", "output", f"output <b>{value.name}</b>: {shapes[value.name]}", layer))
        if source is not None:
            result.edges.append((source, index, value.name))
    _place_rows(result.nodes)
    return result


def _count(dims: tuple[int, ...]) -> int:
    total = 1
    for d in dims:
        total *= d
    return total


def _place_rows(nodes: list[GraphNode]) -> None:
    """Spread the nodes of each column vertically, centred, in the order they appear."""
    columns: dict[int, list[GraphNode]] = {}
    for node in nodes:
        columns.setdefault(node.layer, []).append(node)
    for members in columns.values():
        for i, node in enumerate(members):
            node.row = i - (len(members) - 1) / 2
