"""What the app needs to list a chapter page."""

from __future__ import annotations

from dataclasses import dataclass

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
