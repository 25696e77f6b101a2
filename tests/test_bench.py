import math

import numpy as np
import pytest
import torch

from bridge.bench.core import bench_rnn_step, percentile, summarize
from engines.rnn.engine import RnnEngine
from engines.rnn.model import RnnConfig


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


def test_bench_rnn_step_times_single_steps_and_restores_threads():
    engine = RnnEngine.from_config(RnnConfig(embed=16, hidden=32, layers=1), "cpu")
    threads = torch.get_num_threads()
    r = bench_rnn_step(engine, n=50, warmup=5)
    assert torch.get_num_threads() == threads
    assert r["n"] == 50 and r["threads"] == 1
    assert 0 < r["median_ms"] <= r["p99_ms"] <= r["max_ms"]
    with pytest.raises(ValueError):
        bench_rnn_step(engine, n=0)
