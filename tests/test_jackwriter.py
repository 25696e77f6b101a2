"""The JACK frame writer's process (``JackProcessLink``) through a real JACK server: its death
is a lost port that comes back by itself, and the death of the process that owns it (a
SIGKILLed bridge) ends every note it wrote. What it shares with the in-process writer (frames,
order, bounds, the server's death) is tested in ``test_jackout`` for both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from clients import require_client
from jackio import ROOT, FrameReceiver

from bridge.live.jackd import jack_server
from bridge.live.jackwriter import JackProcessLink

pytestmark = pytest.mark.slow

WAIT_S = 20.0
PERIOD = 256


@pytest.fixture(scope="module")
def jack() -> Iterator[str]:
    require_client("jackd")
    try:
        with jack_server(PERIOD, timeout=WAIT_S, prefix="test-jackwriter-jackd") as name:
            yield name
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


def wait(condition: object, timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)
    return bool(condition())  # type: ignore[operator]


def test_a_killed_writer_is_a_lost_port_that_comes_back(jack: str) -> None:
    statuses: list[str] = []
    link = JackProcessLink("test-writer", on_status=lambda state, name: statuses.append(state))
    try:
        first = link._proc.pid
        os.kill(first, signal.SIGKILL)
        assert wait(lambda: statuses[:1] == ["lost"])
        link.put([0x90, 60, 100])  # returns: dropped while lost
        assert link.dropped >= 1 or not link.lost
        assert wait(lambda: statuses == ["lost", "back"]), statuses
        assert link._proc.pid != first and not link.lost and link.losses == 1
        receiver = FrameReceiver(link.name)
        try:
            link.put([0x90, 61, 100], [0x80, 61, 0])
            assert receiver.wait_for(lambda got: len(got) >= 2, WAIT_S)
            assert [m for _, m in receiver.messages] == [[0x90, 61, 100], [0x80, 61, 0]]
        finally:
            receiver.close()
    finally:
        link.close()
    assert link.lost  # closed


# Opens a link, writes note-ons of 60 and 64 (channel 1) and 67 (channel 3), ends 64, says
# "on" once they went, then waits to be killed.
_OWNER = r"""
import sys, time
from bridge.live.jackwriter import JackProcessLink
link = JackProcessLink("test-writer-owner")
print(link.name, flush=True)
sys.stdin.readline()
link.put([0x90, 60, 100], [0x90, 64, 100], [0x92, 67, 90], [0x80, 64, 0])
assert link.flush()
print("on", flush=True)
time.sleep(60)
"""


def test_the_owners_death_ends_the_notes_it_left_on(jack: str) -> None:
    """The bridge SIGKILLed: the writer process sees its pipe end and writes a note-off for
    each note left on, then All Notes Off and All Sound Off on the channels used, then exits
    (its port goes)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    owner = subprocess.Popen([sys.executable, "-c", _OWNER], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert owner.stdin is not None and owner.stdout is not None
    receiver = None
    try:
        port = owner.stdout.readline().strip()
        assert port.endswith(":out"), port
        receiver = FrameReceiver(port)
        owner.stdin.write("go\n")
        owner.stdin.flush()
        assert owner.stdout.readline().strip() == "on"
        owner.kill()
        owner.wait()
        panic = [[0x80, 60, 0], [0x82, 67, 0], [0xB0, 123, 0], [0xB0, 120, 0], [0xB2, 123, 0],
                 [0xB2, 120, 0]]  # fmt: skip
        assert receiver.wait_for(lambda got: len(got) >= 4 + len(panic), WAIT_S)
        got = [m for _, m in receiver.messages]
        if receiver.late:
            pytest.skip("the test's JACK reader was late for a cycle (a busy machine)")
        assert got[:4] == [[0x90, 60, 100], [0x90, 64, 100], [0x92, 67, 90], [0x80, 64, 0]]
        assert got[4:] == panic
        gone = subprocess.run(["jack_lsp"], capture_output=True, text=True).stdout
        assert wait(lambda: port not in subprocess.run(
            ["jack_lsp"], capture_output=True, text=True).stdout), gone  # fmt: skip
    finally:
        if owner.poll() is None:
            owner.kill()
        if receiver is not None:
            receiver.close()


def test_more_than_the_pipe_holds_goes_out_whole_and_in_order(jack: str) -> None:
    """6,000 controllers in one put (78 KB, more than a 64 KiB pipe): ``put`` returns at once,
    the rest waits for room in the link's pump thread, and the writer writes every one, in
    order (what it wrote, as it tells: the JACK side is ``test_jackout``'s)."""
    burst = [[0xB0 | (i % 16), i % 128, (i // 128) % 128] for i in range(6000)]
    sent: list[list[int]] = []
    link = JackProcessLink("test-writer-burst", on_sent=sent.append)
    try:
        link.put(*burst)
        assert link._pending  # some of it waits for room in the pipe
        assert link.flush(WAIT_S)
        assert wait(lambda: len(sent) >= len(burst))
    finally:
        link.close()
    assert sent == burst
    assert link.dropped == 0


def test_a_writer_stuck_at_the_bridges_exit_is_left_to_finish_not_killed(jack: str) -> None:
    """``close(release=False)`` (``bridge serve`` exiting) gives a writer that does not answer
    a bounded wait, then leaves it alone: once it runs again it writes what it was given
    (here a note-off) and exits. Killed, it would leave the note sounding."""
    link = JackProcessLink("test-writer-stuck")
    receiver = FrameReceiver(link.name)
    proc = link._proc
    try:
        time.sleep(0.05)
        link.put([0x90, 60, 100])
        assert receiver.wait_for(lambda got: len(got) >= 1, WAIT_S)
        os.kill(proc.pid, signal.SIGSTOP)
        link.put([0x80, 60, 0])
        link.close(release=False)  # returns although the writer cannot answer
        assert proc.poll() is None  # not killed
        os.kill(proc.pid, signal.SIGCONT)
        assert receiver.wait_for(lambda got: len(got) >= 2, WAIT_S)
        assert [m for _, m in receiver.messages][:2] == [[0x90, 60, 100], [0x80, 60, 0]]
        proc.wait(WAIT_S)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
        receiver.close()
