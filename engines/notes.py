"""Notes, the 16th-note token grid, and MIDI files.

One note type is used everywhere: ``Note(pitch, start, duration, velocity)`` with start and
duration in beats (quarter notes). Melodies map to and from a grid of 16th-note steps with
one token per step, in the style of MusicVAE's melody representation:

- ``ON + p`` (``NOTE_ON_BASE + pitch``): a note of pitch ``p`` starts at this step,
  ending whatever note was sounding;
- ``OFF``: the sounding note ends here and silence begins;
- ``HOLD``: nothing changes (the note or the silence goes on).

The grid is monophonic. Polyphonic input is reduced by one documented rule: notes are
taken in onset order; of several notes starting on the same step the highest pitch wins, and
a note that is still sounding when the next one starts is cut there.

MIDI files are read within documented limits (:func:`read_midi`): at most ``MAX_MIDI_BYTES``
bytes, ``MAX_MIDI_NOTES`` notes, and no note past beat ``MAX_MIDI_BEAT``. A file beyond
them is refused with a ValueError (a training corpus skips it with a warning): a 549-byte
file with one note at beat 4,000,000 once made a 16-million-step grid.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import mido

STEPS_PER_BEAT = 4
BEATS_PER_BAR = 4
STEPS_PER_BAR = STEPS_PER_BEAT * BEATS_PER_BAR

HOLD = 0
OFF = 1
NOTE_ON_BASE = 2
BOS = NOTE_ON_BASE + 128  # start-of-sequence token, only ever fed to models
VOCAB_SIZE = BOS + 1

MAX_MIDI_BEAT = 100_000  # about 14 hours at 120 bpm
MAX_MIDI_NOTES = 100_000
MAX_MIDI_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Note:
    """A note: MIDI pitch 0..127, start and duration in beats, velocity 1..127."""

    pitch: int
    start: float
    duration: float
    velocity: int = 100

    @property
    def end(self) -> float:
        return self.start + self.duration


REGISTER_CENTER = 69  # the mean pitch models hear melodies at (see register_shift)


def is_note_on(token: int) -> bool:
    return NOTE_ON_BASE <= token < NOTE_ON_BASE + 128


def token_pitch(token: int) -> int:
    """The pitch of a note-on token."""
    return token - NOTE_ON_BASE


def beats_to_step(beats: float) -> int:
    return int(math.floor(beats * STEPS_PER_BEAT + 0.5))


def monophonic(notes: Iterable[Note]) -> list[Note]:
    """Quantize to the grid and reduce to one voice (highest pitch wins a shared onset).

    Returns notes whose start and duration are whole 16th steps, sorted by start, never
    overlapping: a note still sounding when the next starts is cut at that start.
    """
    by_step: dict[int, Note] = {}
    for n in notes:
        s = beats_to_step(n.start)
        e = max(s + 1, beats_to_step(n.start + n.duration))
        q = Note(n.pitch, s / STEPS_PER_BEAT, (e - s) / STEPS_PER_BEAT, n.velocity)
        if s not in by_step or q.pitch > by_step[s].pitch:
            by_step[s] = q
    ordered = [by_step[s] for s in sorted(by_step)]
    out: list[Note] = []
    for i, n in enumerate(ordered):
        if i + 1 < len(ordered) and ordered[i + 1].start < n.end:
            n = Note(n.pitch, n.start, ordered[i + 1].start - n.start, n.velocity)
        out.append(n)
    return out


def notes_to_tokens(notes: Iterable[Note], n_steps: int | None = None) -> list[int]:
    """Melody -> one token per 16th step (monophonic rule above).

    ``n_steps`` pads with rests or cuts; by default the grid ends where the last note ends.
    """
    mono = monophonic(notes)
    end = max((beats_to_step(n.end) for n in mono), default=0)
    length = end if n_steps is None else n_steps
    tokens = [HOLD] * length
    for n in mono:
        s, e = beats_to_step(n.start), beats_to_step(n.end)
        if s >= length:
            break
        tokens[s] = NOTE_ON_BASE + n.pitch
        if e < length and tokens[e] == HOLD:
            tokens[e] = OFF
    # A rest at the very start is implicit (nothing sounds before the first note).
    return tokens


def tokens_to_notes(
    tokens: Sequence[int], velocity: int = 100, offset_beats: float = 0.0
) -> list[Note]:
    """Token grid -> notes. A note lasts until the next note-on, note-off or the grid's end.

    A ``HOLD`` before any note-on is silence; ``BOS`` is treated as silence.
    """
    out: list[Note] = []
    pitch: int | None = None
    start = 0
    for t, tok in enumerate([int(x) for x in tokens] + [OFF]):
        if tok == HOLD:
            continue
        if pitch is not None:
            out.append(
                Note(
                    pitch,
                    offset_beats + start / STEPS_PER_BEAT,
                    (t - start) / STEPS_PER_BEAT,
                    velocity,
                )
            )
            pitch = None
        if is_note_on(tok):
            pitch, start = token_pitch(tok), t
    return out


def bar_padded_steps(notes: Sequence[Note]) -> int:
    """Steps up to the end of the bar in which the last note ends (0 for no notes)."""
    end = max((beats_to_step(n.end) for n in monophonic(notes)), default=0)
    return -(-end // STEPS_PER_BAR) * STEPS_PER_BAR


def transpose_tokens(tokens: Sequence[int], semitones: int) -> list[int]:
    """Shift every note-on by ``semitones``; raises ValueError if a pitch leaves 0..127."""
    out = []
    for tok in tokens:
        if is_note_on(tok):
            p = token_pitch(tok) + semitones
            if not 0 <= p <= 127:
                raise ValueError(f"transposition by {semitones} puts pitch {p} out of range")
            tok = NOTE_ON_BASE + p
        out.append(tok)
    return out


def transpose_token(token: int, semitones: int) -> int:
    """A grid token moved by ``semitones`` (a note-on; rests and holds stay), folded back by
    octaves into MIDI's 0..127."""
    if not NOTE_ON_BASE <= token < NOTE_ON_BASE + 128 or not semitones:
        return token
    pitch = token - NOTE_ON_BASE + semitones
    while pitch > 127:
        pitch -= 12
    while pitch < 0:
        pitch += 12
    return NOTE_ON_BASE + pitch


def register_shift(tokens: Sequence[int]) -> int:
    """Whole octaves that bring a primer's mean pitch (of its note-ons) nearest
    ``REGISTER_CENTER``: 0 for a melody in the register the models learned.

    The corpora (folk tunes, chorale sopranos) sit around the octave above middle C, and a
    primer two octaves lower was answered two octaves higher and out of key. Octaves keep a
    melody's key and shape, so a model hears the melody moved into its register and its
    answer is moved back by as many octaves.
    """
    pitches = [t - NOTE_ON_BASE for t in tokens if NOTE_ON_BASE <= t < NOTE_ON_BASE + 128]
    if not pitches:
        return 0
    mean = sum(pitches) / len(pitches)
    return 12 * round((REGISTER_CENTER - mean) / 12)


def read_midi(path: str | Path) -> list[Note]:
    """Every note of a MIDI file (all tracks and channels but drums), in beats.

    A file over ``MAX_MIDI_BYTES``, with more than ``MAX_MIDI_NOTES`` notes or with a note
    past beat ``MAX_MIDI_BEAT`` raises ValueError saying which limit.
    """
    size = Path(path).stat().st_size
    if size > MAX_MIDI_BYTES:
        raise ValueError(f"{size:,} bytes, over the limit of {MAX_MIDI_BYTES:,} for a MIDI file")
    mid = mido.MidiFile(str(path))
    tpb = mid.ticks_per_beat or 480
    notes: list[Note] = []
    last_tick = MAX_MIDI_BEAT * tpb
    for track in mid.tracks:
        tick = 0
        sounding: dict[tuple[int, int], tuple[int, int]] = {}
        for msg in track:
            tick += msg.time
            if tick > last_tick and msg.type in ("note_on", "note_off"):
                raise ValueError(
                    f"a note at beat {tick / tpb:,.0f}, past the limit of beat {MAX_MIDI_BEAT:,}"
                )
            if len(notes) > MAX_MIDI_NOTES:
                raise ValueError(f"more than {MAX_MIDI_NOTES:,} notes, the limit for a MIDI file")
            if msg.type not in ("note_on", "note_off") or msg.channel == 9:
                continue
            key = (msg.channel, msg.note)
            if msg.type == "note_on" and msg.velocity > 0:
                if key in sounding:  # re-struck without a note-off: end the old one
                    s, v = sounding.pop(key)
                    if tick > s:
                        notes.append(Note(msg.note, s / tpb, (tick - s) / tpb, v))
                sounding[key] = (tick, msg.velocity)
            elif key in sounding:
                s, v = sounding.pop(key)
                if tick > s:
                    notes.append(Note(msg.note, s / tpb, (tick - s) / tpb, v))
    notes.sort(key=lambda n: (n.start, -n.pitch))
    return notes


def write_midi(
    notes: Iterable[Note], path: str | Path, tempo_bpm: float = 120.0, channel: int = 0
) -> None:
    """Write notes as a type-0 MIDI file at 480 ticks per beat."""
    tpb = 480
    events: list[tuple[int, int, mido.Message]] = []
    for n in notes:
        on = int(round(n.start * tpb))
        off = max(on + 1, int(round(n.end * tpb)))
        # note-offs sort before note-ons at the same tick so repeated pitches re-strike
        events.append(
            (on, 1, mido.Message("note_on", note=n.pitch, velocity=n.velocity, channel=channel))
        )
        events.append((off, 0, mido.Message("note_off", note=n.pitch, velocity=0, channel=channel)))
    events.sort(key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    last = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - last))
        last = tick
    mid = mido.MidiFile(type=0, ticks_per_beat=tpb)
    mid.tracks.append(track)
    mid.save(str(path))
