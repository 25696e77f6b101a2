"""The GAN bars loopback benchmark runs and reports percentiles."""

from __future__ import annotations

from typing import Any

from bridge.bench import bench_gan_bars


def test_bench_gan_bars_tiny(tiny_gan: Any) -> None:
    result = bench_gan_bars(tiny_gan, n=5, warmup=1, bars=8)
    assert result["n"] == 5 and result["bars"] == 8
    assert 0 < result["median_ms"] <= result["p99_ms"] <= result["max_ms"]
