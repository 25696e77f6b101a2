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
from engines.harmony.gru import gru_update
from engines.harmony.model import HOLD, NOTE_BASE, REST


def _mm(a: np.ndarray, w_t: torch.Tensor) -> np.ndarray:
    """a @ w.T in torch, ``w_t`` the transposed view of w: numpy's BLAS would start threads of
    its own for a matrix of rows (on a shared machine, a p99 of seconds); torch keeps to its
    thread count."""
    return torch.mm(torch.from_numpy(np.ascontiguousarray(a)), w_t).numpy()


def _gru_rows(gi: np.ndarray, h: np.ndarray, w_hh_t: torch.Tensor, b_hh: np.ndarray) -> np.ndarray:
    """One GRU step for each row: gi [N, 3H] (bias included), h [N, H]."""
    gh = _mm(h, w_hh_t)
    gh += b_hh
    return gru_update(gi, gh, h)


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
    # the three tables of the voices' tokens before, one lookup: voice k's token x at k * v1 + x
    v1 = f.v1  # type: ignore[attr-defined]
    pt = np.concatenate(f.prev_table)  # type: ignore[attr-defined]
    offsets = np.arange(3) * v1
    # HOLD's noise after a token where nothing sounds to hold: NEG (NEG + x is NEG, so the
    # logit is NEG as if set so)
    hold_noise = np.zeros(v1, dtype=np.float32)
    hold_noise[[REST, mask]] = NEG
    t_ = torch.from_numpy
    w_hh_t, head_t = t_(f.w_hh).T, t_(f.head_w).T  # type: ignore[attr-defined]
    out_t = [t_(w).T for w, _ in f.out]  # type: ignore[attr-defined]
    cond_tenor, cond_alto = f.cond_tenor, f.cond_alto  # type: ignore[attr-defined]
    labels: ChordChoice = f.chords  # type: ignore[attr-defined]  # its cache of labels
    votes: list[tuple[int, ...]] = [()] * len(soprano)
    # the noise (a sample is the argmax of logits + T * Gumbel), the heads' biases and the
    # voices' ranges, added at once (in place: -log(-log(u)) * T + bias)
    noise = rng.random((len(soprano), 3, n, c.vocab), dtype=np.float32)
    np.clip(noise, 1e-9, 1 - 1e-6, out=noise)
    for op in (np.log, np.negative, np.log, np.negative):
        op(noise, out=noise)
    noise *= np.float32(temperature)
    noise += np.stack(f.out_bias)[None, :, None]  # type: ignore[attr-defined]
    last = max((t for t, beat in enumerate(beats) if beat), default=-1)
    for t, sop in enumerate(soprano[: last + 1]):  # the steps after the last beat count nothing
        g = pt[prev + offsets]  # [N, 3, 3D]
        gi = gi_all[t] + g[:, 0]
        gi += g[:, 1]
        gi += g[:, 2]
        h = _gru_rows(gi, h, w_hh_t, f.b_hh)  # type: ignore[attr-defined]
        hid = _mm(h, head_t)
        hid += f.head_b  # type: ignore[attr-defined]
        hid = hid.reshape(n, 3, -1)
        if sop >= NOTE_BASE:
            sounding[:, 0] = pitch_of[sop]
        elif sop != HOLD:
            sounding[:, 0] = -1
        noise_t = noise[t]  # [3, N, V]
        noise_t[:, :, HOLD] += hold_noise[prev].T
        now = np.empty((n, 3), dtype=np.int64)
        for k in (2, 1, 0):  # bass, tenor, alto
            if given[t][k] != mask:
                now[:, k] = given[t][k]
                continue
            z = hid[:, k]
            if k == 1:
                z = z + cond_tenor[now[:, 2]]
            elif k == 0:
                z = z + cond_alto[0][now[:, 1]] + cond_alto[1][now[:, 2]]
            logits = _mm(np.maximum(z, 0), out_t[k])
            logits += noise_t[k]
            now[:, k] = logits.argmax(1)
        sounding[:, 1:] = np.where(now == HOLD, sounding[:, 1:], pitch_of[now])
        prev = now
        if beats[t]:
            lab = labels.labels(sounding)
            named = lab[lab != NO_CHORD]
            if len(named):
                count = np.bincount(named)
                votes[t] = tuple(np.flatnonzero(count == count.max()).tolist())
    return votes


__all__ = ["vote_chords"]
