"""Mixed precision, measured: one model trained in float32 and under torch.autocast side by side, per-step time and memory."""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from dlplay.data.colour_images import COLOUR_CLASSES, make_colour_images
from dlplay.lessons.practical.backbone import ColourNet
from dlplay.models.init import seeded_init_
from dlplay.models.mlp import MLP
from dlplay.training.race import RunGroup
from dlplay.training.run import RunConfig, TrainingRun

PRECISION_MODELS = ("CNN", "MLP")
RECENT = 30  # steps whose median time is reported: recent enough to follow changes, many enough to be steady


def amp_choices(device: torch.device | str) -> tuple[str, ...]:
    """Low-precision formats autocast offers here: float16 (with GradScaler) and bfloat16 on CUDA, bfloat16 elsewhere."""
    return ("float16", "bfloat16") if torch.device(device).type == "cuda" else ("bfloat16",)


@dataclass(frozen=True)
class PrecisionConfig:
    """The model both runs train, and the low-precision format of the second."""

    model: str = "CNN"  # one of PRECISION_MODELS: ColourNet(10, width) or MLP(3072, width, 10)
    width: int = 32  # ColourNet's width (channels 32-64-128-128) or the MLP's hidden_size
    batch_size: int = 128  # images per step: larger batches give the low-precision kernels more to do
    lr: float = 1e-3  # Adam's learning rate, both runs
    amp: str = "bfloat16"  # autocast's format for the second run (float16 adds a GradScaler on CUDA)
    n_train: int = 1500  # colour images to train on (all 10 classes)
    n_val: int = 300  # held-out images for the validation curve
    eval_every: int = 20  # steps between evaluations
    memory_every: int = 50  # steps between measurements of the bytes saved for backward (the hooks slow a step)
    seed: int = 0  # data, initial weights (the same for both runs) and batch order


class SavedTensorBytes:
    """Context manager counting the bytes autograd keeps for the backward pass (each storage once)."""

    def __init__(self):
        self.bytes = 0
        self._seen: set[int] = set()
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)

    def _pack(self, tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in self._seen:
            self._seen.add(storage.data_ptr())
            self.bytes += storage.nbytes()
        return tensor

    def __enter__(self) -> SavedTensorBytes:
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)


class TimedRun(TrainingRun):
    """A TrainingRun that times every step (synchronizing CUDA) and measures memory every `memory_every` steps."""

    def __init__(self, *args, memory_every: int = 50, **kwargs):
        super().__init__(*args, **kwargs)
        self.memory_every = memory_every
        self.step_seconds: list[float] = []  # wall time of each timed step
        self.saved_bytes = math.nan  # bytes autograd saved for backward in the latest measured step
        self.peak_bytes = math.nan  # CUDA: peak allocated bytes during the latest step
        self._calls = 0

    def _train_step(self) -> torch.Tensor:
        self._calls += 1
        if self._calls % self.memory_every == 1:  # measured, not timed: the hooks cost time
            with SavedTensorBytes() as counter:
                loss = super()._train_step()
            self.saved_bytes = counter.bytes
            return loss
        cuda = self.device.type == "cuda"
        if cuda:
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        start = time.perf_counter()
        loss = super()._train_step()
        if cuda:
            torch.cuda.synchronize(self.device)
            self.peak_bytes = float(torch.cuda.max_memory_allocated(self.device))
        self.step_seconds.append(time.perf_counter() - start)
        return loss

    def median_step(self) -> float:
        """Median seconds per step over the recent timed steps (nan before any)."""
        recent = self.step_seconds[-RECENT:]
        return statistics.median(recent) if recent else math.nan


class PrecisionRace(RunGroup):
    """float32 and autocast runs of the same model from the same weights on the same batches."""

    def __init__(self, runs: dict[str, TimedRun], config: PrecisionConfig):
        super().__init__(runs)
        self.config = config
        self.model = nn.ModuleDict({("float32" if i == 0 else "autocast"): run.model for i, run in enumerate(runs.values())})

    @property
    def device(self) -> torch.device:
        return next(iter(self.runs.values())).device

    @property
    def history(self):
        return next(iter(self.runs.values())).history

    def set_lr(self, lr: float) -> None:
        for run in self.runs.values():
            run.set_lr(lr)


def make_model(config: PrecisionConfig) -> nn.Module:
    """ColourNet(10, width), or MLP(3072, width, 10) after a Flatten; seeded."""
    if config.model == "CNN":
        model = ColourNet(num_classes=len(COLOUR_CLASSES), width=config.width)
    elif config.model == "MLP":
        model = nn.Sequential(nn.Flatten(), MLP(3 * 32 * 32, config.width, len(COLOUR_CLASSES)))  # (B, 3072) → (B, 10)
    else:
        raise ValueError(f"unknown model {config.model!r}; choose one of {', '.join(PRECISION_MODELS)}")
    return seeded_init_(model, config.seed)


def amp_label(config: PrecisionConfig, device: torch.device) -> str:
    scaler = " + GradScaler" if config.amp == "float16" and device.type == "cuda" else ""
    return f"autocast {config.amp}{scaler}"


def build_precision_race(config: PrecisionConfig, device: torch.device | str = "cpu") -> PrecisionRace:
    """Two TimedRuns: float32, and the same weights under torch.autocast(config.amp)."""
    device = torch.device(device)
    if config.amp not in amp_choices(device):
        raise ValueError(f"{config.amp} autocast is not offered on {device.type}; choose {', '.join(amp_choices(device))}")
    per_class = math.ceil((config.n_train + config.n_val) / len(COLOUR_CLASSES))
    X, y = make_colour_images(per_class, seed=40_000 + config.seed)  # (N, 3, 32, 32), (N,)
    X_train, y_train = X[: config.n_train], y[: config.n_train]
    X_val, y_val = X[config.n_train : config.n_train + config.n_val], y[config.n_train : config.n_train + config.n_val]
    runs = {}
    for name, dtype in (("float32", None), (amp_label(config, device), getattr(torch, config.amp))):
        run_config = RunConfig(batch_size=config.batch_size, eval_every=config.eval_every, eval_samples=config.n_val,
                               amp_dtype=dtype, seed=config.seed)
        runs[name] = TimedRun(make_model(config), X_train, y_train, X_val, y_val, optimizer=_adam(config.lr),
                              config=run_config, device=device, memory_every=config.memory_every)
    return PrecisionRace(runs, config)


def _adam(lr: float):
    return lambda params: torch.optim.Adam(params, lr=lr)


def measurements(race: PrecisionRace) -> list[dict]:
    """One row per run: median time per step, speed against float32, memory, latest losses."""
    rows, reference = [], None
    for name, run in race.runs.items():
        seconds = run.median_step()
        reference = seconds if reference is None else reference
        h = run.history
        rows.append({
            "run": name, "steps": run.steps, "ms per step": seconds * 1e3,
            "speed vs float32": reference / seconds if seconds and not math.isnan(seconds) else math.nan,
            "saved for backward (MB)": run.saved_bytes / 2**20, "CUDA peak (MB)": run.peak_bytes / 2**20,
            "train loss": h.train_loss[-1] if h.train_loss else math.nan,
            "val acc": h.val_acc[-1] if h.val_acc else math.nan,
        })
    return rows


def cpu_bfloat16_note(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """Whether this CPU has bfloat16 instructions (AMX or AVX-512 BF16), in a sentence."""
    try:
        flags = set(cpuinfo.read_text().split())
    except OSError:
        return "This system does not say which instructions its CPU has: the measurement below is the only guide."
    found = [name for flag, name in (("amx_bf16", "AMX-BF16"), ("avx512_bf16", "AVX-512 BF16")) if flag in flags]
    if found:
        return (f"This CPU has bfloat16 instructions ({', '.join(found)}): oneDNN can run matrix products and "
                "convolutions in bfloat16 — but small layers may still not gain; the numbers say.")
    return ("This CPU has no bfloat16 instructions (no AMX-BF16, no AVX-512 BF16): PyTorch converts to float32 to compute, "
            "so autocast adds conversions and is likely **slower** here. On such a CPU mixed precision only saves memory.")
