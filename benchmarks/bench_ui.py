"""How fast the app answers: reruns, Pause, first visits, live training speed, and several sessions at once.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_ui.py [--pages nn-fundamentals,training] [--skip browser]`).
Parts, each printing its figures:
  server   every widget of every page nudged once in AppTest (a full script run each: what a page-wide rerun costs)
  browser  a real `streamlit run` and headless Chromium: first visit → idle and → first chart drawn, every slider / checkbox / toggle nudged
           → idle (sections are fragments, so this is what a user waits for), Pause → idle on the live pages
  live     the playground played for a while in the browser against the same run stepped headless here
  contention  in one process, no browser: N playground runs train in the background while AppTest changes widgets
           on Activation Functions, with and without the app's rule that training gives way (N = 0, 1, 2, 4)
  sessions N sessions play the playground while one more moves sliders on another page (N = 0, 1, 2, 4)
Timing comes from the page itself (the app's script state, recorded by a MutationObserver), so a run that starts and
ends between two polls still counts. Absolute times depend on the machine; the targets are stated beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import (  # noqa: E402
    STATE_LOG,
    chromium,
    cpu_seconds,
    last_click,
    new_page,
    now,
    processes_matching,
    resident_mb,
    step_count,
    streamlit_server,
    wait_idle,
)

from dlplay.device import configure_threads  # noqa: E402
from dlplay.lessons.registry import PAGES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def p95(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def summary(values: list[float]) -> str:
    if not values:
        return "—"
    return f"median {statistics.median(values) * 1000:5.0f} ms · p95 {p95(values) * 1000:5.0f} ms · n {len(values)}"


# ----- server side: AppTest --------------------------------------------------------------------------------------------
def nudges(at) -> list:
    """One small change per widget: the next option, one step of a slider, a flipped checkbox."""
    changes = []
    for s in at.slider:
        if isinstance(s.value, int | float) and s.step:
            changes.append(lambda s=s: s.set_value(min(s.max, s.value + s.step) if s.value < s.max else s.value - s.step))
    for s in at.select_slider:
        if s.options and not isinstance(s.value, list | tuple):
            i = s.options.index(str(s.value)) if str(s.value) in s.options else 0
            changes.append(lambda s=s, i=i: s.set_value(s.options[(i + 1) % len(s.options)]))
    for w in list(at.selectbox) + list(at.radio):
        if len(w.options) > 1:
            changes.append(lambda w=w: w.set_value(w.options[(w.options.index(str(w.value)) + 1) % len(w.options)]
                                                   if str(w.value) in w.options else w.options[0]))
    for w in list(at.checkbox) + list(at.toggle):
        changes.append(lambda w=w: w.set_value(not w.value))
    return changes


def timed_nudges(at, before_each=lambda: None) -> list[float]:
    """Seconds of the script run after each of nudges(at), one change at a time."""
    times = []
    for change in nudges(at):
        before_each()
        try:
            change()
        except Exception:  # noqa: BLE001,S112 - a widget that vanished after an earlier change
            continue
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return times


def server_side(paths: list[str]) -> dict[str, list[float]]:
    from streamlit.testing.v1 import AppTest

    results = {}
    for path in paths:
        at = AppTest.from_file(str(ROOT / path), default_timeout=120).run()
        at.run()  # warm: imports, caches
        results[path] = times = timed_nudges(at)
        print(f"  {path:<36} full-script rerun {summary(times)}", flush=True)
    return results


def contention_part(path: str, counts: list[int], rounds: int = 3) -> None:
    """In one process, as on the server: N playground runs train in the background (as N playing sessions do) while
    AppTest nudges every widget of another page; with the app's policy (trainers give way to interactions) and
    without it. No browser shares the CPU here, unlike the sessions part."""
    from streamlit.testing.v1 import AppTest

    from dlplay.lessons.fundamentals.playground import PlaygroundConfig, build_run
    from dlplay.training import pacing
    from dlplay.ui import foreground

    at = AppTest.from_file(str(ROOT / path), default_timeout=120).run()
    at.run()  # warm
    for policy, busy in (("give way", foreground.interaction_running), ("no policy", lambda: False)):
        pacing.give_way_to(busy)
        for n in counts:
            runs = [build_run(PlaygroundConfig(seed=i)) for i in range(n)]
            for run in runs:
                run.play()
            times, started, before = [], time.perf_counter(), [run.steps for run in runs]

            def keep_playing(runs=runs) -> None:  # what each player's live redraw does
                for run in runs:
                    run.touch()

            for _ in range(rounds):
                times += timed_nudges(at, before_each=keep_playing)
            elapsed = time.perf_counter() - started
            rates = " · ".join(f"{(run.steps - b) / elapsed:,.0f}" for run, b in zip(runs, before)) or "—"
            for run in runs:
                run.pause()
            print(f"  {policy:<9} · {n} training: their steps/s {rates} · widget rerun {summary(times)}", flush=True)
    pacing.give_way_to(foreground.interaction_running)


# ----- browser ---------------------------------------------------------------------------------------------------------
def visit(browser, url: str, timeout: float = 120):
    page = new_page(browser, height=2400)
    page.goto(url, timeout=timeout * 1000)
    page.wait_for_selector("h1", timeout=timeout * 1000)
    return page, wait_idle(page, 0, timeout=timeout, need_run=False)


def nudge_in_browser(page, limit: int) -> list[float]:
    """Settle time after each slider step (keyboard) and each checkbox / toggle click."""
    times = []
    page.wait_for_timeout(500)  # the DOM settles a moment after the script run ends
    with contextlib.suppress(Exception):  # on a loaded machine the widgets are drawn a while after the run ends
        page.locator('[data-testid="stSlider"]').first.wait_for(state="visible", timeout=30_000)
    containers = page.locator('[data-testid="stSlider"]')
    for i in range(min(containers.count(), limit)):
        if not containers.nth(i).is_visible():
            continue
        thumb = containers.nth(i).locator('input[type="range"]').first  # react-aria: a hidden range input per thumb
        thumb.focus()
        thumb.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        if (settled := wait_idle(page, last_click(page), timeout=60)) is not None:
            times.append(settled)
    boxes = page.locator('[data-testid="stCheckbox"] label')
    for i in range(min(boxes.count(), limit)):
        if not boxes.nth(i).is_visible():
            continue
        try:
            boxes.nth(i).click(timeout=10_000)
        except Exception:  # noqa: BLE001 - redrawn under the pointer, or scrolled away: skip this one
            continue
        if (settled := wait_idle(page, last_click(page), timeout=60)) is not None:
            times.append(settled)
    return times


def pause_latency(page, play_seconds: float = 3.0) -> tuple[float | None, float | None]:
    """(Pause → Play enabled again, Pause → idle) from the click the page received, after playing a few seconds."""
    page.get_by_role("button", name="▶ Play").first.click()
    time.sleep(play_seconds)
    page.get_by_role("button", name="⏸ Pause").first.click()
    start = last_click(page)  # Playwright may wait a while before clicking a button that is being redrawn
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some(b => b.innerText.includes('Play') && !b.disabled)", timeout=60_000)
    enabled = now(page) - start  # an upper bound: Playwright polls
    # need_run=False: a Pause that lands during a live redraw is served by the run in progress, so the page may not
    # report a new "running" after the click, only the end of that run
    return enabled, wait_idle(page, start, timeout=60, need_run=False)


def browser_part(url: str, pages, limit: int) -> None:
    with chromium() as browser:
        for spec in pages:  # warm the server: imports, caches, first builds
            page, _ = visit(browser, f"{url}/{spec.url_path}")
            page.close()
        first, settle, pauses = {}, {}, {}
        for spec in pages:
            context = browser.new_context()
            try:
                page = context.new_page()
                page.set_viewport_size({"width": 1400, "height": 2400})
                page.add_init_script(STATE_LOG)
                page.goto(f"{url}/{spec.url_path}", timeout=120_000)
                page.wait_for_selector("h1", timeout=120_000)
                idle = wait_idle(page, 0, timeout=120, need_run=False) or float("nan")
                page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=120_000)
                first[spec.url_path] = idle, max(idle, now(page))  # the script idle; and its first chart drawn too
                settle[spec.url_path] = nudge_in_browser(page, limit)
                if spec.live_training:  # on the page as it opens: the nudges may have stopped or changed its run
                    page.goto(f"{url}/{spec.url_path}", timeout=120_000)
                    page.wait_for_selector("h1", timeout=120_000)
                    wait_idle(page, 0, timeout=120, need_run=False)
                    pauses[spec.url_path] = pause_latency(page)
            finally:
                context.close()
            pause = pauses.get(spec.url_path)
            pause_text = f" · Pause → Play enabled {pause[0]:.2f} s, → idle {pause[1]:.2f} s" if pause and pause[1] else ""
            idle, drawn = first[spec.url_path]
            print(f"  {spec.url_path:<22} first visit → idle {idle:.2f} s, first chart drawn {drawn:.2f} s · "
                  f"widget → idle {summary(settle[spec.url_path])}{pause_text}", flush=True)


# ----- live training speed -----------------------------------------------------------------------------------------------
def live_part(url: str, seconds: float) -> None:
    from dlplay.lessons.fundamentals.playground import PlaygroundConfig, build_run

    with chromium() as browser:
        page, _ = visit(browser, f"{url}/nn-fundamentals")
        start_steps = step_count(page) or 0
        page.get_by_role("button", name="▶ Play").first.click()
        time.sleep(seconds)
        page.get_by_role("button", name="⏸ Pause").first.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('button')].some(b => b.innerText.includes('Play') && !b.disabled)",
            timeout=60_000)
        wait_idle(page, now(page) - 0.5, timeout=60)
        live_steps = (step_count(page) or 0) - start_steps
        page.close()
    run = build_run(PlaygroundConfig())
    run.step(1)
    headless_steps = run.step_for(seconds)
    ratio = live_steps / headless_steps if headless_steps else float("nan")
    print(f"  playground, {seconds:.0f} s: live page {live_steps:,} steps ({live_steps / seconds:,.0f}/s) · headless "
          f"{headless_steps:,} steps ({headless_steps / seconds:,.0f}/s) · live / headless {ratio:.2f} (target ≥ 0.8)",
          flush=True)


# ----- several sessions ---------------------------------------------------------------------------------------------------
def sessions_part(url: str, counts: list[int], seconds: float, limit: int) -> None:
    """N browser sessions play the playground while one more changes widgets on Activation Functions; with the server
    process's memory and how the CPU was shared between the server and Chromium (all on this one machine)."""
    server = [pid for pid in processes_matching("streamlit run app.py") if pid != os.getpid()]
    with chromium() as browser:
        for n in counts:
            memory_before = sum(resident_mb(pid) for pid in server)
            players = []
            for _ in range(n):
                context = browser.new_context(viewport={"width": 1400, "height": 1400})
                page = context.new_page()
                page.add_init_script(STATE_LOG)
                page.goto(f"{url}/nn-fundamentals", timeout=120_000)
                page.wait_for_selector("h1", timeout=120_000)
                wait_idle(page, 0, timeout=120, need_run=False)
                page.get_by_role("button", name="▶ Play").first.click()
                players.append((context, page))
            time.sleep(2.0)
            before = [step_count(page) or 0 for _, page in players]
            chromium_pids = processes_matching("chromium")
            cpu_before = cpu_seconds(server), cpu_seconds(chromium_pids)
            probe_context = browser.new_context()
            probe = probe_context.new_page()
            probe.add_init_script(STATE_LOG)
            probe.set_viewport_size({"width": 1400, "height": 2400})
            started = time.time()
            probe.goto(f"{url}/activation-functions", timeout=120_000)
            probe.wait_for_selector("h1", timeout=120_000)
            wait_idle(probe, 0, timeout=120, need_run=False)
            settle = nudge_in_browser(probe, limit)
            elapsed = time.time() - started
            if elapsed < seconds:
                time.sleep(seconds - elapsed)
            elapsed = time.time() - started
            after = [step_count(page) or 0 for _, page in players]
            server_cpu = (cpu_seconds(server) - cpu_before[0]) / elapsed
            browser_cpu = (cpu_seconds(processes_matching("chromium")) - cpu_before[1]) / elapsed
            memory = sum(resident_mb(pid) for pid in server)
            rates = [(a - b) / elapsed for a, b in zip(after, before)]  # counted over the probe's window
            rate_text = " · ".join(f"{r:,.0f}" for r in rates) or "—"
            print(f"  {n} playing: their steps/s {rate_text} · probe widget → idle {summary(settle)} · CPU cores used: "
                  f"server {server_cpu:.2f}, Chromium {browser_cpu:.2f} · server memory {memory:,.0f} MB "
                  f"({memory - memory_before:+,.0f} MB with these sessions)", flush=True)
            probe_context.close()
            for context, _ in players:
                context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="", help="url paths, comma-separated (default: every listed page)")
    parser.add_argument("--skip", default="", help="parts to skip: server, contention, browser, live, sessions")
    parser.add_argument("--widgets", type=int, default=12, help="at most this many sliders and checkboxes per page")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of live play to count steps over")
    parser.add_argument("--sessions", default="0,1,2,4")
    args = parser.parse_args()
    configure_threads()
    wanted = [p for p in args.pages.split(",") if p]
    pages = [spec for spec in PAGES if not wanted or spec.url_path in wanted]
    skip = set(args.skip.split(","))
    print(f"{os.cpu_count()} CPU cores · {len(pages)} pages", flush=True)
    if "server" not in skip:
        print("Server side (AppTest, one full script run per widget change; target of a widget change ≤ 150 ms median, "
              "≤ 300 ms p95 — met by sections that re-run alone, see the browser part):", flush=True)
        server_side([spec.path for spec in pages])
    if "contention" not in skip:
        print("Sessions in one process (server side: a widget change on Activation Functions while N runs train):",
              flush=True)
        contention_part("chapters/activation_functions.py", [int(n) for n in args.sessions.split(",")])
    if not {"browser", "live", "sessions"} <= skip:
        with streamlit_server() as url:
            if "browser" not in skip:
                print("Browser (targets: first visit ≤ 3 s, Pause → idle ≤ 0.5 s):", flush=True)
                browser_part(url, pages, args.widgets)
            if "live" not in skip:
                print("Live training in the browser vs headless:", flush=True)
                live_part(url, args.seconds)
            if "sessions" not in skip:
                print("Several sessions (target: the probe's widget → idle ≤ 0.5 s):", flush=True)
                sessions_part(url, [int(n) for n in args.sessions.split(",")], args.seconds, min(args.widgets, 6))


if __name__ == "__main__":
    main()
