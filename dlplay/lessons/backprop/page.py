"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_I, PageSpec

PAGE = PageSpec(
    path="chapters/backpropagation.py", title="Backpropagation", part=PART_I, chapter=3, icon="🔁",
    summary="Step through the forward and backward pass of an expression node by node, with the chain rule "
    "written out, and check every gradient against PyTorch.",
    url_path="backpropagation",
)
