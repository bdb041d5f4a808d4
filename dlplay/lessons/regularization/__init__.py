"""Regularization techniques (chapter 7)."""
