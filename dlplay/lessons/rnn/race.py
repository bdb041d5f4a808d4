"""The race: RNN, LSTM and GRU trained side by side on the same long-memory task, data, seed and batches."""

from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_

from dlplay.data.sequences import make_adding, make_copy_memory
from dlplay.models.init import seeded_init_
from dlplay.models.rnn import CELLS, SimpleRNN
from dlplay.training.race import RunGroup
from dlplay.training.run import RunConfig, TrainingRun

TASKS = ("Adding problem", "Copy memory")
MIN_LEN, MAX_LEN = 6, 100  # sequence lengths the slider offers: 100 steps keep a live update under half a second
TOLERANCE = 0.1  # an adding-problem answer counts as right within ±0.1 of the true sum
N_SYMBOLS, N_CATEGORIES = 3, 4  # copy memory: remember 3 symbols out of 4 (chance 25 %)


@dataclass(frozen=True)
class RaceSetup:
    """What the three cells share."""

    task: str = "Adding problem"  # one of TASKS
    seq_len: int = 30  # T: steps the first piece of information must survive (at most)
    hidden_size: int = 32  # units of each recurrent layer
    lr: float = 1e-2  # Adam's learning rate, applied live: the LSTM and GRU solve T = 30 within ~600 steps
    clip: float = 1.0  # gradient clipping: max_norm of clip_grad_norm_; 0 = off
    batch_size: int = 32  # sequences per step
    n_train: int = 2048  # training sequences (a fixed set, shuffled every epoch)
    n_val: int = 256  # validation sequences: the curves, accuracy and per-position accuracy
    seed: int = 0  # data, initial weights (the same for the three cells where shapes allow) and batch order


def bounded(setup: RaceSetup) -> RaceSetup:
    """The setup with its sequence length inside the slider's range (the URL may say anything)."""
    low = 2 * N_SYMBOLS if setup.task == "Copy memory" else MIN_LEN
    return RaceSetup(**{**setup.__dict__, "seq_len": int(min(max(setup.seq_len, low), MAX_LEN))})


def make_data(setup: RaceSetup) -> tuple[torch.Tensor, ...]:
    """(X_train, y_train, X_val, y_val) of the task at this length."""
    if setup.task == "Adding problem":
        return (*make_adding(setup.n_train, setup.seq_len, seed=setup.seed),
                *make_adding(setup.n_val, setup.seq_len, seed=setup.seed + 1))
    if setup.task == "Copy memory":
        delay = setup.seq_len - 2 * N_SYMBOLS
        train = make_copy_memory(setup.n_train, delay, n_symbols=N_SYMBOLS, n_categories=N_CATEGORIES, seed=setup.seed)
        val = make_copy_memory(setup.n_val, delay, n_symbols=N_SYMBOLS, n_categories=N_CATEGORIES, seed=setup.seed + 1)
        return train.X, train.y, val.X, val.y
    raise ValueError(f"unknown task {setup.task!r}; choose one of {', '.join(TASKS)}")


def build_model(task: str, cell: str, hidden_size: int, seed: int) -> SimpleRNN:
    """The curriculum's SimpleRNN with the chosen cell: one answer from h_T (adding), or one per step (copy)."""
    if task == "Adding problem":
        model = SimpleRNN(2, hidden_size, 1, cell=cell)  # (value, marker) in, the sum out
    else:
        model = SimpleRNN(N_CATEGORIES + 2, hidden_size, N_CATEGORIES, cell=cell, per_step=True)
    return seeded_init_(model, seed)


def task_loss(task: str):
    """The loss of the task: MSE on the sum; cross-entropy on the last K steps of copy memory."""
    if task == "Adding problem":
        return F.mse_loss

    def recall_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        recall = y_hat[:, -N_SYMBOLS:]  # (B, K, C): the steps after the delimiter
        return F.cross_entropy(recall.reshape(-1, N_CATEGORIES), y.reshape(-1))  # (B·K, C) vs (B·K,)

    return recall_loss


def correct(task: str, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Right or wrong per answer: (N,) for the adding problem (within TOLERANCE), (N, K) per recalled symbol."""
    if task == "Adding problem":
        return (y_hat.reshape(-1) - y).abs() < TOLERANCE
    return y_hat[:, -N_SYMBOLS:].argmax(dim=2) == y  # (N, K)


def clipped_adam(lr: float, max_norm: float):
    """An Adam factory whose every step first clips the gradient's total norm to max_norm (0: no clipping)."""
    def build(params) -> torch.optim.Optimizer:
        params = list(params)
        optimizer = torch.optim.Adam(params, lr=lr)
        if max_norm > 0:
            def clip(*_) -> None:  # a step pre-hook must return None
                clip_grad_norm_(params, max_norm)

            optimizer.register_step_pre_hook(clip)
        return optimizer

    return build


def build_race(setup: RaceSetup, device: torch.device | str = "cpu") -> RunGroup:
    """The three cells as one RunGroup: same data, same batch order, each evaluated every 50 steps."""
    setup = bounded(setup)
    data = make_data(setup)
    task = setup.task

    def accuracy(run: TrainingRun) -> dict[str, float]:  # recorded as history.val_acc, in place of TrainingRun's own
        return {"val_acc": float(correct(task, run.predict(run.X_val), run.y_val.cpu()).float().mean())}

    # Evaluated every 50 steps: each evaluation reads 2 × n_val sequences per cell, the cost of ~10 training steps.
    config = RunConfig(batch_size=setup.batch_size, eval_every=50, eval_samples=setup.n_val, seed=setup.seed)
    runs = {}
    for cell in CELLS:
        # task="regression" only turns off TrainingRun's argmax accuracy: the loss is the task's, accuracy the callback's.
        runs[cell] = TrainingRun(build_model(task, cell, setup.hidden_size, setup.seed), *data, task="regression",
                                 loss_fn=task_loss(task), optimizer=clipped_adam(setup.lr, setup.clip),
                                 config=RunConfig(**config.__dict__), device=device, callbacks=(accuracy,))
    return RunGroup(runs)


def signature(setup: RaceSetup, device: object) -> tuple:
    """Everything that needs new runs; the learning rate applies live and is left out."""
    return tuple(v for k, v in zip(RaceSetup.__dataclass_fields__, astuple(bounded(setup))) if k != "lr"), str(device)


def accuracy_curves(group: RunGroup) -> dict[str, tuple[list[int], list[float]]]:
    """{cell: (steps, validation accuracy)} recorded at each evaluation."""
    return {name: (run.history.eval_step, run.history.val_acc) for name, run in group.runs.items()}


def position_accuracy(group: RunGroup, task: str, max_bins: int = 10) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    """(positions, {cell: accuracy per position}, axis title) on the validation set.

    Copy memory: accuracy of each recalled symbol. Adding problem: accuracy by how many steps before the end the first
    marked value came — the distance the memory must span — in at most max_bins groups of distances (each bin's centre)."""
    result = {}
    centres = np.arange(1, N_SYMBOLS + 1, dtype=float)
    for name, run in group.runs.items():
        ok = correct(task, run.predict(run.X_val), run.y_val.cpu()).float()
        if task == "Copy memory":
            result[name] = ok.mean(dim=0).numpy()  # (K,)
            continue
        markers = run.X_val[:, :, 1].cpu()  # (N, T)
        T = markers.shape[1]
        distance = (T - markers.argmax(dim=1)).numpy()  # (N,) steps from the first marker to the end
        edges = np.unique(np.linspace(distance.min(), distance.max() + 1, max_bins + 1).astype(int))  # bins of distances
        bins = np.digitize(distance, edges[1:-1])  # (N,) the bin of each sequence
        counts = np.bincount(bins, minlength=len(edges) - 1)
        sums = np.bincount(bins, weights=ok.numpy(), minlength=len(edges) - 1)
        keep = counts > 0
        centres = ((edges[:-1] + edges[1:] - 1) / 2)[keep]
        result[name] = sums[keep] / counts[keep]
    title = "recalled symbol" if task == "Copy memory" else "steps from the first marked value to the end"
    return centres, result, title


def length_note(setup: RaceSetup) -> str | None:
    """What to expect at the ends of the length range (None in between)."""
    T = setup.seq_len
    if setup.task == "Adding problem":
        if T <= 10:
            return (f"At T = {T} the first mark is at most {T} steps back: every cell can learn this, the plain RNN "
                    "slowest (about a thousand steps).")
        if T >= 80:
            return (f"At T = {T} every step unrolls {T} time steps of three networks, so training is slower; the plain "
                    "RNN cannot carry the first mark this far, and the LSTM and GRU need several hundred steps.")
        return None
    delay = T - 2 * N_SYMBOLS
    if delay == 0:
        return f"Delay 0: each symbol is asked for {N_SYMBOLS} steps after it was seen — the easiest copy."
    if delay > 10:
        return (f"Copying across {delay} blanks is hard for every cell: expect a long plateau at chance (25 %) before "
                "one of them breaks through, if one does within minutes. At T ≤ 16 all three learn it quickly.")
    return None


def chance_level(task: str) -> float:
    """The accuracy of a model that learned nothing about the sequence: guessing a symbol, or answering 1 to the sum."""
    if task == "Copy memory":
        return 1 / N_CATEGORIES
    return 1 - (1 - TOLERANCE) ** 2  # P(|sum − 1| < tol) for the triangular sum of two uniforms


def race_code(setup: RaceSetup) -> str:
    """The PyTorch code of this race: the curriculum's SimpleRNN with each cell, the task's loss, clipping."""
    setup = bounded(setup)
    if setup.task == "Adding problem":
        data = (f"X, y = make_adding({setup.n_train}, seq_len={setup.seq_len}, seed={setup.seed})  # X: (N, T, 2), y: (N,)",
                f"model = SimpleRNN(2, {setup.hidden_size}, 1, cell=cell)",
                "loss = F.mse_loss(model(X[index]).squeeze(-1), y[index])")
    else:
        data = (f"d = make_copy_memory({setup.n_train}, delay={setup.seq_len - 2 * N_SYMBOLS}, n_symbols={N_SYMBOLS}, "
                f"n_categories={N_CATEGORIES}, seed={setup.seed})\nX, y = d.X, d.y  # X: (N, T, {N_CATEGORIES + 2}) one-hot, "
                f"y: (N, {N_SYMBOLS})",
                f"model = SimpleRNN({N_CATEGORIES + 2}, {setup.hidden_size}, {N_CATEGORIES}, cell=cell, per_step=True)",
                f"y_hat = model(X[index])[:, -{N_SYMBOLS}:]  # (B, K, C): the answers after the delimiter\n"
                f"            loss = F.cross_entropy(y_hat.reshape(-1, {N_CATEGORIES}), y[index].reshape(-1))")
    clip = (f"torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm={setup.clip:g})  # rescale if ‖g‖ > max_norm"
            if setup.clip > 0 else "# no gradient clipping")
    return f'''
import torch
from torch import nn
import torch.nn.functional as F
from dlplay.data.sequences import make_adding, make_copy_memory


class SimpleRNN(nn.Module):  # chapter 6.1; cell="LSTM" / "GRU" swaps in 6.2's and 6.3's layers
    def __init__(self, input_size, hidden_size, output_size, cell="RNN", per_step=False):
        super().__init__()
        self.rnn = {{"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}}[cell](input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)
        self.per_step = per_step

    def forward(self, x):
        # x: (batch, seq_len, input_size)
        output, hidden = self.rnn(x)  # output: (B, T, H), every step's hidden state
        if self.per_step:
            return self.fc(output)  # (B, T, output_size)
        h = hidden[0] if isinstance(hidden, tuple) else hidden  # the LSTM returns (h, c)
        return self.fc(h.squeeze(0))  # (B, output_size) from the last hidden state


{data[0]}
models = {{}}
for cell in ["RNN", "LSTM", "GRU"]:
    torch.manual_seed({setup.seed})
    {data[1]}
    optimizer = torch.optim.Adam(model.parameters(), lr={setup.lr:g})
    batches = torch.Generator().manual_seed({setup.seed})  # the same batches for every cell
    for epoch in range(10):
        for index in torch.randperm(len(X), generator=batches).split({setup.batch_size}):
            {data[2]}
            optimizer.zero_grad()
            loss.backward()
            {clip}
            optimizer.step()
    models[cell] = model
'''
