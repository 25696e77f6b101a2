"""The perf engine's request keys and limits, shared by its verbs and its live sessions."""

from __future__ import annotations

from engines.params import Param

MAX_PRIMER_EVENTS = 1024  # a longer primer (or feed) is heard from its last 1024 events
MAX_EVENTS = 4096  # the most events one request may draw

BEATS = Param("beats", "float", "length of the reply in beats", default=4.0, low=0.25, high=64)
EVENTS = Param(
    "events",
    "int",
    "the most events to draw (note-ons and -offs, time shifts, velocity changes); the reply "
    "ends where they run out if that is before `beats`",
    default=None,
    low=1,
    high=MAX_EVENTS,
    default_doc="no cap",
)
DENSITY = Param(
    "density",
    "float",
    "notes started per beat to aim at",
    default=None,
    low=0,
    high=64,
    low_open=True,
    default_doc="the model's choice",
)
PITCH_CLASSES = Param(
    "pitch_classes",
    "floats",
    "12 weights, C C# D D# E F F# G G# A A# B: how much each pitch class should sound "
    "(1 0 1 0 1 1 0 1 0 1 0 1: C major); a pitch class weighted 0 is never started",
    default=None,
    metavar="w",
    default_doc="the model's choice",
)
DENSITY_HOLD = Param(
    "density_hold",
    "float",
    "how firmly the reply keeps to `density`: the notes it still owes make note-ons likelier "
    "and long time shifts costlier, notes ahead the reverse (0: the model's conditioning "
    "alone)",
    default=1.0,
    low=0,
    high=4,
)
SET_DENSITY_HOLD = Param(
    "density_hold",
    "float",
    "new density hold, from the next event",
    default=None,
    low=0,
    high=4,
    default_doc="unchanged",
)
SET_TOP_P = Param(
    "top_p",
    "float",
    "new top-p, from the next event",
    default=None,
    low=0,
    high=1,
    low_open=True,
    default_doc="unchanged",
)

# A typical request: 16 four-note chords, a beat each (C Am F G, four times), 64 notes.
CHORDS_64 = [
    v
    for bar in range(4)
    for beat, chord in enumerate(
        [(48, 64, 67, 72), (45, 64, 69, 72), (41, 65, 69, 72), (43, 62, 67, 71)]
    )
    for p in chord
    for v in (p, bar * 4 + beat, 1.0, 84 + 4 * (beat == 0))
]


__all__ = [
    "BEATS",
    "CHORDS_64",
    "DENSITY",
    "DENSITY_HOLD",
    "EVENTS",
    "MAX_EVENTS",
    "MAX_PRIMER_EVENTS",
    "PITCH_CLASSES",
    "SET_DENSITY_HOLD",
    "SET_TOP_P",
]
