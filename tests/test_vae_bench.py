"""The VAE interpolation loopback benchmark runs and reports percentiles."""

from __future__ import annotations

from typing import Any

from bridge.bench.vae import bench_vae_interpolate


def test_bench_vae_interpolate_tiny(tiny_vae: Any) -> None:
    result = bench_vae_interpolate(tiny_vae, n=5, points=8, warmup=1)
    assert result["n"] == 5 and result["points"] == 8
    assert 0 < result["median_ms"] <= result["p99_ms"] <= result["max_ms"]
