"""Neural network fundamentals (chapter 1)."""
