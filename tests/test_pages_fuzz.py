"""Fuzz: every widget of every page set to random valid values, 20+ configurations a page, no exception allowed."""

from __future__ import annotations

import random

import pytest
from streamlit.testing.v1 import AppTest

CONFIGURATIONS = 20
NASTY_TEXT = ["", " ", "1,2,,3", "x**", "((1)", "1e309", "-0", "nan", "abc", "🙂", "1/0", "log(-1)", "9" * 40]


def _random_number(rng: random.Random, widget) -> float | int:
    low, high, value = widget.min, widget.max, widget.value
    is_int = isinstance(value, int) or (isinstance(widget.step, int) and not isinstance(value, float))
    if low is None or high is None:
        base = value if value is not None else 0
        spread = max(abs(base) * 10, 10)
        low = low if low is not None else base - spread
        high = high if high is not None else base + spread
    choice = rng.choice(["low", "high", "any", "any"])
    x = low if choice == "low" else high if choice == "high" else rng.uniform(low, high)
    return int(round(x)) if is_int else float(x)


def _random_slider_value(rng: random.Random, slider):
    def one() -> object:
        if isinstance(slider.min, int | float) and not isinstance(slider.min, bool):
            steps = int(round((slider.max - slider.min) / slider.step)) if slider.step else 0
            x = slider.min + rng.randint(0, max(steps, 0)) * slider.step
            return int(x) if isinstance(slider.min, int) and isinstance(slider.step, int) else min(float(x), slider.max)
        return slider.value

    if isinstance(slider.value, list | tuple):
        a, b = sorted([one(), one()])
        return [a, b]
    return one()


def enabled(widgets) -> list:
    """The widgets a user can change (a disabled one cannot be set, by a user or by AppTest)."""
    return [w for w in widgets if not getattr(w.proto, "disabled", False)]


def lazy_tab_keys(at: AppTest) -> list[str]:
    """Keys of lazy tab groups (st.tabs with a key): their state holds the open tab's label."""
    labels = {t.label for t in at.tabs}
    return [k for k, v in at.session_state.items() if isinstance(v, str) and v in labels and not k.startswith("$$")]


def randomize(at: AppTest, rng: random.Random) -> list[str]:
    """Set a random subset of the page's widgets to random values; return what was done, for the failure report."""
    done = []
    for s in enabled(at.slider):
        if rng.random() < 0.6:
            v = _random_slider_value(rng, s)
            s.set_value(v)
            done.append(f"slider {s.key or s.label}={v}")
    for s in enabled(at.select_slider):
        if rng.random() < 0.6 and s.options:
            if isinstance(s.value, list | tuple):
                a, b = sorted(rng.sample(range(len(s.options)), 2)) if len(s.options) > 1 else (0, 0)
                v = [s.options[a], s.options[b]]
            else:
                v = rng.choice(s.options)
            s.set_value(v)
            done.append(f"select_slider {s.key or s.label}={v}")
    for w in enabled(list(at.selectbox) + list(at.radio)):
        if rng.random() < 0.6 and w.options:
            v = rng.choice(w.options)
            w.set_value(v)
            done.append(f"{w.type} {w.key or w.label}={v}")
    for w in enabled(at.multiselect):
        if rng.random() < 0.6:
            v = rng.sample(list(w.options), rng.randint(0, len(w.options)))
            w.set_value(v)
            done.append(f"multiselect {w.key or w.label}={v}")
    for w in enabled(list(at.checkbox) + list(at.toggle)):
        if rng.random() < 0.5:
            v = rng.random() < 0.5
            w.set_value(v)
            done.append(f"{w.type} {w.key or w.label}={v}")
    for w in enabled(at.number_input):
        if rng.random() < 0.6:
            v = _random_number(rng, w)
            w.set_value(v)
            done.append(f"number_input {w.key or w.label}={v}")
    for w in enabled(list(at.text_input) + list(at.text_area)):
        if rng.random() < 0.4:
            v = rng.choice(NASTY_TEXT + [w.value or ""])
            w.set_value(v)
            done.append(f"{w.type} {w.key or w.label}={v!r}")
    for w in enabled(list(at.segmented_control) + list(at.pills)):
        if rng.random() < 0.5 and getattr(w, "options", None):
            v = rng.choice(w.options)
            w.set_value(v)
            done.append(f"{w.type} {w.key or w.label}={v}")
    tab_keys = lazy_tab_keys(at)
    if len(tab_keys) == 1 and rng.random() < 0.3:  # a lazy tab group: open another tab, so its widgets get fuzzed too
        v = rng.choice([t.label for t in at.tabs])
        at.session_state[tab_keys[0]] = v
        done.append(f"tab {v}")
    buttons = [b for b in at.button if not b.disabled]
    if buttons and rng.random() < 0.5:
        b = rng.choice(buttons)
        b.click()
        done.append(f"click {b.label}")
    return done


def test_random_widget_values_never_raise(page_path):
    rng = random.Random(f"fuzz:{page_path}")
    at = AppTest.from_file(page_path, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    trail = []
    for configuration in range(CONFIGURATIONS):
        trail.append(randomize(at, rng))
        at.run()
        if at.exception:
            pytest.fail(
                f"configuration {configuration} of {page_path} raised {[e.value for e in at.exception]}\n"
                + "\n".join(f"  {i}: {t}" for i, t in enumerate(trail))
            )
