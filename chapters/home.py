"""Home: what dlplay is and a card per available page."""

import streamlit as st

from dlplay.lessons.registry import PARTS, pages_in

st.title("🧠 dlplay — the deep-learning playground")
st.markdown(
    "See and train real PyTorch models, chapter by chapter of the course: move a slider and the curves, "
    "gradients and decision boundaries follow. Every model here is a real `torch.nn.Module`, trained live "
    "on this machine's device (see the sidebar)."
)

for part in PARTS:
    specs = pages_in(part)
    if not specs:
        continue
    st.header(part)
    columns = st.columns(3)
    for i, spec in enumerate(specs):
        with columns[i % 3].container(border=True):
            st.subheader(f"{spec.icon} {spec.chapter}. {spec.title}")
            st.write(spec.summary)
            st.page_link(spec.path, label=f"Open {spec.title}", icon="➡️")
