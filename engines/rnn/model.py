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
    dropout: float = 0.2


class RnnModel(nn.Module):
    """Embedding -> stacked LSTM -> logits over the next token."""

    def __init__(self, config: RnnConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab, config.embed)
        self.lstm = nn.LSTM(
            config.embed,
            config.hidden,
            num_layers=config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.head = nn.Linear(config.hidden, config.vocab)

    def forward(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """tokens [B, T] -> logits [B, T, vocab] and the final state."""
        out, state = self.lstm(self.embed(tokens), state)
        return self.head(out), state

    @torch.no_grad()
    def step(self, tokens: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
        """One step for a batch of streams: tokens [B] -> logits [B, vocab], new state.

        oneDNN makes a one-step LSTM call about ten times slower on the CPU than the
        native kernel, so it is switched off for this call only.
        """
        with torch.backends.mkldnn.flags(enabled=False):
            out, state = self.lstm(self.embed(tokens)[:, None, :], state)
        return self.head(out[:, 0]), state
