"""The VAE interpolator's verbs as the daemon serves them: parameters, reply shapes, docs.

Melodies are two bars (8 beats); longer input is cut, shorter is padded with rests,
overlapping notes are reduced to one voice (the highest of notes starting together wins; a
note still sounding when the next starts is cut there).
"""

from __future__ import annotations

from engines.base import Verb
from engines.params import SEED, TEMPERATURE, Param

POINTS = Param(
    "steps",
    "int",
    "the number of melodies from a to b, both endpoints included",
    default=5,
    low=2,
    high=64,
    metavar="N",
)
COUNT = Param("n", "int", "how many melodies", default=1, low=1, high=64)
GREEDY_TEMPERATURE = Param(
    "temperature",
    "float",
    "sampling temperature; without it, the likeliest melody (greedy)",
    default=None,
    low=0,
    low_open=True,
    default_doc="greedy",
)
A = Param("a", "notes", "the first melody (2 bars)", required=True, metavar="<notes>")
B = Param("b", "notes", "the last melody (2 bars)", required=True, metavar="<notes>")
MELODY = Param("notes", "notes", "the melody (2 bars)", required=True, metavar="<notes>")
Z = Param("z", "floats", "the latent code, as many numbers as `/bridge/vae/encode` gives",
          required=True, metavar="floats")  # fmt: skip
ATTRIBUTE = Param("name", "str", "density, register or syncopation", required=True,
                  metavar="<name>")  # fmt: skip
AMOUNT = Param(
    "amount",
    "float",
    "how far to move: +1 is the step from a typical bottom-quarter melody to a top-quarter "
    "one, -1 the way back",
    default=1.0,
    low=-8,
    high=8,
)

# Two two-bar melodies (flat pitch start duration velocity), a rising line and a falling one:
# the typical request that benchmarks time and tests send.
MELODY_A = [v for i in range(16) for v in (60 + (i * 7) % 12, i * 0.5, 0.5, 100)]
MELODY_B = [v for i in range(8) for v in (79 - i, i * 1.0, 0.75, 90)]

VERBS = (
    Verb(
        "interpolate",
        (POINTS, TEMPERATURE, SEED, A, B),
        "indexed",
        """Morph melody `a` into melody `b`: their latent codes are joined by spherical
        interpolation and each point is decoded. One reply per point, endpoints included, in
        order: `<index> <count> <notes...>` (index 0..count-1; notes start at 0..8 beats).
        Velocity moves from a's mean velocity to b's.""",
        bench=("steps", 8, "temperature", 1.0, "a", *MELODY_A, "b", *MELODY_B),
    ),
    Verb(
        "sample",
        (COUNT, TEMPERATURE, SEED),
        "indexed",
        """New two-bar melodies from random latent codes. One reply per melody:
        `<index> <count> <notes...>` (notes start at 0..8 beats).""",
        bench=("n", 4),
    ),
    Verb(
        "encode",
        (MELODY,),
        "numbers",
        """The latent code of a two-bar melody: `<floats...>` (send them to
        `/bridge/vae/decode`, change them, morph between them).""",
        bench=("notes", *MELODY_A),
    ),
    Verb(
        "decode",
        (GREEDY_TEMPERATURE, SEED, Z),
        "notes",
        """The two-bar melody of a latent code `z` (from `/bridge/vae/encode`, or your own
        numbers). Reply: `<notes...>`, starting at 0..8 beats, velocity 100.""",
    ),
    Verb(
        "attribute",
        (ATTRIBUTE, AMOUNT, GREEDY_TEMPERATURE, SEED, MELODY),
        "notes",
        """Steer a two-bar melody: move its latent code `amount` times along an attribute
        vector and decode. `density` (number of notes), `register` (mean pitch), `syncopation`
        (share of notes off the 8th-note grid). Reply: `<notes...>`.""",
        bench=("name", "density", "notes", *MELODY_A),
    ),
)
