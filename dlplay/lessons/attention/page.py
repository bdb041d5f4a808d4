"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_III, PageSpec

PAGE = PageSpec(
    path="chapters/attention.py", title="Attention and Transformers", part=PART_III, chapter=9, icon="🔦",
    summary="Step through self-attention matrix by matrix, open up the heads and masks of nn.MultiheadAttention, "
    "see why position must be added, and train small transformers live while their attention maps form.",
    url_path="attention", live_training=True,
)
