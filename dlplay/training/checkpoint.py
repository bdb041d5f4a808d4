"""Save a run's trained weights with the settings that built them, and load them back safely.

A checkpoint is one file written by `torch.save` that holds only tensors, numbers and strings, so loading it with
`torch.load(..., weights_only=True)` never unpickles code: a foreign pickle is refused before anything runs."""

from __future__ import annotations

import contextlib
import io
import pickle
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

FORMAT = "dlplay-checkpoint"
VERSION = 1
MAX_BYTES = 200 * 2**20  # the largest checkpoint a session may load (a ResNet-18 is ~45 MB)


class CheckpointError(ValueError):
    """A file that cannot be loaded into this run; the message says why, in plain words."""


@dataclass
class LoadedCheckpoint:
    """What a successful load did."""

    steps: int  # optimizer steps the weights had been trained for
    members: list[str]  # the models loaded ("" for a single run)
    with_optimizer: bool  # the optimizer's state came back too (training continues exactly)


def optimizers_of(member: object) -> dict[str, torch.optim.Optimizer]:
    """A run's optimizers by name: `optimizers` (a GAN has two) or its one `optimizer`."""
    if isinstance(getattr(member, "optimizers", None), Mapping):
        return dict(member.optimizers)
    return {"": member.optimizer} if isinstance(getattr(member, "optimizer", None), torch.optim.Optimizer) else {}


def members_of(run: object) -> dict[str, object]:
    """{name: run} for each run of a group, {"": run} for a single run."""
    return dict(getattr(run, "runs", None) or {"": run})


def save_checkpoint(run: object, page: str, settings: Mapping[str, str] | None = None, link: str = "") -> bytes:
    """The run's weights (and optimizer state) with the page, its settings and their link, as bytes."""
    with run.locked() if hasattr(run, "locked") else contextlib.nullcontext():  # a consistent copy, even while playing
        return _save(run, page, settings, link)


def _save(run: object, page: str, settings: Mapping[str, str] | None, link: str) -> bytes:
    members = members_of(run)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "page": page,
        "settings": {str(k): str(v) for k, v in (settings or {}).items()},
        "link": link,
        "steps": {name: int(getattr(m, "steps", 0)) for name, m in members.items()},
        "models": {name: {k: v.detach().cpu() for k, v in m.model.state_dict().items()} for name, m in members.items()},
        "optimizers": {name: {k: _cpu(o.state_dict()) for k, o in optimizers_of(m).items()} for name, m in members.items()},
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def _cpu(value):
    """A nested structure with every tensor moved to the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cpu(v) for v in value)
    return value


def read_checkpoint(data: bytes, max_bytes: int = MAX_BYTES) -> dict:
    """Unpack a file without running any code in it; CheckpointError names what is wrong with a bad one."""
    if len(data) > max_bytes:
        raise CheckpointError(f"The file is {len(data) / 2**20:.1f} MB; a model file may be at most "
                              f"{max_bytes / 2**20:.0f} MB.")
    if len(data) == 0:
        raise CheckpointError("The file is empty.")
    if not data.startswith((b"PK", b"\x80")):  # torch.save's zip archive, or a (legacy) pickle
        raise CheckpointError("The file could not be read: it is not a file saved by PyTorch.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pickle-protocol notes from the weights-only unpickler
            payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "weights_only" in str(error) or "Weights only" in str(error):
            raise CheckpointError("The file contains Python objects other than tensors and numbers — a pickle that "
                                  "could run code when loaded. It was refused and nothing in it was run.") from None
        raise CheckpointError("The file is not a model saved by PyTorch (it could not be read).") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, KeyError) as error:
        hint = "it is cut short or damaged" if data[:2] == b"PK" else "it is not a file saved by PyTorch"
        raise CheckpointError(f"The file could not be read: {hint} ({type(error).__name__}).") from None
    if isinstance(payload, Mapping) and payload.get("format") == FORMAT:
        return dict(payload)
    if isinstance(payload, Mapping) and payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
        return {"format": FORMAT, "page": None, "settings": {}, "link": "", "steps": {"": 0}, "models": {"": dict(payload)},
                "optimizers": {}}  # a plain state_dict, as torch.save(model.state_dict()) writes it
    raise CheckpointError("This is a PyTorch file, but not a model saved by dlplay (nor a plain state_dict).")


def _mismatches(model: nn.Module, state: Mapping[str, torch.Tensor]) -> list[str]:
    """How a state_dict differs from a model's: missing, unexpected and differently shaped entries."""
    own = model.state_dict()
    problems = [f"missing {k}" for k in own if k not in state]
    problems += [f"unexpected {k}" for k in state if k not in own]
    problems += [f"{k}: {tuple(state[k].shape)} in the file, {tuple(v.shape)} here" for k, v in own.items()
                 if k in state and isinstance(state[k], torch.Tensor) and state[k].shape != v.shape]
    return problems


def load_checkpoint(data: bytes, run: object, page: str, max_bytes: int = MAX_BYTES) -> LoadedCheckpoint:
    """Load a file into the run, all or nothing: on any problem CheckpointError, and the run is left untouched."""
    payload = read_checkpoint(data, max_bytes)
    saved_page = payload.get("page")
    if saved_page not in (None, page):
        raise CheckpointError(f"This file was saved on another page ({saved_page}); open that page to load it.")
    members, models = members_of(run), payload.get("models") or {}
    link = payload.get("link") or ""
    restore = f" Open the link it was saved with to get the same settings: {link}" if link else ""
    if set(models) != set(members):
        saved = ", ".join(sorted(n or "one model" for n in models))
        here = ", ".join(sorted(n or "one model" for n in members))
        raise CheckpointError(f"The file holds {saved}; this page trains {here}: the settings differ.{restore}")
    for name, member in members.items():
        if problems := _mismatches(member.model, models[name]):
            shown = "; ".join(problems[:4]) + (f"; and {len(problems) - 4} more" if len(problems) > 4 else "")
            who = f" ({name})" if name else ""
            raise CheckpointError(f"The file was saved from a different architecture{who}: {shown}.{restore}")
    saved_optimizers = payload.get("optimizers") or {}
    with_optimizer = all(set(saved_optimizers.get(name) or {}) == set(optimizers_of(m)) and optimizers_of(m)
                         for name, m in members.items())
    lock = run.locked() if hasattr(run, "locked") else contextlib.nullcontext()
    with lock:
        for name, member in members.items():
            member.model.load_state_dict(models[name])
            if with_optimizer:
                try:
                    for key, optimizer in optimizers_of(member).items():
                        optimizer.load_state_dict(saved_optimizers[name][key])
                except (ValueError, KeyError, RuntimeError):
                    with_optimizer = False  # another optimizer than the one saved: the weights alone still load
            steps = int((payload.get("steps") or {}).get(name, 0))
            if steps and hasattr(member, "steps"):
                try:
                    member.steps = steps
                except AttributeError:
                    pass  # a run whose step count is computed
    steps = max((int(s) for s in (payload.get("steps") or {"": 0}).values()), default=0)
    return LoadedCheckpoint(steps=steps, members=list(members), with_optimizer=with_optimizer)
