"""Process-wide set-up, done once when the server runs app.py for the first time."""

from __future__ import annotations

import functools
import threading

from dlplay.device import configure_threads
from dlplay.ui import foreground


@functools.cache
def warm_up() -> None:
    """Choose the torch thread policy (never changed per session afterwards), let interactions go before background
    training, and import in the background what the first training page would otherwise wait for: torch._dynamo is
    imported by the first optimizer built (≈1 s)."""
    configure_threads()
    foreground.install()  # background training steps aside while another session's script runs
    threading.Thread(target=_import_heavy_modules, name="dlplay-warm-up", daemon=True).start()


def _import_heavy_modules() -> None:
    import plotly.graph_objects  # noqa: F401 - the figure classes, and their validators, load lazily
    import torch
    import torch._dynamo  # noqa: F401 - imported by torch.optim on first use

    torch.optim.Adam([torch.zeros(1, requires_grad=True)]).step()  # the first optimizer step's lazy imports
    import onnxruntime  # noqa: F401 - the export section's first ONNX export would wait ~2 s for these
    import onnxscript  # noqa: F401
    import torch.onnx  # noqa: F401
