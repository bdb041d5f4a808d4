"""The pages of the app, found in the chapter packages: a package with a `page.py` defining `PAGE` is listed."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

PART_I = "Part I · Beginner"
PART_II = "Part II · Intermediate"
PART_III = "Part III · Advanced"
PARTS = (PART_I, PART_II, PART_III)


@dataclass(frozen=True)
class PageSpec:
    """One chapter page: where its script is and how Home introduces it."""

    path: str  # script path relative to the repository root
    title: str  # the curriculum's chapter title
    part: str  # one of PARTS
    chapter: int  # chapter number in the course
    icon: str  # emoji shown in the navigation
    summary: str  # one sentence on what a person can do there
    url_path: str  # the page's address: /<url_path>
    live_training: bool = False  # has the Play / Pause training panel (the browser test plays it)


def _discover() -> tuple[PageSpec, ...]:
    """Every chapter package's PAGE, in course order."""
    here = Path(__file__).parent
    specs = []
    for module in pkgutil.iter_modules([str(here)]):
        if module.ispkg and (here / module.name / "page.py").exists():
            specs.append(importlib.import_module(f"dlplay.lessons.{module.name}.page").PAGE)
    return tuple(sorted(specs, key=lambda spec: spec.chapter))


PAGES: tuple[PageSpec, ...] = _discover()


def pages_in(part: str) -> list[PageSpec]:
    """The listed pages of one part, in chapter order."""
    return [p for p in PAGES if p.part == part]
