"""``bridge ports --check``: watching a real JACK server for missed cycles (``jackd -d dummy``,
256 frames; another client made to stall so that the server xruns), and the verdict."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from clients import require_client
from jackio import ROOT, Stall

from bridge.live.jackcheck import JackCheck, watch
from bridge.live.jackd import jack_server
from bridge.live.midi import MidiError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def jack() -> Iterator[str]:
    require_client("jackd")
    try:
        with jack_server(256, timeout=20.0, prefix="test-jackcheck-jackd") as name:
            yield name
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


def test_stalls_are_counted_as_xruns(jack: str) -> None:
    stall = Stall()
    seen: list[JackCheck] = []
    try:
        watcher = threading.Thread(target=lambda: seen.append(watch(3.0)))
        watcher.start()
        for _ in range(3):
            stall.stall(30)  # 30 ms in one 5.33 ms cycle
        watcher.join(30)
    finally:
        stall.close()
    (check,) = seen
    assert check.xruns >= 3
    assert (check.frames, check.rate) == (256, 48_000)
    assert 2.9 <= check.seconds < 30
    assert "misses JACK cycles" in check.verdict()


def test_the_verdict() -> None:
    quiet = JackCheck(seconds=60.0, xruns=1, frames=64, rate=48_000, load=3.2)
    assert quiet.verdict() == (
        "JACK at 64 frames, 48000 Hz (1.33 ms a period): 1 xruns in 60 s, DSP load 3%: fine"
    )
    busy = JackCheck(seconds=10.0, xruns=42, frames=64, rate=48_000, load=3.2)
    assert busy.per_minute == 252.0
    assert "try a longer period" in busy.verdict()


def test_the_command_prints_the_verdict(jack: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "ports", "--midi-api", "jack", "--check", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("JACK at 256 frames, 48000 Hz (5.33 ms a period): "), last


def test_no_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    require_client("jackd")
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "test-jackcheck-none")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    with pytest.raises(MidiError, match="JACK server running"):
        watch(1.0)
