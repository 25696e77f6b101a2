"""Shared fixtures: a tiny random-init RNN checkpoint, made once per test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def tiny_rnn_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-init RNN checkpoint folder small enough to load and sample in milliseconds."""
    from engines.rnn.engine import RnnEngine
    from engines.rnn.model import RnnConfig

    folder = tmp_path_factory.mktemp("tiny-rnn")
    RnnEngine.from_config(RnnConfig(embed=16, hidden=32, layers=1), device="cpu").save(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_rnn(tiny_rnn_checkpoint: Path) -> Any:
    """The tiny checkpoint loaded on the CPU (shared: engines are read-only when serving)."""
    import engines

    return engines.load_engine(tiny_rnn_checkpoint, "cpu")
