"""One package per chapter: its headless teaching cores and figures, `sections.py` (its Streamlit sections) and
`page.py` (how the app lists it)."""
