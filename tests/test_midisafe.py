"""Safe to leave running: no stuck note whatever signal ends `bridge serve` (SIGKILL too, by
the guardian process), a restarted bridge clears what a killed one left, and a JACK server
that dies mid-stream neither freezes the bridge nor keeps its MIDI ports away when it
comes back. Real JACK (``jackd -d dummy``), real `bridge serve` processes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clients import LISTENING, STARTUP_TIMEOUT, Lines, bridge_command, require_client
from test_midi import Receiver, jack, notes_on  # noqa: F401  (jack: the fixture)

from bridge.live.guardian import Notes, state_path
from bridge.live.jackd import server_name, spawn_jackd
from bridge.live.midilink import GUARD_BYTES, PortLink
from bridge.server.osc import OscClient

pytestmark = pytest.mark.slow

EXIT_TIMEOUT = 20.0
BACK_TIMEOUT = 10.0  # the bar is 2 s; measured numbers are in the report, not asserted


def stuck(messages: list[tuple[float, list[int]]]) -> dict[tuple[int, int], int]:
    """(channel, pitch) -> note-ons not ended by a note-off or All Notes Off on the channel."""
    count: dict[tuple[int, int], int] = {}
    for _, m in messages:
        kind, ch = m[0] & 0xF0, m[0] & 0x0F
        if kind == 0x90 and m[2] > 0:
            count[(ch, m[1])] = count.get((ch, m[1]), 0) + 1
        elif kind == 0x80 or (kind == 0x90 and m[2] == 0):
            count[(ch, m[1])] = 0
        elif kind == 0xB0 and m[1] == 123:
            for key in [k for k in count if k[0] == ch]:
                count[key] = 0
    return {k: v for k, v in count.items() if v}


class Serve:
    """A `bridge serve --virtual-midi` process and its output lines."""

    def __init__(self, checkpoint: Path, name: str, env: dict[str, str] | None = None) -> None:
        cmd = bridge_command("serve", "--port", "0", "--device", "cpu", "--rnn",
                             str(checkpoint), "--virtual-midi", "--midi-api", "jack",
                             "--midi-name", name)  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env)  # fmt: skip
        self.out = Lines(self.proc)
        match = self.out.wait_for(LISTENING.fullmatch, STARTUP_TIMEOUT, "'bridge listening' line")
        assert isinstance(match, re.Match)
        self.port = int(match.group(1))

    def children(self) -> list[int]:
        pids = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            pids += [int(p) for p in task.read_text().split()]
        return pids

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """State files in a directory of the test's own."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    return tmp_path


def guarded(name: str, timeout: float = 10.0) -> None:
    """Wait until the guardian's port follows the bridge's to the receiver (it looks every
    0.5 s: a connection younger than that is not yet guarded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = subprocess.run(["jack_lsp", "-c"], capture_output=True, text=True).stdout
        if re.search(rf"^{re.escape(name)}-guard:out\n(   .*\n)*   test-recv:in$", lines, re.M):
            return
        time.sleep(0.1)
    pytest.fail(f"the guardian's port is not connected to the receiver: {lines}")


def play(port: int, recv: Receiver, name: str) -> None:
    """Two streams on channels 1 and 3; returns while some note is sounding."""
    guarded(name)
    with OscClient("127.0.0.1", port) as c:
        for request, channel in ((1, 1), (2, 3)):
            c.send("/bridge/rnn/stream/start", request, "tempo", 400, "channel", channel)
        assert recv.wait_for(lambda ms: len(notes_on(ms)) >= 10 and stuck(ms), 30)


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGHUP", "SIGTERM", "SIGINT"])
def test_no_stuck_note_whatever_the_signal(
    jack: str,  # noqa: F811
    tiny_rnn_checkpoint: Path,
    runtime_dir: Path,
    sig: str,
) -> None:
    name = f"bridge-{sig.lower()}"
    serve = Serve(tiny_rnn_checkpoint, name)
    recv = Receiver(f"{name}:out")
    try:
        play(serve.port, recv, name)
        serve.proc.send_signal(getattr(signal, sig))
        serve.proc.wait(EXIT_TIMEOUT)
        ended = recv.wait_for(lambda ms: not stuck(ms), 10.0)
        assert ended, (stuck(recv.messages), serve.out.text())
        # the guardian exits and leaves no state file
        assert serve.out.poll(lambda line: False, EXIT_TIMEOUT) is None and serve.out.closed
        assert not list(runtime_dir.glob("bridge/*.json"))
        if sig == "SIGKILL":
            assert any("the bridge died" in line for line in serve.out.lines)
    finally:
        serve.close()
        recv.close()


def saved_channels(path: Path) -> set[int]:
    """The channels in the guardian's state file (none if it is not there yet)."""
    try:
        return set(json.loads(path.read_text()).get("channels", ()))
    except (OSError, ValueError):
        return set()


def test_a_restarted_bridge_clears_what_a_killed_one_left(
    jack: str,  # noqa: F811
    tiny_rnn_checkpoint: Path,
    runtime_dir: Path,
) -> None:
    name = "bridge-again"
    first = Serve(tiny_rnn_checkpoint, name)
    recv = Receiver(f"{name}:out")
    second = None
    try:
        play(first.port, recv, name)
        path = state_path("jack", f"{name}:out")
        deadline = time.monotonic() + 10
        while saved_channels(path) != {0, 2} and time.monotonic() < deadline:
            time.sleep(0.1)
        # both streams' channels saved: a note on a channel the guardian has not saved yet
        # (it saves every 0.5 s) would be left sounding by a kill now, whatever the bridge
        assert saved_channels(path) == {0, 2}, "the guardian saved no state of both channels"
        for pid in first.children():  # the guardian dies with it: nobody ends the notes
            os.kill(pid, signal.SIGKILL)
        first.proc.kill()
        first.proc.wait()
        time.sleep(0.5)  # let the receiver take what was in flight
        assert stuck(recv.messages), "nothing was left sounding; the test proves nothing"
        second = Serve(tiny_rnn_checkpoint, name)
        assert recv.wait_for(lambda ms: not stuck(ms), 10.0), stuck(recv.messages)
        assert any("cleared what a bridge that died left" in line for line in second.out.lines)
    finally:
        first.close()
        if second is not None:
            second.close()
        recv.close()


# -- the JACK server dies mid-stream ----------------------------------------------------


class Jackd:
    """A ``jackd -d dummy`` under a fixed name that the test can kill and start again."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.env = {**os.environ, "JACK_DEFAULT_SERVER": name, "JACK_NO_START_SERVER": "1",
                    "JACK_NO_AUDIO_RESERVATION": "1"}  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = spawn_jackd(self.name, rate=48000, period=256, env=self.env,
                                output=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 20
        while self.lsp() is None:
            assert time.monotonic() < deadline and self.proc.poll() is None, "jackd did not start"
            time.sleep(0.1)

    def lsp(self) -> list[str] | None:
        run = subprocess.run(["jack_lsp"], capture_output=True, text=True, env=self.env)
        return run.stdout.split() if run.returncode == 0 else None

    def stop(self) -> None:
        """SIGTERM: a SIGKILLed jackd keeps its slot in JACK's registry of servers (8 at
        most, machine-wide), so killing it in tests would break later JACK runs. For its
        clients both look the same: the server is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


@pytest.fixture
def own_jackd(monkeypatch: pytest.MonkeyPatch) -> Iterator[Jackd]:
    require_client("jackd")
    server = Jackd(server_name("kill-jackd"))
    monkeypatch.setenv("JACK_DEFAULT_SERVER", server.name)
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_jackd_killed_mid_stream_no_freeze_status_and_ports_back(
    own_jackd: Jackd, tiny_rnn_checkpoint: Path, runtime_dir: Path
) -> None:
    name = "bridge-jk"
    serve = Serve(tiny_rnn_checkpoint, name, env=own_jackd.env)
    try:
        with OscClient("127.0.0.1", serve.port) as c:
            c.send("/bridge/register", 1, "port", c.port)
            c.send("/bridge/rnn/stream/start", 2, "tempo", 400, "channel", 2)

            def wait(address: str, *args: object, timeout: float = 20.0) -> float:
                deadline = time.monotonic() + timeout
                while (left := deadline - time.monotonic()) > 0:
                    m = c.receive(left)
                    if (
                        m is not None
                        and m.address == address
                        and list(m.args[: len(args)]) == [*args]
                    ):
                        return time.monotonic()
                pytest.fail(f"no {address} {args}; output:\n{serve.out.text()}")

            wait("/bridge/note")
            own_jackd.stop()
            wait("/bridge/midi/status", "lost", f"{name}:out")
            # past the point where rtmidi's ring would have filled (about 40 s of this stream
            # before the fix), the bridge still answers and still plays over OSC
            for i in range(3):
                c.send("/bridge/ping", 10 + i)
                wait("/bridge/pong", 10 + i)
                wait("/bridge/note")
            own_jackd.start()
            started = time.monotonic()
            deadline = started + BACK_TIMEOUT
            while f"{name}:out" not in (own_jackd.lsp() or []):
                assert time.monotonic() < deadline, own_jackd.lsp()
                time.sleep(0.1)
            back = time.monotonic() - started
            wait("/bridge/midi/status", "back", f"{name}:out")
            print(f"MIDI back {back:.2f} s after jackd answered")
        recv = Receiver(f"{name}:out")  # the port plays again
        try:
            assert recv.wait_for(lambda ms: len(notes_on(ms)) >= 3, 10.0), serve.out.text()[-4000:]
        finally:
            recv.close()
        t = time.monotonic()
        serve.proc.send_signal(signal.SIGTERM)
        serve.proc.wait(EXIT_TIMEOUT)
        print(f"SIGTERM exit {time.monotonic() - t:.2f} s")
        assert serve.proc.returncode in (0, -signal.SIGTERM), serve.out.text()
    finally:
        serve.close()


# -- parts --------------------------------------------------------------------------------


class FakePort:
    """An rtmidi output stand-in that fails while ``failing``."""

    def __init__(self, failing: bool = False) -> None:
        self.sent: list[list[int]] = []
        self.failing = failing
        self.closed = self.deleted = False

    def send_message(self, message: list[int]) -> None:
        if self.failing:
            raise OSError("gone")
        self.sent.append(message)

    def close_port(self) -> None:
        self.closed = True

    def delete(self) -> None:
        self.deleted = True


def test_a_port_that_fails_is_lost_then_back() -> None:
    ports = [FakePort(failing=True), FakePort()]
    opened = iter(ports)
    statuses: list[str] = []
    link = PortLink(lambda: (next(opened), "fake"), kind="output", jack=False,
                    watch_name="x", on_status=lambda s, n: statuses.append(s))  # fmt: skip
    link.put([0x90, 60, 100])
    deadline = time.monotonic() + 10
    while statuses != ["lost", "back"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert statuses == ["lost", "back"]
    link.put([0x80, 60, 0])
    link.close()
    assert ports[1].sent == [[0x80, 60, 0]]


def test_a_full_queue_drops_old_note_ons_never_note_offs() -> None:
    port = FakePort()
    link = PortLink(lambda: (port, "fake"), kind="output", jack=False, watch_name="x",
                    queue_size=4)  # fmt: skip
    with link._cond:  # hold the sender back so the queue fills
        for pitch in range(6):
            link.put([0x90, pitch, 100])
        link.put([0x80, 1, 0], [0x80, 2, 0], [0x80, 3, 0], [0x80, 4, 0], [0x80, 5, 0])
    link.close()
    offs = [m for m in port.sent if m[0] == 0x80]
    assert len(offs) == 5 and link.dropped >= 2
    assert [0x90, 0, 100] not in port.sent  # the oldest note-on went first


@pytest.mark.parametrize("release", [True, False])
def test_close_sends_what_is_queued_and_releases_the_port_unless_told(release: bool) -> None:
    port = FakePort()
    link = PortLink(lambda: (port, "fake"), kind="output", jack=False, watch_name="x")
    with link._cond:  # queued, not yet sent, when close begins
        link.put([0x90, 60, 100], [0x80, 60, 0], [0xB0, 123, 0])
    link.close(release=release)
    assert port.sent == [[0x90, 60, 100], [0x80, 60, 0], [0xB0, 123, 0]]
    assert port.closed == port.deleted == release  # else left for the process's exit


def test_guardian_notes_end_what_sounds() -> None:
    notes = Notes()
    for m in ([0x90, 60, 100], [0x91, 64, 90], [0x90, 62, 80], [0x80, 62, 0]):
        notes.feed(m)
    assert notes.panic() == [[0x80, 60, 0], [0x81, 64, 0], [0xB0, 123, 0], [0xB0, 120, 0],
                             [0xB1, 123, 0], [0xB1, 120, 0]]  # fmt: skip
    notes.feed([0xB0, 123, 0])
    assert notes.panic()[:1] == [[0x81, 64, 0]]


class ThreadPort(FakePort):
    """A FakePort that notes which thread sent each message."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[str] = []

    def send_message(self, message: list[int]) -> None:
        self.threads.append(threading.current_thread().name)
        super().send_message(message)


def test_on_jack_a_message_goes_out_from_the_callers_thread_and_in_order(
    jack: str,  # noqa: F811
) -> None:
    port = ThreadPort()
    told: list[tuple[list[int], str]] = []

    def on_sent(message: list[int]) -> None:
        told.append((message, threading.current_thread().name))

    link = PortLink(lambda: (port, "fake"), kind="output", jack=True, watch_name="direct-test",
                    on_sent=on_sent)  # fmt: skip
    try:
        link.put([0x90, 60, 100])
        assert port.sent == [[0x90, 60, 100]]  # sent before put returned
        assert port.threads == [threading.current_thread().name]
        with link._cond:  # the thread is busy sending: the next messages wait behind it
            link._sending = True
            link.put([0x80, 60, 0], [0x90, 62, 100])
            assert port.sent == [[0x90, 60, 100]]
            link._sending = False
            link._cond.notify_all()
        assert link.flush()
        link.put([0x80, 62, 0])
        assert port.sent == [[0x90, 60, 100], [0x80, 60, 0], [0x90, 62, 100], [0x80, 62, 0]]
        assert port.threads[1:3] == ["midi-output", "midi-output"]
        deadline = time.monotonic() + 10
        while len(told) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        # on_sent heard every message, in order, never on the caller's thread
        assert [m for m, _ in told] == port.sent
        assert {name for _, name in told} == {"midi-output"}
    finally:
        link.close()


def test_on_jack_no_message_goes_out_at_once_past_the_ring_budget_or_once_dead(
    jack: str,  # noqa: F811
) -> None:
    port = ThreadPort()
    link = PortLink(lambda: (port, "fake"), kind="output", jack=True, watch_name="budget-test")
    try:
        with link._cond:
            link._written = link._confirmed + GUARD_BYTES  # as if the server ran no cycle since
            link._mark = link._written
            link._frame = link._watch.frame()
            link._sending = True  # keep the thread out while we look
            link.put([0x90, 60, 100])
            assert port.sent == [] and list(link._queue) == [[0x90, 60, 100]]
            link._sending = False
            link._cond.notify_all()
        assert link.flush()  # the thread waits for a cycle, then sends
        assert port.sent == [[0x90, 60, 100]] and port.threads == ["midi-output"]
        with link._cond:
            link._dead = "test"
            link.put([0x90, 61, 100])
            assert port.sent == [[0x90, 60, 100]]
        deadline = time.monotonic() + 10
        while not link.lost and time.monotonic() < deadline:
            time.sleep(0.01)
        assert link.lost and link.dropped == 1  # the queued note-on went with the port
    finally:
        link.close()
