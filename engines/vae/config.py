"""The VAE's hyperparameters and training options: plain dataclasses, no torch import, so
the command line can show their defaults without loading a model."""

from __future__ import annotations

from dataclasses import dataclass

from engines.notes import VOCAB_SIZE


@dataclass(frozen=True)
class VaeConfig:
    """Hyperparameters; a checkpoint carries them so loading rebuilds the same network."""

    vocab: int = VOCAB_SIZE
    steps: int = 32  # two bars of 16th notes
    embed: int = 64
    enc_hidden: int = 256
    enc_layers: int = 1
    latent: int = 256
    dec_hidden: int = 256
    dec_layers: int = 2
    dropout: float = 0.0


@dataclass(frozen=True)
class TrainOptions:
    """How the VAE is trained (see engines.vae.train for the loss)."""

    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-3
    min_lr: float = 5e-5
    warmup_steps: int = 200
    clip: float = 1.0
    beta: float = 0.1  # weight of the KL term once annealed
    free_bits: float = 128.0  # nats of KL per example that cost nothing
    anneal_steps: int = 1000
    input_dropout: float = 0.25  # share of decoder inputs hidden in training (word dropout)
    transpose: int = 6  # random transposition, +-semitones, per slice per epoch
    eval_every: int = 500  # optimiser steps between valid evaluations (and at epoch ends)
    valid_limit: int = 2000  # valid slices used for checkpoint selection
    attribute_limit: int = 20000  # train slices used for the attribute vectors
    seed: int = 0
    max_minutes: float | None = None  # stop early (keeping the best checkpoint) after this
    threads: int | None = None
