"""Pretraining the embedded backbone on the source task once, cached in the data folder, in a background job."""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from dlplay.data.torchvision_sets import data_dir
from dlplay.lessons.practical.backbone import SOURCE_CLASSES, ColourNet, class_names, task_images
from dlplay.models.init import seeded_init_

VERSION = 1  # part of the cache key: bump it when ColourNet, the source task or the loop change


@dataclass(frozen=True)
class PretrainConfig:
    """How the embedded backbone is pretrained on the source task."""

    width: int = 16  # ColourNet's width: 16-32-64-64 channels, ≈ 65 k parameters
    n_per_class: int = 400  # source images per class (2,000 in all)
    n_test_per_class: int = 60  # held-out source images per class: the backbone's reported accuracy
    steps: int = 600  # optimizer steps: ≈ 20 s of one CPU core, 19 epochs
    batch_size: int = 64  # images per step
    lr: float = 3e-3  # OneCycleLR's peak learning rate (Adam)
    seed: int = 0  # fixed, not the page's seed: one cached backbone serves every session


@dataclass
class Pretrained:
    """A pretrained backbone and what is known about it."""

    model: ColourNet  # in eval mode, its head classifying the source classes
    source_accuracy: float  # accuracy on held-out source images
    seconds: float  # how long pretraining took (wall clock, where it ran)
    path: Path | None  # the cache file it came from or went to


def cache_path(config: PretrainConfig = PretrainConfig(), root: Path | None = None) -> Path:
    """Where the backbone pretrained with `config` is cached: <data folder>/pretrained/colournet-<hash>.pt."""
    key = hashlib.sha1(repr((VERSION, asdict(config))).encode()).hexdigest()[:10]
    return Path(root if root is not None else data_dir()) / "pretrained" / f"colournet-{key}.pt"


def pretrain(
    config: PretrainConfig = PretrainConfig(),
    progress: Callable[[float, str], None] | None = None,  # called with (fraction done, a line of status)
    stop: threading.Event | None = None,  # set from another thread: pretraining ends early (InterruptedError)
) -> Pretrained:
    """Train ColourNet on the source classes (Adam, one-cycle schedule); return it with its held-out accuracy."""
    start = time.perf_counter()
    X, y = task_images(SOURCE_CLASSES, config.n_per_class, seed=10_000 + config.seed)  # (N, 3, 32, 32), (N,)
    X_test, y_test = task_images(SOURCE_CLASSES, config.n_test_per_class, seed=20_000 + config.seed)
    model = seeded_init_(ColourNet(num_classes=len(SOURCE_CLASSES), width=config.width), config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=config.steps)
    generator = torch.Generator().manual_seed(config.seed)
    model.train()
    report_every = max(1, config.steps // 50)
    for step in range(config.steps):
        if stop is not None and stop.is_set():
            raise InterruptedError("pretraining was stopped before it finished")
        index = torch.randint(len(X), (config.batch_size,), generator=generator)
        loss = F.cross_entropy(model(X[index]), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if progress is not None and (step + 1) % report_every == 0:
            progress((step + 1) / config.steps, f"step {step + 1}/{config.steps} · batch loss {loss.item():.3f}")
    model.eval()
    with torch.inference_mode():
        accuracy = float((model(X_test).argmax(1) == y_test).float().mean())
    return Pretrained(model, accuracy, time.perf_counter() - start, None)


def save(pretrained: Pretrained, config: PretrainConfig, path: Path) -> None:
    """Write the backbone as a dict holding its state_dict (readable with weights_only=True), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "state_dict": pretrained.model.state_dict(),
        "architecture": "ColourNet",
        "config": asdict(config),
        "classes": list(class_names(SOURCE_CLASSES)),
        "source_accuracy": pretrained.source_accuracy,
        "seconds": pretrained.seconds,
    }
    partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
    torch.save(record, partial)
    os.replace(partial, path)  # readers never see half a file
    pretrained.path = path


def load_cached(config: PretrainConfig = PretrainConfig(), root: Path | None = None) -> Pretrained | None:
    """The cached backbone, or None when there is none (or it cannot be read: it will be pretrained again)."""
    path = cache_path(config, root)
    if not path.is_file():
        return None
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
        model = ColourNet(num_classes=len(SOURCE_CLASSES), width=config.width)
        model.load_state_dict(record["state_dict"])
    except Exception:  # noqa: BLE001 — a damaged or foreign file is treated as absent
        return None
    return Pretrained(model.eval(), float(record.get("source_accuracy", float("nan"))),
                      float(record.get("seconds", float("nan"))), path)


def ensure_pretrained(config: PretrainConfig = PretrainConfig(), root: Path | None = None,
                      progress: Callable[[float, str], None] | None = None) -> Pretrained:
    """The cached backbone, pretrained and cached first when there is none (blocking: benchmarks, notebooks, tests)."""
    cached = load_cached(config, root)
    if cached is not None:
        return cached
    pretrained = pretrain(config, progress)
    save(pretrained, config, cache_path(config, root))
    return pretrained


class PretrainJob:
    """Pretraining in a background thread, so the page stays live while it runs and shows its progress."""

    def __init__(self, config: PretrainConfig, path: Path):
        self.config, self.path = config, path
        self.fraction = 0.0  # share of the steps done
        self.status = "starting…"  # a line of progress for the page
        self.error = ""  # why it failed, in one line; "" while running or after success
        self.started = time.monotonic()
        self._done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dlplay-pretrain", daemon=True)

    def start(self) -> PretrainJob:
        self._thread.start()
        return self

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (or timeout); True if it ended."""
        return self._done.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """End the job early (the process is exiting) and wait for its thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _report(self, fraction: float, status: str) -> None:
        self.fraction, self.status = fraction, status

    def _run(self) -> None:
        try:
            pretrained = pretrain(self.config, self._report, self._stop)
            save(pretrained, self.config, self.path)
            self.fraction, self.status = 1.0, f"done: {pretrained.source_accuracy:.1%} on held-out source images"
        except Exception as error:  # noqa: BLE001 — shown on the page, not lost in a thread
            self.error = f"{type(error).__name__}: {error}".splitlines()[0][:200]
        finally:
            self._done.set()


# One job per cache file for the whole process: the backbone is the same for every session (fixed seed, a file in the
# data folder, like a downloaded data set), so sessions that open the page meanwhile share one job, not one each.
_jobs: dict[Path, PretrainJob] = {}
_jobs_lock = threading.Lock()


@atexit.register
def _stop_jobs() -> None:
    """At exit, stop the jobs still running: a thread inside torch when the interpreter ends aborts the process."""
    with _jobs_lock:
        jobs = list(_jobs.values())
    for job in jobs:
        job.stop()


def start_pretraining(config: PretrainConfig = PretrainConfig(), root: Path | None = None) -> PretrainJob:
    """The running job for this backbone, or a new one (a failed or vanished result is retried)."""
    path = cache_path(config, root)
    with _jobs_lock:
        job = _jobs.get(path)
        if job is None or (job.done and (job.error or not path.is_file())):
            job = _jobs[path] = PretrainJob(config, path).start()
        return job


def current_job(config: PretrainConfig = PretrainConfig(), root: Path | None = None) -> PretrainJob | None:
    """The job pretraining this backbone in this process, if one was started."""
    with _jobs_lock:
        return _jobs.get(cache_path(config, root))
