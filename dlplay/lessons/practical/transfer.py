"""Transfer learning raced three ways on a target task with few labels: frozen backbone, fine-tuned, from scratch."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from dlplay.lessons.practical.backbone import TARGET_CLASSES, first_per_class, head_and_backbone, task_images
from dlplay.models.init import seeded_init_
from dlplay.training.race import RunGroup
from dlplay.training.run import RunConfig, TrainingRun

WAYS = ("frozen", "fine-tuned", "from scratch")
WAY_LABELS = {
    "frozen": "Frozen backbone + new head",
    "fine-tuned": "Fine-tuned end to end",
    "from scratch": "From scratch",
}
MAX_LABELS_PER_CLASS = 50  # the labelled pool: a labels-per-class setting takes the first k of each class
TARGET_SEED = 30_000  # offsets the page seed for the target images: never the source task's images


@dataclass(frozen=True)
class TransferConfig:
    """The target task and how the three ways train on it."""

    labels_per_class: int = 5  # labelled target images per class: few, where pretraining pays most
    lr: float = 3e-3  # Adam's learning rate for the new heads and the from-scratch network (applies live)
    backbone_lr_scale: float = 0.1  # fine-tuning: the backbone learns at lr × this, so pretrained features move slowly
    batch_size: int = 32  # images per step, at most (fewer labels: the whole labelled set each step)
    n_val_per_class: int = 40  # held-out target images per class for the validation curves
    eval_every: int = 10  # steps between evaluations: the points of the curves
    max_steps: int = 300  # every way stops after this many steps
    seed: int = 0  # target images, new heads' weights and the batch order


@dataclass
class TargetData:
    """The target task: a labelled pool (first k per class are used) and a fixed validation set."""

    X_pool: torch.Tensor  # (MAX_LABELS_PER_CLASS·C, 3, 32, 32) labelled images, k per class taken in order
    y_pool: torch.Tensor  # (·,) labels 0..C−1
    X_val: torch.Tensor  # (n_val·C, 3, 32, 32) held-out images
    y_val: torch.Tensor  # (n_val·C,)

    @property
    def num_classes(self) -> int:
        return len(TARGET_CLASSES)

    def labelled(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first k labelled images of each class."""
        index = first_per_class(self.y_pool, k, self.num_classes)
        return self.X_pool[index], self.y_pool[index]


def make_target_data(n_val_per_class: int = TransferConfig.n_val_per_class, seed: int = 0) -> TargetData:
    """Target images: MAX_LABELS_PER_CLASS per class for labelling, then n_val_per_class per class held out."""
    X, y = task_images(TARGET_CLASSES, MAX_LABELS_PER_CLASS + n_val_per_class, seed=TARGET_SEED + seed)
    pool = first_per_class(y, MAX_LABELS_PER_CLASS, len(TARGET_CLASSES))
    held_out = torch.ones(len(y), dtype=torch.bool)
    held_out[pool] = False
    return TargetData(X[pool], y[pool], X[held_out], y[held_out])


class TransferRun(TrainingRun):
    """A TrainingRun whose optimizer groups keep their own scale of the live lr; a frozen run keeps eval mode."""

    def __init__(self, *args, frozen: bool = False, **kwargs):
        self.frozen = frozen
        super().__init__(*args, **kwargs)

    def _train_step(self) -> torch.Tensor:
        if self.frozen:
            # Frozen means the batch-norm statistics too: in train mode they would drift towards the target images.
            self.model.eval()
        return super()._train_step()

    def set_lr(self, lr: float) -> None:
        """Every group learns at lr × its lr_scale (the fine-tuned backbone's smaller rate survives a live change)."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)

    @property
    def lr(self) -> float:
        """The head's learning rate (the last group's)."""
        return float(self.optimizer.param_groups[-1]["lr"])


def trainable_parameters(model: nn.Module) -> int:
    """Parameters the optimizer updates (requires_grad)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def total_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def transfer_models(backbone: nn.Module, make_scratch: Callable[[int], nn.Module], num_classes: int,
                    seed: int) -> dict[str, nn.Module]:
    """The three ways' models: the curriculum's freeze-and-replace, the same unfrozen, and a fresh network."""
    frozen = copy.deepcopy(backbone)
    for param in frozen.parameters():  # freeze base layers
        param.requires_grad = False
    frozen.fc = seeded_init_(nn.Linear(frozen.fc.in_features, num_classes), seed)  # replace the final layer
    tuned = copy.deepcopy(backbone)
    tuned.fc = seeded_init_(nn.Linear(tuned.fc.in_features, num_classes), seed)  # the same new head, all trainable
    scratch = seeded_init_(make_scratch(num_classes), seed)
    return {"frozen": frozen, "fine-tuned": tuned, "from scratch": scratch}


def _optimizer(model: nn.Module, way: str, config: TransferConfig) -> Callable[..., torch.optim.Optimizer]:
    """Adam over what this way trains: the head only; backbone (scaled lr) and head; or everything."""
    head, body = head_and_backbone(model)
    if way == "frozen":
        groups = [{"params": head, "lr_scale": 1.0}]
    elif way == "fine-tuned":
        groups = [{"params": body, "lr_scale": config.backbone_lr_scale}, {"params": head, "lr_scale": 1.0}]
    else:
        groups = [{"params": body + head, "lr_scale": 1.0}]
    for group in groups:
        group["lr"] = config.lr * group["lr_scale"]
    return lambda _params: torch.optim.Adam(groups, lr=config.lr)


def make_run(way: str, model: nn.Module, data: TargetData, config: TransferConfig, device: torch.device,
             max_steps: int | None = None, eval_every: int | None = None) -> TransferRun:
    """One way's run on the first labels_per_class labelled images of each class."""
    X, y = data.labelled(config.labels_per_class)
    run_config = RunConfig(batch_size=config.batch_size, eval_every=eval_every or config.eval_every,
                           max_steps=max_steps if max_steps is not None else config.max_steps, seed=config.seed)
    return TransferRun(model, X, y, data.X_val, data.y_val, optimizer=_optimizer(model, way, config),
                       config=run_config, device=device, frozen=way == "frozen")


class TransferRace(RunGroup):
    """The three ways in lockstep; `model` holds their three networks in one module (for save and export)."""

    def __init__(self, runs: dict[str, TransferRun], data: TargetData, config: TransferConfig):
        super().__init__(runs)
        self.data, self.config = data, config
        self.model = nn.ModuleDict({way.replace(" ", "_").replace("-", "_"): run.model for way, run in runs.items()})

    @property
    def device(self) -> torch.device:
        return next(iter(self.runs.values())).device

    @property
    def history(self):
        """The fine-tuned run's history (the panel's single-run view); each way's is in runs[way].history."""
        return self.runs["fine-tuned"].history

    def set_lr(self, lr: float) -> None:
        for run in self.runs.values():
            run.set_lr(lr)


def build_race(config: TransferConfig, backbone: nn.Module, make_scratch: Callable[[int], nn.Module],
               data: TargetData, device: torch.device | str = "cpu") -> TransferRace:
    """The race of the three ways from one pretrained backbone, on the same labelled images and batches."""
    models = transfer_models(backbone, make_scratch, data.num_classes, config.seed)
    runs = {way: make_run(way, models[way], data, config, torch.device(device)) for way in WAYS}
    return TransferRace(runs, data, config)


def results(race: TransferRace) -> list[dict]:
    """One row per way: what it trains, how far it got, its latest and best validation accuracy."""
    rows = []
    for way, run in race.runs.items():
        h = run.history
        best = h.best("val_acc")
        rows.append({
            "way": WAY_LABELS[way],
            "trainable parameters": trainable_parameters(run.model),
            "of all parameters": total_parameters(run.model),
            "steps": run.steps,
            "train acc": h.train_acc[-1] if h.train_acc else math.nan,
            "val acc": h.val_acc[-1] if h.val_acc else math.nan,
            "best val acc": best[1] if best else math.nan,
        })
    return rows


def head_inputs(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """What the head `model.fc` receives for images X: the backbone's features (N, F), in eval mode."""
    body = copy.deepcopy(model).eval()
    body.fc = nn.Identity()
    with torch.inference_mode():
        return body(X)  # (N, F)


def feature_projection(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """The backbone's features of images X on their first two principal axes (N, 2): what a new head must separate."""
    features = head_inputs(model, X)
    centred = features - features.mean(0, keepdim=True)
    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)  # exact and cheap at this size (F ≤ 512)
    return centred @ Vh[:2].T  # (N, 2)
