"""Chapter 5 · Convolutional neural networks: convolution stepped, pooling, a live CNN, your own drawing, CNN vs MLP."""
