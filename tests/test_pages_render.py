"""Every listed page renders with no exception, alone and inside the app's navigation."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from dlplay.lessons.registry import PAGES, PARTS


def test_page_renders_without_exception(page_path):
    at = AppTest.from_file(page_path, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page starts with a title"


def test_app_shell_lists_every_registered_page():
    at = AppTest.from_file("../app.py", default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.number_input(key="seed").value == 0
    titles = [t.value for t in at.title]
    assert any("dlplay" in t for t in titles), "Home is the default page"
    links = {link.proto.page for link in at.get("page_link")}
    for spec in PAGES:
        assert any(spec.path in str(link) or spec.url_path in str(link) for link in links), f"Home has no card for {spec.title}"


def test_registry_is_consistent():
    for spec in PAGES:
        assert Path(spec.path).is_file(), spec.path
        assert spec.part in PARTS
        assert spec.summary and spec.url_path and spec.title
    assert len({s.url_path for s in PAGES}) == len(PAGES)
