"""Advanced architectures (chapter 11): residual networks against their plain twins, and U-Net segmentation."""
