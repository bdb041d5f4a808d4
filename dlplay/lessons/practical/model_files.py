"""Reading a model file safely (weights only) and rebuilding the network its state_dict belongs to."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from dlplay.lessons.practical.backbone import ColourNet
from dlplay.training.checkpoint import FORMAT as CHECKPOINT_FORMAT

ACCEPTED_FORMATS = (
    "a file from a training panel's **Save** (a dlplay checkpoint: one state_dict per model it trains)",
    "`torch.save(model.state_dict(), path)`: a plain state_dict (parameter name → tensor)",
    "`torch.save({'state_dict': model.state_dict(), ...}, path)`: a dict holding one under 'state_dict' "
    "(or 'model_state_dict'); its other entries are kept as metadata",
)
STATE_DICT_KEYS = ("state_dict", "model_state_dict")
MAX_FILE_BYTES = 200 * 2**20  # a larger upload is refused before reading: dlplay's models are a few MB


class ModelFileError(ValueError):
    """A model file that cannot be used, with the reason in plain words; `kind` says which check failed."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "too_large" | "unsafe" | "torchscript" | "not_pytorch" | "no_state_dict" | "unknown" | "mismatch"


@dataclass
class LoadedModel:
    """A rebuilt network with its weights loaded, and what it expects."""

    model: nn.Module  # in eval mode, on the CPU
    architecture: str  # e.g. "ColourNet(num_classes=5, width=16)"
    input_shape: tuple[int, ...]  # one example's shape, without the batch dimension
    metadata: dict = field(default_factory=dict)  # the file's other entries (non-tensor values only)


def _unpickler_reason(error: Exception) -> str:
    """The WeightsUnpickler's own reason ('Unsupported operand 149'), or ''."""
    match = re.search(r"WeightsUnpickler error:\s*(.+?)\n", str(error) + "\n", flags=re.S)
    return match.group(1).strip() if match else ""


def _refused_global(error: Exception) -> str:
    """The Python name a refused pickle wanted to load ('posix.system', 'exec'), or ''."""
    match = re.search(r"GLOBAL ([\w.]+)", str(error))
    return match.group(1) if match else ""


def read_state_dicts(data: bytes) -> tuple[dict[str, dict[str, torch.Tensor]], dict]:
    """({model name: state_dict}, metadata) from a file's bytes, loaded with weights_only=True: a pickle that would
    run code is refused. A plain state_dict comes back under the name ""."""
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError("too_large", f"The file is {len(data) / 2**20:.0f} MB; this page reads model files up to "
                                          f"{MAX_FILE_BYTES / 2**20:.0f} MB.")
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 — every failure becomes a plain message
        text = str(error)
        if "Weights only load failed" in text:
            name = _refused_global(error)
            if name.startswith(("torch.nn.modules", "torchvision.models")):
                raise ModelFileError("unsafe", "This file is a whole pickled model (`torch.save(model)`), not a state_dict. "
                                     "Unpickling it would run the code it names, so it is refused; save "
                                     "`model.state_dict()` instead.") from None
            if name:
                raise ModelFileError("unsafe", f"Refused: this file asks to run Python code when it is unpickled "
                                     f"(`{name}`). `torch.load(..., weights_only=True)` stopped before running anything: "
                                     "a model file should hold tensors only.") from None
            raise ModelFileError("unsafe", "Refused: this is not a file `torch.save` wrote (weights-only loading met "
                                 f"pickle code it does not allow: {_unpickler_reason(error) or 'unknown'}). An arbitrary "
                                 "pickle can run code when loaded, so it is not read.") from None
        if "TorchScript" in text:
            raise ModelFileError("torchscript", "This is a TorchScript archive (`torch.jit.save`), not a state_dict: "
                                 "`torch.jit.load` reads it, but runs code from the file — use only files you trust.") from None
        detail = f"{type(error).__name__}: {text.splitlines()[0][:120]}" if text.strip() else type(error).__name__
        raise ModelFileError("not_pytorch", f"This is not a PyTorch file that `torch.load` can read ({detail}).") from None
    return split_state_dicts(obj)


def split_state_dicts(obj: object) -> tuple[dict[str, dict[str, torch.Tensor]], dict]:
    """({name: state_dict}, metadata) of a loaded object: a dlplay checkpoint's models, or one state_dict under ""."""
    if isinstance(obj, dict) and obj.get("format") == CHECKPOINT_FORMAT:
        models = obj.get("models")
        if not isinstance(models, dict) or not models:
            raise ModelFileError("no_state_dict", "This dlplay checkpoint holds no model.")
        metadata = {k: obj[k] for k in ("page", "link", "steps", "settings") if k in obj}
        return {str(name): _tensors_only(state) for name, state in models.items()}, metadata
    state_dict, metadata = split_state_dict(obj)
    return {"": state_dict}, metadata


def split_state_dict(obj: object) -> tuple[dict[str, torch.Tensor], dict]:
    """(state_dict, metadata) of a loaded object: a plain state_dict, or a dict with a 'state_dict' entry."""
    if isinstance(obj, dict):
        for key in STATE_DICT_KEYS:
            if isinstance(obj.get(key), dict):
                metadata = {k: v for k, v in obj.items() if k != key and not isinstance(v, torch.Tensor | dict)}
                return _tensors_only(obj[key]), metadata
        if obj and all(isinstance(k, str) for k in obj) and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return dict(obj), {}
    kind = type(obj).__name__
    raise ModelFileError("no_state_dict", f"The file loaded (a {kind}) but holds no state_dict: expected "
                         "parameter names mapped to tensors, or a dict with a 'state_dict' entry.")


def _tensors_only(state_dict: object) -> dict[str, torch.Tensor]:
    if not isinstance(state_dict, dict) or not state_dict or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state_dict.items()):
        raise ModelFileError("no_state_dict", "The file's 'state_dict' entry is not a mapping of names to tensors.")
    return dict(state_dict)


# ----- architectures a state_dict is recognized as -------------------------------------------------------------------
def _colournet(sd: dict[str, torch.Tensor]) -> tuple[nn.Module, str, tuple[int, ...]] | None:
    if "features.0.0.weight" not in sd or "fc.weight" not in sd:
        return None
    width, num_classes = sd["features.0.0.weight"].shape[0], sd["fc.weight"].shape[0]
    return ColourNet(num_classes=num_classes, width=width), f"ColourNet(num_classes={num_classes}, width={width})", (3, 32, 32)


def _linear_indices(sd: dict[str, torch.Tensor], prefix: str) -> list[int]:
    """Indices i of `prefix.i.weight` entries that are 2-D (Linear weights), in order."""
    found = [(int(m.group(1)), k) for k in sd if (m := re.fullmatch(rf"{re.escape(prefix)}(\d+)\.weight", k))]
    return sorted(i for i, k in found if sd[k].dim() == 2)


def _mlp(sd: dict[str, torch.Tensor]) -> tuple[nn.Module, str, tuple[int, ...]] | None:
    from dlplay.models.mlp import MLP

    prefix = next((p for p in ("layers.", "1.layers.") if f"{p}0.weight" in sd), None)
    if prefix is None or any(not k.startswith(prefix) for k in sd):
        return None
    linear = _linear_indices(sd, prefix)
    if len(linear) < 2:
        return None
    # dlplay's MLP lays out Linear, activation, [BatchNorm1d], [Dropout] per hidden layer: the gap between Linear
    # indices says which optional modules are there, and a BatchNorm1d has weights at linear + 2.
    gap = linear[1] - linear[0]
    batch_norm = f"{prefix}{linear[0] + 2}.running_mean" in sd
    dropout = gap - 2 - int(batch_norm) == 1
    widths = [sd[f"{prefix}{i}.weight"].shape[0] for i in linear[:-1]]
    n_in, n_out = sd[f"{prefix}{linear[0]}.weight"].shape[1], sd[f"{prefix}{linear[-1]}.weight"].shape[0]
    mlp = MLP(n_in, widths[0], n_out, hidden_sizes=widths, batch_norm=batch_norm, dropout=0.5 if dropout else 0.0)
    name = f"MLP({n_in}, {widths[0]}, {n_out}, hidden_sizes={widths}" + (", batch_norm=True" if batch_norm else "") + ")"
    if prefix == "1.layers.":  # the precision race's nn.Sequential(nn.Flatten(), MLP(...))
        side = int(round((n_in / 3) ** 0.5))
        shape = (3, side, side) if 3 * side * side == n_in else (n_in,)
        return nn.Sequential(nn.Flatten(), mlp), f"nn.Sequential(nn.Flatten(), {name})", shape
    return mlp, name, (n_in,)


def _cnn(sd: dict[str, torch.Tensor]) -> tuple[nn.Module, str, tuple[int, ...]] | None:
    if "conv_layers.0.weight" not in sd or "fc_layers.4.weight" not in sd:
        return None
    from dlplay.models.cnn import CNN, pooled_size

    convs = [sd[k] for k in sorted((k for k in sd if re.fullmatch(r"conv_layers\.\d+\.weight", k) and sd[k].dim() == 4),
                                   key=lambda k: int(k.split(".")[1]))]
    in_channels, kernel = convs[0].shape[1], convs[0].shape[-1]
    widths = tuple(c.shape[0] for c in convs)
    batch_norm = any(k.endswith("running_mean") for k in sd if k.startswith("conv_layers."))
    hidden, num_classes = sd["fc_layers.1.weight"].shape[0], sd["fc_layers.4.weight"].shape[0]
    flat = sd["fc_layers.1.weight"].shape[1] // widths[-1]  # side² of the last feature maps
    # The input side is not stored: the usual sides first (colour 32, digits 28), else the smallest that fits.
    sides = [s for s in (32, 28, 64, 224) if pooled_size(s, len(widths)) ** 2 == flat]
    image = sides[0] if sides else next(s for s in range(2 ** len(widths), 1025) if pooled_size(s, len(widths)) ** 2 == flat)
    model = CNN(num_classes, in_channels=in_channels, image_size=image, widths=widths, hidden_size=hidden,
                batch_norm=batch_norm, kernel_size=kernel)
    name = f"CNN({num_classes}, in_channels={in_channels}, image_size={image}, widths={widths}, hidden_size={hidden})"
    return model, name, (in_channels, image, image)


def _resnet(sd: dict[str, torch.Tensor]) -> tuple[nn.Module, str, tuple[int, ...]] | None:
    if "conv1.weight" not in sd or "layer1.0.conv1.weight" not in sd or "fc.weight" not in sd:
        return None
    import torchvision.models as tvm

    blocks = tuple(len({k.split(".")[1] for k in sd if k.startswith(f"layer{i}.")}) for i in range(1, 5))
    bottleneck = "layer1.0.conv3.weight" in sd
    known = {((2, 2, 2, 2), False): "resnet18", ((3, 4, 6, 3), False): "resnet34", ((3, 4, 6, 3), True): "resnet50",
             ((3, 4, 23, 3), True): "resnet101", ((3, 8, 36, 3), True): "resnet152"}
    name = known.get((blocks, bottleneck))
    if name is None:
        return None
    num_classes = sd["fc.weight"].shape[0]
    return getattr(tvm, name)(weights=None, num_classes=num_classes), f"torchvision.models.{name}(num_classes={num_classes})", (3, 32, 32)


RECOGNIZERS: tuple[Callable[[dict], tuple[nn.Module, str, tuple[int, ...]] | None], ...] = (_colournet, _mlp, _cnn, _resnet)


def rebuild(state_dict: dict[str, torch.Tensor], metadata: dict | None = None) -> LoadedModel:
    """The network this state_dict belongs to (ColourNet, dlplay's MLP or CNN, torchvision's ResNets), weights loaded."""
    for recognize in RECOGNIZERS:
        try:
            found = recognize(state_dict)
        except (KeyError, IndexError, ValueError, ImportError, RuntimeError, StopIteration):
            found = None
        if found is None:
            continue
        model, architecture, shape = found
        try:
            model.load_state_dict(state_dict, strict=True)
        except RuntimeError as error:
            raise ModelFileError("mismatch", f"The weights look like {architecture} but do not fit it: "
                                 f"{_mismatch_summary(error)}") from None
        return LoadedModel(model.eval(), architecture, shape, dict(metadata or {}))
    keys = ", ".join(list(state_dict)[:4]) + (", …" if len(state_dict) > 4 else "")
    raise ModelFileError("unknown", f"A state_dict, but not of an architecture this page can rebuild (keys: {keys}). It "
                         "rebuilds ColourNet, dlplay's MLP and CNN, and torchvision's ResNets.")


def _mismatch_summary(error: RuntimeError) -> str:
    """The first two lines of load_state_dict's complaint (missing / unexpected keys, size mismatches)."""
    lines = [line.strip() for line in str(error).splitlines()[1:] if line.strip()]
    summary = "; ".join(lines[:2]) or str(error).splitlines()[0]
    return summary[:300]


def read_state_dict(data: bytes, member: str | None = None) -> tuple[dict[str, torch.Tensor], dict]:
    """(state_dict, metadata) of one model of a file: `member` of a checkpoint with several (default: the first)."""
    models, metadata = read_state_dicts(data)
    name = member if member is not None else next(iter(models))
    if name not in models:
        raise ModelFileError("no_state_dict", f"The file holds no model named {name!r} (it holds {', '.join(models)}).")
    return models[name], metadata


def load_model_file(data: bytes, member: str | None = None) -> LoadedModel:
    """A model file's network (one member of a checkpoint), rebuilt and loaded, or a ModelFileError saying why not."""
    state_dict, metadata = read_state_dict(data, member)
    return rebuild(state_dict, metadata)
