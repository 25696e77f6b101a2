"""The models. Torch lives here; nothing here knows OSC, ports or time.

``ENGINES`` is the registry: an engine's name and where its class is (imported only when
asked for). Every engine implements :class:`engines.base.Engine`; adding one is a line here
and a folder beside this file. ``load_engine(name_or_path, device)`` takes a registered
engine name (its shipped checkpoint) or a checkpoint folder; an unknown name fails with the
list of known ones.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engines.base import Engine

ENGINES: dict[str, str] = {
    "rnn": "engines.rnn.engine:RnnEngine",
    "vae": "engines.vae.engine:VaeEngine",
    "gan": "engines.gan.engine:GanEngine",
    "ngram": "engines.ngram.engine:NgramEngine",
    "harmony": "engines.harmony.engine:HarmonyEngine",
    "perf": "engines.perf.engine:PerfEngine",
}

CHECKPOINTS = Path(__file__).parent / "checkpoints"


def available_engines() -> list[str]:
    return sorted(ENGINES)


def engine_class(name: str) -> type[Engine]:
    """The engine class registered under ``name``, imported lazily."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; available: {', '.join(available_engines())}")
    module, cls = ENGINES[name].split(":")
    return getattr(importlib.import_module(module), cls)


def default_checkpoint(name: str) -> Path:
    return CHECKPOINTS / name


def load_engine(name_or_path: str | Path, device: str = "auto") -> Engine:
    """An engine from its registered name (shipped checkpoint) or a checkpoint folder.

    Whatever is wrong with the checkpoint raises :class:`engines.checkpoint.CheckpointError`
    (a ValueError) with a one-line message naming the folder or file.
    """
    from engines.checkpoint import CheckpointError, checkpoint_engine, one_line, resolve_device

    resolve_device(device)  # a device that is not there is no fault of the checkpoint
    path = Path(name_or_path)
    if str(name_or_path) in ENGINES:
        name, path = str(name_or_path), default_checkpoint(str(name_or_path))
        if not (path / "config.json").is_file():
            raise CheckpointError(path, f"no shipped checkpoint for engine {name!r}")
    elif path.is_dir():
        name = checkpoint_engine(path)
        if name not in ENGINES:
            raise CheckpointError(
                path / "config.json",
                f"names engine {name!r}, not one of {', '.join(available_engines())}",
            )
    else:
        raise CheckpointError(
            path, f"neither an engine ({', '.join(available_engines())}) nor a checkpoint folder"
        )
    try:
        engine = engine_class(name).load(path, device=device)
    except CheckpointError:
        raise
    except ValueError as exc:
        raise CheckpointError(path, str(exc)) from None
    except Exception as exc:  # whatever else a damaged checkpoint makes a loader raise
        raise CheckpointError(
            path, f"cannot load ({type(exc).__name__}: {one_line(exc)})"
        ) from None
    engine.folder = path
    return engine
