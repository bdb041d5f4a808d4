"""Deployment (chapter 12): ONNX in ONNX Runtime, torch.export's .pt2 and TorchScript give PyTorch's outputs; the graph."""

from __future__ import annotations

import io

import numpy as np
import onnx
import pytest
import torch
from torch import nn

from dlplay.lessons.practical.backbone import ColourNet
from dlplay.lessons.practical.deployment import (
    ONNX_TOLERANCE,
    eager_outputs,
    export_all,
    export_onnx,
    export_program,
    latencies,
    load_program,
    onnx_session,
    program_bytes,
    run_onnx,
    state_dict_bytes,
    summarize,
)
from dlplay.lessons.practical.onnx_graph import parse_onnx
from dlplay.models.init import seeded_init_
from dlplay.models.mlp import MLP


def _trained_colournet() -> ColourNet:
    """A small ColourNet whose batch norms hold non-trivial running statistics (as after training)."""
    model = seeded_init_(ColourNet(num_classes=5, width=4), 0)
    with torch.no_grad():
        model.train()
        model(torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 0.5)  # updates running stats
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=torch.Generator().manual_seed(2))
                module.bias.uniform_(-0.2, 0.2, generator=torch.Generator().manual_seed(3))
    return model.eval()


@pytest.fixture(scope="module")
def colournet() -> ColourNet:
    return _trained_colournet()


@pytest.fixture(scope="module")
def inputs() -> torch.Tensor:
    return torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(4))


@pytest.fixture(scope="module")
def report(colournet, inputs):
    """Every format exported once for the module (the ONNX exporter takes seconds)."""
    return export_all(colournet, inputs, name="colournet")


def test_onnx_outputs_equal_pytorch_in_onnx_runtime(report, colournet, inputs):
    session = onnx_session(report.artifacts["onnx"].data)
    for X in (inputs, inputs[:3], torch.rand(1, 3, 32, 32)):  # the batch dimension stays dynamic
        onnx_out = torch.from_numpy(run_onnx(session, X))
        with torch.inference_mode():
            expected = colournet(X)
        torch.testing.assert_close(onnx_out, expected, atol=ONNX_TOLERANCE, rtol=1e-4)
    assert report.artifacts["onnx"].max_abs_diff <= ONNX_TOLERANCE
    onnx.checker.check_model(onnx.load_from_string(report.artifacts["onnx"].data))


def test_onnx_export_of_an_mlp_matches_too():
    model = seeded_init_(MLP(20, 16, 3, batch_norm=True), 5).eval()
    X = torch.randn(4, 20, generator=torch.Generator().manual_seed(6))
    out = run_onnx(onnx_session(export_onnx(model, X)), X)
    torch.testing.assert_close(torch.from_numpy(out), model(X).detach(), atol=ONNX_TOLERANCE, rtol=1e-4)


def test_pt2_reloads_with_torch_export_load_and_gives_the_same_outputs(report, colournet, inputs):
    program = torch.export.load(io.BytesIO(report.artifacts["pt2"].data))
    assert isinstance(program, torch.export.ExportedProgram)
    for X in (inputs, inputs[:2]):
        with torch.inference_mode():
            torch.testing.assert_close(program.module()(X), colournet(X))
    assert report.artifacts["pt2"].max_abs_diff == 0.0
    assert "torch.ops.aten.conv2d" in report.program_code and "def forward" in report.program_code


def test_program_bytes_round_trip(colournet, inputs):
    program = export_program(colournet, inputs)
    again = load_program(program_bytes(program))
    torch.testing.assert_close(again.module()(inputs), program.module()(inputs))


def test_torchscript_and_state_dict_artifacts(report, colournet, inputs):
    script = report.artifacts["torchscript"]
    loaded = torch.jit.load(io.BytesIO(script.data))
    torch.testing.assert_close(loaded(inputs), colournet(inputs))
    assert script.filename == "colournet_scripted.pt"
    weights = torch.load(io.BytesIO(report.artifacts["state_dict"].data), weights_only=True)
    for name, tensor in colournet.state_dict().items():
        torch.testing.assert_close(weights[name], tensor)
    assert len(state_dict_bytes(colournet)) == report.artifacts["state_dict"].size
    assert not report.errors


class DataDependent(nn.Module):
    """Python control flow on a tensor's value: TorchScript copes, torch.export cannot trace it."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.fc(x)
        return -self.fc(x)


def test_an_export_that_fails_is_summarized_and_the_others_go_on():
    model = seeded_init_(DataDependent(), 0).eval()
    X = torch.rand(3, 4)
    report = export_all(model, X, kinds=("state_dict", "pt2", "torchscript"))
    assert "pt2" in report.errors and "\n" not in report.errors["pt2"] and len(report.errors["pt2"]) < 300
    assert set(report.artifacts) == {"state_dict", "torchscript"}
    assert report.artifacts["torchscript"].max_abs_diff == 0.0


def test_summarize_keeps_type_and_first_line():
    assert summarize(ValueError("\n  first line\nsecond")) == "ValueError: first line"
    assert summarize(KeyError()) == "KeyError"


def test_latencies_measure_every_runtime(report, colournet, inputs):
    times = latencies(colournet, report, inputs[:1], budget_s=0.02)
    assert set(times) == {"eager PyTorch", "ONNX Runtime", "torch.export program"}
    assert all(0 < t < 5 for t in times.values())


def test_eager_outputs_are_float32_numpy(colournet, inputs):
    out = eager_outputs(colournet, inputs)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (8, 5)


def test_onnx_graph_has_every_node_in_dependency_order(report):
    data = report.artifacts["onnx"].data
    proto = onnx.load_from_string(data)
    graph = parse_onnx(data)
    ops = [n for n in graph.nodes if n.kind == "op"]
    assert [n.label for n in ops] == [n.op_type for n in proto.graph.node]
    assert [n.kind for n in graph.nodes].count("input") == 1 and [n.kind for n in graph.nodes].count("output") == 1
    assert all(graph.nodes[a].layer < graph.nodes[b].layer for a, b, _ in graph.edges)
    assert graph.op_counts()["Conv"] == 4 and graph.opset == proto.opset_import[0].version
    assert graph.n_weights == sum(int(np.prod(t.dims)) for t in proto.graph.initializer)
    assert "batch×3×32×32" in graph.nodes[0].detail
    # every op node but the first is fed by some earlier node: the drawn graph is connected
    fed = {b for _, b, _ in graph.edges}
    assert all(i in fed for i, n in enumerate(graph.nodes) if n.kind != "input")
