"""The harmonizer's chord vote: whole harmonies sampled side by side, the voted chord written."""

from __future__ import annotations

import numpy as np
import torch

from engines.harmony.choose import NO_CHORD, ChordChoice
from engines.harmony.engine import HarmonyEngine
from engines.harmony.evaluate import tokens_pitch
from engines.harmony.grid import melody_tokens
from engines.harmony.model import HarmonyConfig
from engines.harmony.verbs import MELODY_8
from engines.harmony.vote import vote_chords
from engines.notes import Note

TINY = HarmonyConfig(embed=8, enc_hidden=8, dec_hidden=16, head_hidden=8)
MELODY = [Note(*MELODY_8[i : i + 4]) for i in range(0, len(MELODY_8), 4)]


def _inputs(engine: HarmonyEngine) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    c = engine.config
    sop = torch.tensor(melody_tokens(MELODY, 64, c))
    return sop, torch.arange(64) % 8, torch.full((3, 64), c.mask)


def test_samples_at_temperature_zero_are_the_greedy_path() -> None:
    engine = HarmonyEngine.from_config(TINY, seed=4)
    fast = engine.fast
    sop, pos, given = _inputs(engine)
    fast.strict, fast.chords, fast.vote = False, None, 0  # each voice's likeliest token
    greedy = fast.harmonize(sop, pos, given)
    fast.chords = ChordChoice(fast)
    pitch = tokens_pitch(np.concatenate([sop[:, None].numpy(), greedy.T.numpy()], 1), TINY.low)
    labels = fast.chords.labels(pitch)
    beats = (pos % 2 == 0).tolist()
    rows = [tuple(r) for r in given.T.tolist()]
    votes = vote_chords(fast, fast._encode(sop, pos, given), sop.tolist(), beats, rows, 4, 0.0)
    want = [(int(x),) if b and x != NO_CHORD else () for x, b in zip(labels, beats, strict=True)]
    assert votes == want and any(want)


def test_a_preferred_chord_among_the_candidates_is_written() -> None:
    engine = HarmonyEngine.from_config(TINY, seed=5)
    fast = engine.fast
    choice = ChordChoice(fast)
    rng = np.random.default_rng(0)
    hid = rng.normal(size=(3, TINY.head_hidden)).astype(np.float32)
    free = (TINY.mask,) * 3
    args = (hid, free, free, True, (-1, -1, -1, -1), 67)

    def label(tokens: tuple[int, int, int]) -> int:
        """The chord named by the soprano's G4 and the three tokens (struck at an onset)."""
        return int(choice.labels(np.array([[67, *fast.pitch_of[list(tokens)]]]))[0])

    own = label(choice.choose(*args))
    written = {x: label(choice.choose(*args, prefer=(x,))) for x in range(NO_CHORD)}
    others = [x for x, got in written.items() if got == x and x != own]
    assert others  # some other chord was among the candidates and was written
    assert all(got in (x, own) for x, got in written.items())  # else the own choice


def test_the_vote_is_deterministic_and_keeps_given_voices() -> None:
    engine = HarmonyEngine.from_config(TINY, seed=6)
    bass = [Note(43, 0.0, 2.0)]
    first = engine.harmonize(MELODY, bass=bass)
    assert engine.fast.vote and first == engine.harmonize(MELODY, bass=bass)
    assert first[3][0] == bass[0]
