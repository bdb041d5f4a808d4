"""A TrainingRun callback that stops a run whose training loss has blown up, even while it stays finite."""

from __future__ import annotations

from dlplay.training.run import TrainingRun


class BlowUpGuard:
    """At each evaluation: if the mean batch loss since the previous one is `factor`× the first step's loss, stop the run.

    Why: TrainingRun stops on NaN or inf, but batch norm and Adam keep a too-large learning rate finite — the loss
    jumps to 10–100× its start and stays there, and the page should say so as plainly as for a NaN."""

    def __init__(self, factor: float = 4.0):
        self.factor = factor  # how many times the starting loss counts as blown up
        self._seen = 0  # step losses already checked

    def __call__(self, run: TrainingRun) -> dict[str, float]:
        losses = run.history.step_loss
        recent, self._seen = losses[self._seen :], len(losses)
        if not losses or not recent:
            return {}
        start, now = losses[0], sum(recent) / len(recent)
        if now > self.factor * start:
            run.stop("diverged", f"The training loss rose to {now:.3g}, {now / start:.0f}× where it started "
                                 f"({start:.3g}): the learning rate is too high. Lower it and press Reset.")
        return {}
