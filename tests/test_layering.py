"""House rule 1: imports run app.py, chapters → dlplay.lessons → shared layers; only the UI layers import streamlit.

Streamlit may be imported by app.py, chapters/ (the page scripts), dlplay/ui/ and dlplay/lessons/<topic>/sections.py;
every other module of dlplay runs headless (a notebook, a benchmark, a GPU box without streamlit).

The page scripts live in chapters/, not pages/: a pages/ folder beside app.py switches Streamlit to its legacy
multipage mode, where a deep link to a fresh server bypasses app.py's st.navigation ("Page not found", no sidebar)."""

import ast
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DLPLAY = ROOT / "dlplay"
SHARED_LAYERS = ("device", "data", "models", "training", "optim", "viz", "ui")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def is_ui(path: Path) -> bool:
    """dlplay/ui/* and dlplay/lessons/<topic>/sections.py: the streamlit-aware modules of dlplay."""
    parts = path.relative_to(DLPLAY).parts
    return parts[0] == "ui" or (parts[0] == "lessons" and parts[-1] == "sections.py")


def headless_modules() -> list[Path]:
    return [p for p in sorted(DLPLAY.rglob("*.py")) if not is_ui(p)]


def test_only_ui_modules_import_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in headless_modules()
                 if any(n == "streamlit" or n.startswith("streamlit.") for n in imported_modules(p))]
    assert not offenders, f"streamlit imported in a headless module: {offenders}"


def test_headless_modules_never_import_ui_or_pages():
    offenders = []
    for path in headless_modules():
        for name in imported_modules(path):
            if name.startswith(("dlplay.ui", "chapters")) or (name.startswith("dlplay.lessons.") and name.endswith(".sections")):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders


def test_shared_layers_never_import_a_chapter():
    """Shared layers stay generic: a module used by one chapter only belongs to that chapter's package."""
    offenders = []
    for layer in SHARED_LAYERS:
        for path in (DLPLAY / layer).rglob("*.py") if (DLPLAY / layer).is_dir() else [DLPLAY / f"{layer}.py"]:
            chapters = [n for n in imported_modules(path) if n.startswith("dlplay.lessons.") and not n.startswith(
                ("dlplay.lessons.spec", "dlplay.lessons.registry"))]
            offenders += [f"{path.relative_to(ROOT)} imports {n}" for n in chapters]
    assert not offenders, offenders


def test_chapters_do_not_import_each_other():
    """A person improving one chapter opens chapters/<topic>.py and dlplay/lessons/<topic>/, nothing else."""
    offenders = []
    for package in (DLPLAY / "lessons").iterdir():
        if not package.is_dir() or package.name.startswith("__"):
            continue
        for path in package.rglob("*.py"):
            for name in imported_modules(path):
                parts = name.split(".")
                if name.startswith("dlplay.lessons.") and len(parts) > 3 and parts[2] != package.name:
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders


def test_headless_modules_import_without_streamlit_installed(monkeypatch):
    """Importing every headless module works with streamlit made unimportable (a GPU box without it)."""
    monkeypatch.setitem(sys.modules, "streamlit", None)  # `import streamlit` now raises ImportError
    for name in [m for m in list(sys.modules) if m.startswith("dlplay")]:
        monkeypatch.delitem(sys.modules, name)
    for path in headless_modules():
        parts = path.relative_to(ROOT).with_suffix("").parts
        importlib.import_module(".".join(p for p in parts if p != "__init__"))


def test_no_legacy_pages_folder():
    assert not (ROOT / "pages").exists(), "page scripts belong in chapters/ (see the module docstring)"


def test_pages_stay_layout_sized():
    too_long = {str(p.relative_to(ROOT)): n for p in (ROOT / "chapters").glob("*.py") if (n := len(p.read_text().splitlines())) > 250}
    assert not too_long, f"pages over 250 lines hide core logic: {too_long}"


def test_modules_stay_small():
    too_long = {str(p.relative_to(ROOT)): n for p in DLPLAY.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert not too_long, f"modules over 400 lines: split them by purpose: {too_long}"
