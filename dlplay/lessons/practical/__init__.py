"""Practical deep learning (chapter 12): transfer learning, mixed precision, deployment."""
