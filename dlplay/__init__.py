"""dlplay: the PyTorch core of the deep-learning playground."""
