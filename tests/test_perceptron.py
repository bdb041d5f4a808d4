"""The perceptron and its learning rule, checked by hand computation and against a plain online-perceptron loop."""

import numpy as np
import pytest

from dlplay.data.toy2d import make_classification
from dlplay.lessons.fundamentals.perceptron import Perceptron, fit_to_limits, perceptron_rule_step, run_perceptron_rule


def points(name: str, n: int = 100, seed: int = 0):
    X, y = make_classification(name, n_samples=n, noise=0.0, seed=seed)
    return X.numpy().astype(float), y.numpy()


def test_forward_is_the_curriculum_step_function_and_predict_agrees():
    p = Perceptron(2, seed=3)
    X = np.random.default_rng(0).normal(size=(50, 2))
    expected = [1 if np.dot(p.weights, x) + p.bias > 0 else 0 for x in X]
    assert [p.forward(x) for x in X] == expected
    assert p.predict(X).tolist() == expected


def test_one_update_is_w_plus_eta_times_error_times_x():
    X = np.array([[1.0, 2.0], [-3.0, 0.5], [2.0, -1.0], [0.5, 0.5]])
    y = np.array([1, 1, 1, 1])
    w, b, eta = np.array([0.5, -1.0]), 0.25, 0.1
    p = Perceptron.from_weights(w, b)
    wrong = [i for i in range(4) if p.forward(X[i]) != y[i]]
    assert wrong == [0, 1, 3]  # w·x + b = −1.25, −1.75, 2.25, 0.0: point 3 sits on the line, and 0 is not > 0
    step = perceptron_rule_step(p, X, y, lr=eta, start=2)  # the scan starts at point 2: point 3 comes first
    i = 3
    y_hat = 1 if w @ X[i] + b > 0 else 0
    assert (step.index, step.y, step.y_hat, step.next_start) == (i, 1, 0, 0)
    assert y_hat == 0
    np.testing.assert_allclose(step.weights, w + eta * (y[i] - y_hat) * X[i])
    assert step.bias == pytest.approx(b + eta * (y[i] - y_hat))
    np.testing.assert_allclose(p.weights, step.weights)  # the perceptron itself was updated


def test_a_step_on_correct_data_changes_nothing():
    X, y = np.array([[1.0, 1.0], [-1.0, -1.0]]), np.array([1, 0])
    p = Perceptron.from_weights([1.0, 1.0], 0.0)
    step = perceptron_rule_step(p, X, y, lr=0.5, start=1)
    assert step.converged and step.index is None
    np.testing.assert_allclose(p.weights, [1.0, 1.0])


def plain_online_perceptron(w, b, X, y, lr, epochs):
    """The textbook loop: visit points in order, update on every mistake; stop after an epoch with none."""
    w, b = np.array(w, dtype=float), float(b)
    for _ in range(epochs):
        mistakes = 0
        for x, target in zip(X, y):
            y_hat = 1 if w @ x + b > 0 else 0
            if y_hat != target:
                w, b = w + lr * (target - y_hat) * x, b + lr * (target - y_hat)
                mistakes += 1
        if mistakes == 0:
            break
    return w, b


@pytest.mark.parametrize("name", ["gaussians", "xor"])
def test_cyclic_scan_matches_the_textbook_loop(name):
    X, y = points(name, n=60)
    p = Perceptron.from_weights([0.5, -1.0], 0.3)
    run_perceptron_rule(p, X, y, lr=0.1, max_epochs=3)
    w, b = plain_online_perceptron([0.5, -1.0], 0.3, X, y, lr=0.1, epochs=3)
    if name == "xor":  # both stop after 3 full passes
        np.testing.assert_allclose(p.weights, w)
        assert p.bias == pytest.approx(b)
    else:  # converged: both separate the data
        assert p.errors(X, y) == 0 and Perceptron.from_weights(w, b).errors(X, y) == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_converges_on_linearly_separable_data(seed):
    X, y = points("gaussians", seed=seed)
    p = Perceptron(2, seed=seed)
    trace = run_perceptron_rule(p, X, y, lr=0.1, max_epochs=100)
    assert trace.converged and trace.errors[-1] == 0 and p.errors(X, y) == 0
    assert trace.updates == len(trace.errors) - 1 > 0 or trace.errors[0] == 0


def test_never_converges_on_xor():
    X, y = points("xor")
    p = Perceptron.from_weights([0.5, -1.0], 0.0)
    trace = run_perceptron_rule(p, X, y, lr=0.1, max_epochs=20)
    assert not trace.converged
    assert min(trace.errors) > 0  # no line gets XOR right
    assert trace.epochs == 20 and trace.updates > 20


def test_fit_to_limits_keeps_the_line():
    X = np.random.default_rng(1).uniform(-6, 6, size=(200, 2))
    w, b = np.array([12.0, -3.0]), 50.0
    w2, b2, k = fit_to_limits(w, b, 5.0, 20.0)
    assert k == pytest.approx(2.5) and np.abs(w2).max() <= 5 and abs(b2) <= 20
    assert (Perceptron.from_weights(w, b).predict(X) == Perceptron.from_weights(w2, b2).predict(X)).all()
    assert fit_to_limits([1.0, 1.0], 1.0, 5.0, 20.0)[2] == 1.0
