"""TrainingRun against the curriculum's DataLoader loop (4.2) and a minimal tensor loop: same MLP, data, batch size, steps.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_training_loop.py [--steps N] [--device cuda]`).
Prints samples/s of each and the ratios, measured in this one process, interleaved and repeated (median kept).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlplay.device import device_label, pick_device  # noqa: E402
from dlplay.models import MLP  # noqa: E402
from dlplay.training import RunConfig, TrainingRun  # noqa: E402


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def dataloader_loop(X, y, steps: int, batch_size: int, device: torch.device) -> float:
    """The curriculum's train(): a DataLoader over a TensorDataset, batches moved to the device."""
    torch.manual_seed(0)
    model = MLP(784, 256, 10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, drop_last=True)
    model.train()
    done, total_loss = 0, 0.0
    start = time.perf_counter()
    while done < steps:
        for batch_x, batch_y in loader:
            batch_x, batch_y = batch_x.to(device), batch_y.to(device)
            predictions = model(batch_x)
            loss = criterion(predictions, batch_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()  # as the curriculum does, every step
            done += 1
            if done == steps:
                break
    synchronize(device)
    return time.perf_counter() - start


def tensor_loop(X, y, steps: int, batch_size: int, device: torch.device) -> float:
    """The least a loop can do: data on the device, a shuffled index sliced per step, one sync at the end."""
    torch.manual_seed(0)
    model = MLP(784, 256, 10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    X, y = X.to(device), y.to(device)
    order, cursor = torch.randperm(len(X), device=device), 0
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        if cursor + batch_size > len(X):
            order, cursor = torch.randperm(len(X), device=device), 0
        index = order[cursor : cursor + batch_size]
        cursor += batch_size
        loss = nn.functional.cross_entropy(model(X[index]), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
    torch.stack(losses).cpu()
    synchronize(device)
    return time.perf_counter() - start


def training_run(X, y, steps: int, batch_size: int, device: torch.device) -> float:
    """dlplay's TrainingRun, stepped in chunks of 50 as a live page would (evaluation every 200 steps included)."""
    torch.manual_seed(0)
    config = RunConfig(batch_size=batch_size, eval_every=200, eval_samples=1000)
    run = TrainingRun(MLP(784, 256, 10), X, y, X[:1000], y[:1000], config=config, device=device)
    start = time.perf_counter()
    while run.steps < steps:
        run.step(min(50, steps - run.steps))
    synchronize(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = pick_device(args.device)
    generator = torch.Generator().manual_seed(0)
    X = torch.rand(8192, 1, 28, 28, generator=generator)  # (N, 1, 28, 28), the size of the digits sets
    y = torch.randint(0, 10, (8192,), generator=generator)

    loops = {"curriculum DataLoader loop": dataloader_loop, "minimal tensor loop": tensor_loop, "dlplay TrainingRun": training_run}
    for loop in loops.values():  # warm-up: allocator, kernels, thread pools
        loop(X, y, 20, args.batch_size, device)
    seconds = {name: [] for name in loops}
    for _ in range(args.repeats):
        for name, loop in loops.items():
            seconds[name].append(loop(X, y, args.steps, args.batch_size, device))

    print(f"MLP(784, 256, 10), batch {args.batch_size}, {args.steps} steps, median of {args.repeats}, on {device_label(device)}")
    rate = {name: args.steps * args.batch_size / statistics.median(times) for name, times in seconds.items()}
    for name, samples_per_s in rate.items():
        print(f"  {name:<28} {samples_per_s:>12,.0f} samples/s")
    print(f"TrainingRun / DataLoader loop : {rate['dlplay TrainingRun'] / rate['curriculum DataLoader loop']:.2f}× faster")
    print(f"TrainingRun / minimal loop    : {rate['dlplay TrainingRun'] / rate['minimal tensor loop']:.2f}× (target ≥ 0.87)")


if __name__ == "__main__":
    main()
