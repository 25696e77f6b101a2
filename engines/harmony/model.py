"""The harmonizer's network: a melody (and any voices given) in, alto, tenor and bass out.

Grid: 8th notes (``steps_per_beat`` 2; 98% of the chorales' onsets fall on it, see the
README). Each voice is a token per step: ``HOLD`` (the note goes on), ``REST`` or a note-on
of pitch ``low..high``.

- Encoder: per step the sum of embeddings of the soprano token, the position in the bar and
  each of alto, tenor, bass when given (else a ``MASK`` embedding) -> a bidirectional GRU.
  Its backward half is what the model knows of the future; in *causal* mode (live: each
  melody note harmonised at its onset from what came before) it is zeroed. Training zeroes
  it in a share of sequences, so one network serves both uses.
- Decoder: a GRU over steps whose input is the encoder's output and the three voices' tokens
  of the step before (teacher-forced in training); at each step the bass is predicted first,
  then the tenor (seeing the bass), then the alto (seeing both). Given voices are fed, not
  predicted.

:class:`engines.harmony.fast.FastHarmonizer` runs the decoder step by step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

HOLD, REST, NOTE_BASE = 0, 1, 2
N_VOICES = 3  # predicted: alto, tenor, bass (in this order in every tensor)
ORDER = (2, 1, 0)  # the decoder predicts bass, then tenor, then alto


@dataclass(frozen=True)
class HarmonyConfig:
    """Hyperparameters and the note vocabulary; travels with the weights."""

    steps_per_beat: int = 2
    low: int = 28  # lowest pitch a voice token names (E1)
    high: int = 96  # highest (C7)
    # the pitches each voice (soprano, alto, tenor, bass) may sing when decoding: the
    # chorales' extremes (set by training from the data)
    voice_low: tuple[int, ...] = field(default=(57, 50, 45, 33))
    voice_high: tuple[int, ...] = field(default=(84, 77, 72, 67))
    positions: int = 16
    embed: int = 48
    enc_hidden: int = 96
    dec_hidden: int = 192
    head_hidden: int = 96
    dropout: float = 0.2

    def __post_init__(self) -> None:
        # config.json holds lists; the config compares and hashes as tuples
        object.__setattr__(self, "voice_low", tuple(self.voice_low))
        object.__setattr__(self, "voice_high", tuple(self.voice_high))
        if not 1 <= self.steps_per_beat <= 16:  # the live model steps through every step
            raise ValueError(f"steps_per_beat must be 1..16, got {self.steps_per_beat}")

    @property
    def vocab(self) -> int:
        return NOTE_BASE + self.high - self.low + 1

    @property
    def mask(self) -> int:
        """The token of a voice not given (encoder) and of the step before the first."""
        return self.vocab


class HarmonyModel(nn.Module):
    """Encoder, decoder and the three voice heads; see the module docstring."""

    def __init__(self, config: HarmonyConfig) -> None:
        super().__init__()
        self.config = c = config
        v1 = c.vocab + 1
        self.soprano = nn.Embedding(c.vocab, c.embed)
        self.position = nn.Embedding(c.positions, c.embed)
        self.given = nn.Embedding(N_VOICES * v1, c.embed)  # voice k's token x at k * v1 + x
        self.encoder = nn.GRU(c.embed, c.enc_hidden, batch_first=True, bidirectional=True)
        self.prev = nn.Embedding(N_VOICES * v1, c.embed)
        self.decoder = nn.GRU(2 * c.enc_hidden + c.embed, c.dec_hidden, batch_first=True)
        self.current = nn.Embedding(N_VOICES * v1, c.embed)
        self.head_in = nn.Linear(c.dec_hidden, N_VOICES * c.head_hidden)
        self.head_out = nn.ModuleList(nn.Linear(c.head_hidden, c.vocab) for _ in range(3))
        # the voices decided before at the same step (tenor sees bass; alto sees both)
        self.head_cond = nn.ModuleList(
            nn.Linear(c.embed, c.head_hidden, bias=False) for _ in range(N_VOICES - 1)
        )
        self.drop = nn.Dropout(c.dropout)
        offsets = torch.arange(N_VOICES) * v1
        self.register_buffer("offsets", offsets, persistent=False)
        allowed = torch.zeros(4, c.vocab, dtype=torch.bool)
        allowed[:, HOLD] = allowed[:, REST] = True
        for v in range(4):
            allowed[
                v, NOTE_BASE + c.voice_low[v] - c.low : NOTE_BASE + c.voice_high[v] - c.low + 1
            ] = True
        self.register_buffer("allowed", allowed, persistent=False)

    def voice_ids(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [B, 3, T] (alto, tenor, bass) -> ids into the per-voice tables."""
        return tokens + self.offsets[None, :, None]

    def inputs(self, soprano: torch.Tensor, pos: torch.Tensor, given: torch.Tensor) -> torch.Tensor:
        """The encoder's input [B, T, embed]: soprano, position and given voices summed."""
        return self.soprano(soprano) + self.position(pos) + self.given(self.voice_ids(given)).sum(1)

    def encode(
        self, soprano: torch.Tensor, pos: torch.Tensor, given: torch.Tensor, causal: torch.Tensor
    ) -> torch.Tensor:
        """soprano, pos [B, T]; given [B, 3, T] (``mask`` where not given); causal [B] bool
        -> encoder output [B, T, 2 * enc_hidden]."""
        out, _ = self.encoder(self.drop(self.inputs(soprano, pos, given)))
        h = self.config.enc_hidden
        keep = (~causal).to(out.dtype)[:, None, None]
        return torch.cat([out[..., :h], out[..., h:] * keep], dim=-1)

    def forward(
        self,
        soprano: torch.Tensor,
        pos: torch.Tensor,
        given: torch.Tensor,
        causal: torch.Tensor,
        target: torch.Tensor,
        first: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Teacher-forced logits [B, 3, T, vocab] for target tokens [B, 3, T]. ``first``
        [B, 3] are the voices' tokens of the step before the first (a crop from inside a
        piece); without it, ``mask``: the piece begins here."""
        c = self.config
        enc = self.drop(self.encode(soprano, pos, given, causal))
        prev = torch.full_like(target, c.mask)
        prev[..., 1:] = target[..., :-1]
        if first is not None:
            prev[..., 0] = first
        dec_in = torch.cat([enc, self.prev(self.voice_ids(prev)).sum(1)], dim=-1)
        h, _ = self.decoder(dec_in)  # [B, T, D]
        h = self.drop(h)
        hidden = self.head_in(h).view(*h.shape[:2], N_VOICES, c.head_hidden)  # [B, T, 3, F]
        cur = self.current(self.voice_ids(target)).transpose(1, 2)  # [B, T, 3, E]
        logits = []
        for k in range(N_VOICES):
            z = hidden[..., k, :]
            if k < N_VOICES - 1:
                z = z + self.head_cond[k](cur[..., k + 1 :, :].sum(2))
            logits.append(self.head_out[k](self.drop(torch.relu(z))))
        return torch.stack(logits, dim=1)


__all__ = ["HarmonyConfig", "HarmonyModel", "HOLD", "REST", "NOTE_BASE", "N_VOICES", "ORDER"]
