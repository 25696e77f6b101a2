"""MIDI ports: the only importer of rtmidi. Output, input, virtual ports, panic, MIDI clock.

Which MIDI system (rtmidi "API"):
- Linux: ALSA sequencer when ``/dev/snd/seq`` exists, else JACK (a JACK server must run;
  containers and CI machines usually have no ALSA sequencer, so the tests use
  ``jackd -d dummy``). ``--midi-api`` or ``BRIDGE_MIDI_API`` (alsa, jack) overrides it.
- macOS: CoreMIDI; Windows: Windows MM. Windows has no virtual ports: install loopMIDI,
  create a port (say "loopMIDI Port") and start the bridge with
  ``--midi-out "loopMIDI Port"``; your DAW then reads that port as its MIDI input. Names
  match whole or as a case-insensitive part of the port name.

On close, an output sends note-off for every note it started and not yet ended, then All
Notes Off (CC 123) and All Sound Off (CC 120) on every channel it used: a synth is never
left with a stuck note, even one that ignores CC 123 in omni mode.

MIDI clock: ``MidiClock`` follows an incoming 24-pulses-per-quarter clock for tempo and
transport (start, stop, continue). The bridge never sends MIDI clock.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.live.scheduler import PlayedNote

log = logging.getLogger(__name__)

NOTE_OFF, NOTE_ON, CONTROL = 0x80, 0x90, 0xB0
ALL_SOUND_OFF, ALL_NOTES_OFF = 120, 123
CLOCK, START, CONTINUE, STOP = 0xF8, 0xFA, 0xFB, 0xFC
PPQN = 24
CLIENT_NAME = "bridge"
CLOSE_GRACE_S = 0.1


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

    ``send`` is thread-safe. ``close`` sends the panic (see module doc) first.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        virtual: bool = False,
        api: int | None = None,
        client_name: str = CLIENT_NAME,
        port_name: str = "out",
    ) -> None:
        if (name is None) == (not virtual):
            raise ValueError("give a port name or virtual=True (not both)")
        self.api = choose_api() if api is None else api
        self._lock = threading.Lock()
        self._port = _open("output", self.api, client_name)
        self.channels_used: set[int] = set()
        self._on: dict[tuple[int, int], int] = {}  # (channel 0-15, pitch) -> notes sounding
        try:
            self.name = _connect(self._port, "output", name, client_name, port_name)
        except MidiError:
            self._port.delete()
            raise
        except Exception as exc:
            self._port.delete()
            raise MidiError(f"cannot open MIDI output {name or port_name!r}: {exc}") from exc
        log.info("MIDI output: %s (%s)", self.name, api_name(self.api))

    def send(self, message: Sequence[int]) -> None:
        with self._lock:
            if self._port is not None:
                self._port.send_message(message)

    def note_on(self, channel: int, pitch: int, velocity: int) -> None:
        """``channel`` 1..16. Counted, so overlapping same-pitch notes end together."""
        ch = channel - 1
        with self._lock:
            if self._port is None:
                return
            self.channels_used.add(ch)
            self._on[(ch, pitch)] = self._on.get((ch, pitch), 0) + 1
            self._port.send_message([NOTE_ON | ch, pitch, velocity])

    def note_off(self, channel: int, pitch: int) -> None:
        """Sends the note-off when the last note of this pitch on this channel ends."""
        ch = channel - 1
        with self._lock:
            if self._port is None:
                return
            left = self._on.get((ch, pitch), 0) - 1
            if left > 0:
                self._on[(ch, pitch)] = left
                return
            self._on.pop((ch, pitch), None)
            self._port.send_message([NOTE_OFF | ch, pitch, 0])

    def panic(self) -> None:
        """Note-off for every note sounding, then All Notes Off and All Sound Off on every
        channel used."""
        with self._lock:
            if self._port is None:
                return
            for ch, pitch in sorted(self._on):
                self._port.send_message([NOTE_OFF | ch, pitch, 0])
            self._on.clear()
            for ch in sorted(self.channels_used):
                self._port.send_message([CONTROL | ch, ALL_NOTES_OFF, 0])
                self._port.send_message([CONTROL | ch, ALL_SOUND_OFF, 0])

    def close(self) -> None:
        """Panic, then close the port. Safe to call twice."""
        self.panic()
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            # Let readers take the panic before the port goes: a JACK reader that is still
            # reading a period when its source port is removed can read garbage (seen with
            # rtmidi's JACK input). A few periods of any usual size.
            time.sleep(CLOSE_GRACE_S)
            port.close_port()
            port.delete()


class MemoryMidiOutput(MidiOutput):
    """An output that records messages in ``messages`` instead of a port (tests)."""

    def __init__(self) -> None:  # no port, no rtmidi
        self.api = -1
        self.name = "memory"
        self._lock = threading.Lock()
        self.channels_used = set()
        self._on = {}
        self.messages: list[list[int]] = []
        self._port = self

    def send_message(self, message: Sequence[int]) -> None:
        self.messages.append(list(message))

    def close_port(self) -> None:
        pass

    def close(self) -> None:
        self.panic()

    def delete(self) -> None:
        pass


class MidiSink:
    """A scheduler sink that plays notes on a MIDI output (on each note's channel)."""

    def __init__(self, output: MidiOutput) -> None:
        self.output = output

    def note_on(self, note: PlayedNote, now: float) -> None:
        self.output.note_on(note.channel, note.pitch, note.velocity)

    def note_off(self, note: PlayedNote, now: float) -> None:
        self.output.note_off(note.channel, note.pitch)

    def announce(self, note: PlayedNote, now: float) -> None:
        pass

    def close(self) -> None:
        self.output.panic()


@dataclass(frozen=True)
class MidiEvent:
    """An incoming message and the clock time it arrived."""

    message: tuple[int, ...]
    time: float


class MidiInput:
    """An input port (by name, or virtual); ``callback(event)`` runs on rtmidi's thread for
    every message, so it must be quick (queue it and notify)."""

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
    ) -> None:
        if (name is None) == (not virtual):
            raise ValueError("give a port name or virtual=True (not both)")
        self.api = choose_api() if api is None else api
        self._now = now or time.monotonic
        self._callback = callback
        self._port = _open("input", self.api, client_name)
        try:
            self.name = _connect(self._port, "input", name, client_name, port_name)
            # Keep clock and transport; drop sysex and active sensing.
            self._port.ignore_types(sysex=True, timing=False, active_sense=True)
            self._port.set_callback(self._on_message)
        except MidiError:
            self._port.delete()
            raise
        except Exception as exc:
            self._port.delete()
            raise MidiError(f"cannot open MIDI input {name or port_name!r}: {exc}") from exc
        log.info("MIDI input: %s (%s)", self.name, api_name(self.api))

    def _on_message(self, event: tuple[list[int], float], data: Any = None) -> None:
        try:
            self._callback(MidiEvent(tuple(event[0]), self._now()))
        except Exception as exc:  # never raise into rtmidi's thread
            log.error("MIDI input handler failed: %r", exc)

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            port.cancel_callback()
            port.close_port()
            port.delete()


class MidiClock:
    """Follows an incoming MIDI clock: tempo from the pulses, and start/stop/continue.

    ``feed(event)`` takes every realtime message; the callbacks run on the caller's thread:
    ``on_tempo(bpm)`` when the tempo (averaged over the last beat of pulses) moves by more
    than ``tolerance`` BPM, ``on_start(t)``, ``on_continue(t)``, ``on_stop(t)``.
    """

    def __init__(
        self,
        on_tempo: Callable[[float], None] | None = None,
        on_start: Callable[[float], None] | None = None,
        on_stop: Callable[[float], None] | None = None,
        on_continue: Callable[[float], None] | None = None,
        tolerance: float = 0.5,
    ) -> None:
        self.on_tempo, self.on_start = on_tempo, on_start
        self.on_stop, self.on_continue = on_stop, on_continue
        self.tolerance = tolerance
        self.running = False
        self.bpm: float | None = None
        self.pulses = 0  # since the last start
        self.last_pulse: float | None = None
        self.start_time: float | None = None
        self._times: deque[float] = deque(maxlen=PPQN + 1)

    def feed(self, event: MidiEvent) -> bool:
        """Handle a realtime message; False if it is not one (pass it on)."""
        if not event.message:
            return False
        status, t = event.message[0], event.time
        if status == CLOCK:
            self._pulse(t)
        elif status == START:
            self.running, self.pulses, self.start_time = True, 0, t
            if self.on_start:
                self.on_start(t)
        elif status == CONTINUE:
            self.running = True
            if self.on_continue:
                self.on_continue(t)
        elif status == STOP:
            self.running = False
            if self.on_stop:
                self.on_stop(t)
        else:
            return False
        return True

    def _pulse(self, t: float) -> None:
        if self.running:
            self.pulses += 1
        self.last_pulse = t
        self._times.append(t)
        if len(self._times) < self._times.maxlen:  # type: ignore[operator]
            return
        span = self._times[-1] - self._times[0]
        if span <= 0:
            return
        bpm = 60.0 / (PPQN * span / (len(self._times) - 1))
        if self.bpm is None or abs(bpm - self.bpm) > self.tolerance:
            self.bpm = bpm
            if self.on_tempo:
                self.on_tempo(bpm)

    def next_beat(self, after: float) -> float:
        """The clock time of the first beat (quarter note since start) after ``after``,
        extrapolated from the last pulse at the current tempo."""
        if self.bpm is None or self.last_pulse is None:
            return after
        beat = 60.0 / self.bpm
        # After Start, pulse 1 (the first after it) is beat 0, pulse 25 beat 1, and so on.
        into = (self.pulses - 1) % PPQN if self.running and self.pulses > 0 else 0
        t = self.last_pulse - into * beat / PPQN  # the last beat at or before the last pulse
        if t > after:
            return t
        return t + (math.floor((after - t) / beat) + 1) * beat
