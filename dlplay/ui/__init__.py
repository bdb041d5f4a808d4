"""The streamlit-aware part of dlplay: shared widgets and panels."""
