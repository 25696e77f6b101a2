"""The tests' own JACK MIDI ports, each in a child process of its own.

libjack binds a process to the JACK server of its first client until its last one closes (a
client opened meanwhile for another server talks to the first one), and the bridge keeps a
dead client rather than block deleting it. Ports opened in the pytest process would carry
that state from test to test (and their callbacks would take the GIL from a bridge running in
the pytest process). A child process starts clean every time; it talks JSON lines on its
pipes. ``time.monotonic`` is CLOCK_MONOTONIC, one clock for every process of the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

OPEN_TIMEOUT = 20.0

# argv: role ("in" or "out"), client name, the port to connect to, timeout in seconds.
# An input prints [monotonic time, message] per message; an output sends each message read
# from stdin. Both print "open" once the port is open, and end at stdin's end.
_CHILD = r"""
import json, sys, threading, time
import rtmidi
role, client, target, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
lock = threading.Lock()
if role == "in":
    port = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name=client)
    port.ignore_types(sysex=True, timing=False, active_sense=True)
else:
    port = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=client)
deadline = time.monotonic() + timeout
while target not in (ports := port.get_ports()):
    if time.monotonic() > deadline:
        print("missing " + json.dumps(ports), flush=True)
        sys.exit(1)
    time.sleep(0.05)
def on(event, data=None):
    line = json.dumps([time.monotonic(), event[0]])
    with lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
if role == "in":
    port.set_callback(on)
port.open_port(ports.index(target), role)
with lock:
    print("open", flush=True)
for line in sys.stdin:
    if role == "out" and line.strip():
        port.send_message(json.loads(line))
port.close_port()
port.delete()
"""


# argv: the port to read (or "" for none: something else connects to test-frames:in), timeout.
# Prints "open" once the port is open (and connected), then [frame, time, message] per
# message: its JACK frame and that frame's time.monotonic() time (JACK's cycle times), and
# ["late"] for a cycle in which the server went on without this reader: its writers may then
# have cleared or rewritten the buffer it was reading (JACK's async mode), so messages can be
# lost or read twice. A loaded machine does that to a Python reader.
_FRAMES_CHILD = r"""
import json, sys, threading, time
import jack
sys.setswitchinterval(0.0001)  # the callback gets the GIL back from the printer at once
from bridge.live.jackout import JackClock
source, timeout = sys.argv[1], float(sys.argv[2])
client = jack.Client("test-frames", no_start_server=True)
port = client.midi_inports.register("in")
clock = JackClock(client, port)
got, lock, last = [], threading.Lock(), [None]
def process(frames):
    first = clock.last_frame(clock.client)
    events = clock.events(clock.get_buffer(clock.port, frames))
    if events:
        first, start, end, _ = clock.cycle()
        with lock:
            got.extend((first + offset, start + offset * (end - start) / frames, message)
                       for offset, message in events)
    late = last[0] is not None and (first - last[0]) % 2**32 > frames
    if late:
        with lock:
            got.append(("late", 0, None))
    last[0] = first
client.set_process_callback(process)
client.activate()
deadline = time.monotonic() + timeout
if source:
    while not client.get_ports(source):
        if time.monotonic() > deadline:
            print("missing " + source, flush=True)
            sys.exit(1)
        time.sleep(0.05)
    client.connect(source, port)
print("open", flush=True)
def printer():
    while True:
        time.sleep(0.005)
        with lock:
            lines, got[:] = list(got), []
        for line in lines:
            sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
threading.Thread(target=printer, daemon=True).start()
sys.stdin.read()
time.sleep(0.05)
"""


# A JACK client of no ports whose process callback sleeps, once, the milliseconds given on a
# line of stdin: the server reports an xrun to every client. Prints "open", then "stalled"
# after each stall.
_STALL_CHILD = r"""
import sys, time
import jack
client = jack.Client("test-stall", no_start_server=True)
stall = []
def process(frames):
    if stall:
        time.sleep(stall.pop() / 1000)
client.set_process_callback(process)
client.activate()
print("open", flush=True)
for line in sys.stdin:
    stall.append(float(line))
    while stall:
        time.sleep(0.005)
    time.sleep(0.05)
    print("stalled", flush=True)
client.deactivate()
"""


def jack_connections() -> dict[str, set[str]]:
    """Every JACK port of the running server -> the ports it is connected to (jack_lsp -c)."""
    lines = subprocess.run(["jack_lsp", "-c"], capture_output=True, text=True).stdout
    out: dict[str, set[str]] = {}
    port = ""
    for line in lines.splitlines():
        if line.startswith(" "):
            out.setdefault(port, set()).add(line.strip())
        else:
            port = line.strip()
            out.setdefault(port, set())
    return out


def wait_connected(port: str, own_client: str, timeout: float = OPEN_TIMEOUT) -> None:
    """Wait until ``port`` is connected to a port of ``own_client``: opening a port asks JACK
    for the connection, which is made at a later cycle; a message sent before then is lost
    (seen once in CI as a missing first note)."""
    deadline = time.monotonic() + timeout
    while not any(p.startswith(f"{own_client}:") for p in jack_connections().get(port, ())):
        if time.monotonic() > deadline:
            pytest.fail(f"{port} is not connected to {own_client}: {jack_connections()}")
        time.sleep(0.02)


class _Child:
    """A child process holding one JACK MIDI port connected to ``target``."""

    def __init__(
        self, role: str, client: str, target: str, timeout: float, script: str = _CHILD
    ) -> None:
        args = [role, client, target] if script == _CHILD else [target]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
            "PYTHONPATH", "")])}  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, *args, str(timeout)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().strip()
        if first != "open":
            self.close()
            pytest.fail(f"no JACK port {target} for {client}: {first or 'the child ended'}")
        if target:
            wait_connected(target, client, timeout)

    def close(self) -> None:
        """End the child (its port closes with it); safe to call twice."""
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


class Receiver(_Child):
    """A JACK MIDI input of the test's own, connected to a port; records every message."""

    def __init__(self, source: str, timeout: float = OPEN_TIMEOUT, script: str = _CHILD) -> None:
        self.messages: list[tuple[float, list[int]]] = []
        self.frames: list[int] = []  # a FrameReceiver's: each message's JACK frame
        self.late = 0  # a FrameReceiver's: cycles it was late for (see _FRAMES_CHILD)
        self.xruns = 0  # the server's xruns while it read, where a test counted them
        self._cond = threading.Condition()
        client = "test-recv" if script == _CHILD else "test-frames"
        super().__init__("in", client, source, timeout, script)
        self._reader = threading.Thread(target=self._read, name="test-recv", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            *frame, t, message = json.loads(line)
            with self._cond:
                if frame == ["late"]:
                    self.late += 1
                else:
                    self.frames.extend(frame)
                    self.messages.append((t, message))
                self._cond.notify_all()

    def wait_for(
        self, predicate: Callable[[list[tuple[float, list[int]]]], object], timeout: float = 10.0
    ) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self) -> None:
        super().close()
        self._reader.join(5)


class FrameReceiver(Receiver):
    """A Receiver (``test-frames:in``) that also records each message's JACK frame in
    ``frames``, and as its time the time of that frame (not of the callback). ``source``
    None: something else connects to it."""

    PORT = "test-frames:in"

    def __init__(self, source: str | None = None, timeout: float = OPEN_TIMEOUT) -> None:
        super().__init__(source or "", timeout, _FRAMES_CHILD)


class Stall(_Child):
    """A JACK client of the test's own (no ports) that makes the server xrun when asked."""

    def __init__(self, timeout: float = OPEN_TIMEOUT) -> None:
        super().__init__("stall", "test-stall", "", timeout, _STALL_CHILD)

    def stall(self, ms: float) -> None:
        """Sleep ``ms`` in one process callback; returns once it has."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{ms}\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "stalled"


class Sender(_Child):
    """A JACK MIDI output of the test's own, connected to a port (the bridge's input)."""

    def __init__(self, target: str, timeout: float = OPEN_TIMEOUT) -> None:
        super().__init__("out", "test-send", target, timeout)

    def send(self, *message: int) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(list(message)) + "\n")
        self.proc.stdin.flush()
