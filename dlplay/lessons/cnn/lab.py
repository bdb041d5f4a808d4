"""The live CNN lab: its data, settings, model and run, and what the page reads off the model (layers, kernels, maps)."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from pathlib import Path

import torch
from torch import nn

from dlplay.data.colour_images import COLOUR_CLASSES, make_colour_images
from dlplay.data.torchvision_sets import IMAGE_DATASETS, ImageData, load_image_data
from dlplay.models.cnn import CNN
from dlplay.models.init import seeded_init_
from dlplay.optim.factory import OptimizerConfig
from dlplay.training.history import History
from dlplay.training.run import RunConfig, TrainingRun

COLOUR_SET = "Colour images"  # the project's embedded 3×32×32 set: the curriculum's CNN on its exact input size
LAB_DATASETS = (IMAGE_DATASETS[0], COLOUR_SET, *IMAGE_DATASETS[1:])
CURRICULUM_WIDTH = 32  # the curriculum's first block: 32 → 64 → 128 channels
TARGET_ACC = 0.97  # the validation accuracy the page reports reaching


@dataclass(frozen=True)
class LabConfig:
    """The lab's settings; the defaults are the page's defaults (small and quick: ≥ 97 % on digits in seconds)."""

    dataset: str = IMAGE_DATASETS[0]  # one of LAB_DATASETS
    n_train: int = 3000  # training images (real sets: a seeded subsample); 3000 digits reach 97 % as fast as 6000
    n_test: int = 1000  # held-out images: validation curves, confusion matrix, mistakes
    width: int = 8  # channels of the first conv block; each block doubles it (32 is the curriculum's 32-64-128)
    blocks: int = 3  # conv blocks, each Conv → ReLU → MaxPool(2) (the curriculum has 3)
    hidden_size: int = 64  # units of the fully connected hidden layer (the curriculum's 256)
    dropout: float = 0.5  # dropout before the output layer, as in the curriculum
    batch_norm: bool = False  # BatchNorm2d after each convolution
    optimizer: str = "Adam"  # one of dlplay.optim.factory.OPTIMIZERS
    lr: float = 3e-3  # learning rate, applied live (3e-3: digits reach 97 % in about 150 steps, 1e-3 in 250)
    batch_size: int = 64  # images per optimizer step
    epochs: int = 10  # the run finishes after this many passes over the training set (changeable live)
    eval_every: int = 50  # optimizer steps between evaluations of the curves
    eval_samples: int = 1000  # images evaluated per split at each evaluation (keeps evaluation cheap)
    seed: int = 0  # data, initial weights and batch order

    @property
    def widths(self) -> tuple[int, ...]:
        """Channels of each conv block: width, 2·width, 4·width, …"""
        return tuple(self.width * 2**i for i in range(self.blocks))


def signature(config: LabConfig, data_name: str, device: object) -> tuple:
    """Everything that needs a new model; learning rate and epochs apply live and are left out."""
    live = {"lr", "epochs"}
    fields = tuple(v for k, v in zip(LabConfig.__dataclass_fields__, astuple(config)) if k not in live)
    return fields, data_name, str(device)


def load_lab_data(name: str, n_train: int, n_test: int, seed: int = 0, root: Path | None = None) -> ImageData:
    """The lab's images: the embedded colour set, synthetic digits, or a real set already on disk (never downloaded)."""
    if name not in LAB_DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(LAB_DATASETS)}")
    if name == COLOUR_SET:
        per_class = -(-(n_train + n_test) // len(COLOUR_CLASSES))  # ceil: enough for both splits
        X, y = make_colour_images(per_class, seed=seed)
        return ImageData(X[:n_train], y[:n_train], X[n_train : n_train + n_test], y[n_train : n_train + n_test],
                         COLOUR_CLASSES, COLOUR_SET)
    return load_image_data(name, root=root, download=False, max_train=n_train, max_test=n_test, seed=seed)


def build_model(config: LabConfig, data: ImageData) -> CNN:
    """The lab's CNN for the data's image shape, its weights drawn from the seed."""
    channels, size = data.X_train.shape[1], data.X_train.shape[-1]
    model = CNN(len(data.classes), in_channels=channels, image_size=size, widths=config.widths,
                hidden_size=config.hidden_size, dropout=config.dropout, batch_norm=config.batch_norm)
    return seeded_init_(model, config.seed)


def steps_for_epochs(epochs: int, n_train: int, batch_size: int) -> int:
    """Optimizer steps in `epochs` passes over n_train images."""
    return max(1, epochs * max(1, n_train // max(1, min(batch_size, n_train))))


def build_run(config: LabConfig, data: ImageData, device: torch.device | str = "cpu", model: nn.Module | None = None,
              ) -> TrainingRun:
    """A TrainingRun of the lab's CNN (or the given model) on the data, finishing after config.epochs."""
    run_config = RunConfig(batch_size=config.batch_size, eval_every=config.eval_every, eval_samples=config.eval_samples,
                           max_steps=steps_for_epochs(config.epochs, len(data.X_train), config.batch_size),
                           seed=config.seed)
    return TrainingRun(model if model is not None else build_model(config, data), data.X_train, data.y_train,
                       data.X_test, data.y_test, optimizer=OptimizerConfig(name=config.optimizer, lr=config.lr),
                       config=run_config, device=device, callbacks=(_training_seconds,))


def _training_seconds(run: TrainingRun) -> dict[str, float]:
    """{"train_seconds": wall time spent training so far}, recorded at each evaluation: when 97 % came, in seconds."""
    return {"train_seconds": run.train_seconds}


def first_reaching(history: History, threshold: float = TARGET_ACC) -> tuple[int, float] | None:
    """(step, epoch) of the first evaluation with validation accuracy ≥ threshold, or None."""
    for step, epoch, acc in zip(history.eval_step, history.eval_epoch, history.val_acc):
        if acc >= threshold:
            return step, epoch
    return None


@dataclass
class LayerRow:
    """One row of the layer table."""

    name: str  # "conv_layers.0 · Conv2d(1, 8, k=3, p=1)"
    output_shape: tuple[int, ...]  # (C, H, W) or (features,), batch left out
    parameters: int  # trainable parameters of the layer


def _describe(module: nn.Module) -> str:
    if isinstance(module, nn.Conv2d):
        return f"Conv2d({module.in_channels}→{module.out_channels}, {module.kernel_size[0]}×{module.kernel_size[1]}, " \
               f"padding {module.padding[0]})"
    if isinstance(module, nn.Linear):
        return f"Linear({module.in_features}→{module.out_features})"
    if isinstance(module, nn.MaxPool2d):
        return f"MaxPool2d({module.kernel_size})"
    if isinstance(module, nn.Dropout):
        return f"Dropout({module.p:g})"
    return type(module).__name__


def layer_table(model: CNN) -> list[LayerRow]:
    """Each layer of the model with its output shape for one input image and its parameter count."""
    rows = []
    x = torch.zeros(1, model.in_channels, model.image_size, model.image_size,
                    device=next(model.parameters()).device)  # (1, C, H, W): one image, the batch dimension dropped below
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for prefix, stack in (("conv_layers", model.conv_layers), ("fc_layers", model.fc_layers)):
            for index, layer in enumerate(stack):
                x = layer(x)
                params = sum(p.numel() for p in layer.parameters() if p.requires_grad)
                rows.append(LayerRow(f"{prefix}.{index} · {_describe(layer)}", tuple(x.shape[1:]), params))
    model.train(was_training)
    return rows


def first_layer_kernels(model: CNN) -> torch.Tensor:
    """The first convolution's weights (O, C, k, k) on the CPU: the filters the network learned to look for."""
    return model.conv_modules()[0].weight.detach().float().cpu().clone()


def feature_maps_of(model: CNN, x: torch.Tensor) -> list[torch.Tensor]:
    """Each conv block's ReLU output (C_k, H_k, W_k) for one image x (C, H, W), read off the model after a forward."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(x[None].to(next(model.parameters()).device))  # (1, C, H, W); the model keeps its feature maps
    model.train(was_training)
    return [m[0].float().cpu() for m in model.feature_maps]


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(C, C) counts: row = true class, column = predicted class (one bincount of true·C + predicted)."""
    index = y_true.long().flatten() * num_classes + y_pred.long().flatten()
    return torch.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def mistakes(y_true: torch.Tensor, logits: torch.Tensor, limit: int = 16) -> torch.Tensor:
    """Indices of the wrong predictions, most confident first, at most limit of them."""
    confidence, y_pred = logits.float().softmax(dim=1).max(dim=1)  # (N,), (N,)
    wrong = (y_pred != y_true).nonzero().flatten()
    return wrong[confidence[wrong].argsort(descending=True, stable=True)][:limit]
