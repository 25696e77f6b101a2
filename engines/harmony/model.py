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

:class:`FastHarmonizer` runs the decoder step by step with the GRU's input projection folded
into lookup tables (a step is a few small matmuls), so an 8-bar melody takes milliseconds.
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

    def encode(
        self, soprano: torch.Tensor, pos: torch.Tensor, given: torch.Tensor, causal: torch.Tensor
    ) -> torch.Tensor:
        """soprano, pos [B, T]; given [B, 3, T] (``mask`` where not given); causal [B] bool
        -> encoder output [B, T, 2 * enc_hidden]."""
        x = self.soprano(soprano) + self.position(pos) + self.given(self.voice_ids(given)).sum(1)
        out, _ = self.encoder(self.drop(x))
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
    ) -> torch.Tensor:
        """Teacher-forced logits [B, 3, T, vocab] for target tokens [B, 3, T]."""
        c = self.config
        enc = self.drop(self.encode(soprano, pos, given, causal))
        prev = torch.full_like(target, c.mask)
        prev[..., 1:] = target[..., :-1]
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


def _gru(gi: torch.Tensor, h: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """One GRU step from the input projection gi [3H] (bias included) and the state h [H]."""
    gh = torch.addmv(b_hh, w_hh, h)
    i_r, i_z, i_n = gi.chunk(3)
    h_r, h_z, h_n = gh.chunk(3)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return n + z * (h - n)


@dataclass
class StepState:
    """The causal harmonizer's state after some steps (tensors are replaced, never changed in
    place, so a copy of this object is a snapshot)."""

    h_enc: torch.Tensor  # [enc_hidden]: the forward encoder over the melody so far
    h_dec: torch.Tensor  # [dec_hidden]
    prev: tuple[int, int, int]  # the last step's alto, tenor, bass tokens (``mask`` at first)


class FastHarmonizer:
    """Step-by-step decoding on the CPU without nn.GRU's per-call cost (see module doc).

    ``harmonize`` fills a whole melody (offline: the encoder sees all of it); ``start``,
    ``feed`` and ``step`` run the causal model one step at a time (live).
    """

    def __init__(self, model: HarmonyModel) -> None:
        c = self.config = model.config
        self.model = model
        d = {k: v.detach() for k, v in model.state_dict().items()}
        e2 = 2 * c.enc_hidden
        w_ih = d["decoder.weight_ih_l0"]
        self.w_enc = w_ih[:, :e2].contiguous()
        self.w_enc_fwd = w_ih[:, : c.enc_hidden].contiguous()
        self.b_in = d["decoder.bias_ih_l0"]
        self.w_hh, self.b_hh = d["decoder.weight_hh_l0"], d["decoder.bias_hh_l0"]
        self.prev_table = d["prev.weight"] @ w_ih[:, e2:].T  # [3 * (V + 1), 3D]
        self.head_w, self.head_b = d["head_in.weight"], d["head_in.bias"]
        self.cond = [d["current.weight"] @ d[f"head_cond.{k}.weight"].T for k in range(2)]
        self.out = [(d[f"head_out.{k}.weight"], d[f"head_out.{k}.bias"]) for k in range(3)]
        bias = torch.zeros(3, c.vocab)
        bias[~model.allowed[1:]] = float("-inf")  # alto, tenor, bass: their usual pitches
        self.allowed_bias = bias
        self.v1 = c.vocab + 1
        # the forward encoder step: soprano and position folded into tables; no voice given
        e_ih, e_b = d["encoder.weight_ih_l0"], d["encoder.bias_ih_l0"]
        masked = d["given.weight"][torch.arange(3) * self.v1 + c.mask].sum(0)
        self.enc_sop = (d["soprano.weight"] + masked) @ e_ih.T + e_b
        self.enc_pos = d["position.weight"] @ e_ih.T
        self.enc_hh, self.enc_bhh = d["encoder.weight_hh_l0"], d["encoder.bias_hh_l0"]

    # -- one decoder step ----------------------------------------------------------------

    def _voices(
        self,
        h: torch.Tensor,
        prev: tuple[int, int, int],
        given: tuple[int, int, int],
        noise: torch.Tensor | None,
        onset: bool,
    ) -> tuple[int, int, int]:
        """The three tokens of a step from the decoder state h; ``given`` tokens are kept
        (``mask`` where free). ``onset`` forbids HOLD and REST (every voice sounds anew)."""
        c = self.config
        hid = torch.addmv(self.head_b, self.head_w, h).view(3, -1)
        out = list(given)
        for k in ORDER:  # bass, tenor, alto
            if out[k] != c.mask:
                continue
            z = hid[k]
            if k == 1:
                z = z + self.cond[1][2 * self.v1 + out[2]]
            elif k == 0:
                z = z + self.cond[0][self.v1 + out[1]] + self.cond[0][2 * self.v1 + out[2]]
            w, b = self.out[k]
            logits = torch.addmv(b, w, torch.relu(z)) + self.allowed_bias[k]
            if onset:
                logits[HOLD] = logits[REST] = float("-inf")
            elif prev[k] in (REST, c.mask):
                logits[HOLD] = float("-inf")  # nothing sounds to hold
            if noise is not None:
                logits = logits + noise[k]
            out[k] = int(logits.argmax())
        return out[0], out[1], out[2]

    def _advance(
        self, gi_enc: torch.Tensor, h: torch.Tensor, prev: tuple[int, ...]
    ) -> torch.Tensor:
        pt = self.prev_table
        gi = gi_enc + pt[prev[0]] + pt[self.v1 + prev[1]] + pt[2 * self.v1 + prev[2]]
        return _gru(gi, h, self.w_hh, self.b_hh)

    @staticmethod
    def _noise(shape: tuple[int, ...], temperature: float | None, gen: torch.Generator | None):
        """Gumbel noise scaled by the temperature (argmax of logits + T * G samples the
        softmax at temperature T), drawn at once from ``gen``; None when greedy."""
        if not temperature:
            return None
        u = torch.rand(shape, generator=gen).clamp_(1e-9, 1 - 1e-9)
        return -torch.log(-torch.log(u)) * float(temperature)

    # -- offline ---------------------------------------------------------------------------

    @torch.inference_mode()
    def harmonize(
        self,
        soprano: torch.Tensor,
        pos: torch.Tensor,
        given: torch.Tensor,
        temperature: float | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """soprano, pos [T]; given [3, T] (``mask`` where free) -> tokens [3, T]."""
        t_len = int(soprano.shape[0])
        enc = self.model.encode(soprano[None], pos[None], given[None], torch.tensor([False]))[0]
        gi_all = torch.addmm(self.b_in, enc, self.w_enc.T)  # [T, 3D]
        noise = self._noise((t_len, 3, self.config.vocab), temperature, generator)
        given_rows = given.T.tolist()
        h = torch.zeros(self.config.dec_hidden)
        prev = (self.config.mask,) * 3
        out = []
        for t in range(t_len):
            h = self._advance(gi_all[t], h, prev)
            prev = self._voices(h, prev, tuple(given_rows[t]), None if noise is None else noise[t],
                                False)  # fmt: skip
            out.append(prev)
        return torch.tensor(out, dtype=torch.long).T

    # -- causal, one step at a time --------------------------------------------------------

    def start(self) -> StepState:
        c = self.config
        return StepState(torch.zeros(c.enc_hidden), torch.zeros(c.dec_hidden), (c.mask,) * 3)

    def _enc_step(
        self, state: StepState, soprano: int, pos: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        gi = self.enc_sop[soprano] + self.enc_pos[pos]
        h_enc = _gru(gi, state.h_enc, self.enc_hh, self.enc_bhh)
        return h_enc, torch.addmv(self.b_in, self.w_enc_fwd, h_enc)

    @torch.inference_mode()
    def feed(
        self, state: StepState, soprano: int, pos: int, tokens: tuple[int, int, int]
    ) -> StepState:
        """The state after a step whose voices are ``tokens`` (a held chord, say)."""
        h_enc, gi = self._enc_step(state, soprano, pos)
        return StepState(h_enc, self._advance(gi, state.h_dec, state.prev), tokens)

    @torch.inference_mode()
    def step(
        self,
        state: StepState,
        soprano: int,
        pos: int,
        temperature: float | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[tuple[int, int, int], StepState]:
        """A melody onset: the three voices struck with it, and the state after it."""
        h_enc, gi = self._enc_step(state, soprano, pos)
        h = self._advance(gi, state.h_dec, state.prev)
        noise = self._noise((3, self.config.vocab), temperature, generator)
        tokens = self._voices(h, state.prev, (self.config.mask,) * 3, noise, True)
        return tokens, StepState(h_enc, h, tokens)


__all__ = ["FastHarmonizer", "HarmonyConfig", "HarmonyModel", "StepState", "HOLD", "REST",
           "NOTE_BASE"]  # fmt: skip
