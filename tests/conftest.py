"""Shared fixtures: a tiny random-init checkpoint of every registered engine, made once per
test session (``engines.engine_class(name).tiny()``), and each loaded on the CPU.

``tiny_checkpoints`` and ``tiny_engines`` map engine names to them; ``tiny_<name>_checkpoint``
and ``tiny_<name>`` are one engine's, made for every registered engine (a new engine gets its
fixtures free).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engines


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every registered engine's tiny checkpoint folder, by engine name."""
    folders = {}
    for name in engines.available_engines():
        folder = tmp_path_factory.mktemp(f"tiny-{name}")
        engines.engine_class(name).tiny().save(folder)
        folders[name] = folder
    return folders


@pytest.fixture(scope="session")
def tiny_engines(tiny_checkpoints: dict[str, Path]) -> dict[str, Any]:
    """Every tiny checkpoint loaded on the CPU (shared: engines are read-only when serving,
    so tests must not change them)."""
    return {name: engines.load_engine(f, "cpu") for name, f in tiny_checkpoints.items()}


def _engine_fixtures(name: str) -> tuple[Callable[..., Path], Callable[..., Any]]:
    @pytest.fixture(scope="session", name=f"tiny_{name}_checkpoint")
    def checkpoint(tiny_checkpoints: dict[str, Path]) -> Path:
        return tiny_checkpoints[name]

    @pytest.fixture(scope="session", name=f"tiny_{name}")
    def engine(tiny_engines: dict[str, Any]) -> Any:
        return tiny_engines[name]

    return checkpoint, engine


for _name in engines.available_engines():
    # pytest finds fixtures among a conftest's module attributes, so each gets a name here
    globals()[f"tiny_{_name}_checkpoint"], globals()[f"tiny_{_name}"] = _engine_fixtures(_name)
