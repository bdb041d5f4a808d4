"""The CNN page's drawing canvas (an st.components.v2 component) in headless Chromium: a drawn stroke reaches Python."""

from __future__ import annotations

import time

import pytest

from tests.test_browser import browser, server_url, wait_until_idle  # noqa: F401 - fixtures shared with the page tests

pytestmark = pytest.mark.browser


def _text_appears(page, text: str, timeout_s: float = 60) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if page.get_by_text(text).count() > 0:
            return True
        time.sleep(0.25)
    return False


def test_a_drawn_stroke_reaches_python_and_clear_empties_it(server_url, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server_url}/cnn", timeout=60_000)
        wait_until_idle(page)
        canvas = page.locator("canvas.dlplay-draw")
        canvas.wait_for(timeout=60_000)
        assert _text_appears(page, "The canvas is empty"), "the empty canvas is not reported"
        assert page.get_by_text("The model reads it as").count() == 0
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        x = box["x"] + box["width"] / 2
        page.mouse.move(x, box["y"] + box["height"] * 0.2)
        page.mouse.down()
        for i in range(1, 21):  # a vertical stroke: a “1”
            page.mouse.move(x + i * 0.3, box["y"] + box["height"] * (0.2 + 0.03 * i))
        page.mouse.up()
        # Python answers only once it holds the ink: the prediction is written from the drawing.
        assert _text_appears(page, "The model reads it as"), "the drawing did not reach Python"
        assert page.get_by_text("The canvas is empty").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        page.get_by_role("button", name="Clear").click()
        assert _text_appears(page, "The canvas is empty"), "Clear did not empty the drawing on the Python side"
    finally:
        page.close()
