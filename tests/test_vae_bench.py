"""The VAE interpolation loopback benchmark runs and reports percentiles."""

from __future__ import annotations

from bridge.bench_vae import bench_vae_interpolate


def test_bench_vae_interpolate_tiny() -> None:
    from engines.vae.engine import VaeEngine
    from engines.vae.model import VaeConfig

    config = VaeConfig(embed=8, enc_hidden=16, latent=8, dec_hidden=16, dec_layers=1)
    result = bench_vae_interpolate(VaeEngine.from_config(config), n=5, points=8, warmup=1)
    assert result["n"] == 5 and result["points"] == 8
    assert 0 < result["median_ms"] <= result["p99_ms"] <= result["max_ms"]
