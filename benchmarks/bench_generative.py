"""Chapter 10's speed criteria, measured as the page plays them on 2 CPU cores:

- the 2D GAN's points visibly move within the first second of Play (mean displacement of the 256 watched points at
  each redraw; "visible" = at least 1 % of the plot's width, ≈ 5 px), and the ring of 8 Gaussians is covered — every
  mode holds at least a quarter of its fair share of 2,000 generated points — within 60 s;
- the VAE's 2D latent space separates the digit classes visibly within 60 s: the leave-one-out 5-NN accuracy of the
  classes from the 1,000 test images' latent means (chance: 10 %; the two principal axes of the pixels: printed too).

Live = what the page does while playing: the run trains in its background thread (`Paced.play`) and every `chunk`
seconds the view takes the run's lock and builds its figure specs (the heavy ones at most every SLOW_EVERY s), then
serializes them as Streamlit does. The image GAN's rounds per second back the page's "be patient on a CPU".

Run: `.venv/bin/python benchmarks/bench_generative.py [--seconds 60] [--chunk 0.4] [--threads 0] [--device cpu]`.
Absolute times on a shared machine partly measure the neighbours: the CPU seconds are printed beside them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import plotly.io as pio
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlplay.device import configure_threads, device_label, pick_device  # noqa: E402
from dlplay.lessons.generative.data import load_gen_data  # noqa: E402
from dlplay.lessons.generative.figures import kl_bars_figure, vae_loss_figures  # noqa: E402
from dlplay.lessons.generative.figures_gan import distance_figure, gan_curves_figures  # noqa: E402
from dlplay.lessons.generative.gan2d import Gan2dConfig, build_gan2d  # noqa: E402
from dlplay.lessons.generative.gan_targets import EXTENT  # noqa: E402
from dlplay.lessons.generative.image_gan import ImageGanConfig, build_image_gan  # noqa: E402
from dlplay.lessons.generative.vae_lab import VaeConfig, VaeRun, knn_accuracy  # noqa: E402
from dlplay.lessons.generative.views import gan2d_view, vae_views  # noqa: E402

SLOW_EVERY = 2.0  # as the page: the VAE's latent views are rebuilt at most this often while playing
VISIBLE = 0.01 * 2 * EXTENT  # a mean move of 1 % of the plot's width (≈ 5 px on the page's 520 px plot)
CHECKPOINTS = (5, 10, 20, 30, 45, 60)  # seconds after Play at which the VAE's separation is printed


def serialize(specs) -> int:
    """Bytes Streamlit would send for these specs (plotly's JSON encoder, no validation)."""
    return sum(len(pio.json.to_json_plotly(spec)) for spec in specs)


def bench_gan2d(seconds: float, chunk: float, device: torch.device) -> None:
    run = build_gan2d(Gan2dConfig(), device)
    start_points = run.samples()
    n_modes = len(run.target.modes)
    moves, covered_at, draw_ms = [], None, []
    start, cpu = time.perf_counter(), time.process_time()
    run.play()
    while time.perf_counter() - start < seconds:
        time.sleep(chunk)  # st.fragment(run_every=chunk): the browser asks again after chunk seconds
        run.touch()
        began = time.perf_counter()
        with run.locked():
            plane, _, _ = gan2d_view(run)
            h = run.history
            specs = [plane, distance_figure(h.eval_step, h.evals.get("js", []), h.evals.get("covered", []), n_modes),
                     *gan_curves_figures(h.series, run.loss)]
            serialize(specs)
            moved = float((run.samples() - start_points).norm(dim=1).mean())
            covered = int(h.evals["covered"][-1]) if h.eval_step else 0
        t = time.perf_counter() - start
        draw_ms.append(1000 * (time.perf_counter() - began))
        moves.append((t, run.steps, moved))
        if covered_at is None and covered == n_modes:
            covered_at = (t, run.steps)
            break
    run.pause()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"\n2D GAN, ring of {n_modes} Gaussians (G and D 2×64, noise 2, Adam 1e-3, batch 256), redraw every {chunk} s")
    for t, steps, moved in [m for m in moves if m[0] <= 1.6]:
        print(f"  {t:4.2f} s after Play: round {steps:4d}, watched points moved {moved:.3f} on average "
              f"({moved / (2 * EXTENT):.1%} of the plot's width; visible from {VISIBLE / (2 * EXTENT):.0%})")
    first = next((m for m in moves if m[2] >= VISIBLE), None)
    when = f"at {first[0]:.2f} s (round {first[1]})" if first else "not within the run"
    print(f"  points visibly moving: {when}")
    if covered_at:
        print(f"  every mode covered at {covered_at[0]:.1f} s (round {covered_at[1]:,}) — target ≤ 60 s")
    else:
        print(f"  NOT every mode covered within {seconds:.0f} s (last: {int(run.history.evals['covered'][-1])} of {n_modes})")
    print(f"  {run.steps / elapsed:,.0f} rounds/s live · {elapsed:.1f} s wall, {cpu:.1f} s CPU · "
          f"redraw {sum(draw_ms) / len(draw_ms):.0f} ms mean under the lock")


def bench_vae(seconds: float, chunk: float, device: torch.device) -> None:
    began = time.perf_counter()
    data = load_gen_data("Synthetic digits", VaeConfig.n_train)
    print(f"\nVAE(784, 2) on {len(data.X_train):,} synthetic digits (drawn in {time.perf_counter() - began:.1f} s), "
          f"Adam {VaeConfig.lr:g}, batch {VaeConfig.batch_size}, β = 1, redraw every {chunk} s")
    pixels = data.X_test - data.X_test.mean(dim=0)
    _, _, vh = torch.linalg.svd(pixels, full_matrices=False)  # exact principal axes (pca_lowrank draws at random)
    print(f"  references: chance 10 % · 5-NN on the pixels' two principal axes {knn_accuracy(pixels @ vh[:2].T, data.y_test):.1%}")
    run = VaeRun(data.X_train, data.X_test, data.y_test, VaeConfig(), device)
    checkpoints, heavy_at, draw_ms = list(CHECKPOINTS), -1e9, []
    start, cpu = time.perf_counter(), time.process_time()
    run.play()
    while checkpoints and time.perf_counter() - start < seconds + chunk:
        time.sleep(chunk)
        run.touch()
        drawn = time.perf_counter()
        with run.locked():
            h = run.history
            specs = [*vae_loss_figures(h.series, h.eval_step, h.evals, run.beta)]
            if drawn - heavy_at > SLOW_EVERY:
                views = vae_views(run, data, (0.0, 0.0), 0, (3, 8), 0, 0)
                specs += [views.scatter, views.manifold, views.point, views.reparam_images, views.interpolation,
                          views.prior, kl_bars_figure(views.kl, 0.01)]
                heavy_at = drawn
            serialize(specs)
            t = time.perf_counter() - start
            if t >= checkpoints[0]:
                checkpoints.pop(0)
                mu, _ = run.latents()
                print(f"  {t:5.1f} s: step {run.steps:5,d} · 5-NN accuracy from the 2D latent means "
                      f"{knn_accuracy(mu, data.y_test):.1%}", flush=True)
        draw_ms.append(1000 * (time.perf_counter() - drawn))
    run.pause()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"  {run.steps / elapsed:,.0f} steps/s live · {elapsed:.1f} s wall, {cpu:.1f} s CPU · "
          f"redraw {sum(draw_ms) / len(draw_ms):.0f} ms mean under the lock")


def bench_image_gan(seconds: float, device: torch.device) -> None:
    data = load_gen_data("Synthetic digits", VaeConfig.n_train)
    run = build_image_gan(data.X_train, ImageGanConfig(), device)
    run.step(2)  # warm-up: lazy imports, first allocations
    start, steps = time.perf_counter(), run.steps
    run.step_for(seconds)
    elapsed = time.perf_counter() - start
    rate = (run.steps - steps) / elapsed
    print(f"\nImage GAN, the curriculum's Generator(100, 784) / Discriminator(784), batch 64: {rate:,.1f} rounds/s "
          f"({1000 / max(rate, 1e-9):.0f} ms a round) → about {60 * rate:,.0f} rounds in a minute")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="Play this long at most (the criteria say 60 s)")
    parser.add_argument("--chunk", type=float, default=0.4, help="seconds between live redraws (the panel's default)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 = the app's policy (half the cores)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    args = parser.parse_args()
    threads = configure_threads(args.threads or None)
    device = pick_device(args.device)
    print(f"Generative models on {device_label(device)} · torch threads {threads}")
    bench_gan2d(args.seconds, args.chunk, device)
    bench_vae(args.seconds, args.chunk, device)
    bench_image_gan(10.0, device)


if __name__ == "__main__":
    main()
