"""Latency benchmarks: timing helpers the CLI and loopback benchmarks share.

No torch at module level: ``bench_rnn_step`` imports it when called.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any


def percentile(sorted_samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of sorted samples, linearly interpolated (as numpy)."""
    if not sorted_samples:
        return math.nan
    pos = (len(sorted_samples) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_samples) - 1)
    return sorted_samples[lo] + (sorted_samples[hi] - sorted_samples[lo]) * (pos - lo)


def summarize(samples_ms: Sequence[float]) -> dict[str, float | int]:
    """Median, p99, mean and max (ms) and the count of latency samples given in ms."""
    s = sorted(float(x) for x in samples_ms)
    n = len(s)
    return {
        "median_ms": percentile(s, 50),
        "p99_ms": percentile(s, 99),
        "mean_ms": sum(s) / n if n else math.nan,
        "max_ms": s[-1] if n else math.nan,
        "n": n,
    }


def bench_rnn_step(engine: Any, n: int = 2000, warmup: int = 200, seed: int = 0) -> dict[str, Any]:
    """Latency of one RNN step (sample the next token, advance the state) on one stream.

    Runs with one torch thread (restored afterwards), as a live stream would on a busy
    machine; each step is timed on its own with ``perf_counter_ns``.
    """
    import torch

    if n < 1 or warmup < 0:
        raise ValueError(f"need n >= 1 and warmup >= 0, got n={n}, warmup={warmup}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        stream = engine.stream(seed)
        for _ in range(warmup):
            stream.sample(1.0)
        samples = []
        for _ in range(n):
            t0 = time.perf_counter_ns()
            stream.sample(1.0)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    finally:
        torch.set_num_threads(threads)
    config = getattr(engine, "config", None)
    return {
        **summarize(samples),
        "warmup": warmup,
        "threads": 1,
        "device": str(getattr(engine, "device", "cpu")),
        "layers": getattr(config, "layers", None),
        "hidden": getattr(config, "hidden", None),
    }


__all__ = ["bench_rnn_step", "summarize", "percentile"]
