"""A real `streamlit run` on localhost, every page opened in headless Debian Chromium, a screenshot kept per page."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dlplay.lessons.registry import PAGES

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI=true but Debian's chromium is missing: `make test` installs it as root (scripts/ensure_chromium.sh)")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium): browser tests skipped", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    port = _free_port()
    log = open(tmp_path_factory.mktemp("streamlit") / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def wait_until_idle(page, timeout_s: float = 90) -> None:
    """Wait until the title is drawn and the script has stopped running for a second (the app root's script state)."""
    page.wait_for_selector("h1", timeout=timeout_s * 1000)
    app = page.locator('[data-testid="stApp"]')
    deadline, quiet_since = time.time() + timeout_s, None
    while time.time() < deadline:
        if app.get_attribute("data-test-script-state") == "notRunning":
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= 1.0:
                return
        else:
            quiet_since = None
        time.sleep(0.1)


def test_deep_link_on_a_fresh_server_runs_inside_the_app(server_url, browser):
    """The first visit of a new server goes straight to a chapter: it must get the app's navigation and sidebar."""
    spec = PAGES[-1]
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    try:
        page.goto(f"{server_url}/{spec.url_path}", timeout=60_000)
        wait_until_idle(page)
        assert page.get_by_text("Page not found").count() == 0, "a deep link fell back to the main page"
        assert page.locator('[data-testid="stSidebar"]').get_by_text("Global seed").count() == 1, "the app's sidebar is missing"
        assert spec.title.split()[0] in page.locator("h1").first.inner_text()
    finally:
        page.close()


PAGE_URLS = [("home", "")] + [(spec.url_path, spec.url_path) for spec in PAGES]


@pytest.mark.parametrize(("name", "url_path"), PAGE_URLS, ids=[n for n, _ in PAGE_URLS])
def test_page_in_browser(server_url, browser, name, url_path):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    try:
        page.goto(f"{server_url}/{url_path}", timeout=60_000)
        wait_until_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()
        if url_path:  # chapter pages teach with charts; each must be drawn
            page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=60_000)
            assert page.locator(".js-plotly-plot").count() >= 1, "no chart drawn"
        else:
            assert page.locator('[data-testid="stPageLink"]').count() == len(PAGES), "Home links every page"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        # Lazy tabs run their content only when opened: open each one, as a user would.
        tabs = page.get_by_role("tab")
        for i in range(tabs.count()):
            if tabs.nth(i).get_attribute("aria-selected") == "true":
                continue
            tabs.nth(i).click()
            wait_until_idle(page)
            exceptions = page.locator('[data-testid="stException"]')
            assert exceptions.count() == 0, f"tab {i}: {exceptions.first.inner_text()}"
            page.screenshot(path=str(SCREENSHOTS / f"{name}-tab{i + 1}.png"), full_page=True)
    finally:
        page.close()


TRAINING_PAGES = [(spec.url_path, spec.url_path) for spec in PAGES if spec.live_training]


@pytest.mark.parametrize(("name", "url_path"), TRAINING_PAGES, ids=[n for n, _ in TRAINING_PAGES])
def test_play_trains_live_and_pause_stops_quickly(server_url, browser, name, url_path):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})

    def steps_shown() -> int:
        text = page.locator('[data-testid="stCaptionContainer"]', has_text="steps/s").first.inner_text()
        return int(re.search(r"step ([\d,]+)", text).group(1).replace(",", ""))

    try:
        page.goto(f"{server_url}/{url_path}", timeout=60_000)
        wait_until_idle(page)
        page.get_by_role("button", name="▶ Play").first.click()

        def advances_within(seconds: float, beyond: int) -> int:
            """The step count once it passes `beyond` (a busy browser can delay a live update by a few seconds)."""
            deadline = time.time() + seconds
            while time.time() < deadline:
                if (shown := steps_shown()) > beyond:
                    return shown
                time.sleep(0.25)
            return steps_shown()

        first = advances_within(20, 0)
        second = advances_within(15, first)
        if not second > first > 0:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-not-training.png"), full_page=True)
            said = page.locator('[data-testid="stAlert"], [data-testid="stCaptionContainer"]').all_inner_texts()
            pytest.fail(f"Play did not keep training: step {first} then {second}; the page said: {said[:12]}")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-playing.png"), full_page=True)
        page.get_by_role("button", name="⏸ Pause").first.click()
        page.wait_for_function(  # generous: a shared CI machine may be slow; benchmarks/bench_ui.py times it
            "() => [...document.querySelectorAll('button')].some(b => b.innerText.includes('Play') && !b.disabled)",
            timeout=60_000)
        wait_until_idle(page)  # the rerun that Pause started has drawn its last caption
        stopped_at = steps_shown()
        time.sleep(2.0)
        assert steps_shown() == stopped_at, "training went on after Pause"
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


def test_presenter_mode_from_a_link_and_a_share_link_that_reproduces_the_setup(server_url, browser):
    """A teacher's link opens in presenter mode; Share gives the address with the settings changed on the page."""
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    try:
        page.goto(f"{server_url}/nn-fundamentals?present=1&nn_layers=3", timeout=60_000)
        wait_until_idle(page)
        assert page.locator('[data-testid="stSidebar"][aria-expanded="true"]').count() == 0, "the sidebar should be closed"
        assert page.get_by_text("The PyTorch code for these settings").count() == 0, "code panels are hidden"
        assert page.locator('input[aria-label="Layer 3"]').count() == 1, "the link's settings apply"
        page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=60_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "presenter-nn-fundamentals.png"), full_page=True)

        page.goto(f"{server_url}/activation-functions", timeout=60_000)
        wait_until_idle(page)
        page.get_by_role("button", name="🔗 Share this setup").click()
        wait_until_idle(page)
        shared = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first.inner_text()
        assert shared.startswith(server_url) and "/activation-functions" in shared
    finally:
        page.close()
