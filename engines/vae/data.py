"""Two-bar slices of a corpus and the musical attributes the VAE can steer.

A slice is 32 steps of the 16th-note grid starting on a bar line (a multiple of 16 steps
from the start of the tune). A note tied over the slice's first bar line is re-struck at
step 0, so a slice reads like the melodies the engine is given (which never begin in the
middle of a note). Slices that are mostly silence (fewer than half the steps sounding) are
skipped.

Attributes, each a number per slice:

- ``density``: the number of notes (onsets) in the two bars;
- ``register``: the mean MIDI pitch of those notes;
- ``syncopation``: the share of onsets off the 8th-note grid, that is on the second or
  fourth 16th of a beat (0 for a melody moving only on 8ths and quarters).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engines.notes import HOLD, NOTE_ON_BASE, OFF, STEPS_PER_BAR

SLICE_STEPS = 2 * STEPS_PER_BAR
MIN_SOUNDING = 0.5


def note_on_mask(tokens: np.ndarray) -> np.ndarray:
    return (tokens >= NOTE_ON_BASE) & (tokens < NOTE_ON_BASE + 128)


def sounding_pitch(tune: np.ndarray) -> np.ndarray:
    """The pitch sounding at each step of a token sequence, -1 where silent."""
    t = tune.astype(np.int64)
    state = np.where(note_on_mask(t), t - NOTE_ON_BASE, np.where(t == OFF, -1, -2))
    idx = np.where(state != -2, np.arange(len(t)), 0)
    np.maximum.accumulate(idx, out=idx)
    filled = state[idx]
    filled[filled == -2] = -1  # HOLD before any event: silence
    return filled


def two_bar_slices(
    tunes: list[np.ndarray], steps: int = SLICE_STEPS, min_sounding: float = MIN_SOUNDING
) -> np.ndarray:
    """Every bar-aligned slice of ``steps`` tokens that is not mostly silence: [N, steps]."""
    out = []
    for tune in tunes:
        if len(tune) < steps:
            continue
        sounding = sounding_pitch(tune)
        for s in range(0, len(tune) - steps + 1, STEPS_PER_BAR):
            if (sounding[s : s + steps] >= 0).mean() < min_sounding:
                continue
            piece = tune[s : s + steps].astype(np.uint8)  # a copy
            if piece[0] == HOLD and sounding[s] >= 0:
                piece[0] = NOTE_ON_BASE + sounding[s]  # re-strike a tied note
            elif piece[0] == OFF:
                piece[0] = HOLD  # nothing sounds before the slice, nothing to end
            out.append(piece)
    return np.stack(out) if out else np.zeros((0, steps), dtype=np.uint8)


def density(tokens: np.ndarray) -> np.ndarray:
    """Notes per slice: [N, T] -> [N]."""
    return note_on_mask(tokens).sum(-1).astype(np.float64)


def register(tokens: np.ndarray) -> np.ndarray:
    """Mean pitch of each slice's notes (NaN for a slice without notes): [N, T] -> [N]."""
    on = note_on_mask(tokens)
    pitch = np.where(on, tokens.astype(np.int64) - NOTE_ON_BASE, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pitch.sum(-1) / on.sum(-1)


def syncopation(tokens: np.ndarray) -> np.ndarray:
    """Share of each slice's onsets on odd 16th steps (NaN without notes): [N, T] -> [N]."""
    on = note_on_mask(tokens)
    odd = on & (np.arange(tokens.shape[-1]) % 2 == 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return odd.sum(-1) / on.sum(-1)


ATTRIBUTES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "density": density,
    "register": register,
    "syncopation": syncopation,
}


def quartile_indices(values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the bottom and top quarter of ``values`` by rank (NaNs left out).

    Ties are broken at random, so an attribute where most slices share one value (most
    folk slices have no syncopation) still splits into two quarters of equal size.
    """
    valid = np.flatnonzero(~np.isnan(values))
    order = valid[np.lexsort((rng.random(len(valid)), values[valid]))]
    k = max(1, len(order) // 4)
    return order[:k], order[-k:]


def transpose_slices(
    slices: np.ndarray, rng: np.random.Generator, max_shift: int = 6
) -> np.ndarray:
    """Each slice transposed by its own random shift in [-max_shift, max_shift] semitones,
    limited so every pitch stays in 0..127: [N, T] uint8 -> [N, T] int64."""
    x = slices.astype(np.int64)
    on = note_on_mask(x)
    pitch = np.where(on, x - NOTE_ON_BASE, -1)
    lo = np.where(on, pitch, 999).min(-1)
    hi = pitch.max(-1)
    lo_shift = np.maximum(-max_shift, -np.where(hi >= 0, lo, 0))
    hi_shift = np.minimum(max_shift, 127 - np.maximum(hi, 0))
    shift = lo_shift + np.floor(rng.random(len(x)) * (hi_shift - lo_shift + 1)).astype(np.int64)
    return np.where(on, x + shift[:, None], x)
