"""Latency statistics: percentiles and the median/p99/mean/max summary the benchmarks report."""

from __future__ import annotations

import math
from collections.abc import Sequence


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


__all__ = ["percentile", "summarize"]
