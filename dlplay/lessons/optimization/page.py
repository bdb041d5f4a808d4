"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_II, PageSpec

PAGE = PageSpec(
    path="chapters/optimization.py", title="Optimization Algorithms", part=PART_II, chapter=8, icon="🏎️",
    summary="Watch SGD, momentum, RMSProp, Adagrad, Adam and AdamW walk Rosenbrock, Beale and other surfaces, "
    "overlay torch.optim.lr_scheduler curves, and race up to four optimizer configurations live on digits.",
    url_path="optimization", live_training=True,
)
