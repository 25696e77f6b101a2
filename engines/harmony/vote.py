"""A chord vote on each beat from whole sampled harmonies, drawn side by side.

Summing probabilities over one step's candidates (:mod:`engines.harmony.choose`) sees one
beat at a time, after the greedy path so far. Whole harmonies sampled at temperature 1 and
counted per beat estimate the model's distribution over chords on that beat, each sample
a coherent harmony. :func:`vote_chords` draws ``samples`` harmonies at once (the decoder's
state an [N, D] matrix) from a generator with a fixed seed, so the vote, and the harmony
then written with it (the voted chord on each beat where it is among the candidates), is
the same for the same melody. The rule against parallels is not applied to the samples:
it changes voicings, rarely chords; the harmony written keeps it.
"""

from __future__ import annotations

import numpy as np
import torch

from engines.harmony.choose import NEG, NO_CHORD, ChordChoice
from engines.harmony.model import HOLD, NOTE_BASE, REST


def _mm(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """a @ w.T in torch: numpy's BLAS would start threads of its own for a matrix of rows
    (on a shared machine, a p99 of seconds); torch keeps to its thread count."""
    return torch.mm(torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(w).T).numpy()


def _gru_rows(gi: np.ndarray, h: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    """One GRU step for each row: gi [N, 3H] (bias included), h [N, H]."""
    gh = _mm(h, w_hh) + b_hh
    n_h = h.shape[1]
    rz = 1.0 / (1.0 + np.exp(-(gi[:, : 2 * n_h] + gh[:, : 2 * n_h])))  # both gates at once
    n = np.tanh(gi[:, 2 * n_h :] + rz[:, :n_h] * gh[:, 2 * n_h :])
    return n + rz[:, n_h:] * (h - n)


def vote_chords(
    fast: object,
    gi_all: np.ndarray,
    soprano: list[int],
    beats: list[bool],
    given: list[tuple[int, int, int]],
    samples: int = 16,
    temperature: float = 1.0,
    seed: int = 0,
) -> list[tuple[int, ...]]:
    """Per step, the commonest chord labels (root * 3 + quality; more than one when tied)
    among ``samples`` harmonies sampled at ``temperature`` on beats; () off beats and where no
    sample names a chord.
    ``gi_all`` [T, 3D]: the decoder's input projection of the encoded melody; ``soprano``:
    its tokens; ``given``: per step the alto, tenor and bass tokens kept (``mask`` free)."""
    f = fast
    c = f.config  # type: ignore[attr-defined]
    mask = c.mask
    rng = np.random.default_rng(seed)
    n = samples
    h = np.zeros((n, c.dec_hidden), dtype=np.float32)
    prev = np.full((n, 3), mask, dtype=np.int64)
    sounding = np.full((n, 4), -1, dtype=np.int64)
    pitch_of = f.pitch_of  # type: ignore[attr-defined]
    pt = f.prev_table  # type: ignore[attr-defined]
    labels: ChordChoice = f.chords  # type: ignore[attr-defined]  # its cache of labels
    votes: list[tuple[int, ...]] = [()] * len(soprano)
    u = rng.random((len(soprano), 3, n, c.vocab), dtype=np.float32).clip(1e-9, 1 - 1e-6)
    # the noise (a sample is the argmax of logits + T * Gumbel), the heads' biases and the
    # voices' ranges, added at once
    bias = np.stack([f.out[k][1] + f.allowed_bias[k] for k in range(3)])  # type: ignore[attr-defined]
    noise = -np.log(-np.log(u)) * np.float32(temperature) + bias[None, :, None]
    for t, sop in enumerate(soprano):
        gi = gi_all[t][None] + pt[0][prev[:, 0]] + pt[1][prev[:, 1]] + pt[2][prev[:, 2]]
        h = _gru_rows(gi, h, f.w_hh, f.b_hh)  # type: ignore[attr-defined]
        hid = (_mm(h, f.head_w) + f.head_b).reshape(n, 3, -1)  # type: ignore[attr-defined]
        if sop >= NOTE_BASE:
            sounding[:, 0] = pitch_of[sop]
        elif sop != HOLD:
            sounding[:, 0] = -1
        now = np.empty((n, 3), dtype=np.int64)
        for k in (2, 1, 0):  # bass, tenor, alto
            z = hid[:, k]
            if k == 1:
                z = z + f.cond_tenor[now[:, 2]]  # type: ignore[attr-defined]
            elif k == 0:
                z = z + f.cond_alto[0][now[:, 1]] + f.cond_alto[1][now[:, 2]]  # type: ignore[attr-defined]
            logits = _mm(np.maximum(z, 0), f.out[k][0]) + noise[t, k]  # type: ignore[attr-defined]
            logits[(prev[:, k] == REST) | (prev[:, k] == mask), HOLD] = NEG  # nothing to hold
            tok = now[:, k] = given[t][k] if given[t][k] != mask else logits.argmax(1)
            sounding[:, k + 1] = np.where(tok == HOLD, sounding[:, k + 1], pitch_of[tok])
        prev = now
        if beats[t]:
            lab = labels.labels(sounding)
            named = lab[lab != NO_CHORD]
            if len(named):
                count = np.bincount(named)
                votes[t] = tuple(np.flatnonzero(count == count.max()).tolist())
    return votes


__all__ = ["vote_chords"]
