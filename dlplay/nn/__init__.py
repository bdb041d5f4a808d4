"""Teaching cores: scalar autograd, convolution stepper, attention internals."""
