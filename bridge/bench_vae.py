"""Loopback latency of the VAE's interpolation, request to last reply, through a real daemon.

No torch at module level; the engine is passed in (or loaded by the caller).
"""

from __future__ import annotations

import time
from typing import Any

from bridge.bench import summarize

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
    from sending the request to receiving its last reply message.

    A Daemon on 127.0.0.1 (a free port) serves ``engine`` with one torch thread, as
    ``bridge serve`` does; one client sends the requests one at a time, each with its own
    seed. The previous torch thread count is restored afterwards.
    """
    import torch

    from bridge.daemon import Daemon
    from bridge.osc import OscClient

    if n < 1 or warmup < 0 or not 2 <= points <= 64:
        raise ValueError(f"need n >= 1, warmup >= 0, points 2..64; got {n}, {warmup}, {points}")
    threads = torch.get_num_threads()
    samples: list[float] = []
    try:
        with Daemon({"vae": engine}, port=0) as daemon, OscClient(*daemon.address) as client:
            for i in range(warmup + n):
                t0 = time.perf_counter_ns()
                client.send(
                    "/bridge/vae/interpolate", i, "steps", points, "temperature", temperature,
                    "seed", i, "a", *MELODY_A, "b", *MELODY_B,
                )  # fmt: skip
                got = 0
                while got < points:
                    msg = client.receive(timeout)
                    if msg is None:
                        raise RuntimeError(f"request {i}: {got} of {points} replies in {timeout} s")
                    if msg.address == "/bridge/error":
                        raise RuntimeError(f"request {i} failed: {msg.args}")
                    got += msg.args[:1] == [i]
                if i >= warmup:
                    samples.append((time.perf_counter_ns() - t0) / 1e6)
    finally:
        torch.set_num_threads(threads)
    config = getattr(engine, "config", None)
    return {
        **summarize(samples),
        "points": points,
        "warmup": warmup,
        "threads": 1,
        "device": str(getattr(engine, "device", "cpu")),
        "latent": getattr(config, "latent", None),
        "dec_hidden": getattr(config, "dec_hidden", None),
        "dec_layers": getattr(config, "dec_layers", None),
    }


__all__ = ["bench_vae_interpolate"]
