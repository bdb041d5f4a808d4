"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_III, PageSpec

PAGE = PageSpec(
    path="chapters/practical.py", title="Practical Deep Learning", part=PART_III, chapter=12, icon="🧰",
    summary="Race a frozen, a fine-tuned and a from-scratch network on a task with few labels, time float32 against "
    "autocast and watch float16 gradients vanish without a loss scale, then export a model to ONNX, torch.export and "
    "TorchScript, verified against PyTorch and downloadable.",
    url_path="practical", live_training=True,
)
