"""The performance representation: polyphonic notes <-> a stream of events, and MIDI files.

After Performance RNN (Oore, Simon et al. 2018), one token per event:

- ``NOTE_ON + p`` / ``NOTE_OFF + p`` for each of the 128 pitches;
- ``SHIFT + k - 1``: time moves on by ``k`` ticks, ``k`` in 1..``TICKS_PER_BEAT``. A tick is
  1/96 of a beat and one shift is at most a beat; a longer gap is several shifts in a row;
- ``VELOCITY + b``: the notes started from here on have velocity bin ``b`` (32 bins of 4
  MIDI velocities), emitted only when the velocity changes;
- ``BOS``: "nothing known before this", only ever fed to the model.

Why beats and not seconds: a stream must follow the DAW's tempo, and a score has no seconds.
Counted in beats, the same events play at any tempo, and a tempo change during a live stream
changes nothing the model has said. 96 ticks a beat divide evenly into 16ths, 32nds and
triplets of each (96 = 32 x 3), and at 120 BPM a tick is 5.2 ms, finer than most players'
timing, so performed MIDI keeps its feel. Shifts of at most one beat keep the vocabulary
small (96 shift tokens) while a pause of any length is a few tokens.

At one instant the events are ordered: note-offs (ascending pitch), then, per note-on in
ascending pitch, a velocity event if its bin differs from the current one, then the note-on.
Offs first so that a pitch struck again at the moment it ends sounds twice.

Normalisation of notes (:func:`normalise`), in this order:

- a pitch outside 0..127, a velocity outside 1..127, a start that is negative or not a
  number, a negative duration: ``ValueError`` in a performer's words;
- every time is rounded to the tick; a note shorter than a tick (zero-length included) gets
  the minimum length, one tick (a tap on a pad is a real note);
- two notes of one pitch starting on the same tick become one (the longer, the louder);
- notes of one pitch that overlap: the earlier ends where the later starts (MIDI cannot
  sound one pitch twice on one channel).

The round trip notes -> events -> notes is exact for normalised notes (times on ticks,
velocities at bin centres): :func:`quantize` gives what a note becomes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import mido

from engines.notes import Note

TICKS_PER_BEAT = 96
VELOCITY_BINS = 32
VELOCITY_STEP = 4  # MIDI velocities per bin: bin b holds 4b+1 .. 4b+4
DEFAULT_VELOCITY = 80  # a score's notes without a marked dynamic (mf)

NOTE_ON = 0
NOTE_OFF = 128
SHIFT = 256
VELOCITY = SHIFT + TICKS_PER_BEAT
BOS = VELOCITY + VELOCITY_BINS
VOCAB_SIZE = BOS + 1

MAX_BEAT = 100_000.0  # a note past this beat is refused: no music is that long
MIN_TICKS = 1

Event = tuple[float, str, int, int]
"""(beat, kind, pitch, velocity): kind ``on`` or ``off``; velocity 0 for an off."""


def velocity_bin(velocity: int) -> int:
    """MIDI velocity 1..127 -> bin 0..31."""
    return min(VELOCITY_BINS - 1, (int(velocity) - 1) // VELOCITY_STEP)


def bin_velocity(b: int) -> int:
    """Bin 0..31 -> the velocity it stands for (the bin's centre, rounded up)."""
    return min(127, VELOCITY_STEP * int(b) + VELOCITY_STEP // 2 + 1)


def to_ticks(beats: float) -> int:
    return int(math.floor(beats * TICKS_PER_BEAT + 0.5))


def check_notes(notes: Iterable[Note]) -> None:
    """ValueError, in a performer's words, for a note no normalisation can make playable."""
    for n in notes:
        if not 0 <= n.pitch <= 127:
            raise ValueError(f"pitch must be 0..127 (MIDI note numbers), got {n.pitch}")
        if not 1 <= n.velocity <= 127:
            raise ValueError(f"velocity must be 1..127, got {n.velocity} (pitch {n.pitch})")
        if not (math.isfinite(n.start) and n.start >= 0):
            raise ValueError(f"a note must start at 0 beats or later, got {n.start}")
        if not math.isfinite(n.duration) or n.duration < 0:
            raise ValueError(f"a note's duration must be 0 beats or more, got {n.duration}")
        if n.end > MAX_BEAT:
            raise ValueError(
                f"a note ends at beat {n.end:g}; the most is beat {MAX_BEAT:g} "
                "(is the time in ticks or milliseconds rather than beats?)"
            )


def quantize(n: Note) -> Note:
    """A note as the events carry it: start and length on ticks (at least one), velocity
    at its bin's centre."""
    s = to_ticks(n.start)
    e = max(s + MIN_TICKS, to_ticks(n.start + n.duration))
    return Note(
        int(n.pitch),
        s / TICKS_PER_BEAT,
        (e - s) / TICKS_PER_BEAT,
        bin_velocity(velocity_bin(n.velocity)),
    )


def normalise(notes: Iterable[Note]) -> list[Note]:
    """Checked, quantized notes with no two of one pitch overlapping (rules: module doc),
    sorted by start then pitch."""
    notes = list(notes)
    check_notes(notes)
    by_pitch: dict[int, dict[int, tuple[int, int]]] = {}
    for n in notes:
        s = to_ticks(n.start)
        e = max(s + MIN_TICKS, to_ticks(n.end))
        starts = by_pitch.setdefault(n.pitch, {})
        if s in starts:  # same pitch, same tick: one note, the longer and the louder
            e0, v0 = starts[s]
            starts[s] = (max(e, e0), max(n.velocity, v0))
        else:
            starts[s] = (e, n.velocity)
    out: list[Note] = []
    for pitch, starts in by_pitch.items():
        ordered = sorted(starts.items())
        for i, (s, (e, v)) in enumerate(ordered):
            if i + 1 < len(ordered):
                e = min(e, ordered[i + 1][0])  # cut where the next one starts
            out.append(
                Note(
                    pitch,
                    s / TICKS_PER_BEAT,
                    (e - s) / TICKS_PER_BEAT,
                    bin_velocity(velocity_bin(v)),
                )
            )
    out.sort(key=lambda n: (n.start, n.pitch))
    return out


def shift_tokens(ticks: int) -> list[int]:
    """Tokens that move time on by ``ticks``: whole beats, then the rest."""
    out = [SHIFT + TICKS_PER_BEAT - 1] * (ticks // TICKS_PER_BEAT)
    if ticks % TICKS_PER_BEAT:
        out.append(SHIFT + ticks % TICKS_PER_BEAT - 1)
    return out


def notes_to_events(notes: Iterable[Note], velocity_bin0: int = -1) -> list[int]:
    """Notes -> event tokens (normalised first). The stream starts at beat 0 and ends with
    the last note-off. ``velocity_bin0`` is the bin already in force (-1: none)."""
    marks: list[tuple[int, int, int, int]] = []  # (tick, 0 off / 1 on, pitch, bin)
    for n in normalise(notes):
        s = to_ticks(n.start)
        marks.append((s, 1, n.pitch, velocity_bin(n.velocity)))
        marks.append((s + max(MIN_TICKS, to_ticks(n.duration)), 0, n.pitch, 0))
    marks.sort()
    tokens: list[int] = []
    now, vbin = 0, velocity_bin0
    for tick, on, pitch, b in marks:
        tokens += shift_tokens(tick - now)
        now = tick
        if on:
            if b != vbin:
                tokens.append(VELOCITY + b)
                vbin = b
            tokens.append(NOTE_ON + pitch)
        else:
            tokens.append(NOTE_OFF + pitch)
    return tokens


class Decoder:
    """Reads event tokens one at a time and keeps the time, the velocity and what sounds.

    ``push(token)`` returns the :data:`Event` list it causes: a note-on of a pitch already
    sounding first ends it (an ``off``), unless that note started on this very tick (then it
    is the same note), a note-off of a silent pitch is nothing, a note-off
    on the tick its note started takes effect when time next moves on (a note is never zero
    beats long), velocity changes the state only. ``notes()`` are the finished notes, kept
    only with ``keep_notes`` (a live stream's decoder keeps none: its events are all it
    needs, and a list of every note would grow for as long as the stream plays).
    """

    def __init__(
        self, start_tick: int = 0, velocity: int = DEFAULT_VELOCITY, keep_notes: bool = True
    ) -> None:
        self.tick = start_tick
        self.velocity = velocity
        self.keep_notes = keep_notes
        self.sounding: dict[int, tuple[int, int]] = {}  # pitch -> (start tick, velocity)
        self.finished: list[Note] = []
        self.pending: set[int] = set()  # offs heard on the tick their note started

    @property
    def beat(self) -> float:
        return self.tick / TICKS_PER_BEAT

    def _end(self, pitch: int) -> Event:
        s, v = self.sounding.pop(pitch)
        if self.keep_notes:
            length = (self.tick - s) / TICKS_PER_BEAT
            self.finished.append(Note(pitch, s / TICKS_PER_BEAT, length, v))
        return (self.beat, "off", pitch, 0)

    def push(self, token: int) -> list[Event]:
        token = int(token)
        if NOTE_ON <= token < NOTE_OFF:
            if token in self.sounding and self.sounding[token][0] == self.tick:
                self.pending.discard(token)  # struck again on its own tick: one note
                return []
            out = [self._end(token)] if token in self.sounding else []
            self.pending.discard(token)
            self.sounding[token] = (self.tick, self.velocity)
            return [*out, (self.beat, "on", token, self.velocity)]
        if NOTE_OFF <= token < SHIFT:
            pitch = token - NOTE_OFF
            if pitch not in self.sounding:
                return []
            if self.sounding[pitch][0] < self.tick:
                return [self._end(pitch)]
            self.pending.add(pitch)  # a note lasts at least until time moves on
            return []
        if SHIFT <= token < VELOCITY:
            self.tick += token - SHIFT + 1
            ended = [self._end(p) for p in sorted(self.pending)]
            self.pending.clear()
            return ended
        if VELOCITY <= token < BOS:
            self.velocity = bin_velocity(token - VELOCITY)
        return []

    def close(self, min_ticks: int = MIN_TICKS) -> list[Event]:
        """End every sounding note now; one started on this very tick ends ``min_ticks``
        later (a note is at least that long)."""
        out = [self._end(p) for p in sorted(self.sounding) if self.sounding[p][0] < self.tick]
        if self.sounding:
            self.tick += min_ticks
            out += [self._end(p) for p in sorted(self.sounding)]
            self.tick -= min_ticks
        self.pending.clear()
        return out

    def notes(self) -> list[Note]:
        return sorted(self.finished, key=lambda n: (n.start, n.pitch))


def events_to_notes(tokens: Sequence[int]) -> list[Note]:
    """Event tokens -> notes (a note still sounding at the end ends there)."""
    d = Decoder()
    for t in tokens:
        d.push(t)
    d.close()
    return d.notes()


def transpose_events(tokens: Sequence[int], semitones: int) -> list[int]:
    """Note-ons and -offs moved by ``semitones``; ValueError if a pitch leaves 0..127."""
    out = []
    for t in tokens:
        if NOTE_ON <= t < SHIFT:
            p = t % 128 + semitones
            if not 0 <= p <= 127:
                raise ValueError(f"transposition by {semitones} puts pitch {p} out of range")
            t = (t - t % 128) + p
        out.append(int(t))
    return out


def read_midi_poly(path: str | Path) -> list[Note]:
    """Every note of a MIDI file (all tracks and channels but drums) in beats, overlapping
    notes kept (one pitch struck again before its note-off is ended there)."""
    mid = mido.MidiFile(str(path))
    tpb = mid.ticks_per_beat or 480
    notes: list[Note] = []
    for track in mid.tracks:
        tick = 0
        sounding: dict[tuple[int, int], tuple[int, int]] = {}
        for msg in track:
            tick += msg.time
            if msg.type not in ("note_on", "note_off") or msg.channel == 9:
                continue
            key = (msg.channel, msg.note)
            if key in sounding:
                s, v = sounding.pop(key)
                notes.append(Note(msg.note, s / tpb, max(0, tick - s) / tpb, v))
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[key] = (tick, msg.velocity)
    notes.sort(key=lambda n: (n.start, n.pitch))
    return notes


def write_midi_poly(notes: Iterable[Note], path: str | Path, tempo_bpm: float = 120.0) -> None:
    """Polyphonic notes -> a type-0 MIDI file, 480 ticks a beat (a multiple of 96, so tick
    times stay exact), normalised first so no pitch overlaps itself."""
    tpb = 480
    msgs: list[tuple[int, int, int, mido.Message]] = []
    for n in normalise(notes):
        on = round(n.start * tpb)
        off = round(n.end * tpb)
        msgs.append((on, 1, n.pitch, mido.Message("note_on", note=n.pitch, velocity=n.velocity)))
        msgs.append((off, 0, n.pitch, mido.Message("note_off", note=n.pitch, velocity=0)))
    msgs.sort(key=lambda m: m[:3])
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    last = 0
    for tick, _, _, msg in msgs:
        track.append(msg.copy(time=tick - last))
        last = tick
    mid = mido.MidiFile(type=0, ticks_per_beat=tpb)
    mid.tracks.append(track)
    mid.save(str(path))
