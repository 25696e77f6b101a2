"""Shared fixtures: tiny random-init RNN, VAE and GAN checkpoints, made once per test session."""

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


@pytest.fixture(scope="session")
def tiny_vae_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-init VAE checkpoint folder, tiny like the RNN's."""
    from engines.vae.engine import VaeEngine
    from engines.vae.model import VaeConfig

    folder = tmp_path_factory.mktemp("tiny-vae")
    config = VaeConfig(embed=8, enc_hidden=16, latent=8, dec_hidden=16, dec_layers=1)
    VaeEngine.from_config(config, device="cpu").save(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_gan_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-init GAN checkpoint folder, tiny like the RNN's."""
    from engines.gan.engine import GanEngine
    from engines.gan.model import GanConfig

    folder = tmp_path_factory.mktemp("tiny-gan")
    config = GanConfig(z_dim=8, g_channels=16, cond_channels=8, d_channels=8)
    GanEngine.from_config(config, device="cpu").save(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_vae(tiny_vae_checkpoint: Path) -> Any:
    """The tiny VAE checkpoint loaded on the CPU (shared: tests must not change it)."""
    import engines

    return engines.load_engine(tiny_vae_checkpoint, "cpu")


@pytest.fixture(scope="session")
def tiny_gan(tiny_gan_checkpoint: Path) -> Any:
    """The tiny GAN checkpoint loaded on the CPU (shared: tests must not change it)."""
    import engines

    return engines.load_engine(tiny_gan_checkpoint, "cpu")
