"""The harmonizer's baseline, from counts over the training chorales (no network):

- ``harmonize``: the likeliest chord for each soprano note given its degree in the melody's
  key (Krumhansl-Schmuckler estimate; chords labelled on the beats of Bach's voices), voiced
  simply: the bass on the root nearest the last bass note within E2..C4, alto and tenor the
  next chord tones below the soprano (close position), held for the soprano note;
- ``nll``: each voice's token at each step as (hold, rest or a note) given whether the
  soprano starts a note there and whether it is a beat, times, for a note, the interval below
  the soprano given the voice and the soprano's degree in the key (add-0.5 smoothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engines.harmony.checks import chord_label, estimate_key, note_starts
from engines.harmony.model import HOLD, NOTE_BASE, REST
from engines.notes import Note

QUALITIES = ("major", "minor", "diminished")
INTERVALS = 49  # 0..47 semitones below the soprano, 48: anything else
ALPHA = 0.5


def grid_key(pitch: np.ndarray, steps_per_beat: int) -> tuple[int, bool]:
    """The soprano's key (pitch [T, 4] on the grid)."""
    starts = np.flatnonzero(note_starts(pitch)[:, 0])
    ends = np.append(starts[1:], len(pitch))
    notes = [
        Note(int(pitch[s, 0]), 0.0, (e - s) / steps_per_beat)
        for s, e in zip(starts, ends, strict=True)
    ]
    return estimate_key(notes)


@dataclass
class Baseline:
    chords: np.ndarray  # [2 modes, 12 soprano degrees, 36 chords (12 roots x 3 qualities)]
    kinds: np.ndarray  # [3 voices, 2 soprano onset, 2 beat, 3 kinds (hold, rest, note)]
    intervals: np.ndarray  # [3 voices, 2 modes, 12 degrees, INTERVALS]
    steps_per_beat: int

    @staticmethod
    def fit(pieces: list[np.ndarray], tokens: list[np.ndarray], steps_per_beat: int) -> Baseline:
        """Counts over training chorales: pitch [T, 4] and tokens [T, 4] on the grid."""
        chords = np.full((2, 12, 36), ALPHA)
        kinds = np.full((3, 2, 2, 3), ALPHA)
        intervals = np.full((3, 2, 12, INTERVALS), ALPHA)
        for pitch, tok in zip(pieces, tokens, strict=True):
            tonic, minor = grid_key(pitch, steps_per_beat)
            sop = pitch[:, 0].astype(int)
            for t in range(0, len(pitch), steps_per_beat):
                label = chord_label(pitch[t])
                if label is not None and sop[t] >= 0:
                    root, quality = label
                    chord = (root - tonic) % 12 + 12 * QUALITIES.index(quality)
                    chords[int(minor), (sop[t] - tonic) % 12, chord] += 1
            s_on = tok[:, 0] >= NOTE_BASE
            beat = np.arange(len(tok)) % steps_per_beat == 0
            for v in range(3):
                kind = np.where(tok[:, v + 1] == HOLD, 0, np.where(tok[:, v + 1] == REST, 1, 2))
                np.add.at(kinds[v], (s_on.astype(int), beat.astype(int), kind), 1)
                on = (kind == 2) & (sop >= 0)
                gap = np.clip(sop[on] - pitch[on, v + 1].astype(int), -1, INTERVALS - 2)
                gap = np.where(gap < 0, INTERVALS - 1, gap)
                np.add.at(intervals[v, int(minor)], ((sop[on] - tonic) % 12, gap), 1)
        return Baseline(chords, kinds, intervals, steps_per_beat)

    def nll(self, pitch: np.ndarray, tok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(summed NLL per voice [3], notes per voice [3]) of alto, tenor and bass."""
        tonic, minor = grid_key(pitch, self.steps_per_beat)
        sop = pitch[:, 0].astype(int)
        s_on = (tok[:, 0] >= NOTE_BASE).astype(int)
        beat = (np.arange(len(tok)) % self.steps_per_beat == 0).astype(int)
        total, notes = np.zeros(3), np.zeros(3)
        for v in range(3):
            kp = self.kinds[v] / self.kinds[v].sum(-1, keepdims=True)
            t = tok[:, v + 1]
            kind = np.where(t == HOLD, 0, np.where(t == REST, 1, 2))
            nll = -np.log(kp[s_on, beat, kind])
            on = kind == 2
            ip = self.intervals[v, int(minor)]
            ip = ip / ip.sum(-1, keepdims=True)
            gap = np.clip(sop - pitch[:, v + 1].astype(int), -1, INTERVALS - 2)
            gap = np.where((gap < 0) | (sop < 0), INTERVALS - 1, gap)
            nll[on] -= np.log(ip[(sop[on] - tonic) % 12, gap[on]])
            total[v] = nll.sum()
            notes[v] = on.sum()
        return total, notes

    def harmonize(self, soprano: np.ndarray) -> np.ndarray:
        """Soprano pitches [T] on the grid (-1 rests) -> pitch [T, 4]."""
        pitch = np.full((len(soprano), 4), -1, dtype=int)
        pitch[:, 0] = soprano
        fake = np.full((len(soprano), 4), -1)
        fake[:, 0] = soprano
        tonic, minor = grid_key(fake, self.steps_per_beat)
        starts = np.flatnonzero(note_starts(fake)[:, 0])
        ends = np.append(starts[1:], len(soprano))
        last_bass = 48
        for s, e in zip(starts, ends, strict=True):
            sp = int(soprano[s])
            row = self.chords[int(minor), (sp - tonic) % 12].copy()
            for c in range(36):  # the chord must hold the soprano's note
                root, q = c % 12 + tonic, QUALITIES[c // 12]
                ivs = {"major": (0, 4, 7), "minor": (0, 3, 7), "diminished": (0, 3, 6)}[q]
                if (sp - root) % 12 not in ivs:
                    row[c] = 0
            c = int(row.argmax())
            root = (c % 12 + tonic) % 12
            ivs = {"major": (0, 4, 7), "minor": (0, 3, 7), "diminished": (0, 3, 6)}[
                QUALITIES[c // 12]
            ]
            tones = {(root + i) % 12 for i in ivs}
            below = [p for p in range(sp - 1, sp - 25, -1) if p % 12 in tones]
            alto, tenor = below[0], below[1]
            basses = [p for p in range(40, 61) if p % 12 == root]
            bass = min(basses, key=lambda p: (abs(p - last_bass), p))
            last_bass = bass
            pitch[s:e, 1:] = (alto, tenor, bass)
        return pitch


__all__ = ["Baseline", "grid_key"]
