"""The VAE interpolator's musical verbs: encode, decode, sample, interpolate, attribute.

Every verb takes and returns notes (:class:`engines.notes.Note`), never tensors. Melodies
are two bars (8 beats) of the 16th-note grid: longer input is cut at beat 8, shorter input
is padded with rests, and overlapping notes are reduced to one voice by
:func:`engines.notes.monophonic` (of notes starting together the highest wins; a note still
sounding when the next starts is cut there). Decoding is greedy when ``temperature`` is None
or 0, else sampled; a ``seed`` makes every verb give the same answer every time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from engines import common
from engines.base import Engine
from engines.checkpoint import (
    WEIGHTS_FILE,
    CheckpointError,
    load_model,
    resolve_device,
    save_checkpoint,
)
from engines.common import seeded_generator
from engines.notes import (
    STEPS_PER_BEAT,
    Note,
    is_note_on,
    notes_to_tokens,
    register_shift,
    tokens_to_notes,
    transpose_token,
)
from engines.vae.data import ATTRIBUTES
from engines.vae.model import FastDecoder, VaeConfig, VaeModel
from engines.vae.verbs import VERBS

ENGINE = "vae"
BEATS = 8.0
MIN_POINTS, MAX_POINTS = 2, 64
MAX_SAMPLES = 64
MAX_AMOUNT = 8.0
MAX_Z = 100.0  # trained codes lie within a few units of 0 (a standard normal prior)
MAX_NOTES = 4096


def check_temperature(temperature: float | None) -> float | None:
    """None or 0 (greedy) or a finite number > 0; raises ValueError in a performer's words."""
    if temperature is None:
        return None
    common.check_temperature(temperature, zero_ok=True)
    return float(temperature) or None


def check_melody(notes: Sequence[Note], what: str = "melody") -> None:
    if len(notes) == 0:
        raise ValueError(f"{what} is empty: send at least one note in the first 8 beats")
    if len(notes) > MAX_NOTES:
        raise ValueError(f"{what} has {len(notes)} notes; the most is {MAX_NOTES}")
    for n in notes:
        common.check_note(n)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between vectors a, b [D] at fractions t [K] -> [K, D].

    Falls back to straight-line interpolation when a and b (nearly) share a direction.
    """
    t = t[:, None]
    na, nb = a.norm(), b.norm()
    cos = torch.dot(a, b) / (na * nb).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if na < 1e-8 or nb < 1e-8 or omega.abs() < 1e-4:
        return (1 - t) * a + t * b
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


class VaeEngine(Engine):
    """A recurrent VAE over two-bar melodies: a latent space to morph, sample and steer."""

    name = ENGINE
    verbs = VERBS

    def __init__(
        self,
        model: VaeModel,
        device: torch.device,
        info: dict | None = None,
        attributes: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.model = model.to(device).eval()
        self.config: VaeConfig = model.config
        self.device = device
        self.info = info or {}
        # name -> [latent] vector: mean code of the top quarter minus the bottom quarter
        self.attributes = {k: v.float().to(device) for k, v in (attributes or {}).items()}
        self.decoder = FastDecoder(self.model)

    @classmethod
    def from_config(cls, config: VaeConfig, device: str = "cpu", seed: int = 0) -> VaeEngine:
        """A freshly initialised (untrained) engine, for training and tests."""
        torch.manual_seed(seed)
        return cls(VaeModel(config), resolve_device(device))

    @classmethod
    def tiny(cls, seed: int = 0) -> VaeEngine:
        """A random-init engine small enough to load and answer in milliseconds (tests),
        with random attribute vectors so that every verb answers."""
        engine = cls.from_config(
            VaeConfig(embed=8, enc_hidden=16, latent=8, dec_hidden=16, dec_layers=1),
            device="cpu",
            seed=seed,
        )
        g = torch.Generator().manual_seed(seed)
        engine.attributes = {a: torch.randn(8, generator=g) for a in sorted(ATTRIBUTES)}
        return engine

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> VaeEngine:
        model, dev, extra, tensors = load_model(path, ENGINE, VaeConfig, VaeModel, device)
        attributes = {
            k[len("attribute.") :]: v for k, v in tensors.items() if k.startswith("attribute.")
        }
        for k, v in attributes.items():
            if tuple(v.shape) != (model.config.latent,) or not bool(torch.isfinite(v).all()):
                raise CheckpointError(
                    Path(path) / WEIGHTS_FILE,
                    f"attribute vector {k} is not {model.config.latent} finite numbers",
                )
        return cls(model, dev, extra, attributes)

    def save(self, path: str | Path, extra: dict | None = None) -> Path:
        tensors = {f"attribute.{k}": v for k, v in self.attributes.items()}
        return save_checkpoint(
            path, ENGINE, self.config, self.model, extra or self.info, tensors=tensors
        )

    def refresh(self) -> None:
        """Rebuild the fast decoder after the weights changed (in training)."""
        self.decoder = FastDecoder(self.model)

    def warm_up(self) -> None:
        """Decode the largest batch a request may ask for and a morph once, so that the
        memory they keep is taken at startup, not during a performance."""
        self.sample(MAX_SAMPLES, seed=0)
        melody = [Note(60 + 2 * i, i * 0.5, 0.5, 90) for i in range(8)]
        self.interpolate(melody, melody[::-1], steps=MIN_POINTS + 3, seed=0)

    @property
    def latent_size(self) -> int:
        return self.config.latent

    @property
    def attribute_names(self) -> list[str]:
        return sorted(self.attributes) if self.attributes else sorted(ATTRIBUTES)

    # -- the grid ------------------------------------------------------------------------

    def melody_tokens(self, notes: Sequence[Note], what: str = "melody") -> list[int]:
        """Two bars of tokens: cut at beat 8, padded with rests, one voice."""
        check_melody(notes, what)
        tokens = notes_to_tokens(notes, n_steps=self.config.steps)
        if not any(is_note_on(t) for t in tokens):
            beats = self.config.steps / STEPS_PER_BEAT
            raise ValueError(f"{what} has no notes in its first {beats:g} beats")
        return tokens

    def tokens_notes(
        self, tokens: torch.Tensor, velocity: int = 100, semitones: int = 0
    ) -> list[Note]:
        """Decoded tokens -> notes, moved by ``semitones`` (octaves fold back into 0..127)."""
        moved = [transpose_token(int(t), semitones) for t in tokens.tolist()]
        return tokens_to_notes(moved, velocity=velocity)

    @staticmethod
    def _velocity(notes: Sequence[Note]) -> int:
        return round(sum(n.velocity for n in notes) / len(notes)) if notes else 100

    # -- tensors, internal -----------------------------------------------------------------

    @torch.no_grad()
    def _means(self, token_rows: Sequence[Sequence[int]] | np.ndarray) -> torch.Tensor:
        """[B, T] tokens -> latent means [B, latent]."""
        x = torch.as_tensor(np.asarray(token_rows, dtype=np.int64), device=self.device)
        mean, _ = self.model.encode(x)
        return mean

    def _decode(self, z: torch.Tensor, temperature: float | None, seed: int | None) -> torch.Tensor:
        """z [B, latent] -> tokens [B, steps]."""
        gen = seeded_generator(seed) if temperature else None
        return self.decoder(z.to(self.device), self.config.steps, temperature, gen)

    def _vector(self, z: Sequence[float]) -> torch.Tensor:
        values = list(z)
        if len(values) != self.latent_size:
            raise ValueError(
                f"latent vector must have {self.latent_size} numbers, got {len(values)}"
            )
        if not all(isinstance(v, (int, float)) for v in values):
            raise ValueError("latent vector must hold numbers only")
        # a code far outside what the encoder gives saturates every unit: the decoder then
        # answers with silence, so refuse it in words instead
        worst = max(values, key=lambda v: abs(v) if math.isfinite(v) else math.inf)
        if not (math.isfinite(worst) and abs(worst) <= MAX_Z):
            raise ValueError(
                f"z values must be finite numbers within -{MAX_Z:g}..{MAX_Z:g}, got {worst:g}"
            )
        return torch.tensor(values, dtype=torch.float32, device=self.device)

    # -- the verbs -------------------------------------------------------------------------

    def encode(self, notes: Sequence[Note]) -> list[float]:
        """The latent code (the posterior mean) of a two-bar melody."""
        return [float(v) for v in self._means([self.melody_tokens(notes)])[0].cpu()]

    def decode(
        self,
        z: Sequence[float],
        temperature: float | None = None,
        seed: int | None = None,
        velocity: int = 100,
    ) -> list[Note]:
        """The two-bar melody of a latent code (greedy unless a temperature is given)."""
        temperature = check_temperature(temperature)
        tokens = self._decode(self._vector(z)[None], temperature, seed)
        return self.tokens_notes(tokens[0], velocity)

    def sample(
        self, n: int = 1, temperature: float | None = 1.0, seed: int | None = None
    ) -> list[list[Note]]:
        """``n`` new two-bar melodies from codes drawn from the prior N(0, I)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SAMPLES:
            raise ValueError(f"n must be a whole number 1..{MAX_SAMPLES}, got {n}")
        temperature = check_temperature(temperature)
        gen = seeded_generator(seed)
        z = torch.randn(n, self.latent_size, generator=gen)
        # the decoder's sampling continues from the same seeded generator
        tokens = self.decoder(z.to(self.device), self.config.steps, temperature, gen)
        return [self.tokens_notes(row) for row in tokens]

    def interpolate(
        self,
        a: Sequence[Note],
        b: Sequence[Note],
        steps: int = 5,
        temperature: float | None = 1.0,
        seed: int | None = None,
    ) -> list[list[Note]]:
        """A morph from ``a`` to ``b``: ``steps`` melodies (2..64), both endpoints included.

        The latent means of a and b are joined by spherical interpolation and each point
        is decoded; velocity goes in a straight line from a's mean velocity to b's.
        """
        if isinstance(steps, bool) or not isinstance(steps, int):
            raise ValueError(f"steps must be a whole number {MIN_POINTS}..{MAX_POINTS}")
        if not MIN_POINTS <= steps <= MAX_POINTS:
            raise ValueError(f"steps must be {MIN_POINTS}..{MAX_POINTS}, got {steps}")
        temperature = check_temperature(temperature)
        ta, tb = self.melody_tokens(a, "melody a"), self.melody_tokens(b, "melody b")
        sa, sb = register_shift(ta), register_shift(tb)
        means = self._means(
            [[transpose_token(t, sa) for t in ta], [transpose_token(t, sb) for t in tb]]
        )
        t = torch.linspace(0.0, 1.0, steps, device=self.device)
        z = slerp(means[0], means[1], t)
        # The ends are the melodies given, as the model hears them: decoded greedily, so a
        # morph starts and ends where the performer asked; the points between are sampled.
        ends = self._decode(z[[0, -1]], None, None)
        inner = self._decode(z[1:-1], temperature, seed) if steps > 2 else ends[:0]
        tokens = torch.cat([ends[:1], inner, ends[1:]])
        va, vb = self._velocity(a), self._velocity(b)
        out = []
        for k, row in enumerate(tokens):
            # each point back in its own register: from a's octave to b's
            shift = 12 * round((sa + (sb - sa) * k / (steps - 1)) / 12)
            velocity = round(va + (vb - va) * k / (steps - 1))
            out.append(self.tokens_notes(row, velocity, -shift))
        return out

    def attribute(
        self,
        notes: Sequence[Note],
        name: str,
        amount: float = 1.0,
        seed: int | None = None,
        temperature: float | None = None,
    ) -> list[Note]:
        """``notes`` moved ``amount`` times along an attribute vector (density, register,
        syncopation): +1 is the step from a typical bottom-quarter melody to a top-quarter
        one, -1 the way back. Greedy unless a temperature is given."""
        if name not in self.attributes:
            known = ", ".join(self.attribute_names)
            if not self.attributes:
                raise ValueError(f"this checkpoint has no attribute vectors (known: {known})")
            raise ValueError(f"unknown attribute {name!r}; known: {known}")
        if not (isinstance(amount, (int, float)) and math.isfinite(amount)):
            raise ValueError(f"amount must be a finite number, got {amount}")
        if abs(amount) > MAX_AMOUNT:
            raise ValueError(f"amount must be -{MAX_AMOUNT:g}..{MAX_AMOUNT:g}, got {amount:g}")
        temperature = check_temperature(temperature)
        tokens = self.melody_tokens(notes)
        shift = register_shift(tokens)
        mean = self._means([[transpose_token(t, shift) for t in tokens]])[0]
        z = mean + float(amount) * self.attributes[name]
        out = self._decode(z[None], temperature, seed)
        return self.tokens_notes(out[0], self._velocity(notes), -shift)

    def reconstruct(self, notes: Sequence[Note]) -> list[Note]:
        """``notes`` as the model hears them: encoded and decoded greedily in the model's
        register, moved back to theirs (what ``attribute`` with ``amount 0`` and the ends of
        ``interpolate`` give)."""
        tokens = self.melody_tokens(notes)
        shift = register_shift(tokens)
        out = self._decode(self._means([[transpose_token(t, shift) for t in tokens]]), None, None)
        return self.tokens_notes(out[0], self._velocity(notes), -shift)


__all__ = ["VaeEngine", "MIN_POINTS", "MAX_POINTS", "MAX_SAMPLES", "slerp"]
