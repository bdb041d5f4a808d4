"""Chapter 9: seconds of Play until the reverse task with the page's defaults reaches 95 % sequence accuracy, and how
often the live attention figures can be redrawn.

Live = what the page does after Play: the run trains in a background thread (`run.play()`), and every `--chunk`
seconds the view takes the run's lock, builds the live figure specs (layer × head grid, enlarged map, curves,
accuracy per position) and serializes them as st.plotly_chart does. Headless = the same run built identically,
trained with `run.step_for` and no drawing. Target: live reaches ≥ 95 % within 60 s on 2 CPU cores; the view redraws
at least twice a second.

Run: `.venv/bin/python benchmarks/bench_attention.py [--repeats 3] [--chunk 0.35] [--limit 120] [--device cpu]`.
Prints times by the wall clock and by this process's CPU time (the fairer clock on a machine shared with other work).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import plotly.io
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlplay.device import configure_threads, device_label, pick_device  # noqa: E402
from dlplay.lessons.attention.lab import LabConfig, build_lab_run  # noqa: E402
from dlplay.lessons.attention.live import example, lab_view  # noqa: E402

TARGET = 0.95


def reached(run) -> bool:
    return run.latest("seq_acc", 0.0) >= TARGET


def draw(run) -> int:
    """The live view without Streamlit: figure specs built under the run's lock and serialized; returns bytes sent."""
    with run.locked():
        view = lab_view(run, example(run, None, 0), (1, 0), "layer 2 · head 1")
    return sum(len(plotly.io.to_json(spec, validate=False)) for spec in view.figures.values())


def headless(config: LabConfig, device: torch.device, limit: float) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, steps) of step_for chunks without drawing, until the target."""
    run = build_lab_run(config, device)
    start, cpu = time.perf_counter(), time.process_time()
    while not reached(run) and time.perf_counter() - start < limit:
        run.step_for(0.3)
    return time.perf_counter() - start, time.process_time() - cpu, run.steps


def live(config: LabConfig, device: torch.device, chunk: float, limit: float) -> tuple[float, float, int, list, list, int]:
    """(wall s, CPU s, steps, update periods, draw times, bytes per update): background training + a redraw per chunk."""
    run = build_lab_run(config, device)
    periods, draws, sent = [], [], 0
    start, cpu = time.perf_counter(), time.process_time()
    run.play()
    last = start
    while not reached(run) and time.perf_counter() - start < limit:
        time.sleep(max(0.0, chunk - (time.perf_counter() - last)))  # the fragment's run_every
        run.touch()
        began = time.perf_counter()
        sent = draw(run)
        draws.append(time.perf_counter() - began)
        periods.append(time.perf_counter() - last)
        last = time.perf_counter()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    run.pause()
    return seconds, cpu_seconds, run.steps, periods, draws, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk", type=float, default=0.35, help="seconds between live redraws (the page's chunk_seconds)")
    parser.add_argument("--limit", type=float, default=120.0, help="give up after this many seconds")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: the app's policy, configure_threads())")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    threads = configure_threads(args.threads or None)
    device = pick_device(args.device)
    config = LabConfig()
    print(f"reverse task, page defaults: length {config.length}, {config.num_layers} layers × {config.num_heads} heads, width "
          f"{config.embed_dim}, {config.positional} positions, batch {config.batch_size}, Adam lr {config.lr:g} · "
          f"{device_label(device)}, {threads} torch thread(s) · target {TARGET:.0%} held-out sequence accuracy")
    draw(build_lab_run(config, device))  # warm-up: first calls of torch, plotly's serializer …
    results = {"live": [], "headless": []}
    periods, draws = [], []
    for repeat in range(args.repeats):
        for kind in ("live", "headless") if repeat % 2 == 0 else ("headless", "live"):
            if kind == "live":
                seconds, cpu, steps, p, d, sent = live(config, device, args.chunk, args.limit)
                periods += p
                draws += d
            else:
                seconds, cpu, steps = headless(config, device, args.limit)
            results[kind].append((seconds, cpu, steps))
        (lw, lc, ls), (hw, hc, hs) = results["live"][-1], results["headless"][-1]
        print(f"  repeat {repeat + 1}: live {lw:.1f} s ({lc:.1f} s CPU, {ls} steps) · headless {hw:.1f} s ({hc:.1f} s CPU, "
              f"{hs} steps)")
    for kind in ("live", "headless"):
        wall = statistics.median(r[0] for r in results[kind])
        cpu = statistics.median(r[1] for r in results[kind])
        steps = statistics.median(r[2] for r in results[kind])
        verdict = f"  (target ≤ 60 s: {'met' if wall <= 60 else 'NOT met'})" if kind == "live" else ""
        print(f"{kind:>8}: ≥ {TARGET:.0%} after {wall:.1f} s of Play ({cpu:.1f} s CPU, {steps:.0f} steps; medians of "
              f"{args.repeats}){verdict}")
    rate = 1 / statistics.median(periods)
    print(f"live view: median update every {statistics.median(periods) * 1e3:.0f} ms → {rate:.1f} updates/s "
          f"(target ≥ 2: {'met' if rate >= 2 else 'NOT met'}); "
          f"build + serialize median {statistics.median(draws) * 1e3:.0f} ms "
          f"(p90 {sorted(draws)[int(0.9 * len(draws))] * 1e3:.0f} ms), {sent / 1024:.0f} KiB per update")


if __name__ == "__main__":
    main()
