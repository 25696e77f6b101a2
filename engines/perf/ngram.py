"""An interpolated Witten-Bell n-gram over event tokens: the baseline the model must beat.

:mod:`engines.ngram.model` is Kneser-Ney over the melody grid with its vocabulary fixed at
import; this one is small and takes any vocabulary. Witten-Bell interpolates each order with
the next lower one, trusting a context by how many tokens it was seen with against how many
*different* tokens followed it::

    P(w | h) = (c(h, w) + n(h) * P(w | h')) / (c(h) + n(h))

(``n(h)``: distinct tokens after ``h``; ``h'``: ``h`` without its oldest token), down to a
uniform distribution over the vocabulary, so no token has probability zero. Sequences are
scored as the model sees them: ``BOS`` and then the tokens, each predicted from the ones
before (the history the start allows). Counting is vectorised: n-grams are int64 codes
(base ``vocab``) counted with ``np.unique`` and found with ``np.searchsorted``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def _codes(seq: np.ndarray, k: int, vocab: int) -> np.ndarray:
    """codes[i] = the code of the k-gram ending at position i (meaningless for i < k - 1)."""
    out = np.zeros(len(seq), dtype=np.int64)
    for j in range(k):
        shifted = np.zeros(len(seq), dtype=np.int64)
        shifted[j:] = seq[: len(seq) - j]
        out += shifted * vocab**j
    return out


class WittenBell:
    """``WittenBell.fit(sequences, order, vocab, bos)``, then ``nll(sequence)``."""

    def __init__(self, order: int, vocab: int, bos: int) -> None:
        if vocab ** (order + 1) >= 2**63:
            raise ValueError(f"order {order} is too high for a vocabulary of {vocab}")
        self.order, self.vocab, self.bos = order, vocab, bos
        # per order k: sorted k-gram codes and counts; (k-1)-context codes, totals, distinct
        self.grams: list[tuple[np.ndarray, np.ndarray]] = []
        self.contexts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    @classmethod
    def fit(cls, sequences: Iterable[np.ndarray], order: int, vocab: int, bos: int) -> WittenBell:
        model = cls(order, vocab, bos)
        seqs = [np.concatenate([[bos], np.asarray(s, dtype=np.int64)]) for s in sequences]
        for k in range(1, order + 1):
            codes = np.concatenate(
                [_codes(s, k, vocab)[k - 1 :] for s in seqs if len(s) >= k]
                or [np.zeros(0, np.int64)]
            )
            if k == 1:
                codes = codes[codes != bos]  # BOS is given, never predicted
            grams, counts = np.unique(codes, return_counts=True)
            model.grams.append((grams, counts))
            ctx, inverse = np.unique(grams // vocab, return_inverse=True)
            totals = np.bincount(inverse, weights=counts, minlength=len(ctx))
            distinct = np.bincount(inverse, minlength=len(ctx)).astype(np.float64)
            model.contexts.append((ctx, totals, distinct))
        return model

    @staticmethod
    def _find(keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(keys) == 0:
            return np.zeros(len(queries), np.int64), np.zeros(len(queries), bool)
        idx = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
        return idx, keys[idx] == queries

    def nll(self, tokens: np.ndarray) -> np.ndarray:
        """NLL (nats) of each token given ``BOS`` and the tokens before it."""
        seq = np.concatenate([[self.bos], np.asarray(tokens, dtype=np.int64)])
        n = len(seq) - 1
        prob = np.full(n, 1.0 / self.vocab)
        positions = np.arange(1, n + 1)
        for k in range(1, self.order + 1):
            codes = _codes(seq, k, self.vocab)[1:]
            ok = positions >= k - 1  # the history is long enough for this order
            grams, counts = self.grams[k - 1]
            ctx, totals, distinct = self.contexts[k - 1]
            gi, gfound = self._find(grams, codes)
            c_hw = np.where(gfound & ok, counts[gi], 0)
            ci, cfound = self._find(ctx, codes // self.vocab)
            seen = cfound & ok
            t, d = np.where(seen, totals[ci], 0.0), np.where(seen, distinct[ci], 0.0)
            mixed = (c_hw + d * prob) / np.maximum(t + d, 1e-12)
            prob = np.where(seen, mixed, prob)
        return -np.log(prob)


__all__ = ["WittenBell"]
