"""The n-gram continuator served like the RNN: continue a phrase, or step a stream token by token.

Its requests mean what the RNN's mean (``continue``: the primer is padded to whole bars, the
reply's starts count from the end of the primer's last bar, velocity is the primer's mean)
and its sampling is drawn the same way: a seeded CPU generator gives one row of
``VOCAB_SIZE`` uniforms per step, turned into a token by the Gumbel-max trick on
``log p / temperature``, after a top-p mask. ``BOS`` is never a step: its probability is
dropped before sampling. A session's state is the tail of its token history (the last
``order - 1`` tokens) and its generator; a snapshot copies both, so a restored session
draws the very same tokens again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import Session, StreamingEngine, Verb
from engines.common import (
    check_sampling,
    check_steps,
    primer_tokens,
    seeded_generator,
    variation_seeds,
)
from engines.ngram.model import ENGINE, NgramModel
from engines.notes import (
    BOS,
    HOLD,
    NOTE_ON_BASE,
    OFF,
    VOCAB_SIZE,
    Note,
    tokens_to_notes,
)
from engines.params import PRIMER, PRIMER_8, SEED, SET_TEMPERATURE, STEPS, TEMPERATURE, TOP_P

DEVICES = ("auto", "cpu", "cuda")


def pick(probs: np.ndarray, temperature: float, top_p: float | None, uniform: np.ndarray) -> int:
    """A token from a distribution [V] (``BOS`` excluded) and uniforms [V] in [0, 1).

    ``argmax(log p / T + Gumbel noise)`` is a draw from ``p ** (1 / T)`` renormalised. With
    ``top_p`` the tokens outside the nucleus (the likeliest tokens whose tempered
    probabilities reach ``top_p``; the top token always stays) are dropped first.
    """
    p = probs.astype(np.float64, copy=True)
    p[BOS] = 0.0  # BOS is never a step
    with np.errstate(divide="ignore"):
        scores = np.log(p) / temperature
    if top_p is not None and top_p < 1.0:
        q = np.exp(scores - scores.max())
        q /= q.sum()
        order = np.argsort(-q, kind="stable")
        sorted_q = q[order]
        drop = (np.cumsum(sorted_q) - sorted_q) >= top_p
        scores[order[drop]] = -math.inf
    u = np.maximum(uniform.astype(np.float64), 1e-20)
    return int(np.argmax(scores - np.log(-np.log(u))))


class NgramSession(Session):
    """A live stream of the n-gram: its history's tail, next distribution and generator.

    ``context`` is the tail of ``BOS + tokens`` the model reads (at most ``order - 1``
    tokens, a tuple: replaced, never changed in place); ``probs`` the next-token
    distribution after it, computed on demand or by the engine's batched ``advance``.
    """

    def __init__(
        self,
        engine: NgramEngine,
        temperature: float = 1.0,
        top_p: float | None = None,
        seed: int | None = None,
    ) -> None:
        self.engine = engine
        self.temperature = temperature
        self.top_p = top_p
        self.generator = seeded_generator(seed)
        self.keep = max(engine.model.order - 1, 1)
        self.context: tuple[int, ...] = (BOS,)
        self.probs: np.ndarray | None = None

    def next_probs(self) -> np.ndarray:
        if self.probs is None:
            self.probs = self.engine.model.next_probs([self.context])[0]
        return self.probs

    def sample(self) -> int:
        u = torch.rand(VOCAB_SIZE, generator=self.generator).numpy()
        return pick(self.next_probs(), self.temperature, self.top_p, u)

    def feed(self, tokens: Sequence[int]) -> None:
        if len(tokens) == 0:
            return
        self.context = (*self.context, *(int(t) for t in tokens))[-self.keep :]
        self.probs = None

    def generate(self, steps: int) -> list[int]:
        """Sample ``steps`` tokens, each fed back before the next."""
        out = []
        for _ in range(steps):
            token = self.sample()
            self.feed([token])
            out.append(token)
        return out

    def snapshot(self) -> Any:
        return self.context, self.probs, self.generator.get_state()

    def restore(self, snapshot: Any) -> None:
        self.context, self.probs, state = snapshot
        self.generator.set_state(state)


class NgramEngine(StreamingEngine):
    """A Kneser-Ney n-gram continuator: the RNN's baseline, served with the same verbs."""

    name = ENGINE
    verbs = (
        Verb(
            "continue",
            (TEMPERATURE, STEPS, SEED, TOP_P, PRIMER),
            "notes",
            """Continue a phrase with the n-gram model (it looks back a few 16th steps only).
            Reply: the continuation's notes. Their `start` is counted from the end of the
            primer's last bar (the primer is padded to a whole bar of 4 beats). Without
            `notes`, the model starts from nothing.""",
            method="continue_",
            bench=("steps", 32, "notes", *PRIMER_8),
            variations=True,
        ),
    )
    stream_params = (TEMPERATURE, SEED, PRIMER, TOP_P)
    stream_set_params = (SET_TEMPERATURE,)

    def __init__(self, model: NgramModel, info: dict | None = None) -> None:
        self.model = model
        self.info = info or {}
        self.device = torch.device("cpu")

    @classmethod
    def fit(cls, tunes: Sequence[Sequence[int] | np.ndarray], order: int = 5) -> NgramEngine:
        """An engine fit on token sequences (see :meth:`NgramModel.fit`)."""
        return cls(NgramModel.fit(tunes, order))

    @classmethod
    def tiny(cls, seed: int = 0) -> NgramEngine:
        """A trigram fit on a few synthetic tunes (C major scales and arpeggios in random
        rhythms, chosen by ``seed``): fits and answers in milliseconds (tests)."""
        return cls(NgramModel.fit(synthetic_tunes(seed), 3), {"corpus": "synthetic scales"})

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> NgramEngine:
        """The engine of a checkpoint folder. It runs on the CPU whatever ``device`` says
        (numpy lookups; there is nothing for a GPU to do)."""
        if device not in DEVICES:
            raise ValueError(f"device must be auto, cpu or cuda, got {device!r}")
        model, extra = NgramModel.load(path)
        return cls(model, extra)

    def save(self, path: str | Path, extra: dict | None = None) -> Path:
        return self.model.save(path, extra or self.info)

    def parameter_count(self) -> int:
        """The n-grams stored (of every order): the model's counts are its parameters."""
        return self.model.size

    def warm_up(self) -> None:
        """Answer a request and step a small batch once (touches the arrays' pages)."""
        self.continue_([Note(60, 0, 1, 90)], steps=2, seed=0)
        sessions = [self.open_session({"seed": s}, []) for s in range(2)]
        self.advance(sessions, [s.sample() for s in sessions])

    # -- live streams (engines.base.StreamingEngine) -----------------------------------------

    def grid_tokens(self, notes: Sequence[Note]) -> list[int]:
        return primer_tokens(notes)

    def open_session(self, values: Mapping[str, Any], primer: Sequence[int]) -> NgramSession:
        session = NgramSession(
            self,
            float(values.get("temperature", 1.0)),
            values.get("top_p"),
            values.get("seed"),
        )
        session.feed(primer)
        return session

    def advance(self, sessions: Sequence[Session], tokens: Sequence[int]) -> None:
        """Feed each session its token and compute every next distribution in one
        vectorised lookup. Every number of a row is computed elementwise (searchsorted,
        where, +, *, /: exact in IEEE arithmetic), so a session's distribution, hence its
        tokens for a seed, does not depend on the sessions beside it."""
        rows: list[NgramSession] = list(sessions)  # type: ignore[arg-type]
        if not rows:
            return
        for s, t in zip(rows, tokens, strict=True):
            s.feed([int(t)])
        probs = self.model.next_probs([s.context for s in rows])
        for i, s in enumerate(rows):
            s.probs = probs[i]

    def continue_(
        self,
        notes: Sequence[Note] = (),
        steps: int = 32,
        temperature: float = 1.0,
        seed: int | None = None,
        top_p: float | None = None,
        variations: int | None = None,
    ) -> list[Note] | list[list[Note]]:
        """Continue ``notes`` for ``steps`` 16th steps (the tokens a stream opened with the
        same seed would play); with ``variations`` N, N continuations stepped together
        (:meth:`advance`), variation k the very reply of seed S+k
        (:func:`engines.common.variation_seeds`).

        The reply's starts count from the end of the primer's last bar. Velocity is the
        primer's mean (100 without a primer).
        """
        check_steps(steps)
        check_sampling(temperature, top_p)
        primer = primer_tokens(notes)
        seeds = [seed] if variations is None else variation_seeds(seed, variations)
        sessions = [NgramSession(self, temperature, top_p, s) for s in seeds]
        for session in sessions:
            session.feed(primer)
        out: list[list[int]] = [[] for _ in sessions]
        for _ in range(steps):
            tokens = [session.sample() for session in sessions]
            for row, token in zip(out, tokens, strict=True):
                row.append(token)
            self.advance(sessions, tokens)
        velocity = round(sum(n.velocity for n in notes) / len(notes)) if notes else 100
        melodies = [tokens_to_notes(row, velocity=velocity) for row in out]
        return melodies[0] if variations is None else melodies

    def token_nll(self, tokens: Sequence[int] | np.ndarray) -> np.ndarray:
        """Negative log-likelihood (nats) of each token given BOS and the tokens before it."""
        return self.model.token_nll(tokens)


def synthetic_tunes(seed: int = 0, n: int = 24) -> list[list[int]]:
    """``n`` short C major tunes: scales up and down and arpeggios from C4, G4 or C5, in
    eighths, quarters and dotted quarters with a rest now and then (``seed`` picks)."""
    rng = np.random.default_rng(seed)
    scale = [0, 2, 4, 5, 7, 9, 11]
    out = []
    for _ in range(n):
        root = int(rng.choice([60, 67, 72]))
        degrees = list(range(8)) if rng.random() < 0.5 else [0, 2, 4, 7, 4, 2, 0]
        if rng.random() < 0.5:
            degrees = degrees[::-1]
        tune: list[int] = []
        for d in degrees * 2:
            pitch = root + 12 * (d // 7) + scale[d % 7]
            length = int(rng.choice([2, 4, 4, 6]))
            tune += [NOTE_ON_BASE + pitch] + [HOLD] * (length - 1)
            if rng.random() < 0.1:
                tune += [OFF, HOLD]  # a rest of two 16ths
        out.append(tune)
    return out


__all__ = ["NgramEngine", "NgramSession", "pick", "synthetic_tunes"]
