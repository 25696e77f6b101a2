"""Latency benchmarks: timing helpers the CLI and loopback benchmarks share.

No torch at module level: ``bench_rnn_step`` imports it when called. The statistics
(``percentile``, ``summarize``) are in ``bridge.stats``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from bridge.cli.common import LISTENING
from bridge.stats import percentile, summarize


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


Request = tuple[str, list[Any]]  # address, arguments after the id


def loopback_latency(
    engines: Mapping[str, Any],
    request: Callable[[int], Request],
    replies: int | None = 1,
    n: int = 500,
    warmup: int = 20,
    timeout: float = 10.0,
) -> dict[str, float | int]:
    """Latency (ms) of a request over loopback UDP through a real Daemon, from sending it to
    receiving its last reply (``replies`` messages carry its id; ``None``: as many as the
    first reply's count says, for indexed replies ``<id> <index> <count> <notes...>``).

    The Daemon serves ``engines`` on 127.0.0.1 (a free port) with one torch thread, as
    ``bridge serve`` does; one client sends ``request(i)`` (address and the arguments after
    the id) one at a time. The caller's torch thread count is restored afterwards.
    """
    import torch

    from bridge.server.daemon import Daemon
    from bridge.server.osc import OscClient

    if n < 1 or warmup < 0:
        raise ValueError(f"need n >= 1 and warmup >= 0, got n={n}, warmup={warmup}")
    threads = torch.get_num_threads()
    samples: list[float] = []
    try:
        with Daemon(engines, port=0) as daemon, OscClient(*daemon.address) as client:
            for i in range(warmup + n):
                address, args = request(i)
                t0 = time.perf_counter_ns()
                client.send(address, i, *args)
                got, expected = 0, replies
                while expected is None or got < expected:
                    msg = client.receive(timeout)
                    if msg is None:
                        raise RuntimeError(f"{address} {i}: {got} of {expected} replies")
                    if msg.address == "/bridge/error":
                        raise RuntimeError(f"{address} {i} failed: {msg.args}")
                    if msg.args[:1] == [i]:
                        got += 1
                        expected = int(msg.args[2]) if expected is None else expected
                if i >= warmup:
                    samples.append((time.perf_counter_ns() - t0) / 1e6)
    finally:
        torch.set_num_threads(threads)
    return summarize(samples)


def bench_serve_startup(runs: int = 3, timeout: float = 60.0) -> dict[str, Any]:
    """Seconds from starting ``bridge serve --port 0`` (shipped engines) to its first pong.

    A client pings the printed port every 20 ms from the moment the port is known; the
    clock starts before the process is spawned, so interpreter start and engine loading
    count.
    """
    from bridge.server.osc import OscClient

    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", "serve", "--port", "0", "--device", "cpu"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            port = _wait_for_port(proc, t0 + timeout)
            with OscClient("127.0.0.1", port) as client:
                while time.perf_counter() < t0 + timeout:
                    client.send("/bridge/ping", 1)
                    msg = client.receive(0.02)
                    if msg is not None and msg.address == "/bridge/pong":
                        seconds.append(time.perf_counter() - t0)
                        break
                else:
                    raise RuntimeError(f"no pong within {timeout} s")
        finally:
            proc.terminate()
            proc.wait(10)
    return {
        "median_s": percentile(sorted(seconds), 50),
        "max_s": max(seconds),
        "n": len(seconds),
    }


def _wait_for_port(proc: subprocess.Popen, deadline: float) -> int:
    """The port from serve's ``bridge listening on HOST:PORT with ...`` line."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if m := LISTENING.fullmatch(line.strip()):
            return int(m.group(2))
        if time.perf_counter() > deadline:
            break
    raise RuntimeError(f"bridge serve printed no listening line (exit code {proc.poll()})")


__all__ = [
    "bench_rnn_step",
    "bench_serve_startup",
    "loopback_latency",
]
