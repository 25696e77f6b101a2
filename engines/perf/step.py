"""The performance model's compiled single step and sampling loop (TorchScript, float32).

Called from Python, every torch op costs microseconds of dispatch: more than a one-row LSTM
step's arithmetic. So the weights are laid out once for one-row steps (the first layer's
input side folded into tables: token, beat phase, and a per-session condition bias; later
layers' two matrices joined into one) and a whole run of events (sample, feed back, keep the
clock) is one scripted call.

Sampling is the Gumbel-max trick on noise drawn up front (a seeded CPU generator), so a seed
gives the same events however the run is cut into calls. Two masks keep the events
well-formed: ``BOS`` is never sampled, and a note-off only for a pitch the model has
sounding (any other off would be a no-op event). A third, given by the caller, keeps
pitches from starting (the pitch classes a request weights 0).
"""

from __future__ import annotations

import logging
import math
from typing import List  # noqa: UP035 - TorchScript's annotation (see StepCore)

import torch
from torch import nn

from engines.perf.events import BOS, NOTE_OFF, SHIFT, TICKS_PER_BEAT, VELOCITY
from engines.perf.model import COND_SIZE, PerfModel
from engines.torchscript import script_or_eager

log = logging.getLogger(__name__)

# The density hold (see ``StepCore.generate``): its memory, its head start and its limit.
HOLD_BEATS = 16.0  # owed and started notes decay with this time constant (beats)
HOLD_LEAD = 0.5  # notes owed from the first tick: half a beat's worth (no late start)
HOLD_CAP = 6.0  # the most a note-on's score is raised or lowered (nats)


def gumbel(uniform: torch.Tensor) -> torch.Tensor:
    """Uniforms in [0, 1) -> standard Gumbel noise."""
    return -torch.log(-torch.log(uniform.clamp_min(1e-20)))


def _cell(gates: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """LSTM gate arithmetic on PyTorch-ordered gates (i, f, g, o) [B, 4H] -> new h, c."""
    i, f, g, o = gates.chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


class StepCore(nn.Module):
    """One-row LSTM steps and the sampling loop, compiled whole by TorchScript."""

    def __init__(self, model: PerfModel) -> None:
        super().__init__()
        cfg = model.config
        lstm = model.lstm
        e = cfg.embed
        with torch.no_grad():
            w_ih0 = lstm.weight_ih_l0.detach()
            bias0 = lstm.bias_ih_l0.detach() + lstm.bias_hh_l0.detach()
            self.register_buffer("table0", model.embed.weight.detach() @ w_ih0[:, :e].T + bias0)
            self.register_buffer("phase0", model.phase.weight.detach() @ w_ih0[:, :e].T)
            self.register_buffer("cond_w", w_ih0[:, e:].T.contiguous())  # [COND, 4H]
            self.register_buffer("hh0", lstm.weight_hh_l0.detach().T.contiguous())
            joined = []
            biases = []
            for k in range(1, cfg.layers):
                w = torch.cat(
                    [getattr(lstm, f"weight_ih_l{k}"), getattr(lstm, f"weight_hh_l{k}")], 1
                )
                joined.append(w.detach().T.contiguous())
                biases.append(
                    (getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")).detach()
                )
            self.joined = joined
            self.biases = biases
            self.register_buffer("head_w", model.head.weight.detach().T.contiguous())
            self.register_buffer("head_b", model.head.bias.detach().clone())
            base = torch.zeros(cfg.vocab)
            base[BOS] = -math.inf
            self.register_buffer("base_mask", base)
        self.phases = cfg.phases
        # TorchScript cannot read module globals: the token layout comes in as attributes
        self.off_base = NOTE_OFF
        self.shift_base = SHIFT
        self.velocity_base = VELOCITY
        self.hold_beats = HOLD_BEATS
        self.hold_lead = HOLD_LEAD
        self.hold_cap = HOLD_CAP
        self.register_buffer(
            "shift_beats",
            torch.arange(1, VELOCITY - SHIFT + 1, dtype=torch.float32) / TICKS_PER_BEAT,
        )

    @torch.jit.export
    def cond_bias(self, cond: torch.Tensor) -> torch.Tensor:
        """Condition vector [COND_SIZE] -> its share of the first layer's gates [1, 4H]."""
        return (cond.reshape(1, -1) @ self.cond_w).contiguous()

    def step(
        self,
        token: int,
        phase: int,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
        cbias: torch.Tensor,
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """One token in -> logits [1, V] after it and the new state."""
        gates = self.table0[token : token + 1] + self.phase0[phase : phase + 1] + cbias
        x, c0 = _cell(torch.addmm(gates, h[0], self.hh0), c[0])
        new_h = [x]
        new_c = [c0]
        k = 1
        for w, b in zip(self.joined, self.biases):  # noqa: B905 - TorchScript has no strict=
            x, ck = _cell(torch.addmm(b, torch.cat([x, h[k]], 1), w), c[k])
            new_h.append(x)
            new_c.append(ck)
            k += 1
        return torch.addmm(self.head_b, x, self.head_w), new_h, new_c

    @torch.jit.export
    def feed(
        self,
        tokens: list[int],
        tick: int,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
        cbias: torch.Tensor,
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor], int]:
        """Tokens in, one step each, from clock ``tick`` -> logits, state, clock after."""
        logits = torch.zeros(1, self.head_b.shape[0])
        for t in tokens:
            if t >= self.shift_base and t < self.velocity_base:
                tick += t - self.shift_base + 1
            logits, h, c = self.step(t, tick % self.phases, h, c, cbias)
        return logits, h, c, tick

    @torch.jit.export
    def generate(
        self,
        logits: torch.Tensor,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
        cbias: torch.Tensor,
        tick: int,
        end_tick: int,
        max_events: int,
        sounding: torch.Tensor,
        noise: torch.Tensor,
        temperature: float,
        top_p: float,
        on_mask: torch.Tensor,
        hold: torch.Tensor,
        density: float,
        gain: float,
    ) -> tuple[list[int], torch.Tensor, list[torch.Tensor], list[torch.Tensor], int]:
        """Sample, feed back and keep the clock, until the clock reaches ``end_tick``,
        ``max_events`` are drawn or the noise rows run out -> the tokens, logits, state and
        clock after them. ``sounding`` (bool [128], the model's notes now sounding) is
        updated in place; ``on_mask`` ([128]: 0, or -inf for a pitch never to start) is
        added to the note-ons' scores.

        ``hold`` (float64 [3], updated in place) is the density hold's state: notes owed
        by the clock, notes started, and 1 while the session waits for its first note
        (from nothing: time does not move until a note starts). With ``gain`` > 0 every
        note-on's score gets ``gain`` times the notes still owed (those owed by the clock
        plus ``HOLD_LEAD`` beats' worth, minus those started) in beats' worth of
        ``density``, clamped to +-``HOLD_CAP``; owed and started decay with a time
        constant of ``HOLD_BEATS``, so a long stream holds its recent density."""
        out: list[int] = []
        neg = torch.full([128], -math.inf)
        zero = torch.zeros(128)
        no_shift = torch.full([self.velocity_base - self.shift_base], -math.inf)
        owed, started, waiting = float(hold[0]), float(hold[1]), float(hold[2]) > 0
        steer = gain > 0 and density > 0
        lead = self.hold_lead * density
        for k in range(noise.shape[0]):
            if tick >= end_tick or len(out) >= max_events:
                break
            scores = logits[0] / temperature + self.base_mask
            off_mask = torch.where(sounding, zero, neg)
            if steer or waiting:
                bias = 0.0
                if steer:
                    bias = gain * (owed + lead - started) / density
                    bias = min(self.hold_cap, max(-self.hold_cap, bias))
                # time costs notes: a shift of k ticks is owed k/96 beats' worth
                shifts = scores[self.shift_base : self.velocity_base] - (
                    bias * density * self.shift_beats
                )
                if waiting:
                    shifts = no_shift
                scores = torch.cat(
                    [
                        scores[: self.off_base] + on_mask + bias,
                        scores[self.off_base : self.shift_base] + off_mask,
                        shifts,
                        scores[self.velocity_base :],
                    ]
                )
            else:  # the plain path, as fast as before the hold
                scores = torch.cat(
                    [
                        scores[: self.off_base] + on_mask,
                        scores[self.off_base : self.shift_base] + off_mask,
                        scores[self.shift_base :],
                    ]
                )
            if top_p < 1.0:
                probs = torch.softmax(scores, 0)
                sorted_p, order = probs.sort(descending=True)
                drop = (sorted_p.cumsum(0) - sorted_p) >= top_p
                scores = scores.masked_fill(
                    torch.zeros_like(drop).scatter(0, order, drop), -math.inf
                )
            t = int((scores + gumbel(noise[k])).argmax())
            if t < self.off_base:
                sounding[t] = True
                started += 1.0
                waiting = False
            elif t < self.shift_base:
                sounding[t - self.off_base] = False
            elif t < self.velocity_base:
                ticks = t - self.shift_base + 1
                tick += ticks
                decay = math.exp(-ticks / (self.phases * self.hold_beats))
                owed = owed * decay + density * self.hold_beats * (1.0 - decay)
                started *= decay
            out.append(t)
            logits, h, c = self.step(t, tick % self.phases, h, c, cbias)
        hold[0] = owed
        hold[1] = started
        hold[2] = 1.0 if waiting else 0.0
        return out, logits, h, c, tick


# TorchScript cannot type an empty list (a one-layer model's), and reads no postponed
# (string) annotations of builtin generics: the attributes' types are given here.
StepCore.__annotations__ = {"joined": List[torch.Tensor], "biases": List[torch.Tensor]}  # noqa: UP006


def compile_core(model: PerfModel) -> nn.Module:
    """The model's :class:`StepCore`, compiled by TorchScript where it can be (else eager:
    the same numbers, slower)."""
    return script_or_eager(StepCore(model.cpu().eval()), "the perf engine")


__all__ = ["COND_SIZE", "StepCore", "TICKS_PER_BEAT", "compile_core", "gumbel"]
