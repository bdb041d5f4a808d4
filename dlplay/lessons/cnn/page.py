"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_II, PageSpec

PAGE = PageSpec(
    path="chapters/cnn.py", title="Convolutional Neural Networks", part=PART_II, chapter=5, icon="🖼️",
    summary="Step a convolution through an image with kernels you edit, pool and shift it, train the curriculum's CNN "
    "live with its kernels and feature maps, draw your own digit for it, and race it against an MLP.",
    url_path="cnn", live_training=True,
)
