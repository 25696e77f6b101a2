"""The GAN bars loopback benchmark runs and reports percentiles."""

from __future__ import annotations

from bridge.bench import bench_gan_bars


def test_bench_gan_bars_tiny() -> None:
    from engines.gan.engine import GanEngine
    from engines.gan.model import GanConfig

    config = GanConfig(z_dim=8, g_channels=16, cond_channels=8, d_channels=8)
    result = bench_gan_bars(GanEngine.from_config(config), n=5, warmup=1, bars=8)
    assert result["n"] == 5 and result["bars"] == 8
    assert 0 < result["median_ms"] <= result["p99_ms"] <= result["max_ms"]
