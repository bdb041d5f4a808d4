"""From a trained model to deployable files: state_dict, ONNX (verified in ONNX Runtime), torch.export, TorchScript."""

from __future__ import annotations

import copy
import io
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

EXAMPLE_BATCH = 8  # inputs the exports are traced and verified on (≥ 2, so the batch dimension stays dynamic)
ONNX_TOLERANCE = 1e-4  # max |ONNX Runtime − PyTorch| accepted as "the same outputs" (float32 kernels differ slightly)


@dataclass
class Artifact:
    """One exported file: its bytes, how long it took, how far its outputs are from eager PyTorch."""

    kind: str  # "state_dict" | "onnx" | "pt2" | "torchscript"
    filename: str
    data: bytes
    seconds: float  # time to produce (and verify) it
    max_abs_diff: float | None = None  # vs eager PyTorch on the example inputs; None when not run
    note: str = ""  # e.g. the deprecation warning TorchScript raised

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ExportReport:
    """Everything the deployment section shows: the artifacts, the errors (one line each), the exported graph."""

    artifacts: dict[str, Artifact] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # kind → what went wrong, summarized
    program_code: str = ""  # the ExportedProgram's graph as Python (ep.graph_module.code)
    seconds: float = 0.0  # the whole export and verification


def summarize(error: BaseException) -> str:
    """An exception in one readable line: its type and the first meaningful line of its message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0][:240]}" if lines else type(error).__name__


def eager_outputs(model: nn.Module, X: torch.Tensor) -> np.ndarray:
    """The eager model's outputs for X (eval mode, no autograd), as float32 numpy."""
    with torch.inference_mode():
        return model(X).float().numpy()


def _dynamic_batch() -> tuple[dict[int, object]]:
    """dynamic_shapes for one positional input: the batch dimension free, the rest fixed."""
    return ({0: torch.export.Dim("batch", min=1, max=4096)},)


# ----- the four formats ---------------------------------------------------------------------------------------------
def state_dict_bytes(model: nn.Module) -> bytes:
    """torch.save(model.state_dict()): the weights only, read back with torch.load(..., weights_only=True)."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def export_onnx(model: nn.Module, X: torch.Tensor) -> bytes:
    """The model as an ONNX file, by the current exporter (torch.export underneath, then onnxscript)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's progress chatter; failures still raise
        program = torch.onnx.export(model, (X,), dynamo=True, dynamic_shapes=_dynamic_batch(), verbose=False)
    return program.model_proto.SerializeToString()


def onnx_session(onnx_bytes: bytes):
    """An ONNX Runtime session on the CPU for an ONNX file's bytes, on as many threads as torch uses."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # the same as eager PyTorch: a fair latency comparison
    options.inter_op_num_threads = 1
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def run_onnx(session, X: torch.Tensor) -> np.ndarray:
    """The ONNX model's outputs for X in ONNX Runtime."""
    return session.run(None, {session.get_inputs()[0].name: X.numpy()})[0]


def export_program(model: nn.Module, X: torch.Tensor) -> torch.export.ExportedProgram:
    """torch.export: the model's forward as a graph of ATen operators, with a dynamic batch dimension."""
    return torch.export.export(model, (X,), dynamic_shapes=_dynamic_batch())


def program_bytes(program: torch.export.ExportedProgram) -> bytes:
    """The ExportedProgram saved as a .pt2 archive."""
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return buffer.getvalue()


def load_program(data: bytes) -> torch.export.ExportedProgram:
    """A .pt2 archive back as an ExportedProgram (torch.export.load)."""
    return torch.export.load(io.BytesIO(data))


def torchscript_bytes(model: nn.Module) -> tuple[bytes, str]:
    """torch.jit.script(model) saved, as the curriculum writes it; also the deprecation warning it raised, if any."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scripted = torch.jit.script(model)
        buffer = io.BytesIO()
        torch.jit.save(scripted, buffer)
    notes = [str(w.message).splitlines()[0] for w in caught if issubclass(w.category, DeprecationWarning | FutureWarning)]
    return buffer.getvalue(), notes[0][:240] if notes else ""


def load_torchscript(data: bytes) -> torch.jit.ScriptModule:
    return torch.jit.load(io.BytesIO(data), map_location="cpu")


# ----- all of them, verified -----------------------------------------------------------------------------------------
def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        raise ValueError(f"outputs of shape {a.shape} instead of {b.shape}")
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max())


def export_all(model: nn.Module, X: torch.Tensor, kinds: tuple[str, ...] = ("state_dict", "onnx", "pt2", "torchscript"),
               name: str = "model") -> ExportReport:
    """Export a CPU copy of the model in eval mode to each format, reload each and compare outputs with eager PyTorch.

    A format that fails is recorded in `errors` (summarized) and the others go on."""
    start = time.perf_counter()
    model = copy.deepcopy(model).cpu().eval()
    X = X.detach().cpu().float()
    expected = eager_outputs(model, X)
    report = ExportReport()

    def attempt(kind: str, make: Callable[[], Artifact]) -> None:
        if kind not in kinds:
            return
        began = time.perf_counter()
        try:
            artifact = make()
        except Exception as error:  # noqa: BLE001 — an export that fails is shown, the page goes on
            report.errors[kind] = summarize(error)
            return
        artifact.seconds = time.perf_counter() - began
        report.artifacts[kind] = artifact

    def weights() -> Artifact:
        data = state_dict_bytes(model)
        reloaded = copy.deepcopy(model)
        reloaded.load_state_dict(torch.load(io.BytesIO(data), map_location="cpu", weights_only=True))
        return Artifact("state_dict", f"{name}.pt", data, 0.0, _max_diff(eager_outputs(reloaded, X), expected))

    def onnx() -> Artifact:
        data = export_onnx(model, X)
        return Artifact("onnx", f"{name}.onnx", data, 0.0, _max_diff(run_onnx(onnx_session(data), X), expected))

    def pt2() -> Artifact:
        program = export_program(model, X)
        report.program_code = program.graph_module.code.strip()
        data = program_bytes(program)
        return Artifact("pt2", f"{name}.pt2", data, 0.0, _max_diff(eager_outputs(load_program(data).module(), X), expected))

    def torchscript() -> Artifact:
        data, note = torchscript_bytes(model)
        return Artifact("torchscript", f"{name}_scripted.pt", data, 0.0,
                        _max_diff(eager_outputs(load_torchscript(data), X), expected), note)

    for kind, make in (("state_dict", weights), ("onnx", onnx), ("pt2", pt2), ("torchscript", torchscript)):
        attempt(kind, make)
    report.seconds = time.perf_counter() - start
    return report


# ----- latency -------------------------------------------------------------------------------------------------------
def median_latency(predict: Callable[[], object], budget_s: float = 0.3, max_calls: int = 200) -> float:
    """Median seconds of one call, after two warm-up calls, over as many calls as fit in budget_s (at least 5)."""
    for _ in range(2):
        predict()
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < 5 or (time.perf_counter() < deadline and len(times) < max_calls):
        began = time.perf_counter()
        predict()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def latencies(model: nn.Module, report: ExportReport, x: torch.Tensor, budget_s: float = 0.3) -> dict[str, float]:
    """Median seconds per call on the CPU for input x: eager PyTorch, ONNX Runtime, the exported program."""
    model = copy.deepcopy(model).cpu().eval()
    x = x.detach().cpu().float()
    results = {}

    def eager() -> None:
        with torch.inference_mode():
            model(x)

    results["eager PyTorch"] = median_latency(eager, budget_s)
    if "onnx" in report.artifacts:
        session = onnx_session(report.artifacts["onnx"].data)
        feed = {session.get_inputs()[0].name: x.numpy()}
        results["ONNX Runtime"] = median_latency(lambda: session.run(None, feed), budget_s)
    if "pt2" in report.artifacts:
        program = load_program(report.artifacts["pt2"].data).module()

        def exported() -> None:
            with torch.inference_mode():
                program(x)

        results["torch.export program"] = median_latency(exported, budget_s)
    return results
