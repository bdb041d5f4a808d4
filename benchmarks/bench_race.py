"""The live optimizer race (chapter 8) against the same four runs trained headless one after another.

Live = what the page's fragment does per update: `group.step_for(chunk_seconds)`, then build the live figure specs and
the results table and serialize them as Streamlit does (plotly's JSON encoder, a pyarrow table), until every run has N
steps.
Headless = the same four runs built identically (same data, seed, configurations), each trained N steps with
`run.step(...)` one after another, evaluated at the same steps. Target: live ≤ 1.3 × headless.

Run: `.venv/bin/python benchmarks/bench_race.py [--epochs 20] [--repeats 3] [--chunk 0.2] [--threads 0] [--device cpu]`.
Prints both times and their ratio (medians of interleaved repeats), by the wall clock and by this process's CPU time
(the fairer clock on a machine shared with other work), and how often the live view updates.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import plotly.io as pio
import pyarrow as pa
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlplay.device import configure_threads, device_label, pick_device  # noqa: E402
from dlplay.lessons.optimization.race_lab import (  # noqa: E402
    DEFAULT_CONFIGS,
    RaceSetup,
    build_race,
    make_data,
    race_figures,
    results,
    total_steps,
)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def render(group) -> int:
    """The page's live view without Streamlit: three figures and the table, serialized; returns the bytes sent."""
    # st.plotly_chart sends a spec through plotly.io.to_json(figure, validate=False): plotly's JSON encoder, no validation
    sent = sum(len(pio.json.to_json_plotly(spec)) for spec in race_figures(group))
    table = pa.Table.from_pandas(pd.DataFrame(results(group)))
    return sent + table.nbytes


def live(setup: RaceSetup, data, seed: int, device: torch.device, chunk: float) -> tuple[float, float, list, list, object]:
    """(seconds, CPU seconds, update periods, render times, group): step_for(chunk) + render until every run has finished."""
    group = build_race(list(DEFAULT_CONFIGS), data, seed, device, setup)
    periods, renders = [], []
    start, cpu = time.perf_counter(), time.process_time()
    while not group.stopped:
        began = time.perf_counter()
        group.step_for(chunk)
        synchronize(device)
        drawn = time.perf_counter()
        render(group)
        renders.append(time.perf_counter() - drawn)
        periods.append(time.perf_counter() - began)
    return time.perf_counter() - start, time.process_time() - cpu, periods, renders, group


def headless(setup: RaceSetup, data, seed: int, device: torch.device) -> tuple[float, float, object]:
    """(seconds, CPU seconds, group): the same runs, each trained alone to the end, one after another, same evaluations."""
    group = build_race(list(DEFAULT_CONFIGS), data, seed, device, setup)
    start, cpu = time.perf_counter(), time.process_time()
    for run in group.runs.values():
        run.step(1)  # like the live race, whose first chunk is one step: evaluated after step 1, then every eval_every
        run.step(total_steps(setup) - 1)
    synchronize(device)
    return time.perf_counter() - start, time.process_time() - cpu, group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=RaceSetup().epochs, help="N = epochs × steps per epoch (62 by default)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk", type=float, default=0.2, help="chunk_seconds of the live page")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads for the process (0: the app's policy)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    device = pick_device(args.device)
    threads = configure_threads(args.threads or None)
    setup = dataclasses.replace(RaceSetup(), epochs=args.epochs)
    n = total_steps(setup)
    data = make_data(setup, args.seed)
    print(f"{len(DEFAULT_CONFIGS)} racers × {n} steps · MLP(784, {setup.hidden_size}, 10) · batch {setup.batch_size} · "
          f"{setup.n_train} synthetic digits · {device_label(device)}, "
          f"{threads} torch thread(s) · chunk {args.chunk} s")
    _, _, warm = headless(setup, data, args.seed, device)  # warm-up: allocator, kernels, first-call overheads …
    render(warm)  # … and the first imports and calls of plotly's and pyarrow's serializers
    times = {"live": [], "headless": []}  # (wall seconds, CPU seconds) per repeat
    periods, renders = [], []
    for repeat in range(args.repeats):
        order = ("live", "headless") if repeat % 2 == 0 else ("headless", "live")
        for kind in order:
            if kind == "live":
                seconds, cpu, p, r, live_group = live(setup, data, args.seed, device, args.chunk)
                periods += p
                renders += r
            else:
                seconds, cpu, headless_group = headless(setup, data, args.seed, device)
            times[kind].append((seconds, cpu))
        (lw, lc), (hw, hc) = times["live"][-1], times["headless"][-1]
        print(f"  repeat {repeat + 1}: live {lw:.2f} s ({lc:.2f} s CPU) · headless {hw:.2f} s ({hc:.2f} s CPU) · "
              f"ratio {lw / hw:.2f} wall, {lc / hc:.2f} CPU")
    # the same work: identical evaluation steps and identical final weights (CPU is deterministic)
    for (name, a), b in zip(live_group.runs.items(), headless_group.runs.values()):
        assert a.steps == b.steps == n and a.history.eval_step == b.history.eval_step, name
        if device.type == "cpu":
            for p, q in zip(a.model.parameters(), b.model.parameters()):
                torch.testing.assert_close(p, q, msg=f"{name}: live and headless weights differ")
    for i, clock in enumerate(("wall", "CPU")):
        live_s = statistics.median(t[i] for t in times["live"])
        headless_s = statistics.median(t[i] for t in times["headless"])
        ratio = live_s / headless_s
        print(f"{clock:>4}: live {live_s:.2f} s · headless {headless_s:.2f} s (medians of {args.repeats}) · "
              f"ratio live / headless = {ratio:.2f}  (target ≤ 1.30: {'met' if ratio <= 1.3 else 'NOT met'})")
    print(f"live view: {len(periods) / args.repeats:.0f} updates per race, median update every "
          f"{statistics.median(periods) * 1e3:.0f} ms (p90 {sorted(periods)[int(0.9 * len(periods))] * 1e3:.0f} ms) → "
          f"{1 / statistics.median(periods):.1f} updates/s; render + serialize median {statistics.median(renders) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
