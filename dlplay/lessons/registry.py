"""The pages of the app, found in the chapter packages: a package with a `page.py` defining `PAGE` is listed."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from dlplay.lessons.spec import PART_I, PART_II, PART_III, PARTS, PageSpec

__all__ = ["PAGES", "PARTS", "PART_I", "PART_II", "PART_III", "PageSpec", "pages_in"]


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
