"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_I, PageSpec

PAGE = PageSpec(
    path="chapters/nn_fundamentals.py", title="Neural Network Fundamentals", part=PART_I, chapter=1, icon="🧩",
    summary="Teach a perceptron its line one update at a time, train an MLP live TensorFlow-Playground style "
    "(data, features, layers, every neuron's map), and follow one point through the forward pass.",
    url_path="nn-fundamentals", live_training=True,
)
