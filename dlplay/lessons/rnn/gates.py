"""Gates, seen: a race model's LSTM or GRU gates over one sequence, from the hand-written cell on the model's own weights."""

from __future__ import annotations

import numpy as np
import torch

from dlplay.lessons.rnn.cells import unroll_layer
from dlplay.models.rnn import SimpleRNN

PANELS = {  # what each cell shows, in order: (recorded name, panel title)
    "LSTM": (("input", "input gate iₜ"), ("forget", "forget gate fₜ"), ("output", "output gate oₜ"), ("cell", "cell state cₜ")),
    "GRU": (("reset", "reset gate rₜ"), ("update", "update gate zₜ"), ("h", "hidden state hₜ")),
}
SYMBOLS = "ABCDEFGH"


def gate_panels(model: SimpleRNN, x: torch.Tensor) -> dict[str, np.ndarray]:
    """{panel title: (T, H)} of an LSTM's or GRU's gates and state over one sequence x (T, I)."""
    if model.cell not in PANELS:
        raise ValueError(f"only the LSTM and the GRU have gates, not the {model.cell}")
    with torch.no_grad():
        steps = unroll_layer(model.rnn, x[None].to(next(model.parameters()).device))  # B = 1
    panels = {}
    for name, title in PANELS[model.cell]:
        values = steps.outputs if name == "h" else steps.gate(name)  # (1, T, H)
        panels[title] = values[0].float().cpu().numpy()
    return panels


def input_labels(task: str, x: torch.Tensor) -> list[str]:
    """A short label per step of one sequence x (T, I): '★0.42' for a marked adding value; 'A', '·', '▶' for copy memory."""
    x = x.cpu()
    if task == "Adding problem":
        return [f"★{v:.2f}" if m > 0.5 else f"{v:.2f}" for v, m in x.tolist()]
    ids = x.argmax(dim=1).tolist()
    blank = x.shape[1] - 2
    return [SYMBOLS[i] if i < blank else "·" if i == blank else "▶" for i in ids]

