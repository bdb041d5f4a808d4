"""Attention and transformers (chapter 9)."""
