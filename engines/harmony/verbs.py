"""The harmonizer's verb as the daemon serves it: parameters, reply shape, docs."""

from __future__ import annotations

from itertools import accumulate

from engines.base import Verb
from engines.params import SEED, Param

GREEDY_TEMPERATURE = Param(
    "temperature",
    "float",
    "sampling temperature; without it, on each beat the chord most of 8 sampled "
    "harmonies (fixed seed) agree on, in its likeliest voicing; between beats the likeliest "
    "voice at each step",
    default=None,
    low=0,
    low_open=True,
    default_doc="likeliest",
)
MELODY = Param(
    "notes", "notes", "the melody (soprano), 4/4 from a downbeat at beat 0", required=True,
    metavar="<notes>",
)  # fmt: skip


def _given(voice: str) -> Param:
    return Param(voice, "notes", f"the {voice} line to keep (from beat 0; after its last note "
                 f"the {voice} is harmonised freely)", default=(), metavar="<notes>",
                 default_doc="none")  # fmt: skip


ALTO, TENOR, BASS = _given("alto"), _given("tenor"), _given("bass")

# An 8-bar chorale-like tune in G major (quarter notes, a half-note cadence every two bars),
# flat pitch start duration velocity: the typical request that benchmarks time and tests send.
_TUNE = [
    (67, 1), (67, 1), (71, 1), (69, 1), (67, 1), (66, 1), (64, 2),
    (62, 1), (64, 1), (66, 1), (67, 1), (69, 1), (69, 1), (67, 2),
    (71, 1), (72, 1), (74, 1), (72, 1), (71, 1), (69, 1), (71, 2),
    (67, 1), (69, 1), (71, 0.5), (69, 0.5), (67, 1), (66, 1), (67, 3),
]  # fmt: skip
_STARTS = accumulate((d for _, d in _TUNE), initial=0.0)
MELODY_8 = [v for (p, d), s in zip(_TUNE, _STARTS, strict=False) for v in (p, s, d, 90)]

VERBS = (
    Verb(
        "harmonize",
        (GREEDY_TEMPERATURE, SEED, ALTO, TENOR, BASS, MELODY),
        "indexed",
        """Harmonise a melody in four voices, in the style of Bach's chorales. One reply per
        voice, in order soprano, alto, tenor, bass: `<index> <count> <notes...>` (index 0..3,
        count 4). The soprano is the melody as given (notes starting together: the highest
        wins); a given alto, tenor or bass comes back as given and the other voices are
        written around it. The model hears the melody on the 8th-note grid, each note held
        until the next, moved by whole octaves into the soprano's range C4..G5 when it lies
        outside; the voices come back in the melody's octave. Beat 0 is a downbeat of 4/4.
        No two voices move in parallel fifths or octaves (a rule applied as each voice's next
        note is chosen). Greedy without a temperature: the same melody, the same harmony.""",
        bench=("notes", *MELODY_8),
    ),
)

__all__ = ["ALTO", "BASS", "GREEDY_TEMPERATURE", "MELODY", "MELODY_8", "TENOR", "VERBS"]
