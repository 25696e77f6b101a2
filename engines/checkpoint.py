"""Checkpoints: a folder holding ``config.json`` and ``model.safetensors``.

``config.json`` names the engine and carries the model's hyperparameters, so loading
rebuilds the exact architecture; it also carries free-form training notes. Loading never
unpickles, and refuses a checkpoint written for another engine.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import load_file, save_file

C = TypeVar("C")
M = TypeVar("M", bound=torch.nn.Module)

FORMAT_VERSION = 1


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` takes CUDA when present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda was asked for but no CUDA device is available")
    return torch.device(device)


def save_checkpoint(
    path: str | Path,
    engine: str,
    config: Any,
    model: torch.nn.Module,
    extra: dict[str, Any] | None = None,
    tensors: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write ``config.json`` (engine, config dataclass, extra) and ``model.safetensors``.

    ``tensors`` are saved beside the weights under a ``extra.`` prefix (for example a
    VAE's attribute vectors).
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for k, v in (tensors or {}).items():
        state[f"extra.{k}"] = v.detach().cpu().contiguous()
    save_file(state, str(folder / "model.safetensors"))
    return write_config(folder, engine, config, extra)


def write_config(
    path: str | Path, engine: str, config: Any, extra: dict[str, Any] | None = None
) -> Path:
    """Write a checkpoint's ``config.json``: format, engine, the config dataclass and the
    extra notes, with today's date as ``trained``. For an engine whose weights are not a
    torch module (it writes ``model.safetensors`` itself)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    # when it was trained travels with it (``/bridge/describe`` shows it)
    notes = {**(extra or {}), "trained": datetime.date.today().isoformat()}
    meta = {
        "format": FORMAT_VERSION,
        "engine": engine,
        "config": asdict(config),
        "extra": notes,
    }
    (folder / "config.json").write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def read_config(path: str | Path, engine: str, config_cls: type[C]) -> tuple[C, dict[str, Any]]:
    """The config dataclass and extra notes of a checkpoint, refusing another engine's."""
    folder = Path(path)
    cfg_file = folder / "config.json"
    if not cfg_file.is_file():
        raise FileNotFoundError(f"no config.json in checkpoint folder {folder}")
    meta = json.loads(cfg_file.read_text())
    if meta.get("engine") != engine:
        raise ValueError(
            f"checkpoint {folder} is for engine {meta.get('engine')!r}, not {engine!r}"
        )
    known = {f.name for f in fields(config_cls)}  # type: ignore[arg-type]
    config = config_cls(**{k: v for k, v in meta["config"].items() if k in known})
    return config, meta.get("extra", {})


def load_weights(
    path: str | Path, model: torch.nn.Module, device: torch.device
) -> dict[str, torch.Tensor]:
    """Load ``model.safetensors`` into ``model`` (strictly); return the extra tensors."""
    state = load_file(str(Path(path) / "model.safetensors"), device=str(device))
    extra = {k[len("extra.") :]: v for k, v in state.items() if k.startswith("extra.")}
    weights = {k: v for k, v in state.items() if not k.startswith("extra.")}
    model.load_state_dict(weights, strict=True)
    return extra


def load_model(
    path: str | Path,
    engine: str,
    config_cls: type[C],
    model_cls: Callable[[C], M],
    device: str = "auto",
) -> tuple[M, torch.device, dict[str, Any], dict[str, torch.Tensor]]:
    """Rebuild a checkpoint's model on ``device``, refusing another engine's checkpoint.

    Returns the model, the resolved device, the extra notes and the extra tensors.
    """
    config, extra = read_config(path, engine, config_cls)
    dev = resolve_device(device)
    model = model_cls(config)
    tensors = load_weights(path, model, dev)
    return model, dev, extra, tensors
