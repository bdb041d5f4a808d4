"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_I, PageSpec

PAGE = PageSpec(
    path="chapters/training_networks.py", title="Training Neural Networks", part=PART_I, chapter=4, icon="🏋️",
    summary="Plot MSE, L1, Huber, BCE and cross-entropy with their gradients, train the curriculum's "
    "MLP(784, 256, 10) live on digits, and read its confusion matrix and most confident mistakes.",
    url_path="training", live_training=True,
)
