"""Shared by the browser benchmarks: a real `streamlit run app.py`, Debian's headless Chromium, and timing of the app's
script runs as the page itself reports them (the app root's `data-test-script-state`)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# Records every change of the script state with the page's clock, so a run that starts and ends between two polls
# is still seen.
STATE_LOG = """
window.__runs = [];
window.__clicks = [];
document.addEventListener('click', () => window.__clicks.push(performance.now()), true);
document.addEventListener('keydown', () => window.__clicks.push(performance.now()), true);
const watch = () => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) { setTimeout(watch, 20); return; }
  window.__runs.push([performance.now(), app.getAttribute('data-test-script-state')]);
  new MutationObserver(() => window.__runs.push([performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
};
watch();
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(port: int | None = None) -> Iterator[str]:
    """`streamlit run app.py` on localhost; yields its URL once healthy."""
    port = port or free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            time.sleep(0.25)
        else:
            raise RuntimeError("streamlit did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, width: int = 1400, height: int = 1000):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.add_init_script(STATE_LOG)
    return page


def now(page) -> float:
    """The page's clock, in seconds."""
    return page.evaluate("performance.now()") / 1000


def wait_idle(page, since: float, timeout: float = 60, quiet: float = 0.3, need_run: bool = True) -> float | None:
    """Seconds from `since` (page clock) to the end of the last script run that began after it, once the app has
    stayed idle for `quiet` seconds; None on timeout. With need_run, a run must have started after `since`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = page.evaluate("window.__runs")
        after = [(t / 1000, s) for t, s in runs if t / 1000 >= since]
        t_now = now(page)
        state = runs[-1][1] if runs else None
        if state == "notRunning" and (after or not need_run):
            last = after[-1][0] if after else since
            if t_now - last >= quiet and (not need_run or any(s == "running" for _, s in after)):
                return last - since
        time.sleep(0.05)
    return None


def last_click(page) -> float:
    """The page-clock time (s) of the last click or key press the page received (Playwright may wait before acting)."""
    return page.evaluate("window.__clicks.length ? window.__clicks[window.__clicks.length - 1] : 0") / 1000


def step_count(page) -> int | None:
    """The step number the training panel's caption shows ('… · step 1,234')."""
    import re

    captions = page.locator('[data-testid="stCaptionContainer"]', has_text="steps/s").all_inner_texts()
    for text in captions:
        if match := re.search(r"step ([\d,]+)", text):
            return int(match.group(1).replace(",", ""))
    return None


def processes_matching(text: str) -> list[int]:
    """Pids whose command line contains `text` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def resident_mb(pid: int) -> float:
    """A process's resident memory in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")

