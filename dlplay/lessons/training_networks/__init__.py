"""Training neural networks (chapter 4)."""
