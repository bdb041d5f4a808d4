"""Chapter 11's speed criteria, on 2 CPU cores with the app's thread policy:
- the default U-Net lab reaches validation IoU ≥ 0.8 (the "skips on" net) within 60 s of Play;
- the degradation preset shows its gap within 90 s of Play: the deep plain net's training loss (mean batch loss of the
  last 40 steps) at least 0.3 above the shallow plain net's, the deep residual net's within 0.1 of the shallow one's;
- the loss landscape (21 × 21 points for each net of the pair, 64 training images) finishes within 30 s, computed in
  0.25-second slices as the page does between progress-bar updates.

Live = what the page does while playing: the run trains in its background thread (`Paced.play`) and every
`chunk_seconds` the view takes the run's lock, builds the live figure specs and serializes them as Streamlit does.
The clock starts at Play. Absolute times on a shared machine mostly measure the neighbours: the CPU-time column
(this process only) is the fairer clock.

Run: `.venv/bin/python benchmarks/bench_architectures.py [--repeats 1] [--threads 0] [--device cpu] [--only unet,race,landscape]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import plotly.io as pio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlplay.device import configure_threads, device_label, pick_device  # noqa: E402
from dlplay.lessons.architectures.landscape import LandscapeJob, LandscapeSetup  # noqa: E402
from dlplay.lessons.architectures.live_view import (  # noqa: E402
    SHOWN_MASKS,
    degradation_line,
    race_figures,
    race_table,
    unet_figures,
    unet_table,
)
from dlplay.lessons.architectures.residual_race import PRESETS, build_race, degradation, make_data, shows_degradation  # noqa: E402
from dlplay.lessons.architectures.segmentation import SegSetup, build_lab, make_seg_data  # noqa: E402

IOU_TARGET, UNET_LIMIT = 0.8, 60.0
RACE_PRESET, RACE_LIMIT = "Degradation: 8 vs 32 layers", 90.0
LANDSCAPE_LIMIT = 30.0
GIVE_UP = 3.0  # stop a measurement after this many times its target


def serialize(specs) -> int:
    """Bytes Streamlit would send for these specs (plotly's JSON encoder, no validation)."""
    return sum(len(pio.json.to_json_plotly(spec)) for spec in specs)


def play_until(run, render, done, chunk: float, limit: float) -> dict:
    """Play `run`, redraw every `chunk` s under its lock, stop once done(run): seconds, CPU seconds, steps, redraws."""
    renders = []
    start, cpu = time.perf_counter(), time.process_time()
    run.play()
    while not done(run) and not run.stopped and time.perf_counter() - start < limit:
        time.sleep(chunk)  # st.fragment(run_every=chunk)
        run.touch()
        drawn = time.perf_counter()
        with run.locked():
            render(run)
        renders.append(time.perf_counter() - drawn)
    reached = done(run)
    run.pause()
    return dict(seconds=time.perf_counter() - start, cpu=time.process_time() - cpu, steps=run.steps, ok=reached,
                renders=renders)


def bench_unet(device, chunk: float) -> dict:
    setup = SegSetup()
    data = make_seg_data(setup, seed=0)
    X_show, y_show = data[2][:SHOWN_MASKS], data[3][:SHOWN_MASKS]
    lab = build_lab(setup, data, seed=0, device=device)

    def render(group) -> None:
        serialize(unet_figures(group, X_show, y_show))
        unet_table(group)

    def done(group) -> bool:
        return max(group.runs["skips on"].history.extras.get("val_iou", [0.0])) >= IOU_TARGET

    result = play_until(lab, render, done, chunk, GIVE_UP * UNET_LIMIT)
    result["ious"] = {name: max(run.history.extras.get("val_iou", [0.0])) for name, run in lab.runs.items()}
    result["boundary"] = {name: max(run.history.extras.get("val_boundary_iou", [0.0])) for name, run in lab.runs.items()}
    return result


def bench_race(device, chunk: float) -> tuple[dict, object]:
    setup = PRESETS[RACE_PRESET]
    data = make_data(setup, seed=0)
    race = build_race(setup, data, seed=0, device=device)

    def render(group) -> None:
        serialize(race_figures(group))
        race_table(group)
        degradation_line(group)

    result = play_until(race, render, shows_degradation, chunk, GIVE_UP * RACE_LIMIT)
    result["gaps"] = degradation(race)
    return result, race


def bench_landscape(race) -> dict:
    names = list(race.pairs()[0])
    first = race.runs[names[0]]
    start, cpu = time.perf_counter(), time.process_time()
    job = LandscapeJob({name: race.runs[name].model for name in names}, first.X_train, first.y_train, LandscapeSetup())
    updates = 0
    while not job.finished:
        job.advance(0.25)  # one slice per progress-bar update, as the page's timer fragment does
        updates += 1
    return dict(seconds=time.perf_counter() - start, cpu=time.process_time() - cpu, points=job.total, updates=updates,
                nets=names, steps=first.steps)


def verdict(seconds: float, cpu: float, limit: float, ok: bool = True) -> str:
    """'met' / 'NOT met' by the wall clock, and by this process's CPU time (the fairer clock on a shared machine)."""
    wall = "met" if ok and seconds <= limit else "NOT met"
    by_cpu = "met" if ok and cpu <= limit else "NOT met"
    return f"target ≤ {limit:.0f} s: {wall} by the wall clock, {by_cpu} by CPU time ({cpu:.1f} s)"


def _render_stats(renders: list[float]) -> str:
    if not renders:
        return "no redraws"
    return (f"{len(renders)} redraws, lock wait + render + serialize median {statistics.median(renders) * 1e3:.0f} ms "
            "(the view waits for the training slice in progress)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--chunk", type=float, default=0.4, help="chunk_seconds of the live views")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads for the process (0: the app's policy)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", default="unet,race,landscape")
    args = parser.parse_args()
    device = pick_device(args.device)
    threads = configure_threads(args.threads or None)
    parts = set(args.only.split(","))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{device_label(device)}, {threads} torch thread(s) · live redraw every {args.chunk} s · "
          f"load average {load:.1f} on {os.cpu_count()} cores")

    if "unet" in parts:
        s = SegSetup()
        print(f"U-Net lab: {s.race}, depth {s.depth}, base width {s.base_width}, {s.size}×{s.size} shapes "
              f"(noise {s.noise}), Adam {s.lr:g}, batch {s.batch_size}")
        runs = []
        for repeat in range(args.repeats):
            r = bench_unet(device, args.chunk)
            runs.append(r)
            ious = ", ".join(f"{n} {v:.3f}" for n, v in r["ious"].items())
            rims = ", ".join(f"{n} {v:.3f}" for n, v in r["boundary"].items())
            print(f"  repeat {repeat + 1}: {r['seconds']:.1f} s ({r['cpu']:.1f} s CPU) from Play to IoU ≥ {IOU_TARGET} at "
                  f"step {r['steps']} · best IoU {ious} · best boundary IoU {rims} · {_render_stats(r['renders'])}")
        seconds, cpu = statistics.median(r["seconds"] for r in runs), statistics.median(r["cpu"] for r in runs)
        print(f"U-Net default → IoU ≥ {IOU_TARGET}: median {seconds:.1f} s "
              f"({verdict(seconds, cpu, UNET_LIMIT, all(r['ok'] for r in runs))})")

    race = None
    if parts & {"race", "landscape"}:
        p = PRESETS[RACE_PRESET]
        print(f"Race preset “{RACE_PRESET}”: width {p.width}, {p.dataset} ({p.n_train} images), {p.optimizer} "
              f"lr {p.lr:g}, batch {p.batch_size}")
        runs = []
        for repeat in range(args.repeats if "race" in parts else 1):
            r, race = bench_race(device, args.chunk)
            runs.append(r)
            gaps = r["gaps"]
            gap_text = f"plain gap {gaps[0]:+.2f}, residual gap {gaps[1]:+.2f}" if gaps else "no gaps"
            print(f"  repeat {repeat + 1}: {r['seconds']:.1f} s ({r['cpu']:.1f} s CPU) from Play to the gap at step "
                  f"{r['steps']} ({gap_text}) · {_render_stats(r['renders'])}")
        if "race" in parts:
            seconds, cpu = statistics.median(r["seconds"] for r in runs), statistics.median(r["cpu"] for r in runs)
            print(f"Degradation preset → gap shown: median {seconds:.1f} s "
                  f"({verdict(seconds, cpu, RACE_LIMIT, all(r['ok'] for r in runs))})")

    if "landscape" in parts and race is not None:
        r = bench_landscape(race)
        s = LandscapeSetup()
        print(f"Landscape of {' and '.join(r['nets'])} at step {r['steps']}: {s.resolution}×{s.resolution} points × "
              f"{len(r['nets'])} nets = {r['points']} losses on {s.n_samples} images in {r['updates']} progress updates: "
              f"{r['seconds']:.1f} s ({verdict(r['seconds'], r['cpu'], LANDSCAPE_LIMIT)})")


if __name__ == "__main__":
    main()
