"""U-Net, live: binary masks of the embedded shapes, IoU / Dice / boundary IoU, and races of skips and upsampling."""

from __future__ import annotations

import copy
import math
from dataclasses import astuple, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from dlplay.data.shapes import SHAPE_CLASSES, make_shapes
from dlplay.lessons.architectures.divergence import BlowUpGuard
from dlplay.models.init import seeded_init_
from dlplay.models.unet import UPSAMPLING, UNet
from dlplay.optim.factory import OptimizerConfig
from dlplay.training.race import RunGroup
from dlplay.training.run import RunConfig, TrainingRun

SEG_TASKS = {"every shape": None, "circles": 1, "squares": 2, "triangles": 3}  # task → the class it segments
RACES = ("skips on vs off", "bilinear vs transposed", "one model")
MIN_DEPTH, MAX_DEPTH = 1, 4
MIN_SIZE, MAX_SIZE = 16, 64
MAX_COST_RATIO = 16  # per-session cap: a race at most 16× the default's compute per step


@dataclass(frozen=True)
class SegSetup:
    """Data, U-Nets and training of the segmentation lab."""

    task: str = "every shape"  # a key of SEG_TASKS: the foreground of every shape, or one class of shape only
    size: int = 32  # image side in pixels; one that does not divide by 2^depth is padded inside the U-Net
    noise: float = 0.25  # pixel noise: enough that thresholding the brightness is not already a perfect mask
    n_train: int = 1000  # training images
    n_val: int = 100  # validation images: the IoU curves and the masks shown
    depth: int = 2  # poolings: the bottleneck sees size / 2^depth pixels a side
    base_width: int = 8  # channels of the first level (the curriculum's is 64: too slow to train live on a CPU)
    skips: bool = True  # used when the race is not about skips
    upsampling: str = "bilinear"  # one of UPSAMPLING, used when the race is not about upsampling
    race: str = "skips on vs off"  # one of RACES: which two U-Nets train side by side
    lr: float = 3e-3  # Adam's learning rate; applies live
    batch_size: int = 16  # images per optimizer step
    eval_every: int = 25  # steps between evaluations (loss, IoU, Dice, boundary IoU)
    eval_samples: int = 100  # images per split evaluated


def run_variants(setup: SegSetup) -> dict[str, dict]:
    """{run name: UNet keyword arguments} of the nets the race trains."""
    if setup.race == "skips on vs off":
        return {"skips on": dict(skips=True, upsampling=setup.upsampling),
                "skips off": dict(skips=False, upsampling=setup.upsampling)}
    if setup.race == "bilinear vs transposed":
        return {"bilinear + conv": dict(skips=setup.skips, upsampling="bilinear"),
                "transposed conv": dict(skips=setup.skips, upsampling="transposed")}
    skips = "skips on" if setup.skips else "skips off"
    return {f"U-Net ({skips}, {setup.upsampling})": dict(skips=setup.skips, upsampling=setup.upsampling)}


def cost(setup: SegSetup) -> int:
    """Compute per training step, up to a constant: nets × pixels × base width² × batch size."""
    return len(run_variants(setup)) * setup.size**2 * setup.base_width**2 * setup.batch_size


def step_size(setup: SegSetup, default: int = 25) -> int:
    """Optimizer steps per click on Step: `default` for the default lab, fewer for bigger ones."""
    return max(1, min(default, round(default * cost(SegSetup()) / cost(setup))))


def lr_warning(setup: SegSetup) -> str:
    """A sentence when Adam's learning rate is far above what U-Nets train with; '' otherwise."""
    if setup.lr < 0.03:
        return ""
    return (f"Adam rarely trains a U-Net with a learning rate of {setup.lr:g} (1e-3 to 1e-2 is usual): expect the loss "
            "to blow up (the run then stops with a message) or the nets to stall on all-background masks, IoU 0.")


def problems(setup: SegSetup) -> list[str]:
    """A plain sentence for each setting the lab cannot use; empty when it can be built."""
    found = []
    if setup.task not in SEG_TASKS:
        found.append(f"Unknown task {setup.task!r}: choose one of {', '.join(SEG_TASKS)}.")
    if setup.race not in RACES:
        found.append(f"Unknown race {setup.race!r}: choose one of {', '.join(RACES)}.")
    if setup.upsampling not in UPSAMPLING:
        found.append(f"Unknown upsampling {setup.upsampling!r}: choose one of {', '.join(UPSAMPLING)}.")
    if not MIN_DEPTH <= setup.depth <= MAX_DEPTH:
        found.append(f"The depth must be {MIN_DEPTH}–{MAX_DEPTH} poolings, got {setup.depth}.")
    if not MIN_SIZE <= setup.size <= MAX_SIZE:
        found.append(f"The image size must be {MIN_SIZE}–{MAX_SIZE} pixels, got {setup.size}.")
    if not (math.isfinite(setup.lr) and setup.lr > 0):
        found.append(f"The learning rate must be a positive number, got {setup.lr}.")
    if setup.base_width < 1 or setup.n_train < 1 or setup.n_val < 1 or setup.batch_size < 1:
        found.append("Width, set sizes and batch size must be at least 1.")
    elif not found and cost(setup) > MAX_COST_RATIO * cost(SegSetup()):
        found.append(f"These U-Nets are {cost(setup) / cost(SegSetup()):.0f}× the default's size, too big to train live "
                     f"here (the limit is {MAX_COST_RATIO}×): lower the image size or the base width.")
    return found


def padding_note(size: int, depth: int) -> str:
    """What the U-Net does with a side that 2^depth does not divide, in a sentence; '' when it divides."""
    multiple = 2**depth
    padded = -(-size // multiple) * multiple
    if padded == size:
        return ""
    return (f"A U-Net of depth {depth} halves the image {depth} times, so its sides must be multiples of {multiple}; "
            f"{size} is not. Without padding, the upsampled map ({padded - multiple}… pixels) would not match the "
            f"encoder's ({size}) at torch.cat — the error U-Net users meet most. This U-Net pads each image to "
            f"{padded}×{padded} (repeating the last {padded - size} rows and columns) and crops the output back to "
            f"{size}×{size}.")


def make_seg_data(setup: SegSetup, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(X_train, y_train, X_val, y_val): images (N, 1, S, S) and float target masks (N, 1, S, S) of the task's pixels."""
    X, masks, _ = make_shapes(setup.n_train + setup.n_val, size=setup.size, seed=seed, noise=setup.noise)
    target = SEG_TASKS[setup.task]
    y = (masks > 0) if target is None else (masks == target)  # (N, S, S) bool
    y = y.float().unsqueeze(1)  # (N, 1, S, S) for BCEWithLogitsLoss against the (N, 1, S, S) logits
    return X[: setup.n_train], y[: setup.n_train], X[setup.n_train :], y[setup.n_train :]


def erode(mask: torch.Tensor, width: int = 1) -> torch.Tensor:
    """Binary erosion of masks (N, 1, H, W) by a (2·width + 1)² square: a pixel stays if all its neighbours are set."""
    return -F.max_pool2d(-mask, 2 * width + 1, stride=1, padding=width)  # min-pool = max-pool of the negation


def mask_metrics(logits: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """IoU, Dice and boundary IoU of the masks logits > 0 against target (N, 1, H, W), pooled over all the pixels."""
    pred = (logits > 0).float()
    target = target.float()
    inter = (pred * target).sum()
    union = pred.sum() + target.sum() - inter
    iou = float(inter / union) if union > 0 else 1.0  # nothing to find and nothing found: perfect
    total = pred.sum() + target.sum()
    dice = float(2 * inter / total) if total > 0 else 1.0
    # Boundary IoU (Cheng et al. 2021): the same ratio on each mask's inner 1-pixel rim, where blurry masks fail.
    rim_pred, rim_true = pred - erode(pred), target - erode(target)
    rim_inter = (rim_pred * rim_true).sum()
    rim_union = rim_pred.sum() + rim_true.sum() - rim_inter
    boundary = float(rim_inter / rim_union) if rim_union > 0 else 1.0
    return {"iou": iou, "dice": dice, "boundary_iou": boundary}


class MaskMetrics:
    """A TrainingRun callback: IoU, Dice and boundary IoU on the validation images at each evaluation."""

    def __call__(self, run: TrainingRun) -> dict[str, float]:
        X, y = run.X_val[: run.config.eval_samples], run.y_val[: run.config.eval_samples]
        was_training = run.model.training
        run.model.eval()
        with torch.inference_mode():
            logits = torch.cat([run.model(X[i : i + 256]) for i in range(0, len(X), 256)])  # (N, 1, S, S)
        run.model.train(was_training)
        return {f"val_{k}": v for k, v in mask_metrics(logits.float(), y).items()}


def build_unet(setup: SegSetup, seed: int = 0, **variant) -> UNet:
    """A seeded U-Net of the setup's depth and width, 1 channel in and 1 logit out, with the variant's skips/upsampling."""
    model = UNet(1, 1, base_width=setup.base_width, depth=setup.depth, **variant)
    return seeded_init_(model, seed).to(memory_format=torch.channels_last)  # NHWC convolutions: faster on a CPU


def build_lab(setup: SegSetup, data: tuple, seed: int = 0, device: torch.device | str = "cpu") -> RunGroup:
    """The race's U-Nets on the same images, batches and seed (the encoders start from identical weights)."""
    found = problems(setup)
    if found:
        raise ValueError(" ".join(found))
    config = RunConfig(batch_size=setup.batch_size, eval_every=setup.eval_every, eval_samples=setup.eval_samples, seed=seed)
    runs = {}
    for name, variant in run_variants(setup).items():
        # task "regression" is TrainingRun's "no accuracy" mode; the per-pixel BCE and the mask metrics do the scoring
        runs[name] = TrainingRun(build_unet(setup, seed, **variant), *data, optimizer=OptimizerConfig("Adam", lr=setup.lr),
                                 loss_fn=nn.BCEWithLogitsLoss(), task="regression", config=config, device=device,
                                 callbacks=(MaskMetrics(), BlowUpGuard()))
    return RunGroup(runs)


def signature(setup: SegSetup, seed: int, device: object) -> tuple:
    """Everything that restarts the lab (the learning rate applies live and is left out)."""
    return astuple(replace(setup, lr=0.0)), seed, str(device)


def predicted_probabilities(run: TrainingRun, X: torch.Tensor) -> torch.Tensor:
    """σ(logits) (N, 1, S, S) of a run's current model on X, on the CPU."""
    return torch.sigmoid(run.predict(X))


def feature_maps(model: UNet, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every encoder, upsampling and decoder level's maps (C, h, w) for one image (1, S, S), from a copy of the model."""
    probe = copy.deepcopy(model).eval()  # a copy: the live run may be training the original in another thread
    device = next(probe.parameters()).device
    with torch.inference_mode():
        probe(image[None].to(device))  # (1, 1, S, S) → the copy keeps last_features
    return {name: maps[0].float().cpu() for name, maps in probe.last_features.items()}


def overlap_counts(size: int = 8) -> dict[str, torch.Tensor]:
    """×2 upsampling of a constant size×size map by bilinear interpolation and by a transposed conv of ones (k 3, s 2).

    The transposed conv adds each input pixel's 3×3 kernel at stride 2: the footprints overlap unevenly, so output
    pixels collect 1, 2 or 4 contributions — the checkerboard, before any training."""
    ones = torch.ones(1, 1, size, size)  # (1, 1, n, n)
    up = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1, bias=False)
    with torch.no_grad():
        up.weight.fill_(1.0)
        transposed = up(ones)[0, 0]  # (2n, 2n)
    bilinear = F.interpolate(ones, scale_factor=2, mode="bilinear")[0, 0]  # (2n, 2n)
    return {"bilinear": bilinear, "transposed": transposed}


def checkerboard_strength(maps: torch.Tensor) -> float:
    """How much of a map's (…, H, W) variation alternates pixel to pixel: energy at the Nyquist frequencies, 0–1."""
    x = maps.float() - maps.float().mean(dim=(-2, -1), keepdim=True)
    spectrum = torch.fft.fft2(x).abs().square()  # (…, H, W) power
    h, w = x.shape[-2:]
    nyquist = spectrum[..., h // 2, :].sum(-1) + spectrum[..., :, w // 2].sum(-1) - spectrum[..., h // 2, w // 2]
    total = spectrum.sum(dim=(-2, -1)).clamp_min(1e-12)
    return float((nyquist / total).mean())


def lab_code(setup: SegSetup) -> str:
    """The curriculum's U-Net, the nets of the current settings and the training loop, as PyTorch source."""
    variants = "\n".join(f"    {name!r}: UNet(1, 1, base_width={setup.base_width}, depth={setup.depth}, "
                         f"skips={v['skips']}, upsampling={v['upsampling']!r}),"
                         for name, v in run_variants(setup).items())
    task = SEG_TASKS.get(setup.task)
    target, what = ("masks > 0", "every shape") if task is None else (f"masks == {task}", f"{SHAPE_CLASSES[task]}s only")
    return f'''
import torch
import torch.nn as nn

class UNet(nn.Module):  # the curriculum's U-Net (dlplay.models.unet generalizes it: depth, width, skips, upsampling)
    def __init__(self):
        super().__init__()
        # Encoder (downsampling)
        self.enc1 = self.conv_block(3, 64)
        self.enc2 = self.conv_block(64, 128)
        self.pool = nn.MaxPool2d(2)
        # Decoder (upsampling)
        self.up = nn.Upsample(scale_factor=2, mode='bilinear')
        self.dec1 = self.conv_block(128 + 64, 64)
        self.final = nn.Conv2d(64, 1, 1)

    def conv_block(self, in_c, out_c):
        return nn.Sequential(nn.Conv2d(in_c, out_c, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(out_c, out_c, 3, padding=1), nn.ReLU())

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        d1 = self.up(e2)
        d1 = torch.cat([d1, e1], dim=1)  # the skip connection
        d1 = self.dec1(d1)
        return self.final(d1)

# the settings of this page
from dlplay.data.shapes import make_shapes
from dlplay.models.unet import UNet
X, masks, _ = make_shapes({setup.n_train + setup.n_val}, size={setup.size}, noise={setup.noise:g})  # (N, 1, {setup.size}, {setup.size})
y = ({target}).float().unsqueeze(1)  # {what}: (N, 1, {setup.size}, {setup.size})
nets = {{
{variants}
}}
loss_fn = nn.BCEWithLogitsLoss()  # one logit per pixel
for name, model in nets.items():
    optimizer = torch.optim.Adam(model.parameters(), lr={setup.lr:g})
    for X_batch, y_batch in train_loader:  # batches of {setup.batch_size}
        loss = loss_fn(model(X_batch), y_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    pred = model(X_val) > 0
    iou = (pred & y_val.bool()).sum() / (pred | y_val.bool()).sum()
'''
