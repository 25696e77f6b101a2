"""Helpers for tests that run real programs: `bridge serve` subprocesses, liblo's
oscsend/oscdump, sclang, pd, and UDP clients of an in-process Daemon.

A missing client binary skips its test, unless BRIDGE_REQUIRE_CLIENTS=1 (set by scripts/test.sh,
and so by CI), which makes it a failure. Waits are deadlines, never sleeps.
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
from typing import Any

import pytest

from bridge.server.daemon import Daemon
from bridge.server.osc import Message, OscClient
from engines.notes import Note

ROOT = Path(__file__).resolve().parents[1]

# Debian package of each client, for the message when one is missing.
CLIENT_PACKAGES = {
    "oscsend": "liblo-tools",
    "oscdump": "liblo-tools",
    "sclang": "supercollider-language",
    "jackd": "jackd2",
    "pd": "puredata-core",
}

# Deadlines, not sleeps: generous because the daemon imports torch on 2 shared cores.
STARTUP_TIMEOUT = 90.0
REPLY_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
SCLANG_TIMEOUT = 120.0  # the whole sclang run, class library compile included
SCLANG_SCRIPT_TIMEOUT = 45.0  # the script's own watchdog, after sclang has booted

LISTENING = re.compile(r"bridge listening on 127\.0\.0\.1:(\d+)(?: with .+)?")


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


def bridge_command(*args: str) -> list[str]:
    """The command line running ``bridge *args``: ``python -m bridge`` with this interpreter,
    so the bridge on this interpreter's path (PYTHONPATH first) runs, whichever checkout that
    is. Not shutil.which("bridge"): iproute2 installs an unrelated /sbin/bridge that would
    come first on a root PATH."""
    return [sys.executable, "-m", "bridge", *args]


@contextmanager
def serve(
    startup_timeout: float = STARTUP_TIMEOUT, *extra: str, **checkpoints: Path | None
) -> Iterator[int]:
    """Run `bridge serve` on a free port with the given checkpoints (``rnn=folder``, ...; None
    leaves an engine out) and ``extra`` options; yields the port once it is listening."""
    cmd = bridge_command("serve", "--port", "0", "--device", "cpu", *extra)
    for engine, folder in checkpoints.items():
        if folder is not None:
            cmd += [f"--{engine}", str(folder)]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = Lines(proc)
    try:
        match = out.wait_for(LISTENING.fullmatch, startup_timeout, "'bridge listening on' line")
        assert isinstance(match, re.Match)
        yield int(match.group(1))
    finally:
        stop(proc, "bridge serve")
    # A clean stop: exit status 0, or the default SIGTERM death, never a crash.
    assert proc.returncode in (0, -signal.SIGTERM), (
        f"bridge serve exited with {proc.returncode} on SIGTERM; output:\n{out.text()}"
    )


@contextmanager
def serve_for_liblo(first_id: int, **checkpoints: Path | None) -> Iterator[Liblo]:
    """`bridge serve` (as in serve) replying to an oscdump's port (--reply-port: each oscsend
    sends from a new port, and a registration applies to one client only), which one oscsend
    also registers; request ids count from ``first_id``."""
    require_client("oscsend")
    require_client("oscdump")
    dump = OscDump()
    try:
        with serve(STARTUP_TIMEOUT, "--reply-port", str(dump.port), **checkpoints) as port:
            client = Liblo(port, dump, itertools.count(first_id))
            rid = client.send("/bridge/register", "isi", "port", dump.port)
            reply = dump.wait_for("/bridge/reply/register", rid)
            assert reply.args == (rid, dump.port)
            yield client
    finally:
        dump.close()


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


# --- sclang ----------------------------------------------------------------------------------

# Headless: no display for Qt, and QtWebEngine aborts as root unless its sandbox is off.
HEADLESS = {"QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_DISABLE_SANDBOX": "1"}


def run_sclang_script(sclang: str, script: Path, *args: str) -> str:
    """Run a test script with sclang; its output, once it printed PASS first and exited 0."""
    cmd = [sclang, str(script), *args]
    try:
        done = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=SCLANG_TIMEOUT,
            env={**os.environ, **HEADLESS},
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""
        pytest.fail(f"sclang ran past {SCLANG_TIMEOUT:g} s; output:\n{out}", pytrace=False)
    output = done.stdout + done.stderr
    verdicts = [line for line in output.splitlines() if line.startswith(("PASS:", "FAIL:"))]
    assert verdicts and verdicts[0].startswith("PASS:"), f"sclang said:\n{output}"
    assert done.returncode == 0, f"sclang exited {done.returncode}:\n{output}"
    return output


# --- an in-process Daemon over real UDP ------------------------------------------------------

WAIT = 10.0  # generous deadline for a reply; a passing test never waits this long
QUIET = 0.3  # how long "no reply" is waited for


@contextmanager
def daemon_client(engines: dict[str, Any]) -> Iterator[OscClient]:
    """A Daemon serving ``engines`` on port 0, and a UDP client connected to it."""
    with Daemon(engines, port=0) as d:
        host, port = d.address
        with OscClient(host, port) as c:
            yield c


def ask(client: OscClient, address: str, *args: Any) -> Message:
    """Send one request; its first reply, within WAIT."""
    client.send(address, *args)
    reply = client.receive(WAIT)
    assert reply is not None, f"no reply to {address} {args}"
    return reply


def expect(client: OscClient, address: str, timeout: float = 5.0) -> list:
    """The arguments of the next message to ``address`` (others are skipped)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        m = client.receive(left)
        if m is not None and m.address == address:
            return m.args
    pytest.fail(f"no {address} within {timeout:g} s")


def wire_notes(args: list[Any]) -> list[Note]:
    """Reply arguments as notes, checking the wire types: int pitch/velocity, float times."""
    assert len(args) % 4 == 0
    out = []
    for i in range(0, len(args), 4):
        p, s, d, v = args[i : i + 4]
        assert type(p) is int and type(s) is float and type(d) is float and type(v) is int
        out.append(Note(p, s, d, v))
    return out
