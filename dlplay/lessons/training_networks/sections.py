"""The sections of the "Training neural networks" page: loss curves, lab settings and charts, evaluation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import torch

from dlplay.data.torchvision_sets import IMAGE_DATASETS, ImageData, load_image_data
from dlplay.lessons.training_networks.evaluation import (
    LAB_DATASETS,
    LabConfig,
    chance_loss,
    confusion_matrix,
    evaluate_code,
    first_reaching,
    misclassified,
    predictions,
    stop_if_exploded,
    stuck_at_chance,
)
from dlplay.lessons.training_networks.evaluation_figures import confusion_matrix_figure, misclassified_figure
from dlplay.lessons.training_networks.loss_figures import loss_curves_figure
from dlplay.lessons.training_networks.losses import (
    LAB_LOSS_NOTES,
    LAB_LOSSES,
    LOSS_NOTES,
    bce_curves,
    cross_entropy_curves,
    loss_code,
    regression_curves,
)
from dlplay.optim.factory import OPTIMIZERS
from dlplay.training.run import TrainingRun
from dlplay.ui.code_panel import show_code
from dlplay.viz.training import accuracy_figure, loss_figure

SPAN = (-5.0, 5.0)  # the regression losses' prediction axis
LOGIT_SPAN = (-8.0, 8.0)  # the cross-entropy curve's axis: the true class's logit
TRAIN_SIZES = [1000, 3000, 6000, 12000]
HIDDEN_SIZES = [16, 32, 64, 128, 256, 512, 1024]
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
BATCH_SIZES = [1, 8, 32, 64, 128, 512, 2048, 8192]
TARGET_ACC = 0.97  # the accuracy the lab reports reaching
GALLERY = 24  # misclassified images shown


# ----- 1 · loss functions ---------------------------------------------------------------------------------------------
def _notes(*names: str) -> None:
    st.markdown("\n".join(f"- **{name}** {LOSS_NOTES[name]}" for name in names))


def loss_functions_section() -> None:
    """Regression losses, BCE and cross-entropy against the prediction, with autograd gradients and what each punishes."""
    st.markdown("Every curve below is a real `torch.nn` loss; every gradient comes from `loss.backward()`. "
                "The dotted line marks the target: the loss is 0 there and grows as the prediction moves away.")
    c1, c2 = st.columns(2)
    target = c1.slider("Regression target y", -3.0, 3.0, 0.0, step=0.5, key="tn_target", bind="query-params")
    delta = c2.slider("Huber δ (where quadratic turns linear)", 0.1, 3.0, 1.0, step=0.1, key="tn_delta",
                      bind="query-params")
    reg = regression_curves(target, *SPAN, delta=delta)
    st.plotly_chart(loss_curves_figure(reg.x.numpy(), _np(reg.loss), _np(reg.grad), "Regression losses", "ŷ (prediction)",
                                       target=target), width="stretch", key="tn_fig_regression")
    _notes("MSE", "L1", "Huber")

    st.subheader("Classification losses")
    c1, c2, c3 = st.columns(3)
    bce_target = c1.radio("BCE target y", [1, 0], horizontal=True, key="tn_bce_target", bind="query-params")
    classes = c2.slider("Cross-entropy: number of classes K", 2, 10, 10, key="tn_classes", bind="query-params")
    other = c3.slider("…the other K − 1 logits, held at", -4.0, 4.0, 0.0, step=0.5, key="tn_other", bind="query-params")
    bce = bce_curves(int(bce_target if bce_target is not None else 1))
    ce = cross_entropy_curves([other] * (classes - 1), *LOGIT_SPAN)
    left, right = st.columns(2)
    left.plotly_chart(loss_curves_figure(bce.x.numpy(), _np(bce.loss), _np(bce.grad), f"BCE, target y = {bce_target}",
                                         "p (probability of class 1)", target=bce_target, grad_clip=25.0,
                                         x_range=(0.0, 1.0)),
                      width="stretch", key="tn_fig_bce")
    right.plotly_chart(loss_curves_figure(ce.x.numpy(), _np(ce.loss), _np(ce.grad), f"Cross-entropy, {classes} classes",
                                          "z (the true class's logit)", target=other), width="stretch", key="tn_fig_ce")
    st.markdown(
        "Cross-entropy reads K logits, so to draw it as one curve we move only the **true class's logit z** and hold the "
        f"other {classes - 1} at {other:g} (dotted line: z equals them, probability 1/K). The loss of the true class is "
        f"log(e^z + {classes - 1}·e^{other:g}) − z and its gradient is softmax(z)_true − 1: close to −1 while the true "
        "class loses, fading to 0 once it wins."
    )
    _notes("BCE", "Cross-entropy")
    show_code(loss_code(target, SPAN, delta, int(bce_target or 0), [other] * (classes - 1), LOGIT_SPAN),
              label="🐍 PyTorch: these losses and their gradients")


def _np(curves: dict[str, torch.Tensor]) -> dict:
    return {name: values.numpy() for name, values in curves.items()}


# ----- 2 · training lab -----------------------------------------------------------------------------------------------
@st.cache_resource(max_entries=6, show_spinner="Loading images…")
def cached_data(name: str, n_train: int, n_test: int, seed: int, root: str) -> ImageData:
    """An image data set, shared read-only by every session (real sets only if already on disk)."""
    return load_image_data(name, root=Path(root), download=False, max_train=n_train, max_test=n_test, seed=seed)


def _download(name: str, root: str) -> None:
    """Button callback: try to download a real data set into root; say what happened."""
    result = load_image_data(name, root=Path(root), download=True, max_train=1, max_test=1)
    st.session_state["tn_download_note"] = result.message or f"{name} is downloaded and loaded."
    if not result.message:
        cached_data.clear()


def data_notice(requested: str, data: ImageData, root: str) -> None:
    """Say plainly when a real data set fell back to synthetic digits, and offer to download it."""
    note = st.session_state.pop("tn_download_note", "")
    if note:
        (st.success if data.name == requested else st.warning)(note)
    if data.name != requested:
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.warning(f"{data.message} The lab trains on **synthetic digits** for now.", icon="📦")
        c2.button("⬇ Download", key="tn_download", on_click=_download, args=(requested, root),
                  help=f"Fetch {requested} from the internet into {root} (about 30 MB; needs a network).")


def lab_controls(seed: int) -> LabConfig:
    """The lab's widgets; returns their settings."""
    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.selectbox("Data set", LAB_DATASETS, key="tn_data", bind="query-params",
                           help="Synthetic digits are drawn by dlplay and need no network; MNIST and FashionMNIST "
                                "come through torchvision.")
    n_train = c2.select_slider("Training images", TRAIN_SIZES, value=6000, key="tn_ntrain", bind="query-params")
    hidden = c3.select_slider("Hidden size", HIDDEN_SIZES, value=256, key="tn_hidden", bind="query-params",
                              help="Units in each hidden layer: 256 is MLP(784, 256, 10).")
    depth = c4.slider("Hidden layers", 0, 4, 2, key="tn_depth", bind="query-params",
                      help="2 is the curriculum's MLP; 0 is a plain linear model (softmax regression).")
    c1, c2, c3, c4, c5 = st.columns(5)
    loss = c1.selectbox("Loss", list(LAB_LOSSES), key="tn_loss", bind="query-params")
    optimizer = c2.selectbox("Optimizer", OPTIMIZERS, index=OPTIMIZERS.index("Adam"), key="tn_opt", bind="query-params")
    lr = c3.select_slider("Learning rate (live)", LRS, value=1e-3, key="tn_lr", bind="query-params",
                          help="Applies to the running model at once. Try SGD at 10 to watch training diverge.")
    batch_size = c4.select_slider("Batch size", BATCH_SIZES, value=64, key="tn_batch", bind="query-params")
    epochs = c5.slider("Epochs (live)", 1, 100, 30, key="tn_epochs", bind="query-params",
                       help="Passes over the training images before the run stops; change it any time.")
    st.caption(f"**{loss}:** {LAB_LOSS_NOTES[loss]} (BCE, L1 and Huber are left out: BCE scores one yes/no answer, "
               "and L1/Huber on 10 probabilities teach little that MSE does not.)")
    return LabConfig(dataset=dataset or IMAGE_DATASETS[0], n_train=int(n_train), hidden_size=int(hidden), depth=int(depth),
                     loss=loss or "Cross-entropy", optimizer=optimizer or "Adam", lr=float(lr),
                     batch_size=int(batch_size), epochs=int(epochs), seed=seed)


def batch_notes(config: LabConfig, n_train: int) -> None:
    """Explain extreme batch sizes instead of letting them surprise."""
    if config.batch_size == 1:
        st.info(f"Batch size 1 is pure stochastic gradient descent: each step follows one image, so the batch loss is very "
                f"noisy and one epoch takes {n_train:,} steps.")
    elif config.batch_size >= n_train:
        st.info(f"The batch ({config.batch_size:,}) is at least the whole training set ({n_train:,} images): every step "
                "uses all of them — full-batch gradient descent, one step per epoch, so it needs many epochs.")


def render_live(run: TrainingRun) -> None:
    """The live charts: loss and accuracy, train and validation, and when the target accuracy was first reached."""
    if stop_if_exploded(run):
        st.rerun()  # redraw the buttons and show why the run stopped
    left, right = st.columns(2)
    losses = run.history.step_loss
    blown_up = bool(losses) and max(losses) > 50 * max(losses[0], 1e-8)  # a log axis keeps a spike from flattening the rest
    title = "Loss (log scale)" if blown_up else "Loss"
    left.plotly_chart(loss_figure({"": run.history}, title=title, log_y=blown_up), width="stretch", key="tn_fig_loss")
    right.plotly_chart(accuracy_figure({"": run.history}, title="Accuracy"), width="stretch", key="tn_fig_acc")
    latest = run.latest()
    if "val_acc" in latest:
        reached = first_reaching(run.history, TARGET_ACC)
        when = (f"first reached {TARGET_ACC:.0%} at step {reached[0]:,} (epoch {reached[1]:.1f})" if reached
                else f"not yet at {TARGET_ACC:.0%}")
        st.markdown(f"**Epoch {run.epoch:.1f}** · validation accuracy **{latest['val_acc']:.1%}** at step "
                    f"{run.history.eval_step[-1]:,} "
                    f"(training {latest['train_acc']:.1%}) · {when}")
    num_classes = run.model.linear_layers()[-1].out_features
    if not run.stopped and stuck_at_chance(run, num_classes):
        st.warning(f"The training loss is stuck at {chance_loss(run, num_classes):.3g}, the loss of a uniform guess over "
                   f"{num_classes} classes: the network answers the same for every image. A learning rate that is too "
                   "large can kill every ReLU in the first steps (the loss never even spikes). Lower it and press Reset.")


# ----- 3 · evaluation -------------------------------------------------------------------------------------------------
def evaluation_section(run: TrainingRun, data: ImageData, config: LabConfig) -> None:
    """Accuracy, confusion matrix and the most confident mistakes of the lab's current model on the held-out images."""
    if run.steps == 0:
        st.info("Nothing to evaluate yet: the model has not trained. Press **▶ Play** or **⏭ Step** in the training lab, "
                "then the confusion matrix and the mistakes appear here.", icon="ℹ️")
    else:
        logits = run.predict(data.X_test)  # (N, C)
        if not torch.isfinite(logits).all():
            st.warning("The model's outputs are not finite (training diverged), so there is nothing sensible to evaluate. "
                       "Lower the learning rate and press Reset.")
            return
        result = predictions(logits, data.y_test)
        matrix = confusion_matrix(result.y, result.y_pred, len(data.classes))
        wrong = misclassified(result.y, result.y_pred, result.confidence, limit=GALLERY)
        c1, c2, c3 = st.columns(3)
        c1.metric("Accuracy on held-out images", f"{result.accuracy:.1%}")
        c2.metric("Mistakes", f"{int((result.y != result.y_pred).sum()):,} of {len(result.y):,}")
        c3.metric("Evaluated at", f"step {run.steps:,}")
        st.caption("The model as it is now, on the held-out images it never trains on. While training plays, this "
                   "section refreshes when you pause or press Step.")
        names = [str(c) for c in data.classes]
        st.plotly_chart(confusion_matrix_figure(matrix.numpy(), names, f"Confusion matrix — {data.name}, test set"),
                        width="stretch", key="tn_fig_confusion")
        st.markdown("Each row is a true class; the diagonal counts the right answers and every other cell a kind of "
                    "mistake. Below, the mistakes the model was **most sure of** — often ambiguous or badly drawn images.")
        title = f"The {GALLERY} most confident mistakes" if len(wrong) == GALLERY else "Every mistake, most confident first"
        gallery = misclassified_figure(
            data.X_test[wrong].numpy(), [names[i] for i in result.y[wrong]], [names[i] for i in result.y_pred[wrong]],
            result.confidence[wrong].tolist(), ncols=8, title=title,
        )
        st.plotly_chart(gallery, width="stretch", key="tn_fig_mistakes")
    show_code(evaluate_code(config, len(data.classes)), label="🐍 PyTorch: chapter 4.3's evaluate(), and the extras drawn here")
