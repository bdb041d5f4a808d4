"""Optimization algorithms (chapter 8)."""
