"""What the performer plays into the MIDI input, as phrases of notes for event streams.

A phrase is the notes from the first key down until no key is held (a chord, or a run of
overlapping notes): once every key is up, ``on_phrase`` gets its notes as
``(pitch, start s, end s, velocity)`` with clock times, and a new phrase begins with the next
key. Cheap: it runs on the MIDI input's thread and only hands the phrase on (the streams'
workers hear it; no model runs here). A phrase that holds keys longer than ``MAX_HELD_S`` is
handed on with those notes ended then, so a stuck key (a lost note-off) cannot hold it back.
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.live.midi import NOTE_OFF, NOTE_ON
from bridge.live.midiclock import MidiEvent
from engines.notes import Note

MAX_HELD_S = 8.0
PlayedPhrase = list[tuple[int, float, float, int]]


class PhraseListener:
    """Collects note-ons and -offs (any channel) into phrases; see the module doc."""

    def __init__(self, on_phrase: Callable[[PlayedPhrase], None]) -> None:
        self.on_phrase = on_phrase
        self._held: dict[int, tuple[float, int]] = {}  # pitch -> (start, velocity)
        self._done: PlayedPhrase = []

    def feed(self, event: MidiEvent) -> None:
        m = event.message
        if len(m) < 3 or m[0] & 0xF0 not in (NOTE_ON, NOTE_OFF):
            return
        pitch, velocity, t = m[1], m[2], event.time
        first = min((s for s, _ in self._held.values()), default=t)
        if self._held and t - first > MAX_HELD_S:
            self._release_all(t)
        if m[0] & 0xF0 == NOTE_ON and velocity > 0:
            if pitch in self._held:  # struck again without a note-off
                self._release(pitch, t)
            self._held[pitch] = (t, velocity)
        elif pitch in self._held:
            self._release(pitch, t)
            if not self._held:
                phrase, self._done = self._done, []
                self.on_phrase(phrase)

    def _release(self, pitch: int, t: float) -> None:
        start, velocity = self._held.pop(pitch)
        self._done.append((pitch, start, t, velocity))

    def _release_all(self, t: float) -> None:
        for pitch in list(self._held):
            self._release(pitch, t)
        phrase, self._done = self._done, []
        self.on_phrase(phrase)


def phrase_notes(phrase: PlayedPhrase, bpm: float) -> list[Note]:
    """A phrase as notes in beats at ``bpm``, from its first note's start."""
    if not phrase:
        return []
    origin = min(s for _, s, _, _ in phrase)
    beat = 60.0 / bpm
    return [Note(p, (s - origin) / beat, max(e - s, 0.0) / beat, v) for p, s, e, v in phrase]


__all__ = ["MAX_HELD_S", "PhraseListener", "phrase_notes"]
