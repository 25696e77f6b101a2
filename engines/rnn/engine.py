"""The RNN continuator's musical verbs: continue a phrase, or step a stream token by token."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.checkpoint import load_model, resolve_device, save_checkpoint
from engines.common import check_note, check_temperature, seeded_generator
from engines.notes import (
    BOS,
    STEPS_PER_BAR,
    Note,
    bar_padded_steps,
    notes_to_tokens,
    tokens_to_notes,
)
from engines.rnn.model import RnnConfig, RnnModel

ENGINE = "rnn"
MAX_STEPS = 1024
MAX_PRIMER_NOTES = 4096
MAX_PRIMER_BEATS = 1024.0


def check_sampling(temperature: float, top_p: float | None) -> None:
    """Raise ValueError, in a performer's words, for a bad temperature or top-p."""
    check_temperature(temperature)
    if top_p is not None and not (0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1], got {top_p:g}")


def check_primer(notes: Sequence[Note]) -> None:
    if len(notes) > MAX_PRIMER_NOTES:
        raise ValueError(f"primer has {len(notes)} notes; the most is {MAX_PRIMER_NOTES}")
    for n in notes:
        check_note(n)
        if n.end > MAX_PRIMER_BEATS:
            raise ValueError(
                f"primer is {n.end:g} beats long; the most is {MAX_PRIMER_BEATS:g} beats"
            )


class Sampler:
    """Picks the next token from logits: temperature, optional top-p, a seeded generator."""

    def __init__(self, seed: int | None = None) -> None:
        self.generator = seeded_generator(seed)

    def __call__(
        self, logits: torch.Tensor, temperature: float, top_p: float | None = None
    ) -> torch.Tensor:
        """logits [B, V] -> tokens [B] (sampled on the CPU so seeds agree across devices)."""
        probs = torch.softmax(logits.float().cpu() / temperature, dim=-1)
        if top_p is not None and top_p < 1:
            sorted_p, order = probs.sort(dim=-1, descending=True)
            keep = sorted_p.cumsum(-1) - sorted_p < top_p  # always keeps the top token
            sorted_p = sorted_p * keep
            probs = torch.zeros_like(probs).scatter_(-1, order, sorted_p)
        return torch.multinomial(probs, 1, generator=self.generator)[:, 0]


class _Linear:
    """``x @ W.T + b`` for one-row inputs, in float32 or as int8 weights.

    A one-step LSTM is memory-bound: each step reads every weight once. With int8 weights
    (one scale per output row, fbgemm's dynamic-quantized matmul on x86) a step reads a
    quarter of the bytes and runs two to four times faster on this CPU, and the held-out NLL
    does not move at the fourth decimal. The quantized tensor API is deprecated in PyTorch, so
    it is tried once and float32 is kept when it is missing.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, int8: bool) -> None:
        self.packed = _pack_int8(weight, bias) if int8 else None
        self.w_t = weight.T.contiguous()  # [in, out]: the layout a one-row matmul wants
        self.bias = bias

    @property
    def int8(self) -> bool:
        return self.packed is not None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.packed is not None:
            return torch.ops.quantized.linear_dynamic(x, self.packed)
        if self.bias is None:
            return x @ self.w_t
        return torch.addmm(self.bias, x, self.w_t)


def _pack_int8(weight: torch.Tensor, bias: torch.Tensor | None) -> Any:
    """fbgemm-packed int8 weights with a scale per output row, or None where unsupported."""
    if weight.device.type != "cpu" or torch.backends.quantized.engine not in ("x86", "fbgemm"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = weight.float().contiguous()
            scales = (w.abs().amax(1).clamp_min(1e-8) / 127).double()
            zeros = torch.zeros(w.shape[0], dtype=torch.long)
            q = torch.quantize_per_channel(w, scales, zeros, 0, torch.qint8)
            return torch.ops.quantized.linear_prepack(q, bias)
    except (AttributeError, RuntimeError, NotImplementedError):
        return None


class FastStepper:
    """Single-step LSTM inference for a batch of streams, without nn.LSTM's per-call cost.

    The weights are laid out once for one-row steps: the first layer's input projection is
    folded into tables (vocab x 4H for the token, bar_steps x 4H for the position in the
    bar), and every later layer's input and recurrent matrices are joined into one, so a step
    is two lookups, one matmul per layer and the gate arithmetic. ``int8`` stores those
    matrices as int8 (see :class:`_Linear`).
    """

    def __init__(self, model: RnnModel, int8: bool = False) -> None:
        lstm = model.lstm
        self.layers = model.config.layers
        self.bar_steps = model.config.bar_steps or 1
        with torch.no_grad():
            w = [
                tuple(
                    getattr(lstm, f"{name}_l{i}").detach()
                    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                )
                for i in range(self.layers)
            ]
            self.table0 = model.embed.weight @ w[0][0].T + w[0][2] + w[0][3]  # [V, 4H]
            self.pos0 = model.position.weight @ w[0][0].T  # [bar_steps, 4H]
            if not model.config.bar_steps:
                self.pos0 = torch.zeros_like(self.pos0)
            self.hh0 = _Linear(w[0][1], None, int8)
            # layers >= 1: [x, h] @ [W_ih, W_hh].T + (b_ih + b_hh)
            self.cat = [
                _Linear(torch.cat([w_ih, w_hh], 1), b_ih + b_hh, int8)
                for w_ih, w_hh, b_ih, b_hh in w[1:]
            ]
            self.head = _Linear(model.head.weight.detach(), model.head.bias.detach(), int8)
        self.int8 = self.hh0.int8

    @staticmethod
    def _cell(gates: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """LSTM gate arithmetic (PyTorch's i, f, g, o order) -> new h, c."""
        i, f, g, o = gates.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    @torch.no_grad()
    def __call__(
        self,
        tokens: torch.Tensor,
        positions: torch.Tensor,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
        logits: bool = True,
    ) -> tuple[torch.Tensor | None, list[torch.Tensor], list[torch.Tensor]]:
        """tokens, positions [B] (input index since BOS); h, c lists of [B, H] per layer
        -> logits [B, V] (None when ``logits`` is false: a primer step needs no prediction)
        and the new h, c."""
        x0 = self.table0[tokens] + self.pos0[positions % self.bar_steps]
        x, c0 = self._cell(x0 + self.hh0(h[0]), c[0])
        new_h, new_c = [x], [c0]
        for layer in range(1, self.layers):
            x, cl = self._cell(self.cat[layer - 1](torch.cat([x, h[layer]], 1)), c[layer])
            new_h.append(x)
            new_c.append(cl)
        return (self.head(x) if logits else None), new_h, new_c


class RnnStream:
    """A stateful continuation: feed tokens, sample the next, keep the LSTM state."""

    def __init__(self, engine: RnnEngine, seed: int | None = None) -> None:
        self.engine = engine
        self.sampler = Sampler(seed)
        self.h: list[torch.Tensor] = []
        self.c: list[torch.Tensor] = []
        self.logits: torch.Tensor | None = None
        self.position = 0  # inputs fed since BOS (BOS included)
        self.reset()

    def reset(self) -> None:
        """Forget everything and start again from the start-of-sequence token."""
        cfg = self.engine.config
        zeros = torch.zeros(1, cfg.hidden, device=self.engine.device)
        self.h = [zeros] * cfg.layers
        self.c = [zeros] * cfg.layers
        self.logits = None
        self.position = 0
        self.feed([BOS])

    @torch.no_grad()
    def feed(self, tokens: Sequence[int]) -> None:
        """Advance the state through ``tokens``, one step each.

        Step by step, not one sequence call: a primer and a stream then go through exactly
        the same arithmetic (so a seed gives the same notes either way), and on the CPU a
        batch-of-one sequence call costs as much per token as a step does.
        """
        stepper = self.engine.stepper
        dev = self.engine.device
        last = len(tokens) - 1
        for i, tok in enumerate(tokens):
            t = torch.tensor([int(tok)], device=dev)
            p = torch.tensor([self.position], device=dev)
            logits, self.h, self.c = stepper(t, p, self.h, self.c, logits=i == last)
            self.position += 1
            if logits is not None:
                self.logits = logits

    def sample(self, temperature: float = 1.0, top_p: float | None = None) -> int:
        """Sample the next token, feed it back, and return it."""
        assert self.logits is not None
        token = int(self.sampler(self.logits, temperature, top_p)[0])
        self.feed([token])
        return token


class RnnEngine:
    """An LSTM continuator: given what the performer played, continue the phrase."""

    name = ENGINE

    def __init__(
        self,
        model: RnnModel,
        device: torch.device,
        info: dict | None = None,
        int8: bool | None = None,
    ) -> None:
        """``int8``: step with int8 weights (default: on the CPU, where fbgemm has them)."""
        self.model = model.to(device).eval()
        self.config: RnnConfig = model.config
        self.device = device
        self.info = info or {}
        self.int8 = device.type == "cpu" if int8 is None else int8
        self._stepper: FastStepper | None = None

    @property
    def stepper(self) -> FastStepper:
        """The single-step path, built from the weights on first use (after training)."""
        if self._stepper is None:
            self._stepper = FastStepper(self.model, self.int8)
        return self._stepper

    @classmethod
    def from_config(
        cls, config: RnnConfig, device: str = "cpu", seed: int = 0, int8: bool | None = None
    ) -> RnnEngine:
        """A freshly initialised (untrained) engine, for training and tests."""
        torch.manual_seed(seed)
        return cls(RnnModel(config), resolve_device(device), int8=int8)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto", int8: bool | None = None) -> RnnEngine:
        model, dev, extra, _ = load_model(path, ENGINE, RnnConfig, RnnModel, device)
        return cls(model, dev, extra, int8)

    def save(self, path: str | Path, extra: dict | None = None) -> Path:
        return save_checkpoint(path, ENGINE, self.config, self.model, extra or self.info)

    def stream(self, seed: int | None = None) -> RnnStream:
        return RnnStream(self, seed)

    def primer_tokens(self, notes: Sequence[Note]) -> list[int]:
        """The primer on the grid, padded with rests to the end of its last bar."""
        check_primer(notes)
        return notes_to_tokens(notes, n_steps=bar_padded_steps(notes))

    def continue_(
        self,
        notes: Sequence[Note] = (),
        steps: int = 32,
        temperature: float = 1.0,
        seed: int | None = None,
        top_p: float | None = None,
    ) -> list[Note]:
        """Continue ``notes`` for ``steps`` 16th steps.

        The reply's starts count from the end of the primer's last bar. Velocity is the
        primer's mean (100 without a primer).
        """
        if not 1 <= steps <= MAX_STEPS:
            raise ValueError(f"steps must be 1..{MAX_STEPS}, got {steps}")
        check_sampling(temperature, top_p)
        primer = self.primer_tokens(notes)
        stream = self.stream(seed)
        stream.feed(primer)
        out = [stream.sample(temperature, top_p) for _ in range(steps)]
        velocity = round(sum(n.velocity for n in notes) / len(notes)) if notes else 100
        return tokens_to_notes(out, velocity=velocity)

    @torch.no_grad()
    def token_nll(self, tokens: Sequence[int] | np.ndarray) -> np.ndarray:
        """Negative log-likelihood (nats) of each token given BOS and the tokens before it."""
        seq = torch.tensor([[BOS, *[int(t) for t in tokens]]], device=self.device)
        positions = torch.arange(seq.shape[1] - 1, device=self.device)[None]
        logits, _ = self.model(seq[:, :-1], positions)
        logp = torch.log_softmax(logits.float(), -1)
        return -logp[0].gather(-1, seq[0, 1:, None])[:, 0].cpu().numpy()


__all__ = ["RnnEngine", "RnnStream", "Sampler", "STEPS_PER_BAR", "MAX_STEPS"]
