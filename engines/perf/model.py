"""The performance model: an LSTM over event tokens, conditioned on density and pitch classes.

Each input is an event token (:mod:`engines.perf.events`) plus where in the beat the clock
stands after it (tick mod 96: scores are metric, and a model that knows the beat phase keeps
time without counting shifts). A request may add two conditions, after Performance RNN:

- note density, notes started per beat (given as ``log(density)``);
- a pitch-class histogram, 12 numbers (normalised here to sum to one).

Each comes with a "given" flag; with the flag off its numbers are zero. Training drops each
condition independently (``cond_dropout``, default half the time), so the model answers with
either, both or none. The conditions are one vector per sequence, added to every step's
input through the first layer (:func:`condition_vector`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from engines.perf.events import NOTE_OFF, SHIFT, TICKS_PER_BEAT, VELOCITY, VOCAB_SIZE

COND_SIZE = 15  # log density, its flag, 12 pitch-class weights, their flag
MIN_DENSITY = 1 / 64  # notes per beat: below this a density means "silence"


@dataclass
class PerfConfig:
    """The hyperparameters a checkpoint's ``config.json`` carries."""

    embed: int = 128
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.1
    vocab: int = VOCAB_SIZE
    phases: int = TICKS_PER_BEAT


def condition_vector(
    density: float | None = None, pitch_classes: Sequence[float] | None = None
) -> np.ndarray:
    """The model's condition input (float32 [COND_SIZE]): zeros and a lowered flag for a
    condition not given. ValueError for a density <= 0 or a histogram that is not 12
    numbers >= 0 with at least one above zero."""
    v = np.zeros(COND_SIZE, dtype=np.float32)
    if density is not None:
        if not (math.isfinite(density) and density > 0):
            raise ValueError(f"density must be > 0 notes per beat, got {density}")
        v[0], v[1] = math.log(max(density, MIN_DENSITY)), 1.0
    if pitch_classes is not None:
        pcs = np.asarray(list(pitch_classes), dtype=np.float64)
        if pcs.shape != (12,):
            raise ValueError(f"pitch_classes must be 12 numbers (C, C#, D ... B), got {len(pcs)}")
        if not np.all(np.isfinite(pcs)) or pcs.min() < 0 or pcs.sum() <= 0:
            raise ValueError("pitch_classes must be numbers >= 0, at least one above 0")
        v[2:14], v[14] = pcs / pcs.sum(), 1.0
    return v


def event_features(piece: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per token of ``piece``: the absolute tick after it (int64) and whether it is a
    note-on (bool)."""
    p = piece.astype(np.int64)
    shift = np.where((p >= SHIFT) & (p < VELOCITY), p - SHIFT + 1, 0)
    return np.cumsum(shift), p < NOTE_OFF


def window_condition(window: np.ndarray, ticks: np.ndarray, start_tick: int) -> np.ndarray:
    """The conditions a window of events actually has: notes per beat over its span (from
    the clock at its start to the clock after its last event, at least a beat) and the
    histogram of its note-ons' pitch classes (not given if it has none)."""
    ons = window[window < NOTE_OFF].astype(np.int64)
    span = max(1.0, (int(ticks[-1]) - start_tick) / TICKS_PER_BEAT) if len(ticks) else 1.0
    density = max(len(ons) / span, MIN_DENSITY)
    hist = np.bincount(ons % 12, minlength=12) if len(ons) else None
    return condition_vector(density, hist)


class PerfModel(nn.Module):
    """Embedding (token + beat phase) and condition -> LSTM -> next-event logits."""

    def __init__(self, config: PerfConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab, config.embed)
        self.phase = nn.Embedding(config.phases, config.embed)
        self.lstm = nn.LSTM(
            config.embed + COND_SIZE,
            config.hidden,
            config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab)

    def forward(
        self,
        tokens: torch.Tensor,
        phases: torch.Tensor,
        cond: torch.Tensor,
        state: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """tokens, phases [B, T], cond [B, COND_SIZE] -> logits [B, T, V] and the state."""
        x = self.embed(tokens) + self.phase(phases)
        c = cond[:, None, :].expand(-1, tokens.shape[1], -1)
        out, state = self.lstm(torch.cat([x, c], -1), state)
        return self.head(self.drop(out)), state
