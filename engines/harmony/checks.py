"""What a harmony teacher marks, on four voices on a grid: parallel fifths and octaves, voice
crossings, ranges, the chord on each beat, the key of a melody. Numpy only, no model.

Voices are ``pitch`` [T, 4] arrays (soprano, alto, tenor, bass; -1 where a voice rests) on
one grid; a note is a step whose pitch differs from the step before (a repeated note is one
note here: what is checked is the pitches that sound).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engines.notes import Note

# the usual ranges of the four voices, inclusive (soprano C4-G5, alto G3-D5, tenor C3-G4,
# bass E2-C4)
USUAL_RANGES = ((60, 79), (55, 74), (48, 67), (40, 60))
PAIRS = [(i, j) for i in range(4) for j in range(i + 1, 4)]
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
# chord templates (intervals above the root) -> quality; sevenths are read as their triad
TEMPLATES = (
    ((0, 4, 7), "major"), ((0, 3, 7), "minor"), ((0, 3, 6), "diminished"),
    ((0, 4, 7, 10), "major"), ((0, 3, 7, 10), "minor"), ((0, 4, 7, 11), "major"),
    ((0, 3, 6, 10), "diminished"), ((0, 3, 6, 9), "diminished"),
)  # fmt: skip


def parallels(pitch: np.ndarray) -> tuple[int, int]:
    """(parallel fifths and octaves, voice-pair transitions) over the six voice pairs.

    A transition is two steps in a row where both voices sound and at least one changes
    pitch; it is parallel when both move the same way and they are a fifth apart (or an
    octave/unison, compound intervals included) before and after.
    """
    p = pitch.astype(int)
    a, b = p[:-1], p[1:]
    count = total = 0
    for i, j in PAIRS:
        sounding = (a[:, i] >= 0) & (a[:, j] >= 0) & (b[:, i] >= 0) & (b[:, j] >= 0)
        mi, mj = b[:, i] - a[:, i], b[:, j] - a[:, j]
        moving = sounding & ((mi != 0) | (mj != 0))
        before, after = (a[:, i] - a[:, j]) % 12, (b[:, i] - b[:, j]) % 12
        same = np.sign(mi) == np.sign(mj)
        perfect = ((before == 7) & (after == 7)) | ((before == 0) & (after == 0))
        count += int((moving & same & (mi != 0) & perfect).sum())
        total += int(moving.sum())
    return count, total


def crossings(pitch: np.ndarray) -> tuple[int, int]:
    """(steps where a voice sounds above the voice above it, adjacent-pair steps sounding)."""
    p = pitch.astype(int)
    count = total = 0
    for i in range(3):
        both = (p[:, i] >= 0) & (p[:, i + 1] >= 0)
        count += int((both & (p[:, i + 1] > p[:, i])).sum())
        total += int(both.sum())
    return count, total


def note_starts(pitch: np.ndarray) -> np.ndarray:
    """bool [T, 4]: a voice's pitch changes here (a new pitch sounds)."""
    p = pitch.astype(int)
    before = np.vstack([np.full((1, p.shape[1]), -1), p[:-1]])
    return (p != before) & (p >= 0)


def in_range(pitch: np.ndarray, voices: Sequence[int] = (1, 2, 3)) -> tuple[int, int]:
    """(notes inside their voice's usual range, notes) for the given voices."""
    starts = note_starts(pitch)
    inside = total = 0
    for v in voices:
        notes = pitch[starts[:, v], v].astype(int)
        lo, hi = USUAL_RANGES[v]
        inside += int(((notes >= lo) & (notes <= hi)).sum())
        total += len(notes)
    return inside, total


def chord_label(pitches: Sequence[int]) -> tuple[int, str] | None:
    """(root pitch class, quality) of sounding pitches (bass last), or None if no triad or
    seventh chord fits: first a chord explaining every pitch class (a triad before a
    seventh, the bass as root first), else the triad with root and third sounding that
    explains most of them."""
    ps = [int(p) for p in pitches if p >= 0]
    if not ps:
        return None
    pcs = {p % 12 for p in ps}
    bass = min(ps) % 12
    best, best_key = None, None
    for root in range(12):
        for intervals, quality in TEMPLATES:
            tones = {(root + i) % 12 for i in intervals}
            if root not in pcs or (root + intervals[1]) % 12 not in pcs:
                continue
            covered = len(pcs & tones)
            full = pcs <= tones
            key = (full, covered if not full else 0, len(intervals) == 3, root == bass)
            if best_key is None or key > best_key:
                best, best_key = (root, quality), key
    return best


def beat_chords(pitch: np.ndarray, steps_per_beat: int) -> list[tuple[int, str] | None]:
    """The chord at the start of each beat (steps 0, spb, 2 spb, ...)."""
    return [chord_label(pitch[t]) for t in range(0, len(pitch), steps_per_beat)]


def estimate_key(notes: Sequence[Note]) -> tuple[int, bool]:
    """(tonic pitch class, minor) of a melody by the Krumhansl-Schmuckler key profiles,
    each pitch class weighted by how long it sounds."""
    weights = np.zeros(12)
    for n in notes:
        weights[n.pitch % 12] += n.duration
    best, best_r = (0, False), -2.0
    for minor, profile in ((False, MAJOR_PROFILE), (True, MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(weights, np.roll(profile, tonic))[0, 1]) if weights.std() else 0
            if r > best_r:
                best, best_r = (tonic, minor), r
    return best


def scale_of(tonic: int, minor: bool) -> frozenset[int]:
    """The key's pitch classes (minor: natural minor with the raised 6th and 7th)."""
    steps = (0, 2, 3, 5, 7, 8, 9, 10, 11) if minor else (0, 2, 4, 5, 7, 9, 11)
    return frozenset((tonic + s) % 12 for s in steps)


def consonant_with_bass(pitch: np.ndarray, steps_per_beat: int) -> tuple[int, int]:
    """(beats whose soprano note starting there is consonant with the bass, such beats)."""
    starts = note_starts(pitch)
    good = total = 0
    for t in range(0, len(pitch), steps_per_beat):
        if starts[t, 0] and pitch[t, 3] >= 0:
            total += 1
            good += int((int(pitch[t, 0]) - int(pitch[t, 3])) % 12 in (0, 3, 4, 7, 8, 9))
    return good, total


def rate(count: int, total: int, per: float = 100.0) -> float:
    return round(per * count / total, 3) if total else 0.0


__all__ = ["USUAL_RANGES", "beat_chords", "chord_label", "consonant_with_bass", "crossings",
           "estimate_key", "in_range", "note_starts", "parallels", "rate", "scale_of"]  # fmt: skip
