"""Chapter 6's speed criteria: the character model's loss after 60 s of training and a sample from it; the cost of each
live panel's redraw, and so how often its live view can update.

Character model: the page's default CharModel (LSTM, 128 units, windows of 64 characters, batch 32, Adam 3e-3, clipping
1.0) on the embedded corpus, trained with `run.step_for` for --seconds of wall time, as the page's background thread
does. Prints the step count, the training and held-out loss (nats and bits per character) and samples at temperatures
0.8 and 0 (greedy).

Live views: each training panel of the page (the race, the character model, the sentence classifier) after a little
training: the time to build its live figure specs and serialize them as Streamlit does (plotly's JSON encoder), the
model work its view does (accuracy per position, a sample), and the steps one 0.3 s slice of training makes. The panel
redraws every 0.3 s while the background thread trains, drawing under the run's lock: updates per second ≈
1 / max(0.3, draw time). Target: ≥ 2 per second on 2 CPU cores.

Run: `.venv/bin/python benchmarks/bench_rnn.py [--seconds 60] [--threads 0] [--device cpu]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import sys
import time
from pathlib import Path

import plotly.io as pio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlplay.data.text_corpus import load_corpus  # noqa: E402
from dlplay.device import configure_threads, device_label, pick_device  # noqa: E402
from dlplay.lessons.rnn import char_model, race, sentiment  # noqa: E402
from dlplay.lessons.rnn.figures import position_accuracy_figure, race_accuracy_figure  # noqa: E402
from dlplay.viz.training import accuracy_figure, loss_figure  # noqa: E402

REDRAW = 0.3  # seconds between the panel's live redraws (training_panel's chunk_seconds)


def serialized(*specs: dict) -> int:
    """Bytes Streamlit would send for these specs (plotly's JSON encoder, no validation)."""
    return sum(len(pio.json.to_json_plotly(spec)) for spec in specs)


def timed(work, repeats: int = 7) -> float:
    """Median seconds of work() over repeats."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def train_char_model(seconds: float, device) -> None:
    setup = char_model.CharSetup()
    run = char_model.build_char_run(setup, load_corpus(), device)
    print(f"Character model: {setup.cell}, {setup.hidden_size} units × {setup.num_layers} layer, windows of "
          f"{setup.seq_len}, batch {setup.batch_size}, vocabulary {run.vocab.size}, {len(run.X_train):,} training windows")
    start = time.perf_counter()
    run.step_for(seconds)
    elapsed = time.perf_counter() - start
    train_loss, val_loss = run.evaluate(run.X_train[:256], run.y_train[:256])[0], run.evaluate(run.X_val, run.y_val)[0]
    print(f"  after {elapsed:.0f} s: {run.steps:,} steps ({run.steps / elapsed:.1f} steps/s, {run.epoch:.1f} epochs)")
    print(f"  loss: train {train_loss:.3f} nats ({train_loss / math.log(2):.2f} bits/char), held-out {val_loss:.3f} nats "
          f"({val_loss / math.log(2):.2f} bits/char); uniform guessing would be {math.log(run.vocab.size):.2f} nats")
    for temperature in (0.8, 0.0):
        text = char_model.sample_from(run, "The ", 240, temperature, seed=1)
        print(f"  sample at temperature {temperature:g}:\n    " + text.replace("\n", "\n    "))


def live_views(device) -> None:
    print(f"Live views (redraw every {REDRAW} s; drawing holds the run's lock):")
    rows = []

    group = race.build_race(race.RaceSetup(), device)
    group.step(50)
    histories = {n: dataclasses.replace(r.history, step_loss=[]) for n, r in group.runs.items()}
    draw = timed(lambda: serialized(loss_figure(histories, log_y=True, max_points=250),
                                    race_accuracy_figure(race.accuracy_curves(group), 0.19)))
    slow = timed(lambda: serialized(position_accuracy_figure(*race.position_accuracy(group, "Adding problem"), 0.19)), 3)
    rows.append(("race (3 cells, T = 30)", draw, slow, 1.5, group))

    run = char_model.build_char_run(char_model.CharSetup(), load_corpus(), device)
    run.step(50)
    draw = timed(lambda: serialized(loss_figure({"": run.history}, max_points=250)))
    slow = timed(lambda: char_model.sample_from(run, "The ", 200, 0.8), 3)
    rows.append(("character model", draw, slow, 3.0, run))

    sent = sentiment.build_sentiment_run(sentiment.SentimentSetup(), device)
    sent.step(50)
    draw = timed(lambda: serialized(loss_figure({"": sent.history}, max_points=250),
                                    accuracy_figure({"": sent.history}, max_points=250)))
    rows.append(("sentence classifier", draw, 0.0, 1.0, sent))

    for name, draw, slow, every, steppable in rows:
        steps = steppable.step_for(REDRAW)
        worst = draw + slow  # the redraw that also rebuilds the throttled part (every `every` seconds)
        rate = 1 / max(REDRAW, draw + slow * REDRAW / every)  # the throttled part, spread over the redraws it skips
        print(f"  {name:22s} draw {draw * 1e3:6.1f} ms, throttled part {slow * 1e3:6.1f} ms every {every:g} s "
              f"(worst redraw {worst * 1e3:6.1f} ms) → {rate:.1f} updates/s; {steps} steps per {REDRAW} s slice")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="training time of the character model")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: the app's policy)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    args = parser.parse_args()
    threads = configure_threads(args.threads or None)
    device = pick_device(args.device)
    print(f"Device: {device_label(device)} · torch threads: {threads}")
    live_views(device)
    train_char_model(args.seconds, device)


if __name__ == "__main__":
    main()
