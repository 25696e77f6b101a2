"""The VAE interpolation loopback benchmark, through ``bridge bench``, runs and reports
percentiles."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bridge.cli.main import main


def test_bench_vae_interpolate_tiny(
    tmp_path: Path,
    tiny_rnn_checkpoint: Path,
    tiny_vae_checkpoint: Path,
    tiny_gan_checkpoint: Path,
) -> None:
    out = tmp_path / "bench.json"
    args = ["bench", "--only", "vae-interpolate", "-n", "5", "--json", str(out), "--device",
            "cpu", "--rnn", str(tiny_rnn_checkpoint), "--vae", str(tiny_vae_checkpoint),
            "--gan", str(tiny_gan_checkpoint)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())["vae-interpolate"]
    assert figures["n"] == 5 and figures["points"] == 8
    assert 0 < figures["median_ms"] <= figures["p99_ms"] <= figures["max_ms"]
