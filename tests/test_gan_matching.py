"""The GAN's per-triad matching term (engines/gan/matching.py) at tiny size."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.gan.chords import parse_chord
from engines.gan.data import REST, BarExamples
from engines.gan.engine import GanEngine
from engines.gan.matching import chord_matching_loss, relative_target
from engines.gan.model import GanConfig, bar_image

TINY = GanConfig(z_dim=8, g_channels=16, cond_channels=8, d_channels=8)


def examples(pitch: list[list[int]], chords: list[list[str]]) -> BarExamples:
    n = len(pitch)
    p = np.array(pitch, dtype=np.int8)
    return BarExamples(
        pitch=p,
        onset=np.zeros(p.shape, dtype=bool),
        chord=np.array([[parse_chord(c).index for c in row] for row in chords], dtype=np.int8),
        prev_pitch=np.full(p.shape, REST, dtype=np.int8),
        prev_onset=np.zeros(p.shape, dtype=bool),
        bar_index=np.arange(n),
    )


def test_the_target_counts_pitch_classes_above_each_chords_root_per_quality() -> None:
    # half bar over D: D (root) 4 steps, F# (major third) 2, rest 2; over Em: G 8 steps
    # (its minor third); over Eb: G (major third) 8 steps, the same as over D's F#
    ex = examples(
        [[62] * 4 + [66] * 2 + [REST] * 2 + [67] * 8, [67] * 8 + [55] * 8],
        [["D", "Em"], ["Eb", "Eb"]],
    )
    t = relative_target(ex)
    assert t.shape == (2, 12)
    assert t[0].tolist() == pytest.approx(
        [4 / 24] + [0] * 3 + [(2 + 16) / 24] + [0] * 7
    )  # rests count in the denominator only
    assert t[1].tolist() == pytest.approx([0] * 3 + [1.0] + [0] * 8)


def _features(rows: list[list[int]], chords: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The tiny critic's per-step input of this bar, for bars given as MIDI pitch rows."""
    disc = GanEngine.from_config(TINY, "cpu").model.discriminator
    r = torch.tensor([[p - TINY.low for p in row] for row in rows])
    bar = bar_image(r, torch.zeros(r.shape, dtype=torch.bool), TINY)
    prev = bar_image(torch.full(r.shape, TINY.rest), torch.zeros(r.shape, dtype=torch.bool), TINY)
    c = torch.tensor([[parse_chord(n).index] * 2 for n in chords])
    with torch.no_grad():
        return disc.step_features(bar, prev, c.repeat(len(rows) // len(chords), 1))[:, 16:], c


def test_bars_that_match_the_target_cost_nothing_and_a_triad_off_target_costs() -> None:
    # target: over major triads half root, half fifth; over minor triads all third
    target = torch.zeros(2, 12)
    target[0, 0] = target[0, 7] = 0.5
    target[1, 3] = 1.0
    good = [[60] * 8 + [67] * 8, [63] * 16]  # C: C then G; Cm: Eb
    feats, chords = _features(good + good, ["C", "Cm"])  # two draws of the same conditions
    assert chord_matching_loss(feats, chords, target, TINY).item() == pytest.approx(0.0)
    # over Cm both draws write C: (1 - 0)^2 at the root + (0 - 1)^2 at the third = 2
    bad = [[60] * 8 + [67] * 8, [60] * 16]
    feats, chords = _features(bad + bad, ["C", "Cm"])
    assert chord_matching_loss(feats, chords, target, TINY).item() == pytest.approx(2.0)


def test_two_draws_that_miss_in_opposite_directions_are_not_pulled_together() -> None:
    """The product of the two draws' deviations: draws that differ from each other but
    average to the target are not asked to become alike (the mean is right)."""
    target = torch.zeros(2, 12)
    target[0, 0] = target[0, 7] = 0.5
    a, b = [[60] * 16], [[67] * 16]  # C alone, G alone: their mean is the target
    feats, chords = _features(a + b, ["C"])
    assert chord_matching_loss(feats, chords, target, TINY).item() < 0
    feats, chords = _features(a + a, ["C"])
    assert chord_matching_loss(feats, chords, target, TINY).item() > 0


def test_the_term_moves_the_generators_pitches_towards_the_target() -> None:
    torch.manual_seed(0)
    engine = GanEngine.from_config(TINY, "cpu", seed=0)
    gen, disc = engine.model.generator, engine.model.discriminator
    target = torch.zeros(2, 12)
    target[:, 0] = 1.0  # the root, always
    chords = torch.tensor([[parse_chord(n).index] * 2 for n in ("C", "Eb", "F#m", "Bbm")])
    prev_rows = torch.full((4, 16), TINY.rest)
    prev_onset = torch.zeros(4, 16, dtype=torch.bool)
    opt = torch.optim.Adam(gen.parameters(), lr=1e-2)
    z = torch.randn(8, TINY.z_dim)
    losses = []
    for _ in range(30):
        pl, ol = gen(z, chords.repeat(2, 1), prev_rows.repeat(2, 1), prev_onset.repeat(2, 1))
        bar = torch.stack([pl.softmax(-1), torch.zeros_like(pl)], 1)
        prev = bar_image(prev_rows.repeat(2, 1), prev_onset.repeat(2, 1), TINY)
        feats = disc.step_features(bar, prev, chords.repeat(2, 1))[:, 16:]
        loss = chord_matching_loss(feats, chords, target, TINY)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
