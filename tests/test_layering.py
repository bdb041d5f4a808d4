"""House rule 1: imports run chapters (the page scripts) → dlplay.ui → dlplay core; the core never imports streamlit.

The page scripts live in chapters/, not pages/: a pages/ folder beside app.py switches Streamlit to its legacy
multipage mode, where a deep link to a fresh server bypasses app.py's st.navigation ("Page not found", no sidebar)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_never_imports_streamlit():
    offenders = []
    for path in (ROOT / "dlplay").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "dlplay").parts:
            continue
        if any(name == "streamlit" or name.startswith("streamlit.") for name in imported_modules(path)):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"streamlit imported in the core: {offenders}"


def test_core_never_imports_ui_or_pages():
    offenders = []
    for path in (ROOT / "dlplay").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "dlplay").parts:
            continue
        if any(name.startswith(("dlplay.ui", "chapters")) for name in imported_modules(path)):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"the core imports the UI layer: {offenders}"


def test_core_imports_without_streamlit_installed(monkeypatch):
    """Importing every core module works with streamlit made unimportable (a GPU box without it)."""
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "streamlit", None)  # `import streamlit` now raises ImportError
    for name in [m for m in list(sys.modules) if m.startswith("dlplay")]:
        monkeypatch.delitem(sys.modules, name)
    for path in sorted((ROOT / "dlplay").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "ui" in parts:
            continue
        module = ".".join(p for p in parts if p != "__init__")
        importlib.import_module(module)


def test_no_legacy_pages_folder():
    assert not (ROOT / "pages").exists(), "page scripts belong in chapters/ (see the module docstring)"


def test_pages_stay_layout_sized():
    too_long = {str(p.relative_to(ROOT)): n for p in (ROOT / "chapters").glob("*.py") if (n := len(p.read_text().splitlines())) > 250}
    assert not too_long, f"pages over 250 lines hide core logic: {too_long}"
