"""dlplay: an interactive deep-learning playground. Run with `make run` (or `streamlit run app.py`)."""

import os

# Before torch is imported: OpenMP threads that sleep instead of spinning while they wait. With the default
# (spinning), torch threads on a busy 2-core machine (the server, a browser, other sessions) trained 10-40x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import streamlit as st  # noqa: E402

from dlplay.lessons.registry import PARTS, pages_in  # noqa: E402
from dlplay.ui.presenter import apply_presenter_style, presenting  # noqa: E402
from dlplay.ui.sidebar import render_sidebar  # noqa: E402
from dlplay.ui.warmup import warm_up  # noqa: E402

warm_up()  # once per server process: the thread policy, and the heavy imports a first page would otherwise wait for
st.set_page_config(page_title="dlplay — deep-learning playground", page_icon="🧠", layout="wide",
                   initial_sidebar_state="collapsed" if presenting() else "auto")
apply_presenter_style()

home = st.Page("chapters/home.py", title="Home", icon="🏠", default=True)
navigation = {"": [home]}
for part in PARTS:
    specs = pages_in(part)
    if specs:
        navigation[part] = [
            st.Page(spec.path, title=f"{spec.chapter}. {spec.title}", icon=spec.icon, url_path=spec.url_path) for spec in specs
        ]

page = st.navigation(navigation)
render_sidebar()
page.run()
