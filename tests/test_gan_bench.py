"""The GAN bars loopback benchmark runs and reports percentiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.bench.core import bench_gan_bars


def test_bench_gan_bars_tiny(tiny_gan: Any) -> None:
    result = bench_gan_bars(tiny_gan, n=5, warmup=1, bars=8)
    assert result["n"] == 5 and result["bars"] == 8
    assert 0 < result["median_ms"] <= result["p99_ms"] <= result["max_ms"]


def test_bridge_bench_gan_bars_command(tiny_gan_checkpoint: Path) -> None:
    from click.testing import CliRunner

    from bridge.cli.main import main

    args = ["bench", "--only", "gan-bars", "-n", "3", "--gan", str(tiny_gan_checkpoint)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "gan-bars" in result.output and "p99" in result.output
