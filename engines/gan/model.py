"""A MidiNet-style conditional GAN over one bar of melody.

A bar is 16 steps x ``rows`` (the pitches ``low..low + pitches - 1`` and a rest row), with a
separate onset bit per step so that a note can last longer than a 16th:

- at each step exactly one row is on (argmax of the generator's logits): a pitch or rest;
- a note starts at step t when t is 0, the row changes, or the onset bit is set (a
  re-struck repeated pitch); otherwise the note before goes on.

Conditions (MidiNet's 1-D and 2-D conditions, plus two additions):

- the chord of each half bar: root one-hot (12) + quality one-hot (major, minor) + the
  triad's three pitch classes (12, three ones), so 52 numbers per bar, broadcast to every
  layer of both networks. The pitch classes are there because with root and quality alone
  the third is not a linear function of the input: a layer reading root + quality gives the
  minor quality the same push on every root, so the best it can do alone is weigh F and F#
  equally over both D and Dm (the model trained that way wrote F# over Dm, and no third at
  all over C or A). With the triad's pitch classes, D and Dm differ in
  exactly F vs F#, and every chord tone is one weight away from the row of its pitch;
- the previous bar through a convolutional conditioner whose feature maps at 16, 8, 4 and
  2 steps are stacked onto the generator's maps of the same length (MidiNet's 2-D
  condition);
- added: the pitch of the previous bar's last note (one-hot over rows), so the first note
  of a bar can follow on from the bar before;
- added, discriminator only: each step's pitch class relative to its chord's root, and
  whether it is the chord's root, third (major or minor, as the chord says) or fifth, so it
  can see which notes are chord tones (a chord one-hot concatenated to a flattened vector
  cannot interact with pitch; the pitch class above the root alone leaves "is this the
  third" to an interaction with the quality, and the first-level matching of train.py,
  a batch mean over major and minor chords alike, could not tell a right third from a
  wrong one).

Stabilisation (chosen for a small model that has to train on two CPU cores in minutes):

- spectral norm on every discriminator layer (bounds its Lipschitz constant, no per-step
  gradient-penalty cost);
- what the discriminator sees of a generated bar: either straight-through one-hots
  (``Generator.hard``: hard values forward, softmax gradients back, so fake bars look
  exactly like real ones) or the softmax and sigmoid outputs themselves, as MidiNet and
  MuseGAN do. The shipped model uses the pitch softmax and hard onset bits: with
  straight-through pitches the generator barely moved its notes once placed (the gradient
  through an argmax is weak) and kept leaps of an octave or two; with soft onsets it
  re-struck notes far too often; see ``train.py``;
- feature matching, one-sided label smoothing, wrong-chord negatives and the mode-seeking
  term live in ``train.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

STEPS = 16
CHORD_DIM = 26  # root one-hot 12 + (major, minor) + the triad's pitch classes 12
INTERVALS = torch.arange(-12, 13, dtype=torch.float32)  # melodic intervals the critic sees


@dataclass(frozen=True)
class GanConfig:
    """Hyperparameters; a checkpoint carries them so loading rebuilds the same networks."""

    low: int = 48  # lowest MIDI pitch of the bar matrix
    pitches: int = 37  # low .. low + pitches - 1 (C3..C6 by default)
    z_dim: int = 64
    g_channels: int = 64
    cond_channels: int = 32
    d_channels: int = 48

    def __post_init__(self) -> None:
        if not (0 <= self.low and self.pitches >= 1 and self.low + self.pitches <= 128):
            raise ValueError(
                f"pitches {self.low}..{self.low + self.pitches - 1} are not all MIDI pitches 0..127"
            )

    @property
    def rows(self) -> int:
        """Pitch rows plus the rest row (the last one)."""
        return self.pitches + 1

    @property
    def rest(self) -> int:
        return self.pitches

    @property
    def high(self) -> int:
        return self.low + self.pitches - 1


def triad_tones(chords: torch.Tensor) -> torch.Tensor:
    """chords [...] triad indices (root + 12 * minor) -> [..., 3]: the pitch classes of
    root, third (4 semitones up for major, 3 for minor) and fifth."""
    root = chords % 12
    return torch.stack([root, (root + 4 - chords // 12) % 12, (root + 7) % 12], -1)


def chord_vector(chords: torch.Tensor) -> torch.Tensor:
    """chords [B, 2] triad indices (root + 12 * minor) -> [B, 2 * CHORD_DIM]: per half bar
    the root one-hot, the quality one-hot and the triad's pitch classes (three ones)."""
    root = F.one_hot(chords % 12, 12).float()
    quality = F.one_hot(chords // 12, 2).float()
    tones = F.one_hot(triad_tones(chords), 12).float().sum(-2)
    return torch.cat([root, quality, tones], dim=-1).flatten(1)


def bar_image(rows: torch.Tensor, onset: torch.Tensor, config: GanConfig) -> torch.Tensor:
    """Hard bar: rows [B, 16] (row index per step), onset [B, 16] -> [B, 2, 16, rows].

    Channel 0 is the one-hot row per step, channel 1 marks note starts at their pitch row
    (step 0, a row change or a set onset bit; never on rest).
    """
    onehot = F.one_hot(rows, config.rows).float()
    return soft_bar_image(onehot, onset.float(), config)


def soft_bar_image(onehot: torch.Tensor, onset: torch.Tensor, config: GanConfig) -> torch.Tensor:
    """onehot [B, 16, rows] (hard values, maybe with straight-through gradients), onset
    [B, 16] -> [B, 2, 16, rows], with the note-start rule of :func:`bar_image`."""
    same = (onehot[:, 1:] * onehot[:, :-1]).sum(-1)  # [B, 15], 1 where the row is unchanged
    change = torch.cat([torch.ones_like(onehot[:, :1, 0]), 1 - same], dim=1)
    starts = 1 - (1 - onset) * (1 - change)  # [B, 16]
    pitched = onehot.clone()
    pitched[..., config.rest] = 0
    return torch.stack([onehot, starts[..., None] * pitched], dim=1)


def last_row(rows: torch.Tensor, config: GanConfig) -> torch.Tensor:
    """rows [B, 16] -> [B]: the row of the last sounding step, the rest row if none."""
    pitched = rows != config.rest
    idx = torch.arange(STEPS, device=rows.device).expand_as(rows)
    last = torch.where(pitched, idx, -1).max(dim=1).values  # [B]
    picked = rows.gather(1, last.clamp(min=0)[:, None])[:, 0]
    return torch.where(last >= 0, picked, torch.full_like(picked, config.rest))


def neighbours(x: torch.Tensor) -> torch.Tensor:
    """[B, L, C] -> [B, L, 3C]: each step with the one before and after (zeros past the
    ends), so a Linear on it is a kernel-3 convolution over time."""
    pad = F.pad(x, (0, 0, 1, 1))
    return torch.cat([pad[:, :-2], x, pad[:, 2:]], dim=-1)


# The networks work channels-last ([B, steps, channels]) with Linear layers standing in for
# the 1-D convolutions: the same maps, but on a CPU core several times faster to train than
# torch's small-kernel convolutions and their backward passes.


class Conditioner(nn.Module):
    """The previous bar [B, 2, 16, rows] -> feature maps [B, L, C] at L = 16, 8, 4 and 2."""

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        c = config.cond_channels
        self.first = nn.Linear(2 * config.rows, c)  # folds the pitch axis at each step
        self.down = nn.ModuleList(nn.Linear(2 * c, c) for _ in range(3))  # kernel 2, stride 2

    def forward(self, prev: torch.Tensor) -> list[torch.Tensor]:
        b = len(prev)
        h = F.leaky_relu(self.first(prev.transpose(1, 2).reshape(b, STEPS, -1)), 0.2)
        maps = [h]
        for layer in self.down:
            h = F.leaky_relu(layer(h.reshape(b, h.shape[1] // 2, -1)), 0.2)
            maps.append(h)
        return maps  # lengths 16, 8, 4, 2


class Generator(nn.Module):
    """(noise, chords, previous bar) -> pitch logits [B, 16, rows] and onset logits [B, 16]."""

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        self.config = config
        g, c = config.g_channels, config.cond_channels
        cond1d = 2 * CHORD_DIM + config.rows
        self.conditioner = Conditioner(config)
        self.project = nn.Linear(config.z_dim + cond1d, g * 2)
        # transposed convolutions with kernel 2, stride 2: each step becomes two
        self.up = nn.ModuleList(nn.Linear(g + c + cond1d, 2 * g) for _ in range(3))
        self.norms = nn.ModuleList(nn.LayerNorm(g) for _ in range(5))
        self.mix = nn.Linear(3 * (g + c + cond1d), g)  # kernel 3 over time
        self.pitch_head = nn.Linear(g, config.rows)
        self.onset_head = nn.Linear(g, 1)

    def forward(
        self,
        z: torch.Tensor,
        chords: torch.Tensor,
        prev_rows: torch.Tensor,
        prev_onset: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """z [B, z_dim], chords [B, 2], prev_rows [B, 16], prev_onset [B, 16]."""
        cfg = self.config
        b = len(z)
        cond = torch.cat(
            [chord_vector(chords), F.one_hot(last_row(prev_rows, cfg), cfg.rows).float()], -1
        )  # [B, 2 * CHORD_DIM + rows]
        maps = self.conditioner(bar_image(prev_rows, prev_onset, cfg))[::-1]  # 2, 4, 8, 16
        h = F.relu(self.norms[0](self.project(torch.cat([z, cond], -1)).view(b, 2, -1)))
        for i, layer in enumerate(self.up):
            x = torch.cat([h, maps[i], cond[:, None].expand(-1, h.shape[1], -1)], -1)
            h = F.relu(self.norms[i + 1](layer(x).view(b, 2 * h.shape[1], -1)))  # 4, 8, 16
        x = torch.cat([h, maps[3], cond[:, None].expand(-1, STEPS, -1)], -1)
        h = F.relu(self.norms[4](self.mix(neighbours(x))))  # [B, 16, g]
        return self.pitch_head(h), self.onset_head(h)[..., 0]

    def hard(
        self, pitch_logits: torch.Tensor, onset_logits: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Straight-through one-hot rows [B, 16, rows] and onset bits [B, 16]: hard values
        forward, softmax / sigmoid gradients backward."""
        soft = pitch_logits.softmax(-1)
        hard = F.one_hot(soft.argmax(-1), self.config.rows).to(soft.dtype)
        sig = onset_logits.sigmoid()
        return hard + soft - soft.detach(), (sig > 0.5).to(sig.dtype) + sig - sig.detach()


class Discriminator(nn.Module):
    """(bar, previous bar, chords) -> a realness logit [B] and features [B, F] (for feature
    matching). Every layer is spectrally normalised.

    Each of the 32 steps (previous bar, then this bar, joined in time so that the first
    layer sees across the bar line) is described by its one-hot row, its note-start bit and,
    in this bar, its pitch class relative to the half bar's chord root (12), the chord's
    quality (2) and whether it is the chord's root, third or fifth (3), so "is this a chord
    tone" is one weight away for the third too, its pitch height and, at a
    note start, the interval from the note before (so register, leaps and the step across
    the bar line are one weight away too, see ``melodic``); the layers then run over time
    only (a 2-D convolution over pitch x time did the same job at ten times the cost).
    """

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        self.config = config
        d = config.d_channels
        features_in = config.rows + 1 + 12 + 2 + 3 + 1 + 1 + len(INTERVALS) + 2
        self.conv1 = spectral_norm(nn.Linear(3 * features_in, d))  # kernel 3 over time
        self.conv2 = spectral_norm(nn.Linear(4 * d, d))  # kernel 4, stride 4: one per beat
        self.out = spectral_norm(nn.Linear(d * 8 + 2 * CHORD_DIM, 1))
        pcs = (torch.arange(config.pitches) + config.low) % 12
        self.register_buffer("pc", F.pad(F.one_hot(pcs, 12).float(), (0, 0, 0, 1)), False)
        self.register_buffer("interval_grid", INTERVALS.clone(), False)

    def step_features(
        self, bar: torch.Tensor, prev: torch.Tensor, chords: torch.Tensor
    ) -> torch.Tensor:
        """bar, prev [B, 2, 16, rows]; chords [B, 2] -> [B, 32, features]."""
        onehot = torch.cat([prev[:, 0], bar[:, 0]], dim=1)  # [B, 32, rows]
        starts = torch.cat([prev[:, 1], bar[:, 1]], dim=1).sum(-1, keepdim=True)  # [B, 32, 1]
        pc = bar[:, 0] @ self.pc  # [B, 16, 12], zero on rest
        half = torch.arange(STEPS, device=bar.device) // (STEPS // 2)
        root = (chords % 12)[:, half]  # [B, 16]
        shift = (torch.arange(12, device=bar.device)[None, None, :] + root[..., None]) % 12
        relative = pc.gather(-1, shift)  # [B, 16, 12]: index k = k semitones above the root
        quality = F.one_hot(chords // 12, 2).float()[:, half]  # [B, 16, 2]
        tones = triad_tones(chords)[:, half]  # [B, 16, 3]: root, third, fifth
        roles = pc.gather(-1, tones)  # [B, 16, 3]: the step is the chord's root, third, fifth
        this = torch.cat([relative, quality, roles, torch.ones_like(quality[..., :1])], -1)
        this = torch.cat([torch.zeros_like(this), this], dim=1)  # [B, 32, 18]
        return torch.cat([onehot, starts, this, self.melodic(onehot, starts)], -1)

    def melodic(self, onehot: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
        """[B, T, rows], [B, T, 1] -> [B, T, 28]: the shape of the line.

        - the pitch height of each sounding step, -1..1 over the range (0 on rests);
        - at each note start, the interval from the last note before it (rests skipped,
          across the bar line too): a soft one-hot over -12..+12 semitones (wider leaps
          clamp to the ends) and the interval and its size, unclamped, in octaves.

        Both are smooth in the pitches (through the softmax), so the
        generator learns where a leap or a register is wrong; with one-hot rows alone the
        critic was blind to octaves and the generator leapt two octaves at a time. Which
        note came last is read from the hard values.
        """
        rest = self.config.rest
        steps = torch.arange(onehot.shape[1], device=onehot.device)
        value = onehot[..., :rest] @ torch.arange(rest, device=onehot.device, dtype=onehot.dtype)
        pitched = onehot[..., rest].detach() < 0.5  # [B, T]
        height = torch.where(pitched, 2 * value / (rest - 1) - 1, torch.zeros_like(value))
        last = torch.where(pitched, steps, -1).cummax(dim=1).values  # last pitched step <= t
        before = F.pad(last, (1, 0), value=-1)[:, :-1]  # last pitched step < t
        interval = value - value.gather(1, before.clamp(min=0))  # [B, T], semitones
        near = interval.clamp(-12, 12)
        kernel = torch.exp(-((near[..., None] - self.interval_grid) ** 2) / 0.5)
        leap = torch.cat([kernel, interval[..., None] / 12, interval.abs()[..., None] / 12], -1)
        return torch.cat([height[..., None], leap * (starts * (before >= 0)[..., None])], -1)

    def forward(
        self, bar: torch.Tensor, prev: torch.Tensor, chords: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """bar, prev [B, 2, 16, rows]; chords [B, 2]."""
        b = len(bar)
        h = F.leaky_relu(self.conv1(neighbours(self.step_features(bar, prev, chords))), 0.2)
        h = F.leaky_relu(self.conv2(h.reshape(b, 8, -1)), 0.2)  # [B, 8 beats, D]
        features = h.flatten(1)
        return self.out(torch.cat([features, chord_vector(chords)], -1))[:, 0], features


class BarGan(nn.Module):
    """Generator and discriminator under one module, so one checkpoint holds both."""

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        self.config = config
        self.generator = Generator(config)
        self.discriminator = Discriminator(config)
