"""Chord names -> the triads the GAN is conditioned on.

The model knows the 24 major and minor triads (root 0..11, C = 0; quality major or minor),
as MidiNet does. A chord name is read as its triad:

- root: ``A``..``G`` (upper case) with an optional ``#``/``b`` (also ``♯``/``♭``);
- quality: none or ``maj``/``M``/``Δ`` -> major; ``m``/``min``/``mi``/``-`` -> minor;
  ``dim``/``°``/``o``/``ø`` (and ``m7b5``) -> minor: the model has no diminished triad, and
  the minor triad on the same root shares the root and the third;
  ``aug``/``+`` -> major (shares root and third); ``sus``/``sus2``/``sus4`` and ``5`` (power
  chord) have no third and are read as major;
- extensions and alterations are dropped: sevenths (``7``, ``maj7``, ``m7``, ``mMaj7``),
  sixths, ``9``/``11``/``13``, ``add9``, ``b5``, ``#9`` ... (``G7`` is G, ``Am7`` is Am,
  ``Cmaj7`` is C, ``Dm7b5`` is Dm);
- a slash bass (``C/E``, ``Am/G``) is ignored.

Anything else (``H``, ``cm``, ``Cx``, ``N.C.``) raises ValueError naming the bad chord.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
ACCIDENTAL = {"": 0, "#": 1, "♯": 1, "b": -1, "♭": -1}
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
N_CHORDS = 24  # 12 roots x (major, minor)

_MINOR = r"(?:m(?!aj)|min|mi|-)"
_DIM = r"(?:dim|°|o|ø)"
_MAJOR = r"(?:maj|Maj|M|Δ)"
_AUG = r"(?:aug|\+)"
_EXT = r"(?:6/9|69|6|7|9|11|13)"
_ALT = r"(?:\(?(?:add|sus|b|#|♭|♯|no|omit)?(?:2|3|4|5|6|9|11|13)\)?|sus|alt)"
_CHORD = re.compile(
    rf"^(?P<root>[A-G])(?P<acc>[#b♯♭]?)"
    rf"(?:(?P<minor>{_MINOR})(?:{_MAJOR}|\(?{_MAJOR}7\)?)?|(?P<dim>{_DIM})|(?P<major>{_MAJOR})"
    rf"|(?P<aug>{_AUG}))?"
    rf"(?:{_EXT})?(?:{_ALT})*"
    rf"(?:/[A-G][#b♯♭]?)?$"
)


@dataclass(frozen=True, slots=True)
class Triad:
    """A major or minor triad: root pitch class 0..11 (C = 0) and quality."""

    root: int
    minor: bool

    @property
    def index(self) -> int:
        """0..23: root for major, 12 + root for minor."""
        return self.root + 12 * self.minor

    @staticmethod
    def from_index(index: int) -> Triad:
        if not 0 <= index < N_CHORDS:
            raise ValueError(f"chord index must be 0..{N_CHORDS - 1}, got {index}")
        return Triad(index % 12, index >= 12)

    @property
    def pitch_classes(self) -> tuple[int, int, int]:
        """Root, third, fifth as pitch classes."""
        return (self.root, (self.root + (3 if self.minor else 4)) % 12, (self.root + 7) % 12)

    @property
    def name(self) -> str:
        return NAMES[self.root] + ("m" if self.minor else "")

    def transpose(self, semitones: int) -> Triad:
        return Triad((self.root + semitones) % 12, self.minor)


def parse_chord(name: str) -> Triad:
    """A chord name (``C``, ``F#m``, ``Bb7``, ``Dm7b5``, ``C/E``) -> its triad."""
    text = name.strip() if isinstance(name, str) else name
    m = _CHORD.match(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(
            f"unknown chord {name!r}; use a root A..G with optional # or b, then m for minor "
            "and optional extensions, such as C, Am, F#m, Bb, G7, Cmaj7, Dm7b5"
        )
    root = (PITCH_CLASS[m["root"]] + ACCIDENTAL[m["acc"]]) % 12
    return Triad(root, bool(m["minor"] or m["dim"]))


def parse_chords(names: Sequence[str | Triad]) -> list[Triad]:
    """Parse every name (a Triad passes as it is); the first unknown one raises ValueError
    naming it and its place."""
    out = []
    for i, name in enumerate(names):
        if isinstance(name, Triad):
            out.append(name)
            continue
        try:
            out.append(parse_chord(name))
        except ValueError as exc:
            raise ValueError(f"chord {i + 1} of {len(names)}: {exc}") from None
    return out
