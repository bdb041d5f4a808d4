"""What a trained CNN makes of one input: class probabilities, feature maps, saliency and Grad-CAM."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dlplay.models.cnn import CNN

EXPLAINERS = ("Grad-CAM", "Saliency")


@dataclass
class Reading:
    """The model's answer for one image, and why."""

    probs: torch.Tensor  # (num_classes,) softmax probabilities
    feature_maps: list[torch.Tensor]  # each block's ReLU output (C_k, H_k, W_k)
    heat: torch.Tensor  # (H, W) in [0, 1]: the pixels that drove the predicted class (Grad-CAM or saliency)
    predicted: int  # argmax of probs


def _eval(model: nn.Module):
    """Eval mode for a read (dropout off, batch norm's running statistics), the former mode returned to restore."""
    was_training = model.training
    model.eval()
    return was_training


def saliency(model: CNN, x: torch.Tensor, target: int) -> torch.Tensor:
    """|∂ logit_target / ∂ pixel|, the largest over colour channels, scaled to [0, 1]: (H, W)."""
    was_training = _eval(model)
    x = x[None].detach().clone().requires_grad_(True)  # (1, C, H, W)
    logit = model(x)[0, target]
    (grad,) = torch.autograd.grad(logit, x)
    model.train(was_training)
    heat = grad[0].abs().amax(dim=0)  # (H, W)
    return (heat / heat.max().clamp_min(1e-12)).cpu()


def grad_cam(model: CNN, x: torch.Tensor, target: int, block: int = -1) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al. 2017) on a conv block's ReLU output A (C, h, w): weights α_c = mean of
    ∂ logit_target / ∂ A_c, map ReLU(Σ_c α_c A_c), upsampled to the input and scaled to [0, 1]: (H, W)."""
    was_training = _eval(model)
    relus = [i for i, layer in enumerate(model.conv_layers) if isinstance(layer, nn.ReLU)]
    at = relus[block]
    h = x[None].detach()  # (1, C, H, W)
    activation = None
    for i, layer in enumerate(model.conv_layers):
        h = layer(h)
        if i == at:
            activation = h  # (1, C_k, h, w), kept in the graph
    logit = model.fc_layers(h)[0, target]
    (grad,) = torch.autograd.grad(logit, activation)
    model.train(was_training)
    weights = grad.mean(dim=(2, 3), keepdim=True)  # (1, C_k, 1, 1): global-average-pooled gradients
    cam = F.relu((weights * activation).sum(dim=1, keepdim=True)).detach()  # (1, 1, h, w)
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]  # (H, W)
    return (cam / cam.max().clamp_min(1e-12)).cpu()


def read(model: CNN, x: torch.Tensor, explainer: str = EXPLAINERS[0]) -> Reading:
    """Probabilities, feature maps and the explainer's heat map for one image x (C, H, W)."""
    if explainer not in EXPLAINERS:
        raise ValueError(f"unknown explainer {explainer!r}; choose one of {', '.join(EXPLAINERS)}")
    x = x.to(next(model.parameters()).device).float()
    was_training = _eval(model)
    with torch.no_grad():
        probs = model(x[None]).float().softmax(dim=1)[0].cpu()  # (num_classes,)
    maps = [m[0].float().cpu() for m in model.feature_maps]
    model.train(was_training)
    predicted = int(probs.argmax())
    heat = grad_cam(model, x, predicted) if explainer == "Grad-CAM" else saliency(model, x, predicted)
    return Reading(probs, maps, heat, predicted)


def fit_to_model(x: torch.Tensor, channels: int, size: int) -> torch.Tensor:
    """An image (C, H, W) made the model's input (channels, size, size): grey ↔ RGB, padded square, resized."""
    if x.shape[0] != channels:
        x = x.mean(dim=0, keepdim=True) if channels == 1 else x[:1].expand(channels, -1, -1)  # (channels, H, W)
    h, w = x.shape[-2:]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    x = F.pad(x, (left, side - w - left, top, side - h - top))  # (channels, side, side): centred on black
    if side != size:
        x = F.interpolate(x[None], size=(size, size), mode="area" if side > size else "bilinear")[0]
    return x.clamp(0, 1).contiguous()


def upload_to_input(x: torch.Tensor, channels: int, size: int) -> tuple[torch.Tensor, bool]:
    """An uploaded image made the model's input (fit_to_model), inverted when a grey model meets dark ink on light
    paper (the training digits are light on black); returns (input, whether it was inverted)."""
    inverted = channels == 1 and float(x.mean()) > 0.5  # decided before padding: the padding is black
    return fit_to_model(1 - x if inverted else x, channels, size), inverted
