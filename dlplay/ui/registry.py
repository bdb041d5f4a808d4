"""The pages of the app: one entry per working page, in course order."""

from __future__ import annotations

from dataclasses import dataclass

PART_I = "Part I · Beginner"
PART_II = "Part II · Intermediate"
PART_III = "Part III · Advanced"
PARTS = (PART_I, PART_II, PART_III)


@dataclass(frozen=True)
class PageSpec:
    """One chapter page: where its script is and how Home introduces it."""

    path: str  # script path relative to the repository root
    title: str  # the curriculum's chapter title
    part: str  # one of PARTS
    chapter: int  # chapter number in curriculum.md
    icon: str  # emoji shown in the navigation
    summary: str  # one sentence on what a person can do there
    url_path: str  # the page's address: /<url_path>
    live_training: bool = False  # has the Play / Pause training panel (the browser test plays it)


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        path="chapters/nn_fundamentals.py", title="Neural Network Fundamentals", part=PART_I, chapter=1, icon="🧩",
        summary="Teach a perceptron its line one update at a time, train an MLP live TensorFlow-Playground style "
        "(data, features, layers, every neuron's map), and follow one point through the forward pass.",
        url_path="nn-fundamentals", live_training=True,
    ),
    PageSpec(
        path="chapters/activation_functions.py", title="Activation Functions", part=PART_I, chapter=2, icon="📈",
        summary="Overlay activation curves and their autograd derivatives, break naive softmax with huge logits, "
        "and watch gradients vanish or explode through a 50-layer stack.",
        url_path="activation-functions",
    ),
    PageSpec(
        path="chapters/backpropagation.py", title="Backpropagation", part=PART_I, chapter=3, icon="🔁",
        summary="Step through the forward and backward pass of an expression node by node, with the chain rule "
        "written out, and check every gradient against PyTorch.",
        url_path="backpropagation",
    ),
    PageSpec(
        path="chapters/training_networks.py", title="Training Neural Networks", part=PART_I, chapter=4, icon="🏋️",
        summary="Plot MSE, L1, Huber, BCE and cross-entropy with their gradients, train the curriculum's "
        "MLP(784, 256, 10) live on digits, and read its confusion matrix and most confident mistakes.",
        url_path="training", live_training=True,
    ),
    PageSpec(
        path="chapters/regularization.py", title="Regularization Techniques", part=PART_II, chapter=7, icon="🛡️",
        summary="Race up to four configurations of dropout, batch norm, weight decay and early stopping on a small "
        "noisy set that overfits, and see dropout masks and batch-norm histograms from the live models.",
        url_path="regularization", live_training=True,
    ),
    PageSpec(
        path="chapters/optimization.py", title="Optimization Algorithms", part=PART_II, chapter=8, icon="🏎️",
        summary="Watch SGD, momentum, RMSProp, Adagrad, Adam and AdamW walk Rosenbrock, Beale and other surfaces, "
        "overlay torch.optim.lr_scheduler curves, and race up to four optimizer configurations live on digits.",
        url_path="optimization", live_training=True,
    ),
)


def pages_in(part: str) -> list[PageSpec]:
    """The registered pages of one part, in chapter order."""
    return sorted((p for p in PAGES if p.part == part), key=lambda p: p.chapter)
