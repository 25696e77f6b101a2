"""A private JACK server (``jackd -d dummy``) for the JACK MIDI benchmarks and tests.

Its name is in JACK_DEFAULT_SERVER while it runs, so JACK clients made meanwhile (rtmidi's
included) join it and never a JACK server of the user's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

JACK_RATE = 48_000
JACK_PERIOD = 64


def server_name(prefix: str) -> str:
    """``prefix`` itself unless a JACK server of that name answers, else ``prefix-pid``.

    A jackd that dies without ending cleanly keeps its slot in JACK's machine-wide registry of
    servers (8 at most), and only a later server of the same name takes the slot back: names
    that change with every run (a pid) would fill the registry for good, one dead jackd at a
    time ("Too many servers already active", seen in CI). Prefixes end in ``-jackd``: a
    server named like one of its clients (``bridge-bench``) refused a second client of that
    process (measured)."""
    env = {**os.environ, "JACK_DEFAULT_SERVER": prefix, "JACK_NO_START_SERVER": "1"}
    probe = subprocess.run(["jack_lsp"], capture_output=True, env=env, timeout=10)
    return prefix if probe.returncode != 0 else f"{prefix}-{os.getpid()}"


def spawn_jackd(
    name: str, *, rate: int, period: int, env: dict[str, str], output: Any
) -> subprocess.Popen[Any]:
    """Start ``jackd -n name -d dummy`` (not waiting for it), its output to ``output``."""
    return subprocess.Popen(
        ["jackd", "-n", name, "-d", "dummy", "-r", str(rate), "-p", str(period)],
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        env=env,
    )


@contextmanager
def jack_server(
    period: int = JACK_PERIOD,
    rate: int = JACK_RATE,
    timeout: float = 20.0,
    prefix: str = "bench-jackd",
) -> Iterator[str]:
    """A private ``jackd -d dummy``; its name is in JACK_DEFAULT_SERVER meanwhile.

    RuntimeError, with jackd's output, when it does not answer ``jack_lsp`` within ``timeout``.
    """
    jackd = shutil.which("jackd")
    if jackd is None:
        raise RuntimeError("jackd is not installed (Debian package jackd2)")
    name = server_name(prefix)
    env = {**os.environ, "JACK_NO_AUDIO_RESERVATION": "1", "JACK_NO_START_SERVER": "1"}
    # jackd's output goes to a file, not a pipe: nothing reads it while it runs.
    output = tempfile.TemporaryFile("w+")
    proc = spawn_jackd(name, rate=rate, period=period, env=env, output=output)
    saved = {k: os.environ.get(k) for k in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")}
    os.environ.update(JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1")
    try:
        deadline = time.monotonic() + timeout
        while subprocess.run(["jack_lsp"], capture_output=True, timeout=10).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                output.seek(0)
                raise RuntimeError(f"jackd did not start: {output.read()}")
            time.sleep(0.1)
        yield name
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        output.close()


__all__ = ["JACK_PERIOD", "JACK_RATE", "jack_server", "server_name", "spawn_jackd"]
