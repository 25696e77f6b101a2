"""Choosing a step's three voices by chord, and the rule against parallel fifths and octaves,
vectorised over candidate rows (numpy only).

Greedy decoding takes the likeliest bass, then the likeliest tenor over it, then the
likeliest alto: the likeliest *voicing*, one path. The likeliest *chord* can differ: a
chord voiced in many nearly as likely ways gathers more probability than the single best
voicing of another. On a beat :class:`ChordChoice` lists the ``widths`` likeliest basses,
the likeliest tenors over each and the likeliest altos over each pair (the voices'
probabilities multiplied), names each candidate's chord with the soprano (root and quality,
:func:`engines.harmony.checks.chord_label`), adds the probabilities of the candidates
naming each chord, and answers the likeliest voicing of the likeliest chord. Candidates with
no nameable chord (a bare fifth, say) are set aside unless nothing else is left.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engines.harmony.checks import chord_label
from engines.harmony.model import HOLD, REST

NEG = np.float32(-1e30)
QUALITIES = ("major", "minor", "diminished")
NO_CHORD = 36  # a label id: roots 0..11 times the three qualities, then this


def forbidden(pitch_of: np.ndarray, k: int, before: Sequence[int], now: np.ndarray) -> np.ndarray:
    """bool [R, V]: the tokens of voice ``k`` (0 alto, 1 tenor, 2 bass) that would move in
    parallel fifths or octaves with a voice already decided at this step. ``before``: the
    four voices' pitches sounding at the step before (-1 silent); ``now`` [R, 4]: per row,
    the pitches decided so far at this step (soprano first; -1 not decided or silent). The
    voices checked against are those decided before ``k``: soprano, then bass, then tenor."""
    bad = np.zeros((now.shape[0], pitch_of.shape[0]), dtype=bool)
    mine = before[k + 1]
    if mine < 0:
        return bad
    moves: np.ndarray | None = None  # [2, V]: the pitches below, above ``mine``
    for j in (0, 3, 2):
        if j != 0 and j - 1 <= k:
            continue
        a = before[j]
        up = 1 if j > k + 1 else -1  # the interval is read from the lower voice up
        if a < 0 or (up * (mine - a)) % 12 not in (0, 7):
            continue
        c = now[:, j]
        # the other voice moves (to c), and voice k would move the same way to the pitch
        # class keeping the fifth (or octave) with it
        moving = (c >= 0) & (c != a)
        if not np.count_nonzero(moving):
            continue
        if moves is None:
            moves = np.empty((2, len(pitch_of)), dtype=bool)
            np.greater(mine, pitch_of, out=moves[0])
            moves[0] &= pitch_of >= 0
            np.greater(pitch_of, mine, out=moves[1])
            pc = pitch_of % 12
        keep = np.where(moving, (c + (mine - a)) % 12, -1)
        bad |= moves[(c > a).view(np.int8)] & (pc == keep[:, None])
    return bad


def _log_softmax(x: np.ndarray) -> np.ndarray:
    d = x - np.maximum.reduce(x, axis=-1, keepdims=True)  # x.max(-1), without its wrapper
    total = np.add.reduce(np.exp(d), axis=-1, keepdims=True)
    d -= np.log(total, out=total)
    return d


class ChordChoice:
    """The likeliest chord's likeliest voicing at a step (see the module doc), on the
    weights of a :class:`engines.harmony.fast.FastHarmonizer`."""

    def __init__(self, fast: object, widths: tuple[int, int, int] = (8, 8, 8)) -> None:
        self.fast = fast
        self.widths = widths
        # (pitch-class set, bass) -> label id, filled as met (-1: not yet): a lookup, not a
        # sort and a loop, per call
        self._label_of = np.full(4096 * 12, -1, dtype=np.int64)
        # by pitch + 1 (-1 and below: silent): its pitch-class bit, and the pitch as a bass
        # (silent: 999, above any)
        pitch = np.arange(-1, 128)
        self._bit_of = np.where(pitch >= 0, 1 << (pitch % 12), 0)
        self._low_of = np.where(pitch >= 0, pitch, 999)

    def labels(self, pitches: np.ndarray) -> np.ndarray:
        """pitches [R, 4] (-1 silent) -> label ids [R] (root * 3 + quality, or NO_CHORD)."""
        at = np.maximum(pitches, -1)
        at += 1
        b, low = self._bit_of[at], self._low_of[at]
        bits = b[:, 0] | b[:, 1]
        bits |= b[:, 2]
        bits |= b[:, 3]
        bass = np.minimum(low[:, 0], low[:, 1])
        np.minimum(bass, low[:, 2], out=bass)
        np.minimum(bass, low[:, 3], out=bass)
        keys = bits * 12 + bass % 12
        table = self._label_of
        ids = table[keys]
        missing = ids < 0
        if np.count_nonzero(missing):
            for row in np.flatnonzero(missing).tolist():
                label = chord_label(pitches[row].tolist())
                table[keys[row]] = (
                    NO_CHORD if label is None else label[0] * 3 + QUALITIES.index(label[1])
                )
            ids = table[keys]
        return ids

    def _scores(
        self,
        k: int,
        z: np.ndarray,
        prev: int,
        onset: bool,
        before: Sequence[int],
        now: np.ndarray,
    ) -> np.ndarray:
        """Log-probabilities [R, V] of voice k's token per row, the rules applied."""
        f = self.fast
        logits = np.maximum(z, 0) @ f.out[k][0].T + f.out_bias[k]  # type: ignore[attr-defined]
        if onset:
            logits[:, HOLD] = logits[:, REST] = NEG
        elif prev in (REST, f.config.mask):  # type: ignore[attr-defined]
            logits[:, HOLD] = NEG  # nothing sounds to hold
        lp = _log_softmax(logits)
        if f.strict and before[k + 1] >= 0:  # type: ignore[attr-defined]  # else no parallels
            bad = forbidden(f.pitch_of, k, before, now)  # type: ignore[attr-defined]
            if np.count_nonzero(bad):
                bad[(bad | (lp <= NEG / 2)).all(1)] = False  # nothing left: the rule yields
                lp = np.where(bad, NEG, lp)
        return lp

    def _top(
        self, lp: np.ndarray, given: int, width: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, tokens, their log-probabilities) of the ``width`` best tokens of each row
        (or the given token)."""
        if given != self.fast.config.mask:  # type: ignore[attr-defined]
            rows = np.arange(len(lp))
            return rows, np.full(len(lp), given), lp[:, given]
        top = np.argsort(-lp, axis=1)[:, :width]
        rows = np.arange(len(lp)).repeat(top.shape[1])
        tok = top.reshape(-1)
        value = lp[rows, tok]
        keep = value > NEG / 2
        return rows[keep], tok[keep], value[keep]

    def _sounding(self, tok: np.ndarray, before: int) -> np.ndarray:
        after = self.fast.pitch_of.copy()  # type: ignore[attr-defined]
        after[HOLD], after[REST] = before, -1
        return after[tok]

    def choose(
        self,
        hid: np.ndarray,
        prev: tuple[int, int, int],
        given: tuple[int, int, int],
        onset: bool,
        before: tuple[int, int, int, int],
        soprano: int,
        prefer: tuple[int, ...] = (),
    ) -> tuple[int, int, int]:
        """Alto, tenor and bass tokens from the heads' hidden layer ``hid`` [3, F] (given
        tokens kept; ``mask`` where free); the other arguments as in ``FastHarmonizer``.
        ``prefer``: chord labels (a vote, :mod:`engines.harmony.vote`), the likeliest of
        them written instead of the likeliest chord when some candidate names one."""
        f = self.fast
        wb, wt, wa = self.widths
        now = np.array([[soprano, -1, -1, -1]])
        lp = self._scores(2, hid[2][None], prev[2], onset, before, now)
        rows, bass, score = self._top(lp, given[2], wb)
        now = now[rows]
        now[:, 3] = self._sounding(bass, before[3])
        z = hid[1][None] + f.cond_tenor[bass]  # type: ignore[attr-defined]
        lp = self._scores(1, z, prev[1], onset, before, now)
        rows, tenor, value = self._top(lp, given[1], wt)
        score, bass, now = score[rows] + value, bass[rows], now[rows]
        now[:, 2] = self._sounding(tenor, before[2])
        ca = f.cond_alto  # type: ignore[attr-defined]
        lp = self._scores(0, hid[0][None] + ca[0][tenor] + ca[1][bass], prev[0], onset,
                          before, now)  # fmt: skip
        rows, alto, value = self._top(lp, given[0], wa)
        score, bass, tenor, now = score[rows] + value, bass[rows], tenor[rows], now[rows]
        now[:, 1] = self._sounding(alto, before[1])
        label = self.labels(now)
        named = label != NO_CHORD
        if prefer:
            voted = label == prefer[0]
            for x in prefer[1:]:
                voted |= label == x
            if np.count_nonzero(voted):
                named = voted
        if np.count_nonzero(named):
            mass = np.bincount(label[named], weights=np.exp(score[named] - score.max()))
            score = np.where(label == int(mass.argmax()), score, NEG)
        i = int(score.argmax())
        return int(alto[i]), int(tenor[i]), int(bass[i])


__all__ = ["ChordChoice", "NO_CHORD", "forbidden"]
