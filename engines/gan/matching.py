"""Per-triad matching: the generator's pitch classes relative to each chord's root, triad by
triad, against the corpus's.

MidiNet's first-level matching in ``train.py`` compares the batch mean of the critic's
per-step input, over all chords together. A root whose chord tones fall short is then
paid for by roots that overshoot: the checkpoint of 2026-12-02 (second) wrote 0.57 chord
tones over Eb and Ebm alone and 0.94-1.00 over C, F# and Bm, with the batch mean right
(0.74 against 0.71), and seven triads never got their third. The transposed training
data gives every root the same bars relative to it (per root: 0.72 chord tones over major
triads, 0.69-0.70 over minor ones), so nothing in the data favours one root; the mean
simply does not see the roots one by one.

This term does: for each of the 24 triads in the batch, the mean over its half-bar steps
of the generator's soft pitch class relative to the root (12 numbers, zero on rest) is
pulled to the corpus's figure for its quality (the same for every root, see
:func:`relative_target`). Each triad has only a few half bars per batch, so the squared
distance of its mean would also reward making those few bars alike (the variance of a
small mean is part of its expected square); the generator writes every condition from
two noise draws (for the mode-seeking term), so the loss is the product of the two draws'
deviations, ``(m_a - t) * (m_b - t)``, whose expectation is the squared deviation of the
mean alone: no pull towards sameness.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from engines.gan.data import REST, BarExamples
from engines.gan.model import STEPS, GanConfig

N_TRIADS = 24


def relative_target(ex: BarExamples) -> np.ndarray:
    """float [2, 12]: per quality (major, minor), the share of half-bar steps under a chord
    of that quality that sound the pitch class k semitones above its root (rests count
    in the denominator, as the generator's rest row does)."""
    half = np.arange(STEPS) // (STEPS // 2)
    chord = ex.chord.astype(np.int64)[:, half]  # [N, 16]
    pitch = ex.pitch.astype(np.int64)
    ok = chord >= 0
    quality = chord // 12
    relative = (pitch - chord % 12) % 12
    out = np.zeros((2, 12))
    for q in (0, 1):
        steps = ok & (quality == q)
        sounding = steps & (pitch != REST)
        if steps.any():
            out[q] = np.bincount(relative[sounding], minlength=12) / steps.sum()
    return out


def chord_matching_loss(
    features: torch.Tensor, chords: torch.Tensor, target: torch.Tensor, config: GanConfig
) -> torch.Tensor:
    """The per-triad term (module doc).

    features [2B, 16, F]: the critic's per-step input of this bar for two noise draws of the
    same B conditions (first B, then B: ``Discriminator.step_features``); chords [B, 2];
    target [2, 12] from :func:`relative_target`. Returns a scalar, summed over the triads
    present in the batch.
    """
    relative = features[..., config.rows + 1 : config.rows + 13]  # see step_features
    rel_a, rel_b = relative.chunk(2)  # [B, 16, 12] each
    half = torch.arange(STEPS, device=chords.device) // (STEPS // 2)
    groups = F.one_hot(chords[:, half], N_TRIADS).to(relative.dtype)  # [B, 16, 24]
    counts = groups.sum((0, 1))  # [24]
    present = counts > 0
    safe = counts.clamp(min=1)[:, None]
    mean_a = torch.einsum("btc,btk->ck", groups, rel_a) / safe  # [24, 12]
    mean_b = torch.einsum("btc,btk->ck", groups, rel_b) / safe
    t = target[torch.arange(N_TRIADS, device=chords.device) // 12]  # [24, 12]
    return ((mean_a - t) * (mean_b - t)).sum(-1)[present].sum()
