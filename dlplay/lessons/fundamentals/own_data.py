"""Your own points on the playground: a CSV file (x1, x2, label or y) or points clicked onto the square."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_ROWS = 10  # fewer points cannot be split into a training and a test set worth the name
MAX_ROWS = 2000  # a cap per session: the playground redraws every point live
MAX_BYTES = 1 * 2**20  # a CSV of MAX_ROWS rows is well under this
SPAN = 5.0  # points are rescaled into [−SPAN, SPAN]², inside the playground's [−6, 6]² square


class OwnDataError(ValueError):
    """A file or a drawing the playground cannot use; the message says why."""


@dataclass(frozen=True)
class OwnData:
    """Points a user brought: positions in the playground square, labels 0/1 (binary) or targets (regression)."""

    X: tuple[tuple[float, float], ...]  # (x₁, x₂) per point, already rescaled into the square
    y: tuple[float, ...]  # 0.0 / 1.0 for two classes, a number in [−1, 1] for regression
    task: str  # "binary" or "regression"
    classes: tuple[str, ...] = ()  # the original names of class 0 and class 1
    source: str = ""  # the file name, or "drawn"

    @property
    def size(self) -> int:
        return len(self.y)


def _rescale(values: np.ndarray) -> np.ndarray:
    """Min–max into [−SPAN, SPAN] (a constant column goes to 0)."""
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:
        return np.zeros_like(values)
    return (values - low) / (high - low) * 2 * SPAN - SPAN


def parse_csv(data: bytes, name: str = "your file") -> OwnData:
    """Validate and read a CSV with a header x1, x2 and label (two classes) or y (regression); OwnDataError if bad."""
    if len(data) > MAX_BYTES:
        raise OwnDataError(f"{name} is {len(data) / 2**20:.1f} MB; the playground takes at most {MAX_BYTES // 2**20} MB "
                           f"({MAX_ROWS:,} points).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OwnDataError(f"{name} is not a text file: save it as CSV (comma-separated text).") from None
    if not text.strip():
        raise OwnDataError(f"{name} is empty.")
    try:
        frame = pd.read_csv(io.StringIO(text), skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise OwnDataError(f"{name} could not be read as CSV: {str(error).splitlines()[0]}") from None
    frame.columns = [str(c).strip().lower().replace("₁", "1").replace("₂", "2") for c in frame.columns]
    target = "label" if "label" in frame.columns else "y" if "y" in frame.columns else None
    if not {"x1", "x2"} <= set(frame.columns) or target is None:
        found = ", ".join(frame.columns[:6]) or "nothing"
        raise OwnDataError(f"{name} needs a header row with x1, x2 and either label (two classes) or y (a number to "
                           f"predict); its header has: {found}.")
    if not MIN_ROWS <= len(frame) <= MAX_ROWS:
        raise OwnDataError(f"{name} has {len(frame):,} rows; the playground needs between {MIN_ROWS} and {MAX_ROWS:,}.")
    numeric = ["x1", "x2"] + (["y"] if target == "y" else [])
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            row = int(bad.idxmax())
            raise OwnDataError(f"Column {column} of {name} has a value that is not a number on row {row + 2}: "
                               f"{frame[column][row]!r}.")
        frame[column] = values
    missing = frame[numeric + ([target] if target == "label" else [])].isna().any(axis=1)
    if missing.any():
        raise OwnDataError(f"Row {int(missing.idxmax()) + 2} of {name} has an empty cell: every row needs all its values.")
    finite = np.isfinite(frame[numeric].to_numpy(dtype=float)).all(axis=1)
    if not finite.all():
        raise OwnDataError(f"Row {int(np.argmin(finite)) + 2} of {name} has an infinite value.")
    X = np.stack([_rescale(frame["x1"].to_numpy(float)), _rescale(frame["x2"].to_numpy(float))], axis=1)
    if target == "label":
        labels = frame["label"].astype(str).str.strip()
        classes = sorted(labels.unique())
        if len(classes) != 2:
            shown = ", ".join(classes[:5]) + ("…" if len(classes) > 5 else "")
            raise OwnDataError(f"{name} has {len(classes)} classes ({shown}); the playground separates exactly two.")
        y = (labels == classes[1]).to_numpy(float)
        return OwnData(_points(X), tuple(y.tolist()), "binary", tuple(classes), name)
    y = frame["y"].to_numpy(float)
    peak = float(np.abs(y).max())
    y = y / peak if peak > 0 else y  # into [−1, 1], the range of the output's colour scale
    return OwnData(_points(X), tuple(y.tolist()), "regression", (), name)


def _points(X: np.ndarray) -> tuple[tuple[float, float], ...]:
    return tuple((round(float(a), 6), round(float(b), 6)) for a, b in X)


def drawn_points(points: list[tuple[float, float, int]]) -> OwnData:
    """Points clicked onto the square, each (x₁, x₂, class 0/1): kept where they were put, no rescaling."""
    counts = [sum(1 for *_, c in points if c == k) for k in (0, 1)]
    if len(points) < MIN_ROWS or min(counts) == 0:
        raise OwnDataError(f"Click at least {MIN_ROWS} points, of both colours, onto the square: so far "
                           f"{counts[0]} orange and {counts[1]} blue.")
    if len(points) > MAX_ROWS:
        raise OwnDataError(f"{len(points):,} points is more than the {MAX_ROWS:,} the playground takes.")
    X = tuple((float(a), float(b)) for a, b, _ in points)
    return OwnData(X, tuple(float(c) for *_, c in points), "binary", ("orange", "blue"), "drawn")


def example_csv(n: int = 60, seed: int = 0) -> str:
    """A small two-class CSV (two noisy blobs), to show the expected format."""
    rng = np.random.default_rng(seed)
    rows = ["x1,x2,label"]
    for i in range(n):
        cls = i % 2
        angle = rng.uniform(0, 2 * math.pi)
        r = rng.normal(1.0 if cls else 3.0, 0.3)
        rows.append(f"{r * math.cos(angle):.3f},{r * math.sin(angle):.3f},{'inner' if cls else 'outer'}")
    return "\n".join(rows) + "\n"
