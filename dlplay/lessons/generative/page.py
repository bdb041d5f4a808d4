"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_III, PageSpec

PAGE = PageSpec(
    path="chapters/generative.py", title="Generative Models", part=PART_III, chapter=10, icon="🎨",
    summary="Train a VAE live and explore its latent space, manifold and interpolations; watch a GAN fight in 2D "
    "GAN Lab style (D's heatmap, G's gradients, mode collapse) and on digit images; compare their samples.",
    url_path="generative", live_training=True,
)
