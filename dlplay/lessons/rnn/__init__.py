"""Recurrent neural networks (chapter 6)."""
