"""Activation functions (chapter 2)."""
