"""The JACK frame writer in a process of its own, so that its callback never waits for our GIL.

``JackFrameLink`` (``bridge.live.jackout``) writes each message at the JACK frame of its time
from a Python process callback. In the bridge's process that callback shares the GIL with the
model, the OSC server and the scheduler, and a callback that waits for it is late: its cycle's
buffer may already be read (messages lost or read twice, measured). Here the link runs in a
child, ``python -m bridge.live.jackwriter``, whose only other work is reading its pipe.

``JackProcessLink`` (the bridge's side) has ``PortLink``'s surface (``bridge.live.midilink``)
and ``JackFrameLink``'s counters. ``put(*messages, at=...)`` writes one record per message
into the child's standard input (non-blocking; a full pipe keeps the rest for the link's
thread, and past ``queue_size`` waiting records note-ons are dropped, never note-offs);
``time.monotonic`` is one clock for both processes. The child answers on its standard output,
one text line each:

- ``open <period s> <port name>`` once the port is open, or ``error <text>`` (then it exits;
  the constructor raises MidiError with that text);
- ``sent <hex>`` for each message written (for ``on_sent``);
- ``stats <dropped> <losses> <busy> <late> <xruns> <repeated> <withdrawn>`` when one changed;
- ``status lost|back <period s> <name>`` as the JACK server goes and comes back (the child
  reopens by itself, see ``JackFrameLink``);
- ``flushed <0|1>`` and ``closed``, answering a flush and a close.

The child runs in a session of its own (a terminal's Ctrl-C or hang-up reaches the bridge,
which ends its notes through the child, not the child first). When its standard input ends
without a close (the bridge died, SIGKILL too), it drops what is queued, writes a note-off for
every note it wrote and did not end and All Notes Off on the channels used, and exits; the
guardian (``bridge.live.guardian``) does the same through its own port. If the child dies, the
port is lost (logged once, ``on_status("lost")``) and a new child is started every
``RETRY_S``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from bridge.live.midilink import QUEUE_SIZE, RETRY_S, _is_note_on

log = logging.getLogger(__name__)

RECORD = struct.Struct("<dBB")  # at (NaN: now), operation, message length; then the message
MESSAGE, FLUSH, CLOSE = 0, 1, 2
START_TIMEOUT_S = 10.0  # the longest wait for the child's first line
EXIT_WAIT_S = 0.6  # the longest wait for the child when the bridge exits
STATS_EVERY_S = 0.05  # how often the child looks whether its counters changed
PIPE_WAIT_S = 0.1
STATS = ("dropped", "losses", "busy_cycles", "late_cycles", "xruns", "repeated", "withdrawn")


def _record(op: int, message: list[int] | bytes = b"", at: float | None = None) -> bytes:
    return RECORD.pack(math.nan if at is None else at, op, len(message)) + bytes(message)


def _note_ons(records: Iterable[bytes]) -> int:
    """How many of ``records`` carry a note-on."""
    return sum(_is_note_on(list(record[RECORD.size :])) for record in records)


class JackProcessLink:
    """See the module doc. Arguments as ``JackFrameLink``'s."""

    def __init__(
        self,
        client_name: str,
        port_name: str = "out",
        target: str | None = None,
        *,
        on_status: Callable[[str, str], None] | None = None,
        on_sent: Callable[[list[int]], None] | None = None,
        close_grace: float = 0.0,
        queue_size: int = QUEUE_SIZE,
        repeat_window: float | None = None,
    ) -> None:
        self.kind = "output"
        self.on_status = on_status
        self.on_sent = on_sent
        self._dropped = 0  # here: the pipe full, the port lost
        self.losses = self.busy_cycles = self.late_cycles = self.xruns = self.repeated = 0
        self.withdrawn = 0
        self._child_stats = dict.fromkeys(STATS, 0)
        self._base = dict.fromkeys(STATS, 0)  # earlier children's counts
        self._args = [client_name, port_name, "--close-grace", str(close_grace),
                      "--queue-size", str(queue_size)]  # fmt: skip
        if target is not None:
            self._args += ["--target", target]
        if repeat_window is not None:
            self._args += ["--repeat-window", str(repeat_window)]
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._pending: deque[bytes] = deque()  # records the pipe had no room for
        self._answers: deque[str] = deque()  # flushed/closed lines, for whoever waits
        self._closed = False
        self._lost = False
        self.period = 0.0
        self.name = ""
        self._proc = self._start()
        self._reader = threading.Thread(target=self._read, name="midi-jack-proc", daemon=True)
        self._reader.start()
        self._pump = threading.Thread(target=self._pump_run, name="midi-jack-pipe", daemon=True)
        self._pump.start()

    @property
    def lost(self) -> bool:
        return self._lost

    @property
    def dropped(self) -> int:
        """Note-ons dropped: here (the pipe full, the port lost) and by the child."""
        return self._dropped + self._base["dropped"] + self._child_stats["dropped"]

    # -- the child ------------------------------------------------------------------------

    def _start(self) -> subprocess.Popen[bytes]:
        """Start a child and wait for its ``open`` line; MidiError with its ``error`` text."""
        from bridge.live.midi import MidiError

        cmd = [sys.executable, "-m", "bridge.live.jackwriter", *self._args]
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
            env=_child_env(),
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
        line = proc.stdout.readline().decode(errors="replace").strip() if ready else ""
        kind, _, rest = line.partition(" ")
        if kind != "open":
            exited = proc.poll() is not None
            _end(proc)
            why = line or ("it exited" if exited else f"no answer in {START_TIMEOUT_S:g} s")
            raise MidiError(
                rest if kind == "error" else f"the JACK MIDI writer did not start ({why})"
            )
        period, _, self.name = rest.partition(" ")
        self.period = float(period)
        os.set_blocking(proc.stdin.fileno(), False)
        return proc

    def _read(self) -> None:
        """The child's lines, until it ends; a child that died unasked is replaced."""
        while True:
            proc = self._proc
            assert proc.stdout is not None
            for raw in proc.stdout:
                try:
                    self._line(raw.decode(errors="replace").rstrip("\n"))
                except Exception as exc:  # the thread never dies of one callback
                    log.error("JACK MIDI output %s: %r", self.name, exc)
            proc.wait()
            with self._cond:
                self._answers.append("closed")
                self._cond.notify_all()
                if self._closed:
                    return
            self._replace(proc.returncode)

    def _line(self, line: str) -> None:
        kind, _, rest = line.partition(" ")
        if kind == "sent":
            if self.on_sent is not None:
                self.on_sent(list(bytes.fromhex(rest)))
        elif kind == "stats":
            with self._lock:
                self._child_stats = dict(zip(STATS, map(int, rest.split()), strict=True))
                self._count()
        elif kind == "status":
            state, period, name = rest.split(" ", 2)
            self.period, self.name, self._lost = float(period), name, state == "lost"
            self._status(state)
        elif kind in ("flushed", "closed"):
            with self._cond:
                self._answers.append(line)
                self._cond.notify_all()

    def _count(self) -> None:
        """The counters: earlier children's, this one's, and (``dropped``) our own. Lock held."""
        for key in STATS[1:]:  # "dropped" is a property
            setattr(self, key, self._base[key] + self._child_stats[key])

    def _replace(self, code: int | None) -> None:
        """The child died unasked: the port is lost until a new child opens it."""
        with self._lock:
            for key in STATS:
                self._base[key] += self._child_stats[key]
                self._child_stats[key] = 0
            self._lost = True
            self._base["losses"] += 1
            self._count()
            self._dropped += _note_ons(self._pending)
            self._pending.clear()
        log.warning("JACK MIDI writer for %s died (exit %s); starting it again every %g s",
                    self.name, code, RETRY_S)  # fmt: skip
        self._status("lost")
        while not self._closed:
            time.sleep(RETRY_S)
            try:
                proc = self._start()
            except Exception as exc:
                log.debug("JACK MIDI writer not back yet: %s", exc)
                continue
            with self._lock:
                self._proc, self._lost = proc, False
            if self._closed:
                _end(proc)
            log.warning("JACK MIDI output %s is back", self.name)
            self._status("back")
            return

    def _status(self, state: str) -> None:
        from bridge.live.midilink import report_status

        report_status(self.on_status, state, self.name)

    # -- callers --------------------------------------------------------------------------

    def put(self, *messages: list[int], at: float | None = None) -> None:
        """Queue messages for ``at`` (``time.monotonic()``; None: now); returns at once."""
        with self._lock:
            if self._closed or self._lost:
                self._dropped += sum(map(_is_note_on, messages))
                return
            data = [_record(MESSAGE, m, at) for m in messages]
            self._send(data)

    def _send(self, records: list[bytes]) -> None:
        """Write records, or keep them for the pump thread (lock held)."""
        pending = self._pending
        if not pending:
            blob = b"".join(records)
            try:
                done = os.write(self._fd(), blob)
            except BlockingIOError:
                done = 0
            except OSError:  # the child is gone: the reader thread handles it
                self._dropped += _note_ons(records)
                return
            if done == len(blob):
                return
            rest, records = blob[done:], []  # a record cut in two goes on whole
            pending.append(rest)
            self._cond.notify_all()
        for record in records:
            if len(pending) >= self._queue_size and _note_ons([record]):
                self._dropped += 1
                continue
            pending.append(record)
        self._cond.notify_all()

    def _fd(self) -> int:
        assert self._proc.stdin is not None
        return self._proc.stdin.fileno()

    def _pump_run(self) -> None:
        """Write what the pipe had no room for, as room comes."""
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending:
                    return
                try:
                    fd = self._fd()
                    data = self._pending.popleft()
                    done = os.write(fd, data)
                except BlockingIOError:
                    done = 0
                except (OSError, ValueError):  # the child's gone, or its pipe closed
                    self._pending.clear()
                    continue
                if done < len(data):
                    self._pending.appendleft(data[done:])
            if done < len(data):
                select.select([], [fd], [], PIPE_WAIT_S)

    def _ask(self, op: int, answer: str, timeout: float) -> str | None:
        """Send a flush or close and wait for the child's answer (None: none in time)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._answers.clear()
            if self._lost:
                return None
            self._send([_record(op)])
            while (got := _answer(self._answers, answer)) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return got

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until the child wrote every message queued (or lost the port); True if so."""
        return self._ask(FLUSH, "flushed", timeout) == "flushed 1"

    def close(self, timeout: float = 2.0, release: bool = True) -> None:
        """Write what is queued, close the child's client and end the child. Safe twice.
        ``release=False`` (the process is exiting, ``bridge serve``): wait at most
        ``EXIT_WAIT_S`` for the child, then leave it to finish alone (its input ends, so it
        writes what it has and exits; it is never killed with the panic unwritten)."""
        with self._lock:
            if self._closed:
                return
        wait = timeout if release else min(timeout, EXIT_WAIT_S)
        answer = self._ask(CLOSE, "closed", wait + (1.0 if release else 0.0))
        with self._cond:
            self._closed = self._lost = True
            self._cond.notify_all()
        if release or answer is not None:
            _end(self._proc, timeout)
            self._reader.join(timeout)
        elif self._proc.stdin is not None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
        if self.dropped:
            log.info("JACK MIDI output %s: %d note-ons dropped in all", self.name, self.dropped)


def _answer(answers: Iterable[str], wanted: str) -> str | None:
    """The first line that answers ``wanted`` (a child that closed answers everything)."""
    return next((a for a in answers if a.startswith(wanted) or a == "closed"), None)


def _child_env() -> dict[str, str]:
    """This environment, with the folder this ``bridge`` was imported from first on the
    child's PYTHONPATH (a source checkout not installed imports the same code)."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def _end(proc: subprocess.Popen[bytes], timeout: float = 1.0) -> None:
    """Close the child's input (it then ends its notes and exits); kill it after ``timeout``."""
    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- the child process ----------------------------------------------------------------------


class Child:
    """The writer process: one ``JackFrameLink``, fed from standard input (see the module doc)."""

    def __init__(self, args: argparse.Namespace, out: IO[bytes]) -> None:
        from bridge.live.guardian import Notes
        from bridge.live.jackout import JackFrameLink

        self._out = out
        self._out_lock = threading.RLock()
        self.notes = Notes()
        self.link = JackFrameLink(
            args.client,
            args.port,
            target=args.target,
            on_status=self._on_status,
            on_sent=self._on_sent,
            close_grace=args.close_grace,
            queue_size=args.queue_size,
            **({} if args.repeat_window is None else {"repeat_window": args.repeat_window}),
        )
        self._stats: tuple[int, ...] = ()
        self._done = threading.Event()

    def say(self, line: str) -> None:
        with self._out_lock:
            try:
                self._out.write(line.encode() + b"\n")
                self._out.flush()
            except (OSError, ValueError):  # the bridge is gone; stdin ends soon too
                pass

    def _on_sent(self, message: list[int]) -> None:
        self.notes.feed(message)
        self.say("sent " + bytes(message).hex())

    def _on_status(self, state: str, name: str) -> None:
        self.report()  # the counters first: a loss is counted when it is told
        self.say(f"status {state} {self.link.period!r} {name}")

    def report(self) -> None:
        """Say the counters if they changed."""
        with self._out_lock:
            stats = tuple(getattr(self.link, key) for key in STATS)
            if stats != self._stats:
                self._stats = stats
                self.say("stats " + " ".join(map(str, stats)))

    def _report_run(self) -> None:
        while not self._done.wait(STATS_EVERY_S):
            self.report()

    def run(self, inp: IO[bytes]) -> None:
        """Read records until a close or the end of input."""
        self.say(f"open {self.link.period!r} {self.link.name}")
        threading.Thread(target=self._report_run, name="stats", daemon=True).start()
        size = RECORD.size
        buf = b""
        while True:
            chunk = os.read(inp.fileno(), 65536)
            if not chunk:
                return self._orphaned()
            buf += chunk
            pos, batch, batch_at = 0, [], math.nan  # messages for one time go in one put
            while len(buf) - pos >= size:
                at, op, n = RECORD.unpack_from(buf, pos)
                if len(buf) - pos < size + n:
                    break
                message = list(buf[pos + size : pos + size + n])
                pos += size + n
                if op == MESSAGE:
                    if batch and (at == batch_at or math.isnan(at) and math.isnan(batch_at)):
                        batch.append(message)
                    else:
                        self._put(batch, batch_at)
                        batch, batch_at = [message], at
                    continue
                self._put(batch, batch_at)
                batch = []
                if op == FLUSH:
                    ok = self.link.flush()
                    self.report()
                    self.say(f"flushed {int(ok)}")
                elif op == CLOSE:
                    return self._close()
            self._put(batch, batch_at)
            buf = buf[pos:]

    def _put(self, batch: list[list[int]], at: float) -> None:
        if batch:
            self.link.put(*batch, at=None if math.isnan(at) else at)

    def _close(self) -> None:
        self.link.close()
        self._done.set()
        self.report()
        self.say("closed")

    def _orphaned(self) -> None:
        """The bridge is gone: silence what we started, then close."""
        self.link.cancel()
        self.link.put(*self.notes.panic())
        self._close()


def main(argv: list[str] | None = None) -> int:
    """``python -m bridge.live.jackwriter CLIENT PORT [--target T] ...``: see the module doc."""
    parser = argparse.ArgumentParser(prog="python -m bridge.live.jackwriter")
    parser.add_argument("client")
    parser.add_argument("port")
    parser.add_argument("--target")
    parser.add_argument("--close-grace", type=float, default=0.0)
    parser.add_argument("--queue-size", type=int, default=QUEUE_SIZE)
    parser.add_argument("--repeat-window", type=float)
    args = parser.parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # the bridge ends its notes through us
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    out = sys.stdout.buffer
    try:
        child = Child(args, out)
    except Exception as exc:
        out.write(f"error {' '.join(str(exc).split())}\n".encode())
        out.flush()
        return 1
    child.run(sys.stdin.buffer)
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["JackProcessLink", "main"]
