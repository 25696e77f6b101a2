"""End-to-end tests with real OSC clients: liblo's oscsend/oscdump and SuperCollider's sclang.

Each test talks to `bridge serve --port 0`, run as a subprocess on conftest's tiny random-init
RNN checkpoint, over real UDP on 127.0.0.1. A missing client binary skips its tests, unless
BRIDGE_REQUIRE_CLIENTS=1 (set by scripts/test.sh, and so by CI), which makes it a failure.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SC_SCRIPT = ROOT / "supercollider" / "tests" / "bridge_roundtrip.scd"

# Debian package of each client, for the message when one is missing.
CLIENT_PACKAGES = {
    "oscsend": "liblo-tools",
    "oscdump": "liblo-tools",
    "sclang": "supercollider-language",
}

# Deadlines, not sleeps: generous because the daemon imports torch on 2 shared cores.
STARTUP_TIMEOUT = 90.0
REPLY_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
SCLANG_TIMEOUT = 120.0  # the whole sclang run, class library compile included
SCLANG_SCRIPT_TIMEOUT = 45.0  # the script's own watchdog, after sclang has booted

LISTENING = re.compile(r"bridge listening on 127\.0\.0\.1:(\d+)")


def require_client(name: str) -> str:
    """The path of a client binary; skip without it, or fail when BRIDGE_REQUIRE_CLIENTS=1."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not on PATH (Debian package {CLIENT_PACKAGES[name]})"
    if os.environ.get("BRIDGE_REQUIRE_CLIENTS") == "1":
        pytest.fail(f"{message}; BRIDGE_REQUIRE_CLIENTS=1 makes this a failure", pytrace=False)
    pytest.skip(message)


class Lines:
    """Collects a subprocess's output lines on a thread, so tests can wait for one."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def poll(self, match: Callable[[str], object], timeout: float) -> object:
        """The first truthy ``match(line)``, or None after ``timeout`` s or when output ends."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    result = match(line)
                    if result:
                        return result
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    return None
                self._cond.wait(left)

    def wait_for(self, match: Callable[[str], object], timeout: float, what: str) -> object:
        """Like poll, but a test failure, with the output so far, when nothing matches."""
        result = self.poll(match, timeout)
        if not result:
            why = "its output ended" if self.closed else f"{timeout:g} s passed"
            pytest.fail(f"no {what}: {why}; output:\n{self.text()}", pytrace=False)
        return result

    def text(self, last: int = 60) -> str:
        with self._cond:
            return "\n".join(self.lines[-last:])


def stop(proc: subprocess.Popen[str], name: str) -> None:
    """SIGTERM, then a deadline; a process that ignores it is killed and the test fails."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"{name} did not stop within {STOP_TIMEOUT:g} s of SIGTERM")


def bridge_executable() -> str:
    # The console script beside this interpreter, not shutil.which("bridge"): iproute2
    # installs an unrelated /sbin/bridge that would come first on a root PATH.
    exe = Path(sys.executable).with_name("bridge")
    if not exe.exists():
        pytest.fail(f"no {exe}: install the package into this venv (pip install -e .)")
    return str(exe)


@contextmanager
def serve(checkpoint: Path) -> Iterator[int]:
    """Run `bridge serve` on a free port; yields the port once it answers pings."""
    cmd = [bridge_executable(), "serve", "--port", "0", "--device", "cpu", "--rnn", str(checkpoint)]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = Lines(proc)
    try:
        match = out.wait_for(LISTENING.fullmatch, STARTUP_TIMEOUT, "'bridge listening on' line")
        assert isinstance(match, re.Match)
        yield int(match.group(1))
    finally:
        stop(proc, "bridge serve")
    # A clean stop: exit status 0, or the default SIGTERM death, never a crash.
    assert proc.returncode in (0, -signal.SIGTERM), (
        f"bridge serve exited with {proc.returncode} on SIGTERM; output:\n{out.text()}"
    )


# --- liblo: oscsend and oscdump --------------------------------------------------------------


@dataclass(frozen=True)
class Osc:
    """One message as oscdump printed it."""

    address: str
    types: str
    args: tuple[int | float | str, ...]


_OSCDUMP_LINE = re.compile(r"(?:[0-9a-f]{8}\.[0-9a-f]{8} )?(/\S*) ?(\S*) ?(.*)")
_OSCDUMP_VALUE = {
    "i": re.compile(r"(-?\d+)(?: |$)"),
    "h": re.compile(r"(-?\d+)(?: |$)"),
    "f": re.compile(r"(\S+)(?: |$)"),
    "d": re.compile(r"(\S+)(?: |$)"),
    "s": re.compile(r'"(.*?)"(?: |$)'),
}


def parse_oscdump(line: str) -> Osc | None:
    """Parse oscdump's `[timetag] /address types value...`; None for anything else."""
    m = _OSCDUMP_LINE.fullmatch(line)
    if not m:
        return None
    address, types, rest = m.groups()
    args: list[int | float | str] = []
    pos = 0
    for t in types:
        value = _OSCDUMP_VALUE.get(t)
        v = value.match(rest, pos) if value else None
        if v is None:
            return None
        pos = v.end()
        text = v.group(1)
        args.append(int(text) if t in "ih" else float(text) if t in "fd" else text)
    return Osc(address, types, tuple(args))


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oscsend(port: int, address: str, types: str, *values: object) -> None:
    """Send one message with liblo's oscsend (from a throwaway port, as Max's udpsend does)."""
    cmd = ["oscsend", "127.0.0.1", str(port), address, types, *map(str, values)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{' '.join(cmd)} failed: {done.stderr or done.stdout}"


class OscDump:
    """liblo's oscdump listening on a free UDP port, its printed messages parsed."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        for _attempt in range(5):  # the free port can be taken between finding and binding it
            self.port = free_udp_port()
            self.proc = subprocess.Popen(
                ["oscdump", "-L", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            self.out = Lines(self.proc)
            if self._ready():
                return
            stop(self.proc, "oscdump")
        pytest.fail(f"oscdump never received its own probe; output:\n{self.out.text()}")

    def _ready(self, timeout: float = 10.0) -> bool:
        """Probe with oscsend until oscdump prints the probe (it has no 'ready' line)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc and self.proc.poll() is None:
            oscsend(self.port, "/oscdump/ready", "i", self.port)
            if self.out.poll(lambda line: "/oscdump/ready" in line, 0.25):
                return True
        return False

    def wait_for(self, address: str, request_id: int, timeout: float = REPLY_TIMEOUT) -> Osc:
        """The first message to `address` whose first argument is `request_id`."""

        def match(line: str) -> Osc | None:
            msg = parse_oscdump(line)
            if msg and msg.address == address and msg.args[:1] == (request_id,):
                return msg
            return None

        found = self.out.wait_for(match, timeout, f"{address} {request_id} from the bridge")
        assert isinstance(found, Osc)
        return found

    def close(self) -> None:
        if self.proc is not None:
            stop(self.proc, "oscdump")


@dataclass
class Liblo:
    bridge: int
    dump: OscDump
    ids: Iterator[int]

    def send(self, address: str, types: str, *values: object) -> int:
        """Send `address` with a fresh request id first (so types starts with 'i')."""
        request_id = next(self.ids)
        oscsend(self.bridge, address, types, request_id, *values)
        return request_id


@pytest.fixture(scope="module")
def liblo(tiny_rnn_checkpoint: Path) -> Iterator[Liblo]:
    """A bridge and an oscdump, registered: oscsend's replies go to oscdump's port."""
    require_client("oscsend")
    require_client("oscdump")
    with serve(tiny_rnn_checkpoint) as port:
        dump = OscDump()
        try:
            client = Liblo(port, dump, itertools.count(100))
            rid = client.send("/bridge/register", "isi", "port", dump.port)
            reply = dump.wait_for("/bridge/reply/register", rid)
            assert reply.args == (rid, dump.port)
            yield client
        finally:
            dump.close()


def assert_quadruples(msg: Osc) -> list[tuple[int, float, float, int]]:
    """The reply's notes, checked against PROTOCOL.md: int pitch/velocity, float start/dur."""
    types, notes = msg.types[1:], msg.args[1:]
    assert len(types) % 4 == 0 and types == "iffi" * (len(types) // 4), msg
    quads = [tuple(notes[i : i + 4]) for i in range(0, len(notes), 4)]
    for pitch, start, duration, velocity in quads:
        assert 0 <= pitch <= 127, msg
        assert start >= 0, msg
        assert duration > 0, msg
        assert 1 <= velocity <= 127, msg
    return quads  # type: ignore[return-value]


def test_oscsend_ping_gets_pong_protocol_1(liblo: Liblo) -> None:
    rid = liblo.send("/bridge/ping", "i")
    pong = liblo.dump.wait_for("/bridge/pong", rid)
    assert pong.types == "iis"
    assert pong.args[:2] == (rid, 1)
    assert pong.args[2], "the version string is empty"


def test_oscsend_engines_lists_rnn(liblo: Liblo) -> None:
    rid = liblo.send("/bridge/engines", "i")
    reply = liblo.dump.wait_for("/bridge/reply/engines", rid)
    assert set(reply.types[1:]) <= {"s"}, reply
    assert "rnn" in reply.args[1:]


# The same request with every number as int32, then as float32 (Max sends either).
PRIMER_INTS = [60, 0, 1, 100, 62, 1, 1, 100, 64, 2, 1, 90, 67, 3, 1, 110]
CONTINUE_AS = {
    "int32": ("sisisis" + "i" * 16, ["temperature", 1, "steps", 48, "seed", 5, "notes"]),
    "float32": (
        "sfsfsfs" + "f" * 16,
        ["temperature", 0.9, "steps", 48.0, "seed", 5.0, "notes"],
    ),
}


@pytest.mark.parametrize("number_type", list(CONTINUE_AS))
def test_oscsend_rnn_continue(liblo: Liblo, number_type: str) -> None:
    types, head = CONTINUE_AS[number_type]
    primer = [float(x) if number_type == "float32" else x for x in PRIMER_INTS]
    first = liblo.send("/bridge/rnn/continue", "i" + types, *head, *primer)
    again = liblo.send("/bridge/rnn/continue", "i" + types, *head, *primer)
    reply = liblo.dump.wait_for("/bridge/reply/rnn/continue", first)
    quads = assert_quadruples(reply)
    assert quads, f"48 steps of a random model gave no notes: {reply}"
    # The same seed gives the same continuation, every time.
    assert liblo.dump.wait_for("/bridge/reply/rnn/continue", again).args[1:] == reply.args[1:]


@pytest.mark.parametrize(
    ("types", "values", "words"),
    [
        ("sisi", ["temperature", -1, "steps", 8], "temperature must be > 0"),
        ("sf", ["temprature", 0.5], "temprature"),
        ("si", ["steps", 0], "steps"),
        ("siii", ["notes", 60, 0, 1], "notes"),  # not a whole quadruple
    ],
    ids=["negative-temperature", "misspelt-key", "zero-steps", "partial-note"],
)
def test_oscsend_bad_request_gets_error(
    liblo: Liblo, types: str, values: list[object], words: str
) -> None:
    rid = liblo.send("/bridge/rnn/continue", "i" + types, *values)
    error = liblo.dump.wait_for("/bridge/error", rid)
    assert error.types == "iss", error
    assert error.args[1] == "/bridge/rnn/continue"
    assert words in error.args[2], f"the message {error.args[2]!r} does not say {words!r}"


# --- SuperCollider: a real sclang script -----------------------------------------------------


def test_sclang_roundtrip(tiny_rnn_checkpoint: Path) -> None:
    """supercollider/tests/bridge_roundtrip.scd: ping, continue a primer, a bad temperature."""
    sclang = require_client("sclang")
    # Headless: no display for Qt, and QtWebEngine aborts as root unless its sandbox is off.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_DISABLE_SANDBOX": "1"}
    with serve(tiny_rnn_checkpoint) as port:
        # The bridge is on a free port, so sclang keeps its own langPort (57120 if free).
        cmd = [sclang, str(SC_SCRIPT), str(port), str(SCLANG_SCRIPT_TIMEOUT)]
        try:
            done = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=SCLANG_TIMEOUT,
                env=env,
                cwd=ROOT,
            )
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""
            pytest.fail(f"sclang ran past {SCLANG_TIMEOUT:g} s; output:\n{out}", pytrace=False)
    output = done.stdout + done.stderr
    verdicts = [line for line in output.splitlines() if line.startswith(("PASS:", "FAIL:"))]
    assert verdicts and verdicts[0].startswith("PASS:"), f"sclang said:\n{output}"
    assert done.returncode == 0, f"sclang exited {done.returncode}:\n{output}"
