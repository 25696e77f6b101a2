"""The latency statistics, and ``bridge bench --only rnn-step`` on a tiny RNN."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from bridge.cli.main import main
from bridge.stats import percentile, summarize


def test_summarize_agrees_with_numpy():
    x = np.random.default_rng(0).exponential(2.0, size=301)
    s = summarize(list(x))
    assert s["n"] == 301
    assert s["median_ms"] == pytest.approx(np.median(x))
    assert s["p99_ms"] == pytest.approx(np.percentile(x, 99))
    assert s["mean_ms"] == pytest.approx(x.mean())
    assert s["max_ms"] == pytest.approx(x.max())


def test_summarize_edge_cases():
    assert summarize([3.0])["p99_ms"] == 3.0
    empty = summarize([])
    assert empty["n"] == 0 and math.isnan(empty["median_ms"])
    assert percentile([1.0, 2.0], 50) == 1.5


def test_bench_rnn_step_times_single_steps_and_restores_threads(
    tmp_path: Path,
    tiny_rnn_checkpoint: Path,
    tiny_vae_checkpoint: Path,
    tiny_gan_checkpoint: Path,
):
    out = tmp_path / "bench.json"
    args = ["bench", "--only", "rnn-step", "-n", "50", "--json", str(out), "--device", "cpu",
            "--rnn", str(tiny_rnn_checkpoint), "--vae", str(tiny_vae_checkpoint),
            "--gan", str(tiny_gan_checkpoint)]  # fmt: skip
    threads = torch.get_num_threads()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert torch.get_num_threads() == threads
    r = json.loads(out.read_text())["rnn-step"]
    assert r["n"] == 50 and r["threads"] == 1
    assert 0 < r["median_ms"] <= r["p99_ms"] <= r["max_ms"]
    # No benchmark runs zero times: the command refuses -n 0 before loading anything.
    refused = CliRunner().invoke(main, ["bench", "--only", "rnn-step", "-n", "0"])
    assert refused.exit_code == 2 and "-n" in refused.output
