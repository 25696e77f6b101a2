"""What the engines share when they take a request: checks that answer in a performer's
words, and seeded random generators on the CPU (so a seed gives the same notes on any device).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence

import torch

from engines.notes import Note, bar_padded_steps, notes_to_tokens
from engines.params import MAX_VARIATIONS

MAX_STEPS = 1024  # the most 16th steps one request may ask for
MAX_PRIMER_NOTES = 4096
MAX_PRIMER_BEATS = 1024.0


def seeded_generator(seed: int | None) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (its low 48 bits), or from the OS without one."""
    g = torch.Generator()
    if seed is None:
        g.seed()
    else:
        g.manual_seed(int(seed) & 0xFFFF_FFFF_FFFF)
    return g


def variation_seeds(seed: int | None, variations: int) -> list[int]:
    """The seeds of ``variations`` variations of one request: variation k draws with seed
    ``seed + k``, so variation k is what the request alone would draw with that seed (and
    the first N variations of a seed are the same whatever N). Without a seed the base is
    drawn from the OS."""
    if not 1 <= variations <= MAX_VARIATIONS:
        raise ValueError(f"variations must be 1..{MAX_VARIATIONS}, got {variations}")
    base = secrets.randbits(31) if seed is None else int(seed)
    return [base + k for k in range(variations)]


def check_temperature(temperature: float, zero_ok: bool = False) -> None:
    """Raise ValueError unless ``temperature`` is a finite number > 0 (or 0, with zero_ok)."""
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature)):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature}")
    if temperature < 0 or (temperature == 0 and not zero_ok):
        raise ValueError(f"temperature must be > 0, got {temperature:g}")


def check_note(n: Note, bar_beats: float | None = None) -> None:
    """Raise ValueError unless ``n`` is a playable note; with ``bar_beats``, one that starts
    within the bar before (the GAN's ``prev``)."""
    if not 0 <= n.pitch <= 127:
        raise ValueError(f"pitch must be 0..127, got {n.pitch}")
    if bar_beats is not None:
        if not (math.isfinite(n.start) and 0 <= n.start < bar_beats):
            raise ValueError(
                f"prev must be one bar: note starts must be in 0..{bar_beats:g} beats, "
                f"got {n.start:g}"
            )
    elif not (math.isfinite(n.start) and n.start >= 0):
        raise ValueError(f"note start must be >= 0 beats, got {n.start}")
    if not (math.isfinite(n.duration) and n.duration > 0):
        raise ValueError(f"note duration must be > 0 beats, got {n.duration}")
    if not 1 <= n.velocity <= 127:
        raise ValueError(f"velocity must be 1..127, got {n.velocity}")


def check_steps(steps: int) -> None:
    """Raise ValueError unless ``steps`` is 1..MAX_STEPS."""
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be 1..{MAX_STEPS}, got {steps}")


def check_sampling(temperature: float, top_p: float | None) -> None:
    """Raise ValueError, in a performer's words, for a bad temperature or top-p."""
    check_temperature(temperature)
    if top_p is not None and not (0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1], got {top_p:g}")


def check_primer(notes: Sequence[Note]) -> None:
    """Raise ValueError unless ``notes`` is a primer a continuator takes: playable notes, at
    most MAX_PRIMER_NOTES of them, ending within MAX_PRIMER_BEATS."""
    if len(notes) > MAX_PRIMER_NOTES:
        raise ValueError(f"primer has {len(notes)} notes; the most is {MAX_PRIMER_NOTES}")
    for n in notes:
        check_note(n)
        if n.end > MAX_PRIMER_BEATS:
            raise ValueError(
                f"primer is {n.end:g} beats long; the most is {MAX_PRIMER_BEATS:g} beats"
            )


def primer_tokens(notes: Sequence[Note]) -> list[int]:
    """A checked primer on the 16th grid, padded with rests to the end of its last bar (so a
    grid model keeps its place in the bar)."""
    check_primer(notes)
    return notes_to_tokens(notes, n_steps=bar_padded_steps(notes))
