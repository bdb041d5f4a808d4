"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_I, PageSpec

PAGE = PageSpec(
    path="chapters/activation_functions.py", title="Activation Functions", part=PART_I, chapter=2, icon="📈",
    summary="Overlay activation curves and their autograd derivatives, break naive softmax with huge logits, "
    "and watch gradients vanish or explode through a 50-layer stack.",
    url_path="activation-functions",
)
