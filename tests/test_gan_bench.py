"""The GAN bars loopback benchmark, through ``bridge bench``, runs and reports percentiles."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bridge.cli.main import main


def test_bridge_bench_gan_bars_command(
    tmp_path: Path,
    tiny_rnn_checkpoint: Path,
    tiny_vae_checkpoint: Path,
    tiny_gan_checkpoint: Path,
) -> None:
    out = tmp_path / "bench.json"
    args = ["bench", "--only", "gan-bars", "-n", "5", "--json", str(out), "--device", "cpu",
            "--rnn", str(tiny_rnn_checkpoint), "--vae", str(tiny_vae_checkpoint),
            "--gan", str(tiny_gan_checkpoint)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "gan-bars" in result.output and "p99" in result.output
    figures = json.loads(out.read_text())["gan-bars"]
    assert figures["n"] == 5 and figures["bars"] == 8
    assert 0 < figures["median_ms"] <= figures["p99_ms"] <= figures["max_ms"]
