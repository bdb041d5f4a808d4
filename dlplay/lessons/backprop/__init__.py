"""Backpropagation (chapter 3)."""
