"""A tiny corpus of polyphonic MIDI files for the perf engine's tests: chord progressions
with a moving top voice, in several keys, written with the engine's own MIDI writer."""

from __future__ import annotations

from pathlib import Path

from engines.notes import Note
from engines.perf.events import write_midi_poly

PROGRESSION = [(0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14)]  # I vi IV V, from the tonic


def piece(key: int, bars: int = 8, velocity: int = 80) -> list[Note]:
    """Chords a beat each, four to a bar, and a melody in eighths above them."""
    notes = []
    for bar in range(bars):
        for beat, chord in enumerate(PROGRESSION):
            t = bar * 4 + beat
            notes += [Note(48 + key + p, t, 1.0, velocity) for p in chord]
            top = 72 + key + chord[(bar + beat) % 3]
            notes += [Note(top, t, 0.5, velocity + 8), Note(top + 2, t + 0.5, 0.5, velocity)]
    return notes


def write_corpus(folder: Path, files: int = 24) -> Path:
    """``files`` MIDI files in ``folder`` (keys and loudness vary)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        write_midi_poly(piece(i % 7, velocity=40 + (3 * i) % 60), folder / f"piece{i:02d}.mid")
    return folder
