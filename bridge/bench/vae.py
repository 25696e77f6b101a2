"""Loopback latency of the VAE's interpolation, request to last reply, through a real daemon.

No torch at module level; the engine is passed in (or loaded by the caller).
"""

from __future__ import annotations

from typing import Any

from bridge.bench.core import Request, loopback_latency

# Two two-bar melodies (flat pitch start duration velocity), a rising line and a falling one.
MELODY_A = [v for i in range(16) for v in (60 + (i * 7) % 12, i * 0.5, 0.5, 100)]
MELODY_B = [v for i in range(8) for v in (79 - i, i * 1.0, 0.75, 90)]


def bench_vae_interpolate(
    engine: Any,
    n: int = 200,
    points: int = 8,
    warmup: int = 20,
    temperature: float = 1.0,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Latency (ms) of ``/bridge/vae/interpolate`` with ``points`` points over loopback UDP:
    from sending the request to receiving its last reply message (one per point).

    See :func:`bridge.bench.core.loopback_latency`: a real Daemon with one torch thread, one
    client, one request at a time, each with its own seed.
    """
    if not 2 <= points <= 64:
        raise ValueError(f"points must be 2..64, got {points}")

    def request(i: int) -> Request:
        args = ["steps", points, "temperature", temperature, "seed", i]
        return "/bridge/vae/interpolate", [*args, "a", *MELODY_A, "b", *MELODY_B]

    config = getattr(engine, "config", None)
    return {
        **loopback_latency({"vae": engine}, request, points, n, warmup, timeout),
        "points": points,
        "warmup": warmup,
        "threads": 1,
        "device": str(getattr(engine, "device", "cpu")),
        "latent": getattr(config, "latent", None),
        "dec_hidden": getattr(config, "dec_hidden", None),
        "dec_layers": getattr(config, "dec_layers", None),
    }


__all__ = ["bench_vae_interpolate"]
