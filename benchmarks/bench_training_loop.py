"""TrainingRun against the curriculum's DataLoader loop (4.2) and a minimal tensor loop: same MLP, data, batch size, steps;
then the playground's tiny network (chapter 1's default) through PlaygroundRun against minimal eager loops.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_training_loop.py [--steps N] [--device cuda]`).
Prints samples/s of each and the ratios, measured in this one process, interleaved and repeated (median kept).
The tiny-network part times each loop's CPU time on its own thread: on a shared machine wall time would mostly
measure the neighbours.
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

from dlplay.device import configure_threads, device_label, pick_device  # noqa: E402
from dlplay.lessons.fundamentals.playground import EVAL_EVERY, PlaygroundConfig, build_run  # noqa: E402
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


def tiny_minimal_loop(steps: int, evaluate: bool) -> float:
    """The least an eager loop can do for the playground's network (optionally with the same per-epoch evaluations)."""
    run = build_run(PlaygroundConfig())  # the same model, data and initial weights; only run.model and tensors are used
    model, X, y = run.model, run.X_train, run.y_train
    optimizer = torch.optim.SGD(model.parameters(), lr=run.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(0)
    order, cursor, batch, losses = torch.randperm(len(X), generator=generator), 0, run.batch_size, []
    start = time.thread_time()
    for step in range(1, steps + 1):
        if cursor + batch > len(X):
            order, cursor = torch.randperm(len(X), generator=generator), 0
        index = order[cursor : cursor + batch]
        cursor += batch
        loss = loss_fn(model(X[index]).squeeze(-1), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
        if evaluate and step % EVAL_EVERY == 0:
            with torch.inference_mode():
                for X_eval, y_eval in ((X, y), (run.X_val, run.y_val)):
                    y_hat = model(X_eval).squeeze(-1)
                    float(loss_fn(y_hat, y_eval)), int(((y_hat > 0).float() == y_eval).sum())
    torch.stack(losses)
    return time.thread_time() - start


def tiny_training_run(steps: int) -> float:
    """PlaygroundRun (a TrainingRun) stepped in chunks of 50, its per-epoch evaluation included."""
    run = build_run(PlaygroundConfig())
    start = time.thread_time()
    while run.steps < steps:
        run.step(min(50, steps - run.steps))
    return time.thread_time() - start


def tiny_network(steps: int, repeats: int) -> None:
    loops = {"minimal eager loop": lambda: tiny_minimal_loop(steps, False),
             "minimal loop + same evaluations": lambda: tiny_minimal_loop(steps, True),
             "dlplay PlaygroundRun": lambda: tiny_training_run(steps)}
    for loop in loops.values():
        loop()  # warm-up
    seconds = {name: [] for name in loops}
    for _ in range(repeats):
        for name, loop in loops.items():
            seconds[name].append(loop())
    config = PlaygroundConfig()
    print(f"\nPlayground default ({config.dataset}, features {', '.join(config.features)}, layers {config.hidden_sizes}, "
          f"{config.activation}, {config.optimizer} lr {config.lr:g}, batch {config.batch_size}), {steps} steps, "
          f"CPU time of each loop's thread, median of {repeats}, {torch.get_num_threads()} torch thread(s)")
    rate = {name: steps / statistics.median(times) for name, times in seconds.items()}
    for name, steps_per_s in rate.items():
        print(f"  {name:<34} {steps_per_s:>9,.0f} steps/s")
    ours = rate["dlplay PlaygroundRun"]
    print(f"PlaygroundRun / minimal loop with the same evaluations : {ours / rate['minimal loop + same evaluations']:.2f}× "
          "(target ≥ 1.0)")
    print(f"PlaygroundRun / minimal loop training only             : {ours / rate['minimal eager loop']:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--tiny-steps", type=int, default=2000, help="steps of the playground network (CPU only)")
    args = parser.parse_args()
    configure_threads()  # the app's thread policy
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
    print(f"TrainingRun / minimal loop    : {rate['dlplay TrainingRun'] / rate['minimal tensor loop']:.2f}× (target ≥ 0.9)")
    if device.type == "cpu":
        tiny_network(args.tiny_steps, args.repeats + 2)


if __name__ == "__main__":
    main()
