"""The GAN bar generator's musical verbs: a melody over a chord progression, bar by bar."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from engines.base import Engine
from engines.checkpoint import load_model, resolve_device, save_checkpoint
from engines.common import check_note, check_temperature, seeded_generator, variation_seeds
from engines.gan.chords import Triad, parse_chords
from engines.gan.data import REST, bar_grid
from engines.gan.model import STEPS, BarGan, GanConfig
from engines.gan.verbs import VERBS
from engines.notes import STEPS_PER_BEAT, Note

log = logging.getLogger(__name__)

ENGINE = "gan"
MAX_CHORDS = 256
BAR_BEATS = 4.0
MAX_PREV_NOTES = 64


def check_prev(prev: Sequence[Note]) -> None:
    """Raise ValueError, in a performer's words, unless ``prev`` is one bar of valid notes."""
    if len(prev) > MAX_PREV_NOTES:
        raise ValueError(f"prev has {len(prev)} notes; one bar holds at most {MAX_PREV_NOTES}")
    for n in prev:
        check_note(n, bar_beats=BAR_BEATS)


class GanEngine(Engine):
    """A conditional GAN that writes one bar of melody per chord, each following the last.

    Noise is drawn on the CPU from the seed, so a seed gives the same bars on any device;
    ``temperature`` scales the noise (below 1 keeps closer to the generator's typical bar).
    """

    name = ENGINE
    verbs = VERBS

    def __init__(self, model: BarGan, device: torch.device, info: dict | None = None) -> None:
        self.model = model.to(device).eval()
        self.config: GanConfig = model.config
        self.device = device
        self.info = info or {}
        self._single: Callable[..., tuple[torch.Tensor, torch.Tensor]] | None = None

    @classmethod
    def from_config(cls, config: GanConfig, device: str = "cpu", seed: int = 0) -> GanEngine:
        """A freshly initialised (untrained) engine, for training and tests."""
        torch.manual_seed(seed)
        return cls(BarGan(config), resolve_device(device))

    @classmethod
    def tiny(cls, seed: int = 0) -> GanEngine:
        """A random-init engine small enough to load and answer in milliseconds (tests)."""
        return cls.from_config(
            GanConfig(z_dim=8, g_channels=16, cond_channels=8, d_channels=8),
            device="cpu",
            seed=seed,
        )

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> GanEngine:
        model, dev, extra, _ = load_model(path, ENGINE, GanConfig, BarGan, device)
        return cls(model, dev, extra)

    def save(self, path: str | Path, extra: dict | None = None) -> Path:
        return save_checkpoint(path, ENGINE, self.config, self.model, extra or self.info)

    # --- notes <-> the bar matrix ---------------------------------------------------------

    def to_rows(self, pitch: np.ndarray) -> np.ndarray:
        """MIDI pitches (REST = -1) -> row indices; pitches outside the model's range are
        moved by octaves into it."""
        cfg = self.config
        p = pitch.astype(np.int64)
        folded = p.copy()
        folded = np.where(folded < cfg.low, folded + 12 * ((cfg.low - folded + 11) // 12), folded)
        folded = np.where(folded > cfg.high, folded - 12 * ((folded - cfg.high + 11) // 12), folded)
        return np.where(p == REST, cfg.rest, folded - cfg.low)

    def prev_grid(self, prev: Sequence[Note] | None) -> tuple[np.ndarray, np.ndarray]:
        """The bar before as rows [16] and onsets [16] (all rest without one)."""
        if not prev:
            return np.full(STEPS, self.config.rest), np.zeros(STEPS, dtype=bool)
        check_prev(prev)
        pitch, onset = bar_grid([(n.start, n.end, n.pitch) for n in prev])
        return self.to_rows(pitch), onset

    def grid_to_notes(
        self, rows: np.ndarray, onset: np.ndarray, offset_beats: float, velocity: int
    ) -> list[Note]:
        """One bar's rows [16] and onset bits [16] -> notes (the decoding rule of model.py)."""
        cfg = self.config
        out: list[Note] = []
        start: int | None = None
        for t in range(STEPS + 1):
            row = int(rows[t]) if t < STEPS else cfg.rest
            new = t == STEPS or t == 0 or row != int(rows[t - 1]) or bool(onset[t])
            if not new:
                continue
            if start is not None:
                out.append(
                    Note(
                        cfg.low + int(rows[start]),
                        offset_beats + start / STEPS_PER_BEAT,
                        (t - start) / STEPS_PER_BEAT,
                        velocity,
                    )
                )
                start = None
            if row != cfg.rest:
                start = t
        return out

    # --- generation -----------------------------------------------------------------------

    @torch.no_grad()
    def generate(
        self,
        chords: np.ndarray,
        prev_rows: np.ndarray,
        prev_onset: np.ndarray,
        z: torch.Tensor,
    ) -> tuple[np.ndarray, np.ndarray]:
        """A batch of progressions, each bar conditioned on the one before.

        chords [B, n, 2] triad indices per half bar; prev_rows, prev_onset [B, 16];
        z [B, n, z_dim] -> rows [B, n, 16] and onset bits [B, n, 16].
        """
        gen = self.model.generator if len(chords) != 1 else self.single_generator()
        dev = self.device
        c = torch.as_tensor(np.asarray(chords), dtype=torch.long, device=dev)
        rows = torch.as_tensor(np.asarray(prev_rows), dtype=torch.long, device=dev)
        onset = torch.as_tensor(np.asarray(prev_onset), dtype=torch.bool, device=dev)
        z = z.to(dev)
        out_rows, out_onset = [], []
        for k in range(c.shape[1]):
            pitch_logits, onset_logits = gen(z[:, k], c[:, k], rows, onset)
            rows = pitch_logits.argmax(-1)
            onset = onset_logits > 0
            out_rows.append(rows)
            out_onset.append(onset)
        return (
            torch.stack(out_rows, 1).cpu().numpy(),
            torch.stack(out_onset, 1).cpu().numpy(),
        )

    def single_generator(self) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
        """The generator for one progression at a time (what the verbs ask for), traced by
        TorchScript on first use: a bar is about a hundred small torch calls, and run from
        Python their dispatch costs more than their arithmetic. Where tracing fails, the
        generator itself."""
        if self._single is None:
            cfg = self.config
            dev = self.device
            example = (
                torch.zeros(1, cfg.z_dim, device=dev),
                torch.zeros(1, 2, dtype=torch.long, device=dev),
                torch.full((1, STEPS), cfg.rest, dtype=torch.long, device=dev),
                torch.zeros(1, STEPS, dtype=torch.bool, device=dev),
            )
            self._single = self.model.generator
            try:
                with warnings.catch_warnings(), torch.no_grad():
                    warnings.simplefilter("ignore")  # deprecation and batch-size notes
                    self._single = torch.jit.trace(self.model.generator, example, check_trace=False)
            except Exception as exc:  # noqa: BLE001 - any tracer failure keeps eager mode
                log.warning("tracing the GAN generator failed (%s); it runs eagerly", exc)
        return self._single

    def warm_up(self) -> None:
        """Trace the generator and run it (TorchScript profiles its first calls)."""
        for seed in range(3):
            self.bars(["C", "G"], seed=seed)

    def noise(self, n: int, seed: int | None, temperature: float = 1.0) -> torch.Tensor:
        """[n, z_dim] noise from the seed (on the CPU, so seeds agree across devices).

        Drawn one bar at a time: torch draws a large tensor in a different order, and the
        first bars of a longer progression must not depend on its length.
        """
        g = seeded_generator(seed)
        rows = [torch.randn(self.config.z_dim, generator=g) for _ in range(n)]
        return torch.stack(rows) * temperature

    def bars(
        self,
        chords: Sequence[str | Triad],
        prev: Sequence[Note] | None = None,
        seed: int | None = None,
        temperature: float = 1.0,
        variations: int | None = None,
    ) -> list[Note] | list[list[Note]]:
        """One 4-beat bar per chord, bar k starting at beat 4k, each following the one
        before; ``prev`` is the bar before the first (notes starting at 0..4 beats). With
        ``variations`` N, N melodies over the progression in one batch of N noise vectors,
        melody k from the noise of seed S+k (:func:`engines.common.variation_seeds`).

        Chord names are read by :func:`engines.gan.chords.parse_chord`. Velocity is the
        mean of ``prev``'s (100 without it).
        """
        if not 1 <= len(chords) <= MAX_CHORDS:
            raise ValueError(f"give 1..{MAX_CHORDS} chords, one per bar; got {len(chords)}")
        check_temperature(temperature)
        triads = parse_chords(chords)
        prev_rows, prev_onset = self.prev_grid(prev)
        seeds = [seed] if variations is None else variation_seeds(seed, variations)
        count = len(seeds)
        # [N, bars, 2]: the triad of each half bar, the same for every variation
        index = np.array([[t.index, t.index] for t in triads])[None].repeat(count, 0)
        z = torch.stack([self.noise(len(triads), s, temperature) for s in seeds])
        rows, onset = self.generate(
            index, prev_rows[None].repeat(count, 0), prev_onset[None].repeat(count, 0), z
        )
        velocity = round(sum(n.velocity for n in prev) / len(prev)) if prev else 100
        melodies: list[list[Note]] = []
        for b in range(count):
            notes: list[Note] = []
            for k in range(len(triads)):
                notes += self.grid_to_notes(rows[b, k], onset[b, k], BAR_BEATS * k, velocity)
            melodies.append(notes)
        return melodies[0] if variations is None else melodies

    def bar(
        self,
        chord: str | Triad,
        prev: Sequence[Note] | None = None,
        seed: int | None = None,
        temperature: float = 1.0,
    ) -> list[Note]:
        """One 4-beat bar over ``chord`` following ``prev`` (the same as ``bars([chord])``)."""
        return self.bars([chord], prev, seed, temperature)


__all__ = ["GanEngine", "MAX_CHORDS", "check_prev"]
