"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_II, PageSpec

PAGE = PageSpec(
    path="chapters/regularization.py", title="Regularization Techniques", part=PART_II, chapter=7, icon="🛡️",
    summary="Race up to four configurations of dropout, batch norm, weight decay and early stopping on a small "
    "noisy set that overfits, and see dropout masks and batch-norm histograms from the live models.",
    url_path="regularization", live_training=True,
)
