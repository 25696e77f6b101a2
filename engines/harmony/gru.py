"""A GRU cell's update in numpy, from its input and hidden projections: one state or rows.

Written as few numpy calls, most in place (a decoder step is a few hundred numbers, so the
cost is per call, not per number), each operation as the spelled-out formula did it (exp and
tanh on new contiguous arrays), so that the same inputs give the same bits: the harmonies
are pinned.
"""

from __future__ import annotations

import numpy as np


def gru_update(gi: np.ndarray, gh: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The next state from gi = W_ih x + b_ih and gh = W_hh h + b_hh ([..., 3H], gates r, z,
    n) and the state h [..., H]."""
    n_h = h.shape[-1]
    rz = gi[..., : 2 * n_h] + gh[..., : 2 * n_h]  # both gates at once: 1 / (1 + exp(-x))
    np.negative(rz, out=rz)
    np.exp(rz, out=rz)
    rz += 1.0
    np.divide(1.0, rz, out=rz)
    n = gh[..., 2 * n_h :] * rz[..., :n_h]
    n += gi[..., 2 * n_h :]
    np.tanh(n, out=n)  # n = tanh(gi_n + r * gh_n)
    out = h - n
    out *= rz[..., n_h:]
    out += n  # n + z * (h - n)
    return out


__all__ = ["gru_update"]
