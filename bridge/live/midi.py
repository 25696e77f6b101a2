"""MIDI ports: the only importer of rtmidi. Output, input, virtual ports, panic, MIDI clock.

Which MIDI system (rtmidi "API"):
- Linux: ALSA sequencer when ``/dev/snd/seq`` exists, else JACK (a JACK server must run;
  containers and CI machines usually have no ALSA sequencer, so the tests use
  ``jackd -d dummy``). ``--midi-api`` or ``BRIDGE_MIDI_API`` (alsa, jack) overrides it.
- macOS: CoreMIDI; Windows: Windows MM. Windows has no virtual ports: install loopMIDI,
  create a port (say "loopMIDI Port") and start the bridge with
  ``--midi-out "loopMIDI Port"``; your DAW then reads that port as its MIDI input. Names
  match whole or as a case-insensitive part of the port name.

No MIDI send ever blocks or spins the caller: each port has a thread of its own
(``bridge.live.midilink``) that sends, watches the MIDI system (the JACK server), stops
sending into it when it dies and reopens the port when it comes back.

On JACK an output is written by a JACK client of our own at the frame of each message's time
(the JACK-Client package): the scheduler hands it notes ``ahead`` seconds early
(``MidiSink.ahead``), so notes leave on time to the frame and the notes of a chord in one
frame; after an xrun it writes recent note-offs again (a lost note-off is a stuck note). That
client runs in a writer process of its own (``bridge.live.jackwriter``), whose process
callback never waits for this process's GIL. ``BRIDGE_MIDI_FRAMES=thread`` runs it in this
process instead (``bridge.live.jackout``: its Python callback shares the GIL with the model,
and CI runs with it as the default found harmonizer voices missing at a JACK input twice);
``BRIDGE_MIDI_FRAMES=0`` (or no JACK-Client) uses rtmidi's JACK output, which puts every
message at the start of the next period (1.33 ms at 64 frames, 48 kHz): a message sent at a
random moment lands 0 to 1 period late, the notes of a chord can straddle two periods. README,
Speed, "MIDI on JACK", has the figures.

On close, an output sends note-off for every note it started and not yet ended, then All
Notes Off (CC 123) and All Sound Off (CC 120) on every channel it used: a synth is never
left with a stuck note, even one that ignores CC 123 in omni mode.

MIDI clock: ``MidiClock`` (``bridge.live.midiclock``, importable from here too) follows an
incoming clock for tempo and transport. The bridge never sends MIDI clock.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from bridge.live.midiclock import CLOCK, CONTINUE, PPQN, START, STOP, MidiClock, MidiEvent
from bridge.live.midilink import QUEUE_SIZE, PortLink
from bridge.live.scheduler import PlayedNote

log = logging.getLogger(__name__)

NOTE_OFF, NOTE_ON, CONTROL = 0x80, 0x90, 0xB0
ALL_SOUND_OFF, ALL_NOTES_OFF = 120, 123
CLIENT_NAME = "bridge"
CLOSE_GRACE_S = 0.1
AHEAD_PERIODS = 2  # how early (in JACK periods, plus AHEAD_MARGIN_S) notes reach the frame writer
AHEAD_MARGIN_S = 0.002


def frames_wanted() -> str | None:
    """Which JACK MIDI writer ``BRIDGE_MIDI_FRAMES`` asks for: "process" (unset, ``1``,
    ``process``: the frame writer in a process of its own, the default), "thread" (``thread``:
    the frame writer in this process) or None (``0``, ``rtmidi``: rtmidi's output). See the
    module doc."""
    value = os.environ.get("BRIDGE_MIDI_FRAMES", "process").strip().lower()
    if value in ("0", "no", "off", "rtmidi"):
        return None
    return "thread" if value == "thread" else "process"


class MidiError(RuntimeError):
    """A port could not be opened; the message says what there is instead."""


def _rtmidi() -> Any:
    """rtmidi, imported only when MIDI is asked for: serving OSC alone never needs it."""
    try:
        import rtmidi
    except ImportError as exc:  # no wheel for this platform and the build failed, say
        raise MidiError(
            f"MIDI needs python-rtmidi, which does not import ({exc}): pip install "
            "python-rtmidi (OSC works without it)"
        ) from exc
    return rtmidi


API_NAMES = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE",
             "windows": "WINDOWS_MM"}  # fmt: skip
# The platform's own MIDI system, asked for by name: left unspecified, rtmidi takes the first
# compiled API with a port, which can be JACK on a Mac that has it.
PLATFORM_API = {"darwin": "MACOSX_CORE", "win32": "WINDOWS_MM"}


def choose_api(name: str | None = None) -> int:
    """The rtmidi API to use: ``name`` (alsa, jack, coremidi, windows), else
    ``$BRIDGE_MIDI_API``, else the platform's (see the module doc)."""
    rtmidi = _rtmidi()
    name = (name or os.environ.get("BRIDGE_MIDI_API") or "auto").lower()
    compiled = rtmidi.get_compiled_api()
    if name != "auto":
        if name not in API_NAMES:
            raise MidiError(f"unknown MIDI API {name!r}; one of: {', '.join(API_NAMES)}")
        api = getattr(rtmidi, "API_" + API_NAMES[name])
        if api not in compiled:
            have = ", ".join(rtmidi.get_api_name(a) for a in compiled)
            raise MidiError(f"this python-rtmidi has no {name} support (it has: {have})")
        return api
    if sys.platform.startswith("linux"):
        if rtmidi.API_LINUX_ALSA in compiled and os.path.exists("/dev/snd/seq"):
            return rtmidi.API_LINUX_ALSA
        if rtmidi.API_UNIX_JACK in compiled:
            return rtmidi.API_UNIX_JACK
    elif sys.platform in PLATFORM_API:
        api = getattr(rtmidi, "API_" + PLATFORM_API[sys.platform])
        if api in compiled:
            return api
    return rtmidi.API_UNSPECIFIED


def api_name(api: int) -> str:
    return _rtmidi().get_api_name(api)


def _find(ports: Sequence[str], name: str, kind: str) -> int:
    for i, p in enumerate(ports):
        if p == name:
            return i
    matches = [i for i, p in enumerate(ports) if name.lower() in p.lower()]
    if len(matches) == 1:
        return matches[0]
    listed = "; ".join(ports) or "none"
    if not matches:
        raise MidiError(f"no MIDI {kind} port named {name!r}; {kind} ports: {listed}")
    raise MidiError(f"{name!r} matches several MIDI {kind} ports: {listed}")


def _open(kind: str, api: int, client_name: str) -> Any:
    rtmidi = _rtmidi()
    cls = rtmidi.MidiOut if kind == "output" else rtmidi.MidiIn
    try:
        return cls(api, name=client_name)
    except Exception as exc:  # rtmidi raises SystemError/RtMidiError without a server
        jack = api == rtmidi.API_UNIX_JACK and "JACK" not in str(exc)
        hint = " (is a JACK server running?)" if jack else ""
        raise MidiError(f"cannot open {api_name(api)} MIDI {kind}: {exc}{hint}") from exc


def _connect(port: Any, kind: str, name: str | None, client_name: str, port_name: str) -> str:
    """Open an rtmidi port: the existing port ``name``, or a virtual one when name is None.
    Returns the port's name as other programs see it."""
    if name is None:
        port.open_virtual_port(port_name)
        return f"{client_name}:{port_name}"
    ports = list(port.get_ports())
    i = _find(ports, name, kind)
    port.open_port(i, port_name)
    return ports[i]


def list_ports(api: int | None = None) -> dict[str, list[str]]:
    """The MIDI ports that can be opened: {"inputs": [...], "outputs": [...]}."""
    api = choose_api() if api is None else api
    out, inp = _open("output", api, CLIENT_NAME + "-ports"), _open("input", api, CLIENT_NAME)
    try:
        return {"inputs": list(inp.get_ports()), "outputs": list(out.get_ports())}
    finally:
        out.delete()
        inp.delete()


class MidiOutput:
    """An output port: an existing one by ``name``, or a virtual one others can read.

    ``send``, ``note_on``, ``note_off`` and ``panic`` are thread-safe and never block: the
    messages go out from the port's own thread (``bridge.live.midilink``), which also
    reopens the port when its MIDI system comes back; ``on_status(state, name)`` hears
    "lost" and "back", ``on_sent(message)`` every message sent. ``close`` sends the panic
    (see module doc) first.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        virtual: bool = False,
        api: int | None = None,
        client_name: str = CLIENT_NAME,
        port_name: str = "out",
        on_status: Callable[[str, str], None] | None = None,
        queue_size: int = QUEUE_SIZE,
        frames: str | None = "env",
    ) -> None:
        if (name is None) == (not virtual):
            raise ValueError("give a port name or virtual=True (not both)")
        self.api = choose_api() if api is None else api
        self.on_status = on_status
        self._lock = threading.Lock()
        self._closed = False
        self.channels_used: set[int] = set()
        self._on: dict[tuple[int, int], int] = {}  # (channel 0-15, pitch) -> notes sounding

        def open_port() -> tuple[Any, str]:
            port = _open("output", self.api, client_name)
            try:
                return port, _connect(port, "output", name, client_name, port_name)
            except MidiError:
                port.delete()
                raise
            except Exception as exc:
                port.delete()
                raise MidiError(f"cannot open MIDI output {name or port_name!r}: {exc}") from exc

        jack = self.api == _rtmidi().API_UNIX_JACK
        self.ahead = 0.0  # how early MidiSink hands notes over (seconds): the frame writer's
        self._link: Any = None
        frames = frames_wanted() if frames == "env" else frames
        if jack and frames is not None:
            self._link = self._frame_link(frames, name, client_name, port_name, queue_size)
        if self._link is None:
            self._link = PortLink(
                open_port,
                kind="output",
                jack=jack,
                watch_name=client_name + "-watch",
                on_status=self._status,
                close_grace=CLOSE_GRACE_S,
                queue_size=queue_size,
            )
        self.name = self._link.name
        how = "written at each note's frame" if self.ahead else api_name(self.api)
        log.info("MIDI output: %s (%s)", self.name, how)

    def _frame_link(
        self, frames: str, name: str | None, client_name: str, port_name: str, queue_size: int
    ) -> Any:
        """The JACK frame writer (``frames``: "process" or "thread"), or None (then rtmidi's
        output) when JACK-Client is missing."""
        from bridge.live.jackout import JackFrameLink, jack_available
        from bridge.live.jackwriter import JackProcessLink

        if not jack_available():
            log.info("JACK-Client is not installed: MIDI goes out at JACK period boundaries")
            return None
        kind = JackProcessLink if frames == "process" else JackFrameLink
        link = kind(
            client_name,
            port_name,
            target=name,
            on_status=self._status,
            close_grace=CLOSE_GRACE_S,
            queue_size=queue_size,
        )
        self.ahead = AHEAD_PERIODS * link.period + AHEAD_MARGIN_S
        return link

    @property
    def on_sent(self) -> Callable[[list[int]], None] | None:
        return self._link.on_sent

    @on_sent.setter
    def on_sent(self, callback: Callable[[list[int]], None] | None) -> None:
        self._link.on_sent = callback

    @property
    def dropped(self) -> int:
        """Note-ons dropped (queue full, or the port lost)."""
        return self._link.dropped

    @property
    def repeated(self) -> int:
        """Note-offs the JACK frame writer wrote again after xruns (0 for other outputs)."""
        return getattr(self._link, "repeated", 0)

    def _put(self, *messages: list[int], at: float | None = None) -> None:
        """Queue ``messages`` for the time ``at`` (monotonic; None: at once). Only the JACK
        frame writer places them at ``at``; other outputs send at once."""
        if at is None or not self.ahead:
            self._link.put(*messages)
        else:
            self._link.put(*messages, at=at)

    def _status(self, state: str, name: str) -> None:
        if state == "back":  # a reopened named port may reach a synth that missed note-offs
            with self._lock:
                self._put(*self._all_off(sorted(self.channels_used)))
        if self.on_status is not None:
            self.on_status(state, name)

    @staticmethod
    def _all_off(channels: Sequence[int]) -> list[list[int]]:
        """All Notes Off and All Sound Off on ``channels`` (0-15)."""
        return [[CONTROL | ch, cc, 0] for ch in channels for cc in (ALL_NOTES_OFF, ALL_SOUND_OFF)]

    def send(self, message: Sequence[int]) -> None:
        with self._lock:
            if not self._closed:
                self._put(list(message))

    def note_on(self, channel: int, pitch: int, velocity: int, at: float | None = None) -> None:
        """``channel`` 1..16; ``at``: see ``_put``. Counted, so overlapping same-pitch notes
        end together."""
        ch = channel - 1
        with self._lock:
            if self._closed:
                return
            self.channels_used.add(ch)
            self._on[(ch, pitch)] = self._on.get((ch, pitch), 0) + 1
            self._put([NOTE_ON | ch, pitch, velocity], at=at)

    def note_off(self, channel: int, pitch: int, at: float | None = None) -> None:
        """Sends the note-off when the last note of this pitch on this channel ends."""
        ch = channel - 1
        with self._lock:
            if self._closed:
                return
            left = self._on.get((ch, pitch), 0) - 1
            if left > 0:
                self._on[(ch, pitch)] = left
                return
            self._on.pop((ch, pitch), None)
            self._put([NOTE_OFF | ch, pitch, 0], at=at)

    def panic(self) -> None:
        """Note-off for every note sounding, then All Notes Off and All Sound Off on every
        channel used. For the frame writer, ``ahead`` from now: after every note-on it was
        handed (at most ``ahead`` early), which would otherwise sound after the panic."""
        with self._lock:
            if self._closed:
                return
            offs = [[NOTE_OFF | ch, pitch, 0] for ch, pitch in sorted(self._on)]
            self._on.clear()
            at = time.monotonic() + self.ahead if self.ahead else None
            self._put(*offs, *self._all_off(sorted(self.channels_used)), at=at)

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every queued message went out; True if so."""
        return self._link.flush(timeout)

    def close(self, release: bool = True) -> None:
        """Panic, send what is queued, then close the port (``release=False``: leave it to
        the process's exit, see ``PortLink.close``). Safe to call twice."""
        self.panic()
        with self._lock:
            closed, self._closed = self._closed, True
        if not closed:
            self._link.close(release=release)


class MemoryMidiOutput(MidiOutput):
    """An output that records messages in ``messages`` instead of a port (tests)."""

    def __init__(self) -> None:  # no port, no rtmidi, no thread
        self.api = -1
        self.name = "memory"
        self.on_status = None
        self._lock = threading.Lock()
        self._closed = False
        self.channels_used = set()
        self._on = {}
        self.ahead = 0.0
        self.messages: list[list[int]] = []

    def _put(self, *messages: list[int], at: float | None = None) -> None:
        self.messages.extend(list(m) for m in messages)

    def close(self, release: bool = True) -> None:
        self.panic()


class MidiSink:
    """A scheduler sink that plays notes on a MIDI output (on each note's channel).

    ``ahead`` is the output's: when > 0 the scheduler calls ``note_on``/``note_off`` that
    much early with the time each message is for (see ``bridge.live.scheduler``)."""

    def __init__(self, output: MidiOutput) -> None:
        self.output = output
        self.ahead = output.ahead

    def note_on(self, note: PlayedNote, now: float) -> None:
        self.output.note_on(note.channel, note.pitch, note.velocity, at=now)

    def note_off(self, note: PlayedNote, now: float) -> None:
        self.output.note_off(note.channel, note.pitch, at=now)

    def announce(self, note: PlayedNote, now: float) -> None:
        pass

    def close(self) -> None:
        self.output.panic()


class MidiInput:
    """An input port (by name, or virtual); ``callback(event)`` runs on rtmidi's thread for
    every message, so it must be quick (queue it and notify). Reopened like an output when
    its MIDI system comes back; ``on_status(state, name)`` hears "lost" and "back"."""

    def __init__(
        self,
        callback: Callable[[MidiEvent], None],
        name: str | None = None,
        *,
        virtual: bool = False,
        api: int | None = None,
        client_name: str = CLIENT_NAME + "-in",
        port_name: str = "in",
        now: Callable[[], float] | None = None,
        on_status: Callable[[str, str], None] | None = None,
    ) -> None:
        if (name is None) == (not virtual):
            raise ValueError("give a port name or virtual=True (not both)")
        self.api = choose_api() if api is None else api
        self._now = now or time.monotonic
        self._callback = callback

        def open_port() -> tuple[Any, str]:
            port = _open("input", self.api, client_name)
            try:
                connected = _connect(port, "input", name, client_name, port_name)
                # Keep clock and transport; drop sysex and active sensing.
                port.ignore_types(sysex=True, timing=False, active_sense=True)
                port.set_callback(self._on_message)
                return port, connected
            except MidiError:
                port.delete()
                raise
            except Exception as exc:
                port.delete()
                raise MidiError(f"cannot open MIDI input {name or port_name!r}: {exc}") from exc

        self._link = PortLink(
            open_port,
            kind="input",
            jack=self.api == _rtmidi().API_UNIX_JACK,
            watch_name=client_name + "-watch",
            on_status=on_status,
            before_close=lambda port: port.cancel_callback(),
        )
        self.name = self._link.name
        log.info("MIDI input: %s (%s)", self.name, api_name(self.api))

    def _on_message(self, event: tuple[list[int], float], data: Any = None) -> None:
        try:
            self._callback(MidiEvent(tuple(event[0]), self._now()))
        except Exception as exc:  # never raise into rtmidi's thread
            log.error("MIDI input handler failed: %r", exc)

    def close(self, release: bool = True) -> None:
        self._link.close(release=release)


__all__ = ["CLOCK", "CONTINUE", "PPQN", "START", "STOP", "MidiClock", "MidiError", "MidiEvent",
           "MidiInput", "MidiOutput", "MidiSink", "MemoryMidiOutput", "choose_api",
           "list_ports"]  # fmt: skip
