"""The harmonizer's decoder step by step, in numpy: what answers requests and live notes.

A step of the decoder is a few matrix-vector products of a few hundred numbers; torch's
per-call cost (microseconds per op) would dominate, so the weights are copied into numpy
once and the GRU input projections of the embeddings are folded into lookup tables: a step
is a table lookup, three small matmuls for the GRU and heads, and an argmax per voice.
Offline, the whole melody's encoder runs once in torch (one nn.GRU call).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engines.harmony.choose import NEG, ChordChoice, forbidden
from engines.harmony.gru import gru_update
from engines.harmony.model import HOLD, NOTE_BASE, ORDER, REST, HarmonyModel
from engines.harmony.vote import vote_chords


def _gru(gi: np.ndarray, h: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    """One GRU step from the input projection gi [3H] (bias included) and the state h [H]."""
    gh = w_hh @ h
    gh += b_hh
    return gru_update(gi, gh, h)


@dataclass
class StepState:
    """The causal harmonizer's state after some steps (arrays are replaced, never changed in
    place, so a copy of this object is a snapshot)."""

    h_enc: np.ndarray  # [enc_hidden]: the forward encoder over the melody so far
    h_dec: np.ndarray  # [dec_hidden]
    prev: tuple[int, int, int]  # the last step's alto, tenor, bass tokens (``mask`` at first)
    sounding: tuple[int, int, int, int] = (-1, -1, -1, -1)  # the four voices' pitches now


class FastHarmonizer:
    """``harmonize`` fills a whole melody (offline: the encoder sees all of it); ``start``,
    ``feed`` and ``step`` run the causal model one step at a time (live)."""

    def __init__(self, model: HarmonyModel) -> None:
        c = self.config = model.config
        self.model = model
        d = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
        e2 = 2 * c.enc_hidden
        w_ih = d["decoder.weight_ih_l0"]
        self.w_enc = np.ascontiguousarray(w_ih[:, :e2])
        self.w_enc_fwd = np.ascontiguousarray(w_ih[:, : c.enc_hidden])
        self.b_in = d["decoder.bias_ih_l0"]
        self.w_hh, self.b_hh = d["decoder.weight_hh_l0"], d["decoder.bias_hh_l0"]
        self.w_enc_t, self.b_in_t = torch.from_numpy(self.w_enc), torch.from_numpy(self.b_in)
        # the encoder, forward and backward: (w_ih, b_ih) as tensors, (w_hh, b_hh) in numpy
        self.enc = [
            (torch.from_numpy(d[f"encoder.weight_ih_l0{s}"]),
             torch.from_numpy(d[f"encoder.bias_ih_l0{s}"]),
             d[f"encoder.weight_hh_l0{s}"], d[f"encoder.bias_hh_l0{s}"])
            for s in ("", "_reverse")
        ]  # fmt: skip
        self.v1 = v1 = c.vocab + 1
        prev = d["prev.weight"] @ w_ih[:, e2:].T  # [3 * (V + 1), 3D]
        self.prev_table = [prev[k * v1 : (k + 1) * v1] for k in range(3)]
        self.head_w, self.head_b = d["head_in.weight"], d["head_in.bias"]
        cur = d["current.weight"]
        # head k's view of the voices decided before it at the same step
        self.cond_alto = [(cur @ d["head_cond.0.weight"].T)[k * v1 : (k + 1) * v1] for k in (1, 2)]
        self.cond_tenor = (cur @ d["head_cond.1.weight"].T)[2 * v1 : 3 * v1]
        self.out = [(d[f"head_out.{k}.weight"], d[f"head_out.{k}.bias"]) for k in range(3)]
        allowed = model.allowed[1:].numpy()  # alto, tenor, bass: their usual pitches
        self.allowed_bias = np.where(allowed, np.float32(0), NEG).astype(np.float32)
        # each head's bias with the voice's range: b + 0 is b, b + NEG is NEG (as is any
        # small x + NEG), so x + out_bias is (x + b) + allowed_bias to the bit
        self.out_bias = [self.out[k][1] + self.allowed_bias[k] for k in range(3)]
        # the forward encoder step: soprano and position folded into tables; no voice given
        e_ih, e_b = d["encoder.weight_ih_l0"], d["encoder.bias_ih_l0"]
        masked = d["given.weight"][np.arange(3) * v1 + c.mask].sum(0)
        self.enc_sop = (d["soprano.weight"] + masked) @ e_ih.T + e_b
        self.enc_pos = d["position.weight"] @ e_ih.T
        self.enc_hh, self.enc_bhh = d["encoder.weight_hh_l0"], d["encoder.bias_hh_l0"]
        # the pitch of each token (HOLD and REST: none) and the parallel-motion rule
        self.pitch_of = np.array([-1000] * NOTE_BASE + list(range(c.low, c.high + 1)))
        self.strict = True
        # offline and greedy, each beat's voices are the likeliest chord's likeliest voicing
        self.chords: ChordChoice | None = ChordChoice(self)
        self.chord_every = c.steps_per_beat  # steps between the places chosen so
        # offline and greedy, the chord on each beat is first put to a vote of this many
        # whole harmonies sampled at temperature 1 (0: no vote), engines.harmony.vote
        self.vote = 8

    # -- one decoder step ----------------------------------------------------------------

    def _voices(
        self,
        h: np.ndarray,
        prev: tuple[int, int, int],
        given: tuple[int, int, int],
        noise: np.ndarray | None,
        onset: bool,
        before: tuple[int, int, int, int],
        soprano: int,
        beat: bool = False,
        prefer: tuple[int, ...] = (),
    ) -> tuple[int, int, int]:
        """The three tokens of a step from the decoder state h; ``given`` tokens are kept
        (``mask`` where free). ``onset`` forbids HOLD and REST (every voice sounds anew).
        ``before`` are the four voices' pitches sounding at the step before (-1: rest) and
        ``soprano`` the soprano's now: with ``strict``, a pitch that would move in parallel
        fifths or octaves with a voice already decided is not chosen. On a ``beat``, greedy,
        :attr:`chords` chooses by chord (see :mod:`engines.harmony.choose`)."""
        mask = self.config.mask
        hid = self.head_w @ h
        hid += self.head_b
        hid = hid.reshape(3, -1)
        if beat and noise is None and self.chords is not None:
            return self.chords.choose(hid, prev, given, onset, before, soprano, prefer)
        out = list(given)
        now = [soprano, -1, -1, -1]
        for k in ORDER:  # bass, tenor, alto
            if out[k] == mask:
                out[k] = self._choose(k, hid[k], out, prev[k], noise, onset, before, now)
            tok = out[k]
            if tok >= NOTE_BASE:
                now[k + 1] = int(self.pitch_of[tok])
            elif tok == HOLD:
                now[k + 1] = before[k + 1]
        return out[0], out[1], out[2]

    def _choose(
        self,
        k: int,
        z: np.ndarray,
        out: list[int],
        prev: int,
        noise: np.ndarray | None,
        onset: bool,
        before: tuple[int, int, int, int],
        now: list[int],
    ) -> int:
        if k == 1:
            z = z + self.cond_tenor[out[2]]
        elif k == 0:
            z = z + self.cond_alto[0][out[1]] + self.cond_alto[1][out[2]]
        logits = self.out[k][0] @ np.maximum(z, 0) + self.out_bias[k]
        if onset:
            logits[HOLD] = logits[REST] = NEG
        elif prev in (REST, self.config.mask):
            logits[HOLD] = NEG  # nothing sounds to hold
        if noise is not None:
            logits = logits + noise[k]
        if self.strict and before[k + 1] >= 0:  # a voice resting before has no parallels
            bad = forbidden(self.pitch_of, k, before, np.array([now]))[0]
            if np.count_nonzero(bad) and (logits[~bad] > NEG / 2).any():
                logits = np.where(bad, NEG, logits)
        return int(logits.argmax())

    def _after(self, token: int, before: int) -> int:
        """The pitch sounding after a step's token (-1: silence)."""
        if token >= NOTE_BASE and token < len(self.pitch_of):
            return int(self.pitch_of[token])
        return before if token == HOLD else -1

    def _advance(self, gi_enc: np.ndarray, h: np.ndarray, prev: tuple[int, ...]) -> np.ndarray:
        pt = self.prev_table
        gi = gi_enc + pt[0][prev[0]] + pt[1][prev[1]] + pt[2][prev[2]]
        return _gru(gi, h, self.w_hh, self.b_hh)

    @staticmethod
    def _noise(
        shape: tuple[int, ...], temperature: float | None, gen: torch.Generator | None
    ) -> np.ndarray | None:
        """Gumbel noise times the temperature (the argmax of logits + T * G is a sample of
        the softmax at temperature T), drawn at once from ``gen``; None when greedy."""
        if not temperature:
            return None
        u = torch.rand(shape, generator=gen).clamp_(1e-9, 1 - 1e-9)
        return (-torch.log(-torch.log(u)) * float(temperature)).numpy()

    # -- offline ---------------------------------------------------------------------------

    def _encode(self, soprano: torch.Tensor, pos: torch.Tensor, given: torch.Tensor) -> np.ndarray:
        """The bidirectional encoder over a whole melody, then the decoder's input projection
        of it: [T, 3D]. Matrix products in torch (it keeps to its thread count; numpy's BLAS
        would start threads of its own), the recurrences in numpy."""
        enc = self.enc
        with torch.inference_mode():
            x = self.model.inputs(soprano[None], pos[None], given[None])[0]
            gi = [torch.addmm(b, x, w.T).numpy() for w, b in (enc[0][:2], enc[1][:2])]
        t_len, n_h = len(soprano), self.config.enc_hidden
        out = np.zeros((t_len, 2 * n_h), dtype=np.float32)
        h = np.zeros(n_h, dtype=np.float32)
        for t in range(t_len):
            h = _gru(gi[0][t], h, enc[0][2], enc[0][3])
            out[t, :n_h] = h
        h = np.zeros(n_h, dtype=np.float32)
        for t in range(t_len - 1, -1, -1):
            h = _gru(gi[1][t], h, enc[1][2], enc[1][3])
            out[t, n_h:] = h
        with torch.inference_mode():
            return torch.addmm(self.b_in_t, torch.from_numpy(out), self.w_enc_t.T).numpy()

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
        gi_all = self._encode(soprano, pos, given)  # [T, 3D]
        noise = self._noise((t_len, 3, self.config.vocab), temperature, generator)
        given_rows = [tuple(r) for r in given.T.tolist()]
        h = np.zeros(self.config.dec_hidden, dtype=np.float32)
        prev = (self.config.mask,) * 3
        sounding = (-1, -1, -1, -1)
        out = []
        beats = (pos % self.chord_every == 0).tolist()
        sop_tokens = soprano.tolist()
        votes: list[tuple[int, ...]] = [()] * t_len
        if self.vote and noise is None and self.chords is not None:
            votes = vote_chords(self, gi_all, sop_tokens, beats, given_rows, self.vote)
        for t, tok in enumerate(sop_tokens):
            h = self._advance(gi_all[t], h, prev)
            sop = self._after(tok, sounding[0])
            step_noise = None if noise is None else noise[t]
            prev = self._voices(h, prev, given_rows[t], step_noise, False, sounding, sop,  # type: ignore[arg-type]
                                beats[t], votes[t])  # fmt: skip
            sounding = (sop, *(self._after(x, y) for x, y in zip(prev, sounding[1:], strict=True)))
            out.append(prev)
        return torch.tensor(out, dtype=torch.long).T

    # -- causal, one step at a time --------------------------------------------------------

    def start(self) -> StepState:
        c = self.config
        return StepState(np.zeros(c.enc_hidden, np.float32), np.zeros(c.dec_hidden, np.float32),
                         (c.mask,) * 3)  # fmt: skip

    def _enc_step(self, state: StepState, soprano: int, pos: int) -> tuple[np.ndarray, np.ndarray]:
        gi = self.enc_sop[soprano] + self.enc_pos[pos]
        h_enc = _gru(gi, state.h_enc, self.enc_hh, self.enc_bhh)
        return h_enc, self.w_enc_fwd @ h_enc + self.b_in

    def feed(
        self, state: StepState, soprano: int, pos: int, tokens: tuple[int, int, int]
    ) -> StepState:
        """The state after a step whose voices are ``tokens`` (a held chord, say)."""
        h_enc, gi = self._enc_step(state, soprano, pos)
        pitches = (
            self._after(soprano, state.sounding[0]),
            *(self._after(x, y) for x, y in zip(tokens, state.sounding[1:], strict=True)),
        )
        return StepState(h_enc, self._advance(gi, state.h_dec, state.prev), tokens, pitches)  # type: ignore[arg-type]

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
        sop = self._after(soprano, state.sounding[0])
        free = (self.config.mask,) * 3
        tokens = self._voices(h, state.prev, free, noise, True, state.sounding, sop)
        pitches = (
            sop,
            *(self._after(x, y) for x, y in zip(tokens, state.sounding[1:], strict=True)),
        )
        return tokens, StepState(h_enc, h, tokens, pitches)  # type: ignore[arg-type]


__all__ = ["FastHarmonizer", "StepState"]
