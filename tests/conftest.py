"""Shared fixtures: the repository root on sys.path and the registered pages."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # AppTest resolves page paths from the working directory
os.environ.setdefault("DLPLAY_DATA_DIR", str(ROOT / ".pytest_cache" / "data"))  # never touch the user's data folder

from dlplay.device import configure_threads  # noqa: E402
from dlplay.lessons.registry import PAGES  # noqa: E402

configure_threads(1)  # the thread policy, chosen once for the process as the app does (tiny models: one thread)

# Home links pages through st.navigation, so it is tested inside app.py (test_pages_render.py), not alone.
PAGE_PATHS = [str(ROOT / spec.path) for spec in PAGES]


@pytest.fixture(params=PAGE_PATHS, ids=[Path(p).stem for p in PAGE_PATHS])
def page_path(request) -> str:
    """Every chapter page the app lists."""
    return request.param
