"""The live harmonizer (``bridge serve --harmonize``): each melody note played into the bridge's
MIDI input is answered at once by three voices, alto, tenor and bass, from the harmony engine.

``LiveHarmonizer(engine, output, ...)`` is fed the MIDI input's events (``feed``). A note-on
asks ``engine.harmonize_step`` (well under a millisecond, so it runs right on the MIDI input's
thread: no queue, no thread hop) for the three pitches and sends their note-ons through the
MIDI output (its own non-blocking queue; the guardian hears every message through the
output's ``on_sent``), each voice on its own channel (default 2, 3, 4); the melody itself is
not echoed. The voices end when the melody note ends: its note-off or a note-on of velocity 0.

The melody is monophonic: the **latest** note-on wins. A note-on while a melody note is held
ends that note's voices first and harmonizes the new note; a later note-off of the older note
is ignored. Note-ons and note-offs of every channel count as the melody.

Time between melody onsets, in beats, is measured at the MIDI clock's tempo while a clock is
running (``tempo()`` of the caller decides), else at the fixed tempo. The first note of a
run is heard as a downbeat; ``reset`` (engine swap, a lost MIDI port) starts a new run.

Every voice gets its note-off: on ``end_all`` (the caller's stop, engine swap, a lost MIDI
system) and, as for every note, on the output's panic at close.

``on_voice(voice, pitch, velocity, on)`` (voice 1..3: alto, tenor, bass) hears each voice
note-on and note-off after its MIDI message is queued (the OSC events
``/bridge/harmony/note``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from bridge.live.midiclock import MidiEvent

log = logging.getLogger(__name__)

HARMONY_NOTE_ADDRESS = "/bridge/harmony/note"
CHANNELS = (2, 3, 4)  # alto, tenor, bass
DEFAULT_TEMPO = 120.0
NOTE_ON, NOTE_OFF = 0x90, 0x80


class LiveHarmonizer:
    """See the module doc. Thread-safe: ``feed`` runs on the MIDI input's thread, ``reset``
    and ``end_all`` on others."""

    def __init__(
        self,
        engine: Any,
        output: Any,
        *,
        channels: Sequence[int] = CHANNELS,
        tempo: Callable[[], float] = lambda: DEFAULT_TEMPO,
        on_voice: Callable[[int, int, int, bool], None] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> None:
        if len(channels) != 3 or not all(1 <= c <= 16 for c in channels):
            raise ValueError(f"give three MIDI channels 1..16 (alto, tenor, bass), got {channels}")
        self.output = output
        self.channels = tuple(int(c) for c in channels)
        self.tempo = tempo
        self.on_voice = on_voice
        self._temperature = temperature
        self._seed = seed
        self._lock = threading.Lock()
        self._engine = engine
        self._state = engine.open_live(temperature=temperature, seed=seed)
        self._last_onset: float | None = None
        self._melody: tuple[int, int] | None = None  # (channel 0-15, pitch) of the held note
        self._voices: list[tuple[int, int]] = []  # (channel 1-16, pitch) sounding
        self._velocity = 0
        self.notes = 0  # melody notes harmonized
        # (input time of the note-on, ms spent answering it on the input thread) per note,
        # when set to a list (benchmarks)
        self.trace: list[tuple[float, float]] | None = None

    # -- input thread ---------------------------------------------------------------------

    def feed(self, event: MidiEvent) -> bool:
        """Play ``event`` if it is a note-on or note-off; True if it was one."""
        m = event.message
        if len(m) < 3 or m[0] & 0xF0 not in (NOTE_ON, NOTE_OFF):
            return False
        ch, pitch, velocity = m[0] & 0x0F, m[1], m[2]
        with self._lock:
            if m[0] & 0xF0 == NOTE_ON and velocity > 0:
                self._end_voices()  # latest wins: the held note's voices end first
                self._strike(ch, pitch, velocity, event.time)
            elif self._melody == (ch, pitch):
                self._end_voices()
        return True

    def _strike(self, channel: int, pitch: int, velocity: int, t: float) -> None:
        beats = None
        if self._last_onset is not None:
            beats = max(0.0, t - self._last_onset) * self.tempo() / 60.0
        started = time.perf_counter()
        try:
            voices = self._engine.harmonize_step(self._state, pitch, beats=beats)
        except Exception as exc:  # never raise into the MIDI input's thread
            log.error("harmonizer failed on pitch %d: %r", pitch, exc)
            return
        self.notes += 1
        self._last_onset = t
        self._melody = (channel, pitch)
        self._velocity = velocity
        self._voices = [(c, p) for c, p in zip(self.channels, voices, strict=True)]
        for c, p in self._voices:
            self.output.note_on(c, p, velocity)
        if self.on_voice is not None:
            for voice, (_, p) in enumerate(self._voices, 1):
                self.on_voice(voice, p, velocity, True)
        if self.trace is not None:
            self.trace.append((t, 1000.0 * (time.perf_counter() - started)))

    def _end_voices(self) -> None:
        voices, self._voices, self._melody = self._voices, [], None
        for c, p in voices:
            self.output.note_off(c, p)
        if self.on_voice is not None:
            for voice, (_, p) in enumerate(voices, 1):
                self.on_voice(voice, p, 0, False)

    # -- other threads --------------------------------------------------------------------

    def end_all(self) -> None:
        """Every sounding voice ends now (note-offs)."""
        with self._lock:
            self._end_voices()

    def reset(self, engine: Any | None = None) -> None:
        """End the voices and start a new run (on ``engine`` when given: an engine swap)."""
        with self._lock:
            self._end_voices()
            if engine is not None:
                self._engine = engine
            self._state = self._engine.open_live(temperature=self._temperature, seed=self._seed)
            self._last_onset = None

    @property
    def sounding(self) -> list[tuple[int, int]]:
        """(channel 1-16, pitch) of the voices sounding."""
        with self._lock:
            return list(self._voices)


__all__ = ["CHANNELS", "DEFAULT_TEMPO", "HARMONY_NOTE_ADDRESS", "LiveHarmonizer"]
