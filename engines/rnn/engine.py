"""The RNN continuator's musical verbs: continue a phrase, or step a stream token by token."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import Session, StreamingEngine, Verb
from engines.checkpoint import load_model, resolve_device, save_checkpoint
from engines.common import (
    MAX_PRIMER_NOTES,
    MAX_STEPS,
    check_sampling,
    check_steps,
    primer_tokens,
    seeded_generator,
    variation_seeds,
)
from engines.notes import (
    BOS,
    HOLD,
    NOTE_ON_BASE,
    STEPS_PER_BAR,
    Note,
    register_shift,
    tokens_to_notes,
    transpose_token,
)
from engines.params import PRIMER, PRIMER_8, SEED, SET_TEMPERATURE, STEPS, TEMPERATURE, TOP_P
from engines.rnn.model import RnnConfig, RnnModel
from engines.rnn.step import RULES, FastStepper, note_run, pick

ENGINE = "rnn"
MIN_ROWS = 4  # a batched stream step has at least this many rows (see RnnEngine.advance)


class Sampler:
    """Picks the next token from logits: temperature, optional top-p, a seeded generator.

    The noise comes from a CPU generator, one row of ``vocab`` uniforms per draw, so a seed
    gives the same tokens on every device and whether a continuation is drawn step by step
    or all at once (``noise(steps, vocab)`` equals ``steps`` single draws).
    """

    def __init__(self, seed: int | None = None) -> None:
        self.generator = seeded_generator(seed)

    def noise(self, rows: int, vocab: int) -> torch.Tensor:
        """[rows, vocab] uniforms in [0, 1) for :func:`pick`."""
        return torch.rand(rows, vocab, generator=self.generator)

    def __call__(
        self,
        logits: torch.Tensor,
        temperature: float,
        top_p: float | None = None,
        last: int = -1,
        run: int = 0,
    ) -> torch.Tensor:
        """logits [B, V] -> tokens [B] (on the CPU); ``last``/``run``: see :func:`note_run`."""
        u = self.noise(*logits.shape)
        p = 1.0 if top_p is None else top_p
        return pick(logits.float().cpu(), temperature, p, u, last, run, RULES)


class RnnStream:
    """A stateful continuation: feed tokens, sample the next, keep the LSTM state.

    ``shift`` (semitones, whole octaves: :func:`register_shift`) moves what the model hears:
    tokens fed are moved by it, tokens sampled are moved back. ``last``/``run`` follow the
    model's note-ons (:func:`engines.rnn.step.note_run`) for the repeat penalty. ``stepper``
    is the engine's (int8 on the CPU) unless given.
    """

    def __init__(
        self,
        engine: RnnEngine,
        seed: int | None = None,
        shift: int = 0,
        stepper: FastStepper | None = None,
    ) -> None:
        self.engine = engine
        self.stepper = stepper or engine.stepper
        self.sampler = Sampler(seed)
        self.shift = shift
        self.h: list[torch.Tensor] = []
        self.c: list[torch.Tensor] = []
        self.logits: torch.Tensor | None = None
        self.position = 0  # inputs fed since BOS (BOS included)
        self.last, self.run = -1, 0
        self.reset()

    def reset(self) -> None:
        """Forget everything and start again from the start-of-sequence token."""
        self.logits, self.h, self.c = self.stepper.start
        self.position = 1
        self.last, self.run = -1, 0

    def heard(self, token: int) -> int:
        """``token`` as the model hears it (moved by ``shift``)."""
        return transpose_token(token, self.shift)

    def played(self, token: int) -> int:
        """A token the model sampled as it is played (moved back by ``shift``)."""
        return transpose_token(token, -self.shift)

    def feed(self, tokens: Sequence[int]) -> None:
        """Advance the state through ``tokens`` (one compiled call, a layer at a time; the
        result agrees with feeding them one by one to float rounding, or to int8's
        activation rounding with int8 weights)."""
        if not tokens:
            return
        heard = [self.heard(int(t)) for t in tokens]
        self.logits, self.h, self.c = self.stepper.feed(heard, self.position, self.h, self.c)
        self.position += len(tokens)
        for t in heard:
            self.last, self.run = note_run(self.last, self.run, t, NOTE_ON_BASE)

    def sample(self, temperature: float = 1.0, top_p: float | None = None) -> int:
        """Sample the next token, feed it back, and return it."""
        return self.generate(1, temperature, top_p)[0]

    def generate(
        self, steps: int, temperature: float = 1.0, top_p: float | None = None
    ) -> list[int]:
        """Sample ``steps`` tokens, each fed back before the next (the same tokens as
        ``steps`` calls of :meth:`sample`, in one call)."""
        assert self.logits is not None
        noise = self.sampler.noise(steps, self.logits.shape[-1])
        out, self.logits, self.h, self.c, self.last, self.run = self.stepper.generate(
            self.logits,
            self.position,
            self.h,
            self.c,
            float(temperature),
            1.0 if top_p is None else float(top_p),
            noise,
            self.last,
            self.run,
        )
        self.position += steps
        return [self.played(t) for t in out]


class RnnSession(Session):
    """A live stream's LSTM state (an :class:`RnnStream`) with its temperature and top-p."""

    def __init__(self, stream: RnnStream, temperature: float, top_p: float | None) -> None:
        self.stream = stream
        self.temperature = temperature
        self.top_p = top_p

    def sample(self) -> int:
        s = self.stream
        assert s.logits is not None
        tok = int(s.sampler(s.logits, self.temperature, self.top_p, s.last, s.run)[0])
        # BOS is never a step (it should not be sampled)
        return HOLD if tok >= NOTE_ON_BASE + 128 else s.played(tok)

    def feed(self, tokens: Sequence[int]) -> None:
        self.stream.feed(tokens)

    def snapshot(self) -> Any:
        s = self.stream
        return s.h, s.c, s.logits, s.position, s.last, s.run

    def restore(self, snapshot: Any) -> None:
        s = self.stream
        s.h, s.c, s.logits, s.position, s.last, s.run = snapshot


class RnnEngine(StreamingEngine):
    """An LSTM continuator: given what the performer played, continue the phrase."""

    name = ENGINE
    verbs = (
        Verb(
            "continue",
            (TEMPERATURE, STEPS, SEED, TOP_P, PRIMER),
            "notes",
            """Continue a phrase. Reply: the continuation's notes. Their `start` is counted
            from the end of the primer's last bar (the primer is padded to a whole bar of 4
            beats). Without `notes`, the model starts from nothing.""",
            method="continue_",
            bench=("steps", 32, "notes", *PRIMER_8),
            variations=True,
        ),
    )
    stream_params = (TEMPERATURE, SEED, PRIMER, TOP_P)
    stream_set_params = (SET_TEMPERATURE,)
    stream_doc = "the RNN continues `notes` (or starts from nothing)"

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
        self._batch_stepper: FastStepper | None = None

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
    def tiny(cls, seed: int = 0) -> RnnEngine:
        """A random-init engine small enough to load and answer in milliseconds (tests)."""
        return cls.from_config(RnnConfig(embed=16, hidden=32, layers=1), device="cpu", seed=seed)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto", int8: bool | None = None) -> RnnEngine:
        model, dev, extra, _ = load_model(path, ENGINE, RnnConfig, RnnModel, device)
        return cls(model, dev, extra, int8)

    def save(self, path: str | Path, extra: dict | None = None) -> Path:
        return save_checkpoint(path, ENGINE, self.config, self.model, extra or self.info)

    @property
    def batch_stepper(self) -> FastStepper:
        """The single-step path for batches of streams: float32 even where requests use
        int8. An int8 stepper quantizes its input with one scale for the whole batch, so a
        row's result would depend on the other rows (a stream's notes for a seed would
        change with the streams beside it); batched, float32 reads the weights once per
        step for all rows anyway."""
        if not self.int8:
            return self.stepper
        if self._batch_stepper is None:
            self._batch_stepper = FastStepper(self.model, int8=False)
        return self._batch_stepper

    def warm_up(self) -> None:
        """Build the steppers and run their compiled paths a few times (TorchScript
        profiles the first calls of a method), so that a performer's first request or
        stream is as fast as the rest."""
        for seed in range(3):
            self.continue_([Note(60, 0, 1, 90)], steps=2, seed=seed)
        rows = 4
        zeros = [torch.zeros(rows, self.config.hidden, device=self.device)] * self.config.layers
        tokens = torch.full((rows,), BOS, device=self.device)
        positions = torch.zeros(rows, dtype=torch.long, device=self.device)
        for _ in range(3):
            self.batch_stepper(tokens, positions, zeros, zeros)

    def stream(self, seed: int | None = None, shift: int = 0) -> RnnStream:
        return RnnStream(self, seed, shift)

    # -- live streams (engines.base.StreamingEngine) -----------------------------------------

    def grid_tokens(self, notes: Sequence[Note]) -> list[int]:
        return primer_tokens(notes)

    def open_session(self, values: Mapping[str, Any], primer: Sequence[int]) -> RnnSession:
        stream = self.stream(values.get("seed"), register_shift(primer))
        stream.feed(primer)
        return RnnSession(stream, float(values.get("temperature", 1.0)), values.get("top_p"))

    def advance(self, sessions: Sequence[Session], tokens: Sequence[int]) -> None:
        """One float32 LSTM step for every session (the ``batch_stepper``). The batch is
        padded to ``MIN_ROWS`` rows because BLAS kernels round differently for 1-3 rows than
        for 4 or more: padded, a stream's numbers (so its notes for a seed) do not depend on
        which other streams play beside it."""
        rows = [s.stream for s in sessions]  # type: ignore[attr-defined]
        n = len(rows)
        if n == 0:
            return
        idx = list(range(n)) + [0] * max(0, MIN_ROWS - n)
        layers = len(rows[0].h)
        h = [torch.cat([rows[i].h[layer] for i in idx]) for layer in range(layers)]
        c = [torch.cat([rows[i].c[layer] for i in idx]) for layer in range(layers)]
        heard = [r.heard(int(t)) for r, t in zip(rows, tokens, strict=True)]
        for r, t in zip(rows, heard, strict=True):
            r.last, r.run = note_run(r.last, r.run, t, NOTE_ON_BASE)
        x = torch.tensor([heard[i] for i in idx], device=self.device)
        p = torch.tensor([rows[i].position for i in idx], device=self.device)
        logits, h, c = self.batch_stepper(x, p, h, c)
        for i, r in enumerate(rows):
            r.position += 1
            r.logits = logits[i : i + 1]
            r.h = [t[i : i + 1] for t in h]
            r.c = [t[i : i + 1] for t in c]

    def continue_(
        self,
        notes: Sequence[Note] = (),
        steps: int = 32,
        temperature: float = 1.0,
        seed: int | None = None,
        top_p: float | None = None,
        variations: int | None = None,
    ) -> list[Note] | list[list[Note]]:
        """Continue ``notes`` for ``steps`` 16th steps; with ``variations`` N, N
        continuations, variation k drawn with seed S+k
        (:func:`engines.common.variation_seeds`).

        The reply's starts count from the end of the primer's last bar. Velocity is the
        primer's mean (100 without a primer).

        Variations with int8 weights (the CPU's default) are stepped one after another, each
        the very reply seed S+k gets alone: on a CPU core a float32 batch of N rows is
        compute-bound and was measured slower than N int8 streams (16 variations of 32
        steps: 215-330 ms batched, 220-280 ms one by one; 4: 60-130 ms against 60-70 ms).
        With float weights (a GPU) they are one batch (:meth:`continue_rows`).
        """
        check_steps(steps)
        check_sampling(temperature, top_p)
        primer = primer_tokens(notes)
        velocity = round(sum(n.velocity for n in notes) / len(notes)) if notes else 100
        if variations is None:
            out = self.continue_tokens(primer, steps, temperature, top_p, seed)
            return tokens_to_notes(out, velocity=velocity)
        seeds = variation_seeds(seed, variations)
        if self.stepper.int8:
            rows = [self.continue_tokens(primer, steps, temperature, top_p, s) for s in seeds]
        else:
            rows = self.continue_rows(primer, steps, temperature, top_p, seeds)
        return [tokens_to_notes(out, velocity=velocity) for out in rows]

    def continue_tokens(
        self,
        primer: Sequence[int],
        steps: int,
        temperature: float,
        top_p: float | None,
        seed: int | None,
    ) -> list[int]:
        """One continuation of the primer tokens (the engine's stepper, one stream)."""
        stream = self.stream(seed, register_shift(primer))
        stream.feed(primer)
        return stream.generate(steps, temperature, top_p)

    def continue_rows(
        self,
        primer: Sequence[int],
        steps: int,
        temperature: float,
        top_p: float | None,
        seeds: Sequence[int],
    ) -> list[list[int]]:
        """One continuation of the primer tokens per seed, stepped as one batch by the
        float32 ``batch_stepper``: row k draws the noise ``seeds[k]`` draws alone. The batch
        is padded to ``MIN_ROWS`` rows, so a row's tokens do not depend on how many rows
        there are (BLAS rounds 1-3 rows differently); they may part from a lone stream's,
        which steps one row, where the rounding decides a draw."""
        stream = RnnStream(self, None, register_shift(primer), self.batch_stepper)
        stream.feed(primer)
        assert stream.logits is not None
        idx = list(range(len(seeds))) + [0] * max(0, MIN_ROWS - len(seeds))
        vocab = stream.logits.shape[-1]
        noise = torch.stack([Sampler(s).noise(steps, vocab) for s in seeds], 1)[:, idx]
        rows = len(idx)
        out = self.batch_stepper.generate_rows(
            stream.logits.expand(rows, -1).contiguous(),
            stream.position,
            [t.expand(rows, -1).contiguous() for t in stream.h],
            [t.expand(rows, -1).contiguous() for t in stream.c],
            float(temperature),
            1.0 if top_p is None else float(top_p),
            noise,
            [stream.last] * rows,
            [stream.run] * rows,
        )
        return [[stream.played(t) for t in row] for row in out[: len(seeds)]]

    @torch.no_grad()
    def token_nll(self, tokens: Sequence[int] | np.ndarray) -> np.ndarray:
        """Negative log-likelihood (nats) of each token given BOS and the tokens before it."""
        seq = torch.tensor([[BOS, *[int(t) for t in tokens]]], device=self.device)
        positions = torch.arange(seq.shape[1] - 1, device=self.device)[None]
        logits, _ = self.model(seq[:, :-1], positions)
        logp = torch.log_softmax(logits.float(), -1)
        return -logp[0].gather(-1, seq[0, 1:, None])[:, 0].cpu().numpy()


__all__ = [
    "MAX_PRIMER_NOTES",
    "MAX_STEPS",
    "PRIMER_8",
    "RnnEngine",
    "RnnSession",
    "RnnStream",
    "STEPS_PER_BAR",
    "Sampler",
]
