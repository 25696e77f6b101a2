"""The models. Torch lives here; nothing here knows OSC, ports or time.

``ENGINES`` is the registry: an engine's name and where its class is (imported only when
asked for). Every engine implements :class:`engines.base.Engine`; adding one is a line here
and a folder beside this file. ``load_engine(name_or_path, device)`` takes a registered
engine name (its shipped checkpoint) or a checkpoint folder; an unknown name fails with the
list of known ones.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engines.base import Engine

ENGINES: dict[str, str] = {
    "rnn": "engines.rnn.engine:RnnEngine",
    "vae": "engines.vae.engine:VaeEngine",
    "gan": "engines.gan.engine:GanEngine",
    "ngram": "engines.ngram.engine:NgramEngine",
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
    """An engine from its registered name (shipped checkpoint) or a checkpoint folder."""
    path = Path(name_or_path)
    if str(name_or_path) in ENGINES:
        name, path = str(name_or_path), default_checkpoint(str(name_or_path))
    elif (path / "config.json").is_file():
        name = json.loads((path / "config.json").read_text()).get("engine", "")
    else:
        raise ValueError(
            f"{name_or_path!r} is neither an engine ({', '.join(available_engines())}) "
            "nor a checkpoint folder with config.json"
        )
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no shipped checkpoint for engine {name!r} at {path}")
    engine = engine_class(name).load(path, device=device)
    engine.folder = path
    return engine
