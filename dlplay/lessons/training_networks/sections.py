"""The sections of the "Training neural networks" page (chapter 4): loss curves, the training lab, evaluation.

Each section is a fragment. The lab's settings also decide what the evaluation shows (the run, the data), so a change
of one re-runs the lab and the evaluation by key, not the loss curves; Play, Pause and Step re-run the training panel
only (dlplay.ui.training_panel), and the evaluation re-evaluates on a change of settings or on its own button."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import torch

from dlplay.data.torchvision_sets import IMAGE_DATASETS, ImageData, data_dir, load_image_data
from dlplay.lessons.training_networks.evaluation import (
    LAB_DATASETS,
    LabConfig,
    build_lab_run,
    chance_loss,
    confusion_matrix,
    evaluate_code,
    first_reaching,
    lab_max_steps,
    misclassified,
    predictions,
    stop_if_exploded,
    stuck_at_chance,
    train_code,
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
from dlplay.training.limits import MAX_BATCH_SIZE
from dlplay.training.run import TrainingRun
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code
from dlplay.ui.training_panel import panel_run, session_run, training_panel
from dlplay.viz.training import accuracy_figure, loss_figure

SPAN = (-5.0, 5.0)  # the regression losses' prediction axis
LOGIT_SPAN = (-8.0, 8.0)  # the cross-entropy curve's axis: the true class's logit
TRAIN_SIZES = [1000, 3000, 6000, 12000]
HIDDEN_SIZES = [16, 32, 64, 128, 256, 512, 1024]
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
BATCH_SIZES = [b for b in (1, 8, 32, 64, 128, 512, 2048, 8192) if b <= MAX_BATCH_SIZE]  # within the server's cap
TARGET_ACC = 0.97  # the accuracy the lab reports reaching
GALLERY = 24  # misclassified images shown
RUN_KEY = "tn"  # the training panel's key: the run lives in st.session_state["tn__run"]
LAB, EVALUATION = "tn_lab", "tn_eval"  # fragment keys
LAB_STATE, EVAL_MEMO = "tn__lab", "tn__eval"  # session-state slots: the lab's (config, data); the last evaluation


# ----- 1 · loss functions ---------------------------------------------------------------------------------------------
def _notes(*names: str) -> None:
    st.markdown("\n".join(f"- **{name}** {LOSS_NOTES[name]}" for name in names))


@st.fragment
def loss_functions_section() -> None:
    """Regression losses, BCE and cross-entropy against the prediction, with autograd gradients and what each punishes."""
    st.markdown("Every curve below is a real `torch.nn` loss; every gradient comes from `loss.backward()`. "
                "The dotted line marks the target: the loss is 0 there and grows as the prediction moves away.")
    c1, c2 = st.columns(2)
    target = c1.slider("Regression target y", -3.0, 3.0, 0.0, step=0.5, key="tn_target", bind="query-params")
    delta = c2.slider("Huber δ (where quadratic turns linear)", 0.1, 3.0, 1.0, step=0.1, key="tn_delta",
                      bind="query-params")
    reg = regression_curves(target, *SPAN, delta=delta)
    plot(loss_curves_figure(reg.x.numpy(), _np(reg.loss), _np(reg.grad), "Regression losses", "ŷ (prediction)",
                            target=target), key="tn_fig_regression")
    _notes("MSE", "L1", "Huber")

    st.subheader("Classification losses")
    c1, c2, c3 = st.columns(3)
    bce_target = c1.radio("BCE target y", [1, 0], horizontal=True, key="tn_bce_target", bind="query-params")
    classes = c2.slider("Cross-entropy: number of classes K", 2, 10, 10, key="tn_classes", bind="query-params")
    other = c3.slider("…the other K − 1 logits, held at", -4.0, 4.0, 0.0, step=0.5, key="tn_other", bind="query-params")
    bce = bce_curves(int(bce_target if bce_target is not None else 1))
    ce = cross_entropy_curves([other] * (classes - 1), *LOGIT_SPAN)
    left, right = st.columns(2)
    plot(loss_curves_figure(bce.x.numpy(), _np(bce.loss), _np(bce.grad), f"BCE, target y = {bce_target}",
                            "p (probability of class 1)", target=bce_target, grad_clip=25.0, x_range=(0.0, 1.0)),
         container=left, key="tn_fig_bce")
    plot(loss_curves_figure(ce.x.numpy(), _np(ce.loss), _np(ce.grad), f"Cross-entropy, {classes} classes",
                            "z (the true class's logit)", target=other), container=right, key="tn_fig_ce")
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
    st.rerun([LAB, EVALUATION])  # new data: a new run, and nothing of the old one to evaluate


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


def _lab_changed() -> None:
    """Widget callback: a lab setting re-runs the lab and the evaluation, which reads the lab's run and data."""
    st.rerun([LAB, EVALUATION])


def lab_controls(seed: int) -> LabConfig:
    """The lab's widgets; returns their settings."""
    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.selectbox("Data set", LAB_DATASETS, key="tn_data", bind="query-params", on_change=_lab_changed,
                           help="Synthetic digits are drawn by dlplay and need no network; MNIST and FashionMNIST "
                                "come through torchvision.")
    n_train = c2.select_slider("Training images", TRAIN_SIZES, value=6000, key="tn_ntrain", bind="query-params", on_change=_lab_changed)
    hidden = c3.select_slider("Hidden size", HIDDEN_SIZES, value=256, key="tn_hidden", bind="query-params", on_change=_lab_changed,
                              help="Units in each hidden layer: 256 is MLP(784, 256, 10).")
    depth = c4.slider("Hidden layers", 0, 4, 2, key="tn_depth", bind="query-params", on_change=_lab_changed,
                      help="2 is the curriculum's MLP; 0 is a plain linear model (softmax regression).")
    c1, c2, c3, c4, c5 = st.columns(5)
    loss = c1.selectbox("Loss", list(LAB_LOSSES), key="tn_loss", bind="query-params", on_change=_lab_changed)
    optimizer = c2.selectbox("Optimizer", OPTIMIZERS, index=OPTIMIZERS.index("Adam"), key="tn_opt", bind="query-params", on_change=_lab_changed)
    lr = c3.select_slider("Learning rate (live)", LRS, value=1e-3, key="tn_lr", bind="query-params", on_change=_lab_changed,
                          help="Applies to the running model at once. Try SGD at 10 to watch training diverge.")
    batch_size = c4.select_slider("Batch size", BATCH_SIZES, value=64, key="tn_batch", bind="query-params", on_change=_lab_changed)
    epochs = c5.slider("Epochs (live)", 1, 100, 30, key="tn_epochs", bind="query-params", on_change=_lab_changed,
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
    plot(loss_figure({"": run.history}, title=title, log_y=blown_up), container=left, key="tn_fig_loss")
    plot(accuracy_figure({"": run.history}, title="Accuracy"), container=right, key="tn_fig_acc")
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


@st.fragment(key=LAB)
def lab_section(seed: int, device: torch.device) -> None:
    """Settings, the live training panel (Play / Pause / Step / Reset over the curves) and the code of this run."""
    config = lab_controls(seed)
    root = str(data_dir())
    data = cached_data(config.dataset, config.n_train, config.n_test, config.seed, root)
    data_notice(config.dataset, data, root)
    n_train = len(data.X_train)
    batch_notes(config, n_train)
    signature = (config.dataset, data.name, config.n_train, config.hidden_size, config.depth, config.loss,
                 config.optimizer, config.batch_size, config.seed, str(device))

    def build() -> TrainingRun:
        """A fresh seeded run for the current settings (the panel calls it on Reset and on a change of signature)."""
        return build_lab_run(config, data, device)

    run = session_run(RUN_KEY, signature, build)
    run.set_lr(config.lr)  # live: the next step uses the new rate
    run.set_max_steps(lab_max_steps(config.epochs, n_train, config.batch_size))
    training_panel(RUN_KEY, signature, build, render_live, device=device, step_size=20, rerun_also=(EVALUATION,))
    st.session_state[LAB_STATE] = (config, data)  # what the evaluation section evaluates on
    show_code(train_code(config, len(data.classes)), label="🐍 PyTorch: chapter 4.2's train() with these settings")


# ----- 3 · evaluation -------------------------------------------------------------------------------------------------
def _evaluation(run: TrainingRun, data: ImageData) -> dict | None:
    """Metrics and figures of the run's model as it is now on the held-out images; None when its outputs are not finite.

    Kept for the run's current step: a re-run of the section that finds the model unchanged redraws without predicting."""
    with run.locked():  # the run may be training in the background
        memo_key = (id(run), run.steps, data.name, len(data.X_test))
        memo = st.session_state.get(EVAL_MEMO)
        if memo is not None and memo[0] == memo_key:
            return memo[1]
        logits = run.predict(data.X_test)  # (N, C)
    if not torch.isfinite(logits).all():
        result = None
    else:
        answers = predictions(logits, data.y_test)
        matrix = confusion_matrix(answers.y, answers.y_pred, len(data.classes))
        wrong = misclassified(answers.y, answers.y_pred, answers.confidence, limit=GALLERY)
        names = [str(c) for c in data.classes]
        title = f"The {GALLERY} most confident mistakes" if len(wrong) == GALLERY else "Every mistake, most confident first"
        result = dict(
            accuracy=answers.accuracy, mistakes=int((answers.y != answers.y_pred).sum()), total=len(answers.y),
            step=memo_key[1],
            confusion=confusion_matrix_figure(matrix.numpy(), names, f"Confusion matrix — {data.name}, test set"),
            gallery=misclassified_figure(
                data.X_test[wrong].numpy(), [names[i] for i in answers.y[wrong]], [names[i] for i in answers.y_pred[wrong]],
                answers.confidence[wrong].tolist(), ncols=8, title=title,
            ),
        )
    st.session_state[EVAL_MEMO] = (memo_key, result)
    return result


@st.fragment(key=EVALUATION)
def evaluation_section() -> None:
    """Accuracy, confusion matrix and the most confident mistakes of the lab's current model on the held-out images."""
    run, lab = panel_run(RUN_KEY), st.session_state.get(LAB_STATE)
    if run is None or lab is None:  # the lab has not run yet in this session
        return
    config, data = lab
    top = st.columns([3, 1], vertical_alignment="center")
    top[1].button("🔄 Evaluate again", key="tn_evaluate", width="stretch",
                  help="Evaluate the model as it is now. Pause, Step and Reset refresh this section by themselves; "
                       "while the lab plays, this button does.")
    if run.steps == 0:
        top[0].info("Nothing to evaluate yet: the model has not trained. Press **⏭ Step**, or **▶ Play** then **⏸ Pause**, "
                    "in the training lab: the confusion matrix and the mistakes appear here.", icon="ℹ️")
    else:
        result = _evaluation(run, data)
        if result is None:
            top[0].warning("The model's outputs are not finite (training diverged), so there is nothing sensible to "
                           "evaluate. Lower the learning rate and press Reset.")
            return
        c1, c2, c3 = top[0].columns(3)
        c1.metric("Accuracy on held-out images", f"{result['accuracy']:.1%}")
        c2.metric("Mistakes", f"{result['mistakes']:,} of {result['total']:,}")
        c3.metric("Evaluated at", f"step {result['step']:,}")
        st.caption("The model as it was at that step, on the held-out images it never trains on. Pause and Step "
                   "refresh it; while the lab plays, press **🔄 Evaluate again** to see the model as it is now.")
        plot(result["confusion"], key="tn_fig_confusion")
        st.markdown("Each row is a true class; the diagonal counts the right answers and every other cell a kind of "
                    "mistake. Below, the mistakes the model was **most sure of** — often ambiguous or badly drawn images.")
        plot(result["gallery"], key="tn_fig_mistakes")
    show_code(evaluate_code(config, len(data.classes)), label="🐍 PyTorch: chapter 4.3's evaluate(), and the extras drawn here")
