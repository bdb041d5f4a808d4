"""Device choice and seeding."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch


def available_devices() -> list[str]:
    """Every device this machine can train on, the fastest first."""
    devices = []
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" if torch.cuda.device_count() > 1 else "cuda" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    devices.append("cpu")
    return devices


def pick_device(preference: str = "auto") -> torch.device:
    """Resolve "auto" (cuda → mps → cpu), honouring DLPLAY_DEVICE; an unusable choice falls back to auto."""
    choice = os.environ.get("DLPLAY_DEVICE", "").strip() or preference
    if choice != "auto":
        try:
            device = torch.device(choice)
            torch.empty(1, device=device)  # proves the device really works
            return device
        except (RuntimeError, AssertionError):
            pass
    return torch.device(available_devices()[0])


def device_label(device: torch.device | str) -> str:
    """A human name for a device: 'CPU (2 threads)' or the CUDA card's name."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA · {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a CPU generator seeded the same."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Run torch on n CPU threads inside the block (restored after); None leaves torch's setting alone.

    Why: small models (a playground MLP, a 2-parameter path) are too small to split across threads, and on a busy
    2-core machine two threads waiting on each other ran them 10–100× slower than one (measured)."""
    saved = torch.get_num_threads()
    if n is None or n == saved:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(saved)
