"""The guardian: a small process that outlives ``bridge serve`` and ends its notes.

``bridge serve`` with MIDI output starts ``python -m bridge.live.guardian`` before it loads
any model (no torch here). The guardian opens a MIDI output of its own (client
``<midi-name>-guard``): the same named port as the bridge (``--midi-out``), or, for virtual
ports on JACK, a virtual port connected to every port the bridge's ``<midi-name>:out`` is
connected to (looked at every 0.5 s). The bridge writes each MIDI message it sends to the
guardian's standard input, one line each. When that pipe ends without a ``bye`` line, the
bridge died (any signal, SIGKILL included): the guardian sends a note-off for every note
it saw start and not end, then All Notes Off and All Sound Off on every channel used, and
exits. It ignores SIGINT and SIGHUP (the bridge handles those), and runs in its own session
so closing the terminal does not reach it.

A state file per MIDI port (``$XDG_RUNTIME_DIR/bridge/`` or ``/tmp/bridge-<uid>/``) lists the
port, the ports it is connected to, the channels used and the notes sounding (written at
most every 0.5 s while they change); a clean exit removes it. A guardian starting on a
port whose file is still there (a bridge and its guardian both killed) first clears what
the file lists. Limitation: with virtual ports on ALSA or macOS the guardian cannot follow
the bridge's connections; use ``--midi-out`` there for the same protection.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PERIOD_S = 0.5  # mirror connections and write the state file at most this often
BYE = b"bye\n"
CLOSE_GRACE_S = 0.1
GONE_TIMEOUT_S = 2.0  # the longest wait for JACK to drop a dead bridge's port
BYE_TIMEOUT_S = 0.5  # the longest wait for the guardian to exit after a clean exit


def state_dir() -> Path:
    """Where the state files are: ``$XDG_RUNTIME_DIR/bridge``, else ``/tmp/bridge-<uid>``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(runtime) / "bridge" if runtime else Path(f"/tmp/bridge-{uid}")


def state_path(api: str, port: str) -> Path:
    """The state file of one MIDI port (its API and name, as given to the bridge)."""
    return state_dir() / f"midi-{re.sub(r'[^A-Za-z0-9._-]+', '_', f'{api}-{port}')}.json"


class Guardian:
    """The bridge's side: start the process, ``tell`` it every message sent, ``bye`` on a
    clean exit. ``tell`` never blocks (a full pipe drops the line)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        assert proc.stdin is not None
        self._fd: int | None = proc.stdin.fileno()
        os.set_blocking(self._fd, False)
        self.lost_lines = 0

    @classmethod
    def start(
        cls, *, api: str | None, midi_out: str | None, client_name: str, port_name: str = "out"
    ) -> Guardian | None:
        """The running guardian, or None (logged) when it cannot be started."""
        cmd = [sys.executable, "-m", "bridge.live.guardian", "--client-name", client_name,
               "--port-name", port_name, "--parent", str(os.getpid())]  # fmt: skip
        if api:
            cmd += ["--api", api]
        if midi_out:
            cmd += ["--midi-out", midi_out]
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True
            )
        except OSError as exc:
            log.warning("no MIDI guardian (notes may stay on if the bridge is killed): %s", exc)
            return None
        return cls(proc)

    def tell(self, message: list[int]) -> None:
        """One message the bridge sent (called from the MIDI sender thread)."""
        if self._fd is None:
            return
        try:
            os.write(self._fd, (" ".join(map(str, message)) + "\n").encode())
        except BlockingIOError:
            self.lost_lines += 1
        except OSError as exc:
            log.warning("the MIDI guardian is gone: %s", exc)
            self._fd = None

    def bye(self, timeout: float = BYE_TIMEOUT_S) -> None:
        """A clean exit: the bridge ended its notes; the guardian removes the state file.
        One not gone within ``timeout`` (stuck in a call into a JACK server that just came
        back, say) is killed, so that the bridge's exit stays bounded: its state file then
        stays, and the next bridge on that port clears it (note-offs, all notes off)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.set_blocking(fd, True)
                os.write(fd, BYE)
            except OSError:
                pass
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Notes:
    """What the bridge has sounding, from the messages it sent."""

    def __init__(self, channels: Any = (), notes: Any = ()) -> None:
        self.channels: set[int] = set(channels)
        self.on: dict[tuple[int, int], int] = {}
        for ch, pitch in notes:
            self.on[(ch, pitch)] = 1

    def feed(self, message: list[int]) -> None:
        if len(message) != 3 or not 0x80 <= message[0] < 0xF0:
            return
        kind, ch = message[0] & 0xF0, message[0] & 0x0F
        self.channels.add(ch)
        key = (ch, message[1])
        if kind == 0x90 and message[2] > 0:
            self.on[key] = self.on.get(key, 0) + 1
        elif kind in (0x80, 0x90):
            self.on.pop(key, None)
        elif kind == 0xB0 and message[1] in (120, 123):
            for k in [k for k in self.on if k[0] == ch]:
                del self.on[k]

    def panic(self) -> list[list[int]]:
        """Note-offs for what sounds, then All Notes Off and All Sound Off per channel."""
        offs = [[0x80 | ch, pitch, 0] for ch, pitch in sorted(self.on)]
        return offs + [[0xB0 | ch, cc, 0] for ch in sorted(self.channels) for cc in (123, 120)]

    def snapshot(self) -> dict[str, Any]:
        return {"channels": sorted(self.channels), "notes": sorted(self.on)}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class Watcher:
    """The guardian process: see the module doc."""

    def __init__(self, args: argparse.Namespace) -> None:
        from bridge.live.midi import MidiOutput, api_name, choose_api

        self.args = args
        self.api = choose_api(args.api)
        self.jack = api_name(self.api).upper().startswith("JACK")
        self.virtual = args.midi_out is None
        self.source = f"{args.client_name}:{args.port_name}"  # the bridge's virtual port
        self.path = state_path(args.api or "auto", args.midi_out or self.source)
        self.notes = Notes()
        self.destinations: list[str] = []
        self.written: str | None = None
        self.watch: Any = None
        self.output = MidiOutput(
            args.midi_out, virtual=self.virtual, api=self.api,
            client_name=args.client_name + "-guard", frames=None,
        )  # fmt: skip
        self.clear_stale()

    def _watch(self) -> Any:
        from bridge.live.jackwatch import JackWatch

        if self.watch is None:
            self.watch = JackWatch.open(self.args.client_name + "-guard-link", self._watch_gone)
        return self.watch

    def _watch_gone(self, reason: str) -> None:
        self.watch = None  # reopened at the next period; the old client is left as it is

    def clear_stale(self) -> None:
        try:
            old = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return
        if _pid_alive(int(old.get("pid", 0))):
            return  # a live bridge owns that port
        stale = Notes(old.get("channels", ()), [tuple(n) for n in old.get("notes", ())])
        if self.virtual and self.jack and (watch := self._watch()) is not None:
            for dest in old.get("destinations", []):
                watch.connect(self.output.name, dest)
        messages = stale.panic()
        for m in messages:
            self.output.send(m)
        log.warning("cleared what a bridge that died left on %s: %d messages",
                    self.path.stem, len(messages))  # fmt: skip
        self._remove()

    def mirror(self) -> None:
        """Connect our port wherever the bridge's port is connected (JACK virtual ports)."""
        if not (self.virtual and self.jack) or (watch := self._watch()) is None:
            return
        found = [d for d in watch.connections(self.source) if d != self.output.name]
        for dest in found:
            if dest not in self.destinations:
                watch.connect(self.output.name, dest)
        if found:
            self.destinations = found

    def save(self) -> None:
        state = {"pid": self.args.parent, "port": self.args.midi_out or self.source,
                 "destinations": self.destinations, **self.notes.snapshot()}  # fmt: skip
        text = json.dumps(state)
        if text == self.written or not self.notes.channels:
            return
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(self.path)
            self.written = text
        except OSError as exc:
            log.warning("cannot write %s: %s", self.path, exc)

    def _remove(self) -> None:
        try:
            self.path.unlink()
        except OSError:
            pass

    def run(self, stdin: int) -> int:
        buffer = b""
        next_period = 0.0
        while True:
            now = time.monotonic()
            if now >= next_period:
                self.mirror()
                self.save()
                next_period = now + PERIOD_S
            ready, _, _ = select.select([stdin], [], [], max(0.0, next_period - now))
            if not ready:
                continue
            chunk = os.read(stdin, 65536)
            if not chunk:
                return self.died()
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line == BYE.strip():
                    self._remove()
                    return 0  # ports are not closed: the process exit does it (see main)
                try:
                    self.notes.feed([int(x) for x in line.split()])
                except ValueError:
                    log.warning("bad line from the bridge: %r", line)

    def died(self) -> int:
        if self.jack and (watch := self._watch()) is not None:
            # Until JACK has removed the dead bridge's client, cycles can stall on it and
            # what we send in them is lost (seen): wait for its port to go.
            deadline = time.monotonic() + GONE_TIMEOUT_S
            while watch.has_port(self.source) and time.monotonic() < deadline:
                time.sleep(0.05)
        messages = self.notes.panic()
        for m in messages:
            self.output.send(m)
        self.output.flush()
        time.sleep(CLOSE_GRACE_S)  # readers take them before our port goes with the process
        self._remove()
        log.warning("the bridge died: sent %d note-offs and channel resets", len(messages))
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge.live.guardian")
    parser.add_argument("--api", default=None)
    parser.add_argument("--midi-out", default=None)
    parser.add_argument("--client-name", default="bridge")
    parser.add_argument("--port-name", default="out")
    parser.add_argument("--parent", type=int, default=os.getppid())
    args = parser.parse_args(argv)
    for sig in ("SIGINT", "SIGHUP"):
        if hasattr(signal, sig):
            signal.signal(getattr(signal, sig), signal.SIG_IGN)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s guardian: %(message)s"
    )
    from bridge.live.midi import MidiError

    try:
        watcher = Watcher(args)
    except MidiError as exc:
        log.error("cannot open MIDI: %s", exc)
        return 1
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return watcher.run(sys.stdin.fileno())
    except Terminated:  # stopped from outside (e.g. with the whole service): end the notes
        return watcher.died()


class Terminated(Exception):
    """SIGTERM arrived."""


def _terminate(*_: object) -> None:
    raise Terminated


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # No teardown and no port closed: the kernel closes our JACK clients' sockets and the
    # server drops them. Closing a JACK client while its server ends can hang (seen), and
    # deleting an rtmidi client of a dead server blocks (see bridge.live.midilink).
    os._exit(code)
