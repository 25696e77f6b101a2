"""The parameters an engine's verbs declare: name, kind, range, default and a one-line meaning.

Nothing here knows OSC: the daemon reads these declarations to parse requests, answer errors
and write the address table; the CLI reads them to build ``bridge generate``. A few
parameters most engines share are defined here once (temperature, seed, top-p, a primer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["int", "float", "str", "notes", "strings", "floats"]
LIST_KINDS = ("notes", "strings", "floats")


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


@dataclass(frozen=True)
class Param:
    """One parameter of a verb: ``name`` followed on the wire by its value(s).

    ``low``/``high`` bound numbers (every number of a ``notes`` parameter is checked by the
    notes rules instead); ``low_open`` makes the lower bound exclusive (``> 0``).
    ``default_doc`` is the default in words where the value alone says too little
    (``None`` meaning "random" or "off").
    """

    name: str
    kind: Kind
    doc: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    required: bool = False
    metavar: str = ""
    default_doc: str = ""

    def range_text(self) -> str:
        """The allowed range in words: ``1..1024``, ``> 0``, ``> 0 and <= 1``."""
        lo, hi = _num(self.low), _num(self.high)
        if self.low is not None and self.high is not None:
            return f"> {lo} and <= {hi}" if self.low_open else f"{lo}..{hi}"
        if self.low is not None:
            return f"> {lo}" if self.low_open else f">= {lo}"
        if self.high is not None:
            return f"<= {hi}"
        return ""

    def in_range(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high

    def placeholder(self) -> str:
        if self.kind in LIST_KINDS:
            return f"{self.metavar or self.name}..."
        return self.metavar or self.name[0].upper()

    def default_text(self) -> str:
        """The default as a reader sees it: ``required``, its words, or its value."""
        if self.required:
            return "required"
        if self.default_doc:
            return self.default_doc
        return str(self.default)


TEMPERATURE = Param(
    "temperature",
    "float",
    "sampling temperature: lower is safer, higher is wilder",
    default=1.0,
    low=0,
    low_open=True,
)
SEED = Param(
    "seed",
    "int",
    "the same request with the same seed gives the same reply, every time",
    default=None,
    default_doc="random",
)
TOP_P = Param(
    "top_p",
    "float",
    "nucleus sampling: sample only from the likeliest tokens whose probabilities add up to P",
    default=None,
    low=0,
    high=1,
    low_open=True,
    metavar="P",
    default_doc="off",
)
PRIMER = Param(
    "notes",
    "notes",
    "the primer: pitch start duration velocity per note (beats)",
    default=(),
    metavar="<notes>",
    default_doc="none",
)
STEPS = Param(
    "steps",
    "int",
    "16th-note steps to generate",
    default=32,
    low=1,
    high=1024,
    metavar="N",
)
# A typical primer for benchmarks and tests (a verb's ``bench`` request): two bars of a
# folk-like line in G, as flat wire quadruples (pitch start duration velocity).
PRIMER_8 = [
    v
    for p, start, dur in [
        (67, 0, 1), (71, 1, 0.5), (74, 1.5, 0.5), (72, 2, 1),
        (71, 3, 1), (69, 4, 1.5), (67, 5.5, 0.5), (66, 6, 2),
    ]
    for v in (p, start, dur, 96)
]  # fmt: skip
MAX_VARIATIONS = 16
VARIATIONS = Param(
    "variations",
    "int",
    "answer with N variations, one indexed reply each (`<index> <count> <notes...>`): "
    "variation k is drawn with seed S+k, S being `seed` (random without it)",
    default=None,
    low=1,
    high=MAX_VARIATIONS,
    metavar="N",
    default_doc="one notes reply",
)
SET_TEMPERATURE = Param(
    "temperature",
    "float",
    "new temperature, from the next step sampled",
    default=None,
    low=0,
    low_open=True,
    default_doc="unchanged",
)

__all__ = [
    "Kind",
    "LIST_KINDS",
    "MAX_VARIATIONS",
    "Param",
    "PRIMER",
    "PRIMER_8",
    "SEED",
    "SET_TEMPERATURE",
    "STEPS",
    "TEMPERATURE",
    "TOP_P",
    "VARIATIONS",
]
