"""The LSTM next-token model over the 16th-note melody grid."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from engines.notes import VOCAB_SIZE

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each [layers, batch, hidden]


@dataclass(frozen=True)
class RnnConfig:
    """Hyperparameters; a checkpoint carries them so loading rebuilds the same network."""

    vocab: int = VOCAB_SIZE
    embed: int = 128
    hidden: int = 512
    layers: int = 2
    dropout: float = 0.1
    # Each input also carries its position in the bar (input index mod bar_steps, so the
    # position of the step being predicted): a melody's rhythm hangs on the beat, and an
    # LSTM left to count 16ths by itself learns that slowly. 0 turns it off.
    bar_steps: int = 16


class RnnModel(nn.Module):
    """Embedding -> stacked LSTM -> logits over the next token."""

    def __init__(self, config: RnnConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab, config.embed)
        self.position = nn.Embedding(max(1, config.bar_steps), config.embed)
        self.lstm = nn.LSTM(
            config.embed,
            config.hidden,
            num_layers=config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.head = nn.Linear(config.hidden, config.vocab)

    def inputs(self, tokens: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """tokens, positions [B, T] (positions = input index since BOS) -> [B, T, embed]."""
        x = self.embed(tokens)
        if self.config.bar_steps:
            x = x + self.position(positions % self.config.bar_steps)
        return x

    def forward(
        self, tokens: torch.Tensor, positions: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """tokens, positions [B, T] -> logits [B, T, vocab] and the final state."""
        out, state = self.lstm(self.inputs(tokens, positions), state)
        return self.head(out), state
