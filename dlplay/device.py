"""Device choice and seeding."""

from __future__ import annotations

import os

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
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' * (threads != 1)})"


def configure_threads(n: int | None = None) -> int:
    """Set torch's CPU threads once for the whole process (never per run: sessions share the process); return it.

    Default: DLPLAY_TORCH_THREADS, else half the cores (1 on a 2-core machine). Why half: the models here are small, a
    second thread per op mostly waits, and a server holding several sessions runs each session's training on its own
    core; the other half serves the browser, the server and the other sessions."""
    if n is None:
        n = int(os.environ.get("DLPLAY_TORCH_THREADS", "0") or 0) or max(1, (os.cpu_count() or 2) // 2)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n
