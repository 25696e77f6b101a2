"""Checkpoints: a folder holding ``config.json`` and ``model.safetensors``.

``config.json`` names the engine and carries the model's hyperparameters, so loading
rebuilds the exact architecture; it also carries free-form training notes. Loading never
unpickles, and refuses a checkpoint written for another engine.

Every way a checkpoint can fail to load (a missing folder or file, JSON that does not parse,
config values of the wrong type, missing or unknown keys, another engine's checkpoint,
weights that do not fit the config, a truncated or damaged safetensors file) raises one
:class:`CheckpointError`: a ``ValueError`` whose message is one line naming the folder or
file and the problem. Files are written to a temporary name and renamed, so a run stopped
while saving leaves the previous checkpoint whole.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import types
import typing
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import load_file, save_file

C = TypeVar("C")
M = TypeVar("M", bound=torch.nn.Module)

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
DAMAGED = "copy it again or train a new one"


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded. The message is one line: where, and what is wrong."""

    def __init__(self, where: str | Path | None, problem: str) -> None:
        super().__init__(one_line(problem if where is None else f"{where}: {problem}"))


def one_line(text: str, limit: int = 400) -> str:
    """``text`` on one line (whitespace runs become one space), cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` a temporary file beside ``path``, then rename it to ``path``: a run stopped
    while writing never leaves half a file under the real name."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
    replace_atomically(folder / WEIGHTS_FILE, lambda tmp: save_file(state, str(tmp)))
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
    text = json.dumps(meta, indent=2) + "\n"
    replace_atomically(folder / CONFIG_FILE, lambda tmp: tmp.write_text(text))
    return folder


def read_meta(path: str | Path) -> dict[str, Any]:
    """A checkpoint's ``config.json`` as a dict with an ``engine`` name and a ``config`` dict."""
    folder = Path(path)
    cfg_file = folder / CONFIG_FILE
    if not folder.is_dir():
        raise CheckpointError(folder, "no such checkpoint folder")
    if not cfg_file.is_file():
        raise CheckpointError(folder, f"not a checkpoint folder: it has no {CONFIG_FILE}")
    try:
        meta = json.loads(cfg_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(cfg_file, f"unreadable ({exc}); {DAMAGED}") from None
    if not isinstance(meta, dict):
        raise CheckpointError(cfg_file, f"holds {type(meta).__name__}, not a JSON object")
    if not isinstance(meta.get("engine"), str):
        raise CheckpointError(cfg_file, 'names no engine (no "engine" string)')
    if not isinstance(meta.get("config"), dict):
        raise CheckpointError(cfg_file, 'holds no "config" object')
    if not isinstance(meta.get("extra", {}), dict):
        raise CheckpointError(cfg_file, '"extra" is not a JSON object')
    return meta


def checkpoint_engine(path: str | Path) -> str:
    """The engine name a checkpoint folder's ``config.json`` gives."""
    return str(read_meta(path)["engine"])


def _type_ok(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a config field's type (int, float, bool, str, X | None)."""
    if hint is Any:
        return True
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_type_ok(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok and math.isfinite(value)
    origin = typing.get_origin(hint) or hint
    if origin is tuple and isinstance(value, list):  # JSON has no tuples: a list stands in
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return all(_type_ok(v, args[0]) for v in value) if len(args) == 1 else not args
    return isinstance(origin, type) and isinstance(value, origin)


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def read_config(path: str | Path, engine: str, config_cls: type[C]) -> tuple[C, dict[str, Any]]:
    """The config dataclass and extra notes of a checkpoint, refusing another engine's and
    any config that lacks a key, has an unknown one or a value of the wrong type."""
    folder = Path(path)
    meta = read_meta(folder)
    if meta["engine"] != engine:
        raise CheckpointError(
            folder, f"checkpoint is for engine {meta['engine']!r}, not {engine!r}"
        )
    cfg_file = folder / CONFIG_FILE
    values = meta["config"]
    hints = typing.get_type_hints(config_cls)
    names = [f.name for f in fields(config_cls)]  # type: ignore[arg-type]
    missing = [n for n in names if n not in values]
    unknown = [k for k in values if k not in names]
    if missing:
        raise CheckpointError(
            cfg_file, f"config lacks {', '.join(missing)} (written by another version?)"
        )
    if unknown:
        raise CheckpointError(
            cfg_file, f"config has unknown key(s) {', '.join(map(str, unknown))} for {engine}"
        )
    for name in names:
        if not _type_ok(values[name], hints[name]):
            raise CheckpointError(
                cfg_file,
                f"config {name} must be {_type_name(hints[name])}, got {values[name]!r}",
            )
        value = values[name]
        # sizes, counts, rates, pitches: no engine's config holds a negative number
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise CheckpointError(cfg_file, f"config {name} must be >= 0, got {value!r}")
    try:
        config = config_cls(**values)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(cfg_file, f"config does not fit {engine}: {exc}") from None
    return config, meta.get("extra", {})


def read_tensors(path: str | Path, device: str = "cpu", framework: str = "pt") -> dict[str, Any]:
    """Every tensor of a checkpoint's ``model.safetensors`` (torch tensors on ``device``, or
    numpy arrays with ``framework="np"``); a missing, empty, truncated or damaged file is a
    :class:`CheckpointError`."""
    file = Path(path) / WEIGHTS_FILE
    if not file.is_file():
        raise CheckpointError(Path(path), f"no {WEIGHTS_FILE} beside {CONFIG_FILE}")
    if file.stat().st_size == 0:
        raise CheckpointError(
            None, f"{WEIGHTS_FILE} in {file.parent} is corrupt or truncated (empty); {DAMAGED}"
        )
    try:
        if framework == "np":
            from safetensors.numpy import load_file as load_numpy

            return dict(load_numpy(str(file)))
        return dict(load_file(str(file), device=device))
    except Exception as exc:  # safetensors raises its own error type for every damage
        problem = str(exc).removeprefix("Error while deserializing header: ")
        raise CheckpointError(
            None, f"{WEIGHTS_FILE} in {file.parent} is corrupt or truncated ({problem}); {DAMAGED}"
        ) from None


def check_weights(
    path: str | Path, model: torch.nn.Module, weights: dict[str, torch.Tensor]
) -> None:
    """Refuse weights whose names or shapes differ from ``model``'s, or that hold NaN/inf."""
    folder = Path(path)
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = [k for k in want if k not in weights]
    unknown = [k for k in weights if k not in want]
    wrong = [k for k in want if k in weights and tuple(weights[k].shape) != want[k]]
    head = f"{CONFIG_FILE} in {folder} does not match its weights ({WEIGHTS_FILE})"
    if wrong:
        k = wrong[0]
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        raise CheckpointError(
            None,
            f"{head}: {k} has shape {list(weights[k].shape)} where {CONFIG_FILE} needs "
            f"{list(want[k])}{more}",
        )
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"lacks {', '.join(missing[:3])}" + ("..." if len(missing) > 3 else ""))
        if unknown:
            extra = ", ".join(unknown[:3]) + ("..." if len(unknown) > 3 else "")
            parts.append(f"has unknown {extra}")
        raise CheckpointError(None, f"{head}: the weights {' and '.join(parts)}")
    for k, v in weights.items():
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise CheckpointError(
                folder / WEIGHTS_FILE, f"{k} holds NaN or infinite values; {DAMAGED}"
            )


def load_weights(
    path: str | Path, model: torch.nn.Module, device: torch.device
) -> dict[str, torch.Tensor]:
    """Load ``model.safetensors`` into ``model`` (strictly); return the extra tensors."""
    weights, extra = split_extra(read_tensors(path, str(device)))
    check_weights(path, model, weights)
    model.load_state_dict(weights, strict=True)
    return extra


def split_extra(
    state: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """A safetensors file's tensors -> (the model's weights, the ``extra.`` tensors)."""
    extra = {k[len("extra.") :]: v for k, v in state.items() if k.startswith("extra.")}
    weights = {k: v for k, v in state.items() if not k.startswith("extra.")}
    return weights, extra


def build_model(path: str | Path, model_cls: Callable[[C], M], config: C, device: str) -> M:
    """``model_cls(config)`` on ``device``; config values that build no model (a negative
    size, say) are a CheckpointError."""
    cfg_file = Path(path) / CONFIG_FILE
    try:
        with torch.device(device):
            return model_cls(config)
    except (RuntimeError, ValueError, TypeError, OverflowError, MemoryError) as exc:
        raise CheckpointError(cfg_file, f"config builds no model: {exc}") from None


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
    # the shapes are checked against a model on the meta device (no memory) before the real
    # one is built: absurd sizes in config.json fail at once instead of filling the memory
    weights, tensors = split_extra(read_tensors(path, "cpu"))
    check_weights(path, build_model(path, model_cls, config, "meta"), weights)
    model = build_model(path, model_cls, config, "cpu")
    model.load_state_dict(weights, strict=True)
    return model.to(dev), dev, extra, {k: v.to(dev) for k, v in tensors.items()}
