"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_III, PageSpec

PAGE = PageSpec(
    path="chapters/architectures.py", title="Advanced Architectures", part=PART_III, chapter=11, icon="🏛️",
    summary="Race a ResNet against its plain twin with the gradient reaching every layer, map their loss landscapes, "
    "and train a U-Net live with its skips on and off, its feature maps and the checkerboards of transposed convs.",
    url_path="architectures", live_training=True,
)
