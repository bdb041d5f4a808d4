"""dlplay: an interactive deep-learning playground. Run with `make run`."""

import streamlit as st

from dlplay.lessons.registry import PARTS, pages_in
from dlplay.ui.sidebar import render_sidebar

st.set_page_config(page_title="dlplay — deep-learning playground", page_icon="🧠", layout="wide")

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
