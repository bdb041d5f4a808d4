"""Figure builders: arrays in, plotly Figure out."""
