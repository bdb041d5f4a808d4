"""What the two live panels draw, as figure specs and table rows: built by the page while training plays, and by the
benchmark (so its timings include the drawing)."""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from dlplay.lessons.architectures.figures import gradient_bars, legend_below, race_curves
from dlplay.lessons.architectures.figures_unet import masks_figure, metric_curves
from dlplay.lessons.architectures.residual_race import ResidualRace, batch_loss_curve, degradation, results
from dlplay.lessons.architectures.segmentation import predicted_probabilities
from dlplay.training.history import History
from dlplay.training.race import RunGroup
from dlplay.viz.spec import Spec
from dlplay.viz.training import loss_figure

MAX_POINTS = 250  # points per live curve: smooth, and light for the browser to redraw
SHOWN_MASKS = 6  # validation images whose masks update live


def race_figures(race: ResidualRace) -> tuple[Spec, Spec, Spec, Spec]:
    """Training loss, validation accuracy, and the per-layer gradient norms at initialization and at the latest step."""
    # mean batch loss per block of `every` steps: blocks of eval_every once there are many steps, shorter before
    every = max(1, min(next(iter(race.runs.values())).config.eval_every, race.steps // 10))
    loss = race_curves({name: batch_loss_curve(run, every) for name, run in race.runs.items()},
                       "Training loss (mean batch loss; plain nets dashed)", max_points=MAX_POINTS)
    accuracy = race_curves({name: (run.history.eval_step, run.history.val_acc) for name, run in race.runs.items()},
                           "Validation accuracy", accuracy=True, max_points=MAX_POINTS)
    initial = gradient_bars(race.initial_norms, race.layer_names, "Gradient per layer at initialization")
    steps = [probe.step for probe in race.probes.values()]
    live = {name: probe.latest for name, probe in race.probes.items()}
    title = f"Gradient per layer at step {max(steps):,}" if max(steps) else "Gradient per layer, live (after the first evaluation)"
    return loss, accuracy, initial, gradient_bars(live, race.layer_names, title)


def race_table(race: ResidualRace) -> list[dict[str, str]]:
    """The race's results as display strings."""
    rows = []
    for row in results(race):
        rows.append({
            "net": row["net"], "layers": str(row["layers"]), "parameters": f"{row['parameters']:,}",
            "steps": f"{row['steps']:,}",
            "train loss (last 40 steps)": "—" if math.isnan(row["train loss"]) else f"{row['train loss']:.3f}",
            "val acc": "—" if math.isnan(row["val acc"]) else f"{row['val acc']:.1%}",
            "best val acc": "—" if math.isnan(row["best val acc"]) else f"{row['best val acc']:.1%}",
            "gradient at layer 1": f"{row['first-layer gradient']:.1e}", "status": row["status"],
        })
    return rows


def degradation_line(race: ResidualRace) -> str:
    """A sentence on the degradation test once both pairs have three evaluations; '' otherwise."""
    gaps = degradation(race)
    if gaps is None or any(math.isnan(g) for g in gaps):
        return ""
    (res_deep, plain_deep), (res_shallow, plain_shallow) = race.pairs()
    plain_gap, res_gap = gaps

    def words(gap: float) -> str:
        return f"**{abs(gap):.2f} higher**" if gap > 0 else f"**{abs(gap):.2f} lower**"

    return (f"Training loss (mean batch loss of the last 40 steps): **{plain_deep}** is {words(plain_gap)} than "
            f"**{plain_shallow}**; **{res_deep}** is {words(res_gap)} than **{res_shallow}**.")


def unet_figures(lab: RunGroup, X_show: torch.Tensor, y_show: torch.Tensor) -> tuple[Spec, Spec, Spec]:
    """Loss curves, validation IoU/Dice/boundary-IoU curves, and the masks of a few validation images."""
    histories = {name: run.history for name, run in lab.runs.items()}
    curves = {name: _without_batch_loss(h) for name, h in histories.items()}
    loss = legend_below(loss_figure(curves, title="Per-pixel BCE loss · train solid, validation dashed",
                                    max_points=MAX_POINTS), height=440)
    predictions = {name: predicted_probabilities(run, X_show) for name, run in lab.runs.items()}
    return loss, metric_curves(histories, MAX_POINTS), masks_figure(X_show, y_show, predictions)


def _without_batch_loss(h: History) -> History:
    """A shallow copy of a history without its per-step batch losses (two noisy races would bury the curves)."""
    return replace(h, step_loss=[])


def unet_table(lab: RunGroup) -> list[dict[str, str]]:
    """Latest validation IoU, Dice and boundary IoU of each net, and its best IoU so far."""
    rows = []
    for name, run in lab.runs.items():
        extras = run.history.extras
        latest = {m: f"{extras[m][-1]:.3f}" if extras.get(m) else "—" for m in ("val_iou", "val_dice", "val_boundary_iou")}
        best = max(extras.get("val_iou", []), default=math.nan)
        rows.append({"net": name, "steps": f"{run.steps:,}", "IoU": latest["val_iou"], "Dice": latest["val_dice"],
                     "boundary IoU": latest["val_boundary_iou"], "best IoU": "—" if math.isnan(best) else f"{best:.3f}",
                     "parameters": f"{sum(p.numel() for p in run.model.parameters()):,}"})
    return rows
