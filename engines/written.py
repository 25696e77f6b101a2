"""Melodies written for checks, not taken from a corpus: a two-bar tune in any of the 12 keys,
major or minor, in three registers (starting on C2, C4 or C6) and four rhythms (half notes
to running 16ths). The engines' musician's checks play these, as a performer would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engines.notes import Note

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)  # natural minor; the raised 7th is in the key too
REGISTERS = {"low": 36, "middle": 60, "high": 84}  # the tonic the primer starts on (C2, C4, C6)
RHYTHMS = {"half": 2.0, "quarter": 1.0, "eighth": 0.5, "sixteenth": 0.25}  # note length, beats
# Scale degrees of a two-bar tune (cycled or cut to fill two bars in each rhythm): up a
# fifth, back, a turn around the tonic.
DEGREES = (0, 2, 4, 3, 2, 1, 0, 4, 5, 4, 2, 0, 1, 2, 1, 0)


@dataclass(frozen=True)
class Primer:
    """A written two-bar tune and its key."""

    tonic: int  # pitch class 0..11
    mode: str  # major | minor
    register: str
    rhythm: str
    notes: tuple[Note, ...]

    @property
    def scale(self) -> frozenset[int]:
        steps = MAJOR if self.mode == "major" else (*MINOR, 11)
        return frozenset((self.tonic + s) % 12 for s in steps)


def primer(tonic: int, mode: str, register: str, rhythm: str) -> Primer:
    """Two bars of a tune in ``tonic`` ``mode``, starting on the tonic of ``register``."""
    scale = MAJOR if mode == "major" else MINOR
    base = REGISTERS[register] + tonic
    length = RHYTHMS[rhythm]
    count = int(8 / length)
    notes = []
    for i in range(count):
        d = DEGREES[i % len(DEGREES)]
        pitch = base + 12 * (d // 7) + scale[d % 7]
        notes.append(Note(pitch, i * length, length, 90))
    return Primer(tonic, mode, register, rhythm, tuple(notes))


def primers(
    modes: Sequence[str] = ("major", "minor"),
    registers: Sequence[str] = tuple(REGISTERS),
    rhythms: Sequence[str] = tuple(RHYTHMS),
) -> list[Primer]:
    return [
        primer(t, m, r, y) for m in modes for t in range(12) for r in registers for y in rhythms
    ]


__all__ = ["DEGREES", "MAJOR", "MINOR", "REGISTERS", "RHYTHMS", "Primer", "primer", "primers"]
