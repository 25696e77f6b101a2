"""The GAN bar generator's verbs as the daemon serves them: one 4-beat bar of melody per
chord, bar k at beat 4k, each following the one before (``prev`` is the bar before the first).
"""

from __future__ import annotations

from engines.base import Verb
from engines.params import SEED, Param

CHORDS = Param(
    "chords",
    "strings",
    "one chord name per bar, 1..256 of them: C, Am, F#, Bbm, G7, Cmaj7, Dm7b5 (sevenths and "
    "extensions are read as their major or minor triad, diminished as minor)",
    required=True,
    metavar="<name>",
)
CHORD = Param("chord", "str", "the bar's chord name, as for `chords`", required=True,
              metavar="<name>")  # fmt: skip
PREV = Param(
    "prev",
    "notes",
    "the bar before: pitch start duration velocity per note, starts in 0..4 beats",
    default=(),
    metavar="<notes>",
    default_doc="none",
)

# A chord progression and the bar before it (flat pitch start duration velocity): the
# typical request that benchmarks time and tests send.
PROGRESSION = ("C", "Am", "F", "G7", "Em", "Am", "Dm7", "G")
PREV_BAR = [60, 0, 1, 100, 62, 1, 1, 100, 64, 2, 1, 100, 67, 3, 1, 100]

VERBS = (
    Verb(
        "bars",
        (CHORDS, SEED, PREV),
        "notes",
        """A melody over a chord progression, one bar of 4 beats per chord: bar k starts at
        beat 4k and follows the bar before it; `prev` is the bar before the first. Reply: the
        notes of every bar, in order. Velocity is prev's mean velocity (100 without it).""",
        bench=("chords", *PROGRESSION, "prev", *PREV_BAR),
        variations=True,
    ),
    Verb(
        "bar",
        (CHORD, SEED, PREV),
        "notes",
        """One bar of 4 beats over `chord`, following `prev` (the same as `/bridge/gan/bars`
        with one chord). Reply: its notes, starting at 0..4 beats.""",
        bench=("chord", "Dm", "prev", *PREV_BAR),
    ),
)
