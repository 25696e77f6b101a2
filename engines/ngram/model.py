"""A smoothed n-gram language model over the melody token grid: the baseline an RNN must beat.

Smoothing is interpolated modified Kneser-Ney (Chen & Goodman 1998, three discounts per
order). It is chosen over Witten-Bell because it is the strongest classic n-gram smoother,
and the reason shows on this grid: ``HOLD`` follows almost every context, so its raw count
says little about how likely it is in a context never seen before; KN backs off to how many
*distinct* contexts a token follows (continuation counts), which is the better estimate.

Sequences are seen exactly as the RNN sees them: one ``BOS`` and then the tokens, token ``t``
predicted from ``BOS + tokens[:t]``. Near the start the history is shorter than
``order - 1`` and the highest order used is the one the history allows (no padding with
repeated ``BOS``). An n-gram starting with ``BOS`` cannot be extended to the left, so at
every order it keeps its raw count instead of a continuation count (as SRILM and KenLM do).

Every distribution is over the full vocabulary (``VOCAB_SIZE`` = 131, ``BOS`` included, as
the RNN's softmax is), interpolated down to a uniform distribution, so it sums to one and
no token has probability zero: NLLs are comparable with ``RnnEngine.token_nll``.

Counting is done on int64 codes of n-grams (base ``VOCAB_SIZE``) with ``np.unique``; lookups
are ``np.searchsorted`` on the sorted codes, vectorised over a whole sequence (or, for
:meth:`NgramModel.next_probs`, over a batch of histories).

A fitted model is a checkpoint folder like every engine's: ``config.json`` (engine
``ngram``, its order, training notes) and ``model.safetensors`` holding, per order ``k``,
the sorted codes of the k-grams seen (``order{k}.grams``, int64) and their adjusted counts
(``order{k}.counts``, int32); everything else is derived from those on loading. No pickles.

The model's own :meth:`NgramModel.sample` (numpy's generator, no top-p) is what
``engines.rnn.evaluate`` uses for its baseline continuations; the served engine
(:mod:`engines.ngram.engine`) samples with a seeded torch CPU generator like the RNN does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file

from engines.checkpoint import (
    WEIGHTS_FILE,
    CheckpointError,
    read_config,
    read_tensors,
    write_config,
)
from engines.notes import BOS, VOCAB_SIZE, Note, bar_padded_steps, notes_to_tokens, tokens_to_notes

ENGINE = "ngram"

V = VOCAB_SIZE
MAX_ORDER = 8  # V**8 < 2**63: codes of longer n-grams would overflow int64


@dataclass
class NgramConfig:
    """The hyperparameters a checkpoint's ``config.json`` carries: the model's order."""

    order: int = 5


@dataclass
class _Level:
    """Counts of one order k: k-grams (context of k-1 tokens, then the predicted token)."""

    grams: np.ndarray  # int64 [G], sorted codes of the k-grams seen
    counts: np.ndarray  # int64 [G], their adjusted counts (raw or continuation)
    contexts: np.ndarray  # int64 [H], sorted codes of the (k-1)-token contexts seen
    totals: np.ndarray  # float64 [H], sum of adjusted counts over the tokens after a context
    backoff: np.ndarray  # float64 [H], D1*N1 + D2*N2 + D3*N3+ of that context
    discounts: np.ndarray  # float64 [4], discount for an adjusted count of 0, 1, 2, 3+


def _lookup(keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each query in the sorted ``keys`` and whether it is there."""
    idx = np.searchsorted(keys, queries)
    idx = np.minimum(idx, max(len(keys) - 1, 0))
    found = keys[idx] == queries if len(keys) else np.zeros(len(queries), dtype=bool)
    return idx, found


def _discounts(counts: np.ndarray) -> np.ndarray:
    """Chen & Goodman's modified-KN discounts from the count-of-counts n1..n4."""
    n = np.bincount(np.minimum(counts, 5), minlength=6)[1:5].astype(np.float64)
    n1, n2, n3, n4 = n
    if min(n1, n2, n3, n4) == 0:  # too little data for the estimate: a common default
        d = np.array([0.5, 1.0, 1.5])
    else:
        y = n1 / (n1 + 2 * n2)
        d = np.array([1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3])
    # a discount must be > 0 (so unseen tokens keep some mass) and <= the count it discounts
    d = np.clip(d, 0.05, [1.0, 2.0, 3.0])
    return np.concatenate([[0.0], d])


def _rolling_codes(seq: np.ndarray, order: int) -> list[np.ndarray]:
    """codes[k-1][i] = the code of the k-gram ending at position i (garbage for i < k-1)."""
    seq = seq.astype(np.int64)
    codes = [seq]
    for k in range(2, order + 1):
        shifted = np.zeros_like(seq)
        shifted[k - 1 :] = seq[: len(seq) - k + 1]
        codes.append(shifted * V ** (k - 1) + codes[-1])
    return codes


class NgramModel:
    """An interpolated modified-Kneser-Ney n-gram model of token sequences.

    ``NgramModel.fit(tunes, order)``; then ``token_nll(tokens)`` (same meaning as
    ``RnnEngine.token_nll``), ``probs(history)`` and ``continue_(notes, steps, ...)``.
    """

    name = "ngram"

    def __init__(self, order: int, levels: list[_Level]) -> None:
        self.order = order
        self.levels = levels  # levels[k - 1] holds order k

    @classmethod
    def fit(cls, tunes: Iterable[Sequence[int] | np.ndarray], order: int = 5) -> NgramModel:
        """Count the n-grams of ``BOS + tune`` for every tune and derive the KN statistics."""
        if not 1 <= order <= MAX_ORDER:
            raise ValueError(f"order must be 1..{MAX_ORDER}, got {order}")
        parts: list[np.ndarray] = []
        for tune in tunes:
            parts.append(np.array([BOS], dtype=np.int64))
            parts.append(np.asarray(tune, dtype=np.int64))
        if not parts:
            raise ValueError("cannot fit an n-gram model on no tunes")
        seq = np.concatenate(parts)
        # position of each token inside its own BOS + tune (BOS is position 0)
        starts = np.flatnonzero(seq == BOS)
        lengths = np.diff(np.append(starts, len(seq)))
        pos = np.arange(len(seq)) - np.repeat(starts, lengths)
        codes = _rolling_codes(seq, order)

        raw: list[tuple[np.ndarray, np.ndarray]] = []
        for k in range(1, order + 1):
            # a k-gram ends at every non-BOS token with at least k-1 tokens of history
            valid = pos >= max(1, k - 1)
            raw.append(np.unique(codes[k - 1][valid], return_counts=True))

        levels: list[_Level] = []
        for k in range(1, order + 1):
            grams, counts = raw[k - 1]
            counts = counts.astype(np.int64)
            if k < order:
                # continuation count: how many distinct tokens precede the k-gram
                suffixes, cont = np.unique(raw[k][0] % V**k, return_counts=True)
                idx, found = _lookup(suffixes, grams)
                starts_with_bos = grams // V ** (k - 1) == BOS
                counts = np.where(starts_with_bos | ~found, counts, cont[idx])
            levels.append(cls._level(grams, counts))
        return cls(order, levels)

    @staticmethod
    def _level(grams: np.ndarray, counts: np.ndarray) -> _Level:
        d = _discounts(counts)
        ctx = grams // V
        contexts, first = np.unique(ctx, return_index=True)  # grams sorted => ctx sorted
        totals = np.add.reduceat(counts.astype(np.float64), first)
        backoff = np.add.reduceat(d[np.minimum(counts, 3)], first)
        return _Level(grams, counts, contexts, totals, backoff, d)

    def _interpolate(
        self, ctx_codes: list[np.ndarray], grams: list[np.ndarray], usable: list[np.ndarray]
    ) -> np.ndarray:
        """P(token | context) for a batch, from order 1 up; order k is skipped where unusable.

        ctx_codes[k-1], grams[k-1], usable[k-1]: arrays [B] for order k.
        """
        p = np.full(len(grams[0]), 1.0 / V)
        for k, level in enumerate(self.levels, start=1):
            ci, seen = _lookup(level.contexts, ctx_codes[k - 1])
            seen &= usable[k - 1]
            if not seen.any():
                continue  # nothing to update at this order (nor, usually, above it)
            gi, found = _lookup(level.grams, grams[k - 1])
            c = np.where(found, level.counts[gi], 0)
            num = np.maximum(c - level.discounts[np.minimum(c, 3)], 0.0)
            upd = (num + level.backoff[ci] * p) / level.totals[ci]
            p = np.where(seen, upd, p)
        return p

    def token_nll(self, tokens: Sequence[int] | np.ndarray) -> np.ndarray:
        """Negative log-likelihood (nats) of each token given BOS and the tokens before it."""
        tokens = np.asarray(tokens, dtype=np.int64)
        seq = np.concatenate([[BOS], tokens]).astype(np.int64)
        codes = _rolling_codes(seq, self.order)
        i = np.arange(1, len(seq))  # positions of the predicted tokens
        grams = [c[1:] for c in codes]
        ctx = [g // V for g in grams]
        usable = [i >= k - 1 for k in range(1, self.order + 1)]
        return -np.log(self._interpolate(ctx, grams, usable))

    def probs(self, history: Sequence[int] | np.ndarray) -> np.ndarray:
        """The next-token distribution [VOCAB_SIZE] after ``BOS + history``."""
        return self.next_probs([[BOS, *[int(t) for t in history[-self.order :]]]])[0]

    def next_probs(self, contexts: Sequence[Sequence[int]]) -> np.ndarray:
        """The next-token distributions [B, VOCAB_SIZE] after each of ``contexts``.

        A context is a whole sequence so far, ``BOS`` first, or its tail of at least
        ``order - 1`` tokens (only that many are read; a shorter one must start with BOS).
        Each row is computed elementwise, so it does not depend on the other rows.
        """
        b = len(contexts)
        w = np.arange(V, dtype=np.int64)
        lengths = np.array([len(c) for c in contexts], dtype=np.int64)
        ctx = np.zeros(b, dtype=np.int64)
        ctx_codes, grams, usable = [], [], []
        for k in range(1, self.order + 1):
            ok = lengths >= k - 1
            if k > 1:  # one more token of history, on the left
                left = [int(c[-(k - 1)]) if len(c) >= k - 1 else 0 for c in contexts]
                ctx = ctx + np.where(ok, np.array(left, dtype=np.int64) * V ** (k - 2), 0)
            ctx_codes.append(np.repeat(ctx, V))
            grams.append((ctx[:, None] * V + w).ravel())
            usable.append(np.repeat(ok, V))
        return self._interpolate(ctx_codes, grams, usable).reshape(b, V)

    def sample(
        self,
        history: Sequence[int],
        steps: int,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> list[int]:
        """Sample ``steps`` tokens after ``BOS + history``."""
        rng = np.random.default_rng(seed)
        hist = [int(t) for t in history]
        out: list[int] = []
        for _ in range(steps):
            p = self.probs(hist)
            if temperature != 1.0:
                logp = np.log(p) / temperature
                p = np.exp(logp - logp.max())
            token = int(rng.choice(V, p=p / p.sum()))
            hist.append(token)
            out.append(token)
        return out

    def continue_(
        self,
        notes: Sequence[Note] = (),
        steps: int = 32,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> list[Note]:
        """Continue ``notes`` like ``RnnEngine.continue_``: the primer is padded to a whole
        bar and the reply's starts count from that bar's end."""
        if not (math.isfinite(temperature) and temperature > 0):
            raise ValueError(f"temperature must be a finite number > 0, got {temperature}")
        primer = notes_to_tokens(notes, n_steps=bar_padded_steps(notes))
        velocity = round(sum(n.velocity for n in notes) / len(notes)) if notes else 100
        return tokens_to_notes(self.sample(primer, steps, temperature, seed), velocity=velocity)

    # -- checkpoints ------------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """What ``model.safetensors`` holds: per order, the k-gram codes and their counts."""
        out: dict[str, np.ndarray] = {}
        for k, level in enumerate(self.levels, start=1):
            out[f"order{k}.grams"] = np.ascontiguousarray(level.grams, dtype=np.int64)
            out[f"order{k}.counts"] = np.ascontiguousarray(level.counts, dtype=np.int32)
        return out

    @classmethod
    def from_arrays(cls, order: int, arrays: dict[str, np.ndarray]) -> NgramModel:
        """The model of :meth:`arrays` (the KN statistics are derived again)."""
        if not 1 <= order <= MAX_ORDER:
            raise ValueError(f"order must be 1..{MAX_ORDER}, got {order}")
        levels = []
        for k in range(1, order + 1):
            try:
                grams, counts = arrays[f"order{k}.grams"], arrays[f"order{k}.counts"]
            except KeyError as exc:
                raise ValueError(f"n-gram arrays lack {exc.args[0]} for order {order}") from None
            grams = np.asarray(grams, dtype=np.int64)
            if len(grams) != len(counts) or (len(grams) > 1 and (np.diff(grams) <= 0).any()):
                raise ValueError(f"n-gram arrays of order {k} are not sorted codes with counts")
            levels.append(cls._level(grams, np.asarray(counts, dtype=np.int64)))
        return cls(order, levels)

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write a checkpoint folder: ``model.safetensors`` (:meth:`arrays`) and
        ``config.json`` (engine ``ngram``, the order, ``extra`` notes and today's date)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        save_file(self.arrays(), str(folder / "model.safetensors"))
        return write_config(folder, ENGINE, NgramConfig(self.order), extra)

    @classmethod
    def load(cls, path: str | Path) -> tuple[NgramModel, dict[str, Any]]:
        """The model of a checkpoint folder and its extra notes; refuses another engine's."""
        config, extra = read_config(path, ENGINE, NgramConfig)
        arrays = read_tensors(path, framework="np")
        try:
            return cls.from_arrays(config.order, arrays), extra
        except (ValueError, TypeError, IndexError) as exc:
            raise CheckpointError(
                None, f"config.json in {path} does not match its weights ({WEIGHTS_FILE}): {exc}"
            ) from None

    @property
    def size(self) -> int:
        """How many n-grams (of every order) the model stores."""
        return int(sum(len(level.grams) for level in self.levels))


__all__ = ["ENGINE", "MAX_ORDER", "NgramConfig", "NgramModel"]
