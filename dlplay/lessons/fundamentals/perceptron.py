"""The curriculum's perceptron (chapter 1.1) and Rosenblatt's learning rule, one update at a time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class Perceptron:
    """y = 1 if w·x + b > 0 else 0 — the curriculum's class, plus a batch `predict`."""

    def __init__(self, n_inputs: int, seed: int | None = None):
        rng = np.random.default_rng(seed) if seed is not None else np.random
        self.weights = rng.standard_normal(n_inputs)  # (n_inputs,)
        self.bias = float(rng.standard_normal())

    @classmethod
    def from_weights(cls, weights, bias: float) -> Perceptron:
        """A perceptron with the given weights and bias."""
        p = cls.__new__(cls)
        p.weights, p.bias = np.asarray(weights, dtype=float).copy(), float(bias)
        return p

    def forward(self, x) -> int:
        """The curriculum's step function: 1 if w·x + b > 0 else 0."""
        return 1 if np.dot(self.weights, x) + self.bias > 0 else 0

    def predict(self, X) -> np.ndarray:
        """forward() of every row of X (N, n_inputs): (N,) of 0/1."""
        return (np.asarray(X, dtype=float) @ self.weights + self.bias > 0).astype(np.int64)

    def errors(self, X, y) -> int:
        """How many points the current line misclassifies."""
        return int((self.predict(X) != np.asarray(y)).sum())

    def accuracy(self, X, y) -> float:
        """Share of points classified right."""
        return 1.0 - self.errors(X, y) / max(len(X), 1)


@dataclass
class RuleStep:
    """One application of the perceptron rule: which point, what changed."""

    index: int | None  # the misclassified point that caused the update; None when every point is right (converged)
    y: int = 0  # its label
    y_hat: int = 0  # what the perceptron predicted for it
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the new weights w ← w + η·(y − ŷ)·x
    bias: float = 0.0  # the new bias b ← b + η·(y − ŷ)
    next_start: int = 0  # where the cyclic scan resumes (the point after `index`)

    @property
    def converged(self) -> bool:
        """True when no point was misclassified, so nothing changed."""
        return self.index is None


def perceptron_rule_step(perceptron: Perceptron, X, y, lr: float = 1.0, start: int = 0) -> RuleStep:
    """Find the next misclassified point in the cyclic order start, start+1, …, N−1, 0, … and update on it, in place."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    n = len(X)
    wrong = perceptron.predict(X) != y  # (N,)
    if n == 0 or not wrong.any():
        return RuleStep(None, weights=perceptron.weights.copy(), bias=perceptron.bias, next_start=start % max(n, 1))
    order = (start + np.arange(n)) % n  # the fixed cyclic order, from `start`
    i = int(order[np.argmax(wrong[order])])  # the first misclassified point in that order
    y_hat = perceptron.forward(X[i])
    delta = lr * (int(y[i]) - y_hat)  # η·(y − ŷ): +η when it should have fired, −η when it should not
    perceptron.weights = perceptron.weights + delta * X[i]
    perceptron.bias = perceptron.bias + delta
    return RuleStep(i, int(y[i]), y_hat, perceptron.weights.copy(), perceptron.bias, (i + 1) % n)


@dataclass
class RuleTrace:
    """What repeated updates did: errors after each update, how many, whether the line stopped moving."""

    errors: list[int]  # misclassified points before any update, then after each update
    updates: int  # updates made
    epochs: int  # full passes of the cyclic order started
    converged: bool  # every point right at the end
    next_start: int = 0  # where the cyclic scan resumes


def run_perceptron_rule(perceptron: Perceptron, X, y, lr: float = 1.0, max_epochs: int = 50, start: int = 0) -> RuleTrace:
    """Apply the rule until no point is misclassified or max_epochs passes over the data have been made (in place)."""
    n = len(X)
    errors = [perceptron.errors(X, y)]
    scanned, updates = 0, 0  # points the cyclic scan has passed; an epoch is n of them
    while errors[-1] > 0:
        probe = Perceptron.from_weights(perceptron.weights, perceptron.bias)
        step = perceptron_rule_step(probe, X, y, lr, start)
        distance = (step.index - start) % n + 1  # the points looked at to find this mistake
        if scanned + distance > max_epochs * n:  # the next mistake lies beyond the last epoch
            scanned = max_epochs * n
            break
        perceptron.weights, perceptron.bias = probe.weights, probe.bias
        scanned, start, updates = scanned + distance, step.next_start, updates + 1
        errors.append(perceptron.errors(X, y))
    return RuleTrace(errors, updates, -(-scanned // n) if n else 0, errors[-1] == 0, start)


def fit_to_limits(weights, bias: float, w_limit: float, b_limit: float) -> tuple[np.ndarray, float, float]:
    """(w/k, b/k, k) with the smallest k ≥ 1 that brings every |wᵢ| ≤ w_limit and |b| ≤ b_limit: the same line, since
    w·x + b = 0 ⇔ (w/k)·x + b/k = 0 for any k > 0."""
    weights = np.asarray(weights, dtype=float)
    k = max(1.0, float(np.abs(weights).max(initial=0)) / w_limit, abs(float(bias)) / b_limit)
    return weights / k, float(bias) / k, k
