"""The RNN's compiled single-step path: sampling by the Gumbel-max trick and the LSTM step.

An LSTM fed one token at a time is a chain of small matmuls and gate arithmetic; from Python
every torch call adds microseconds of dispatch, more than the arithmetic on a slow core. The
weights are laid out once for one-row steps and the arithmetic is compiled by TorchScript, so
a whole primer or continuation runs in one call.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from engines.notes import BOS, NOTE_ON_BASE
from engines.rnn.model import RnnModel
from engines.torchscript import script_or_eager

REPEAT_FREE = 3  # below 1, a pitch may start this many times in a row unpenalised ...
REPEAT_PENALTY = 1.0  # ... then its logit drops by this many nats per further repeat
RULES = (NOTE_ON_BASE, REPEAT_FREE, REPEAT_PENALTY)  # what shape() and pick() are given


def note_run(last: int, run: int, token: int, on_base: int) -> tuple[int, int]:
    """The pitch of the last note-on and how many times in a row it started, after ``token``
    (rests and holds between the notes do not break a run). ``on_base`` is
    ``NOTE_ON_BASE``: TorchScript cannot read a global, so the constants come in as
    arguments."""
    if on_base <= token < on_base + 128:
        pitch = token - on_base
        return pitch, run + 1 if pitch == last else 1
    return last, run


def shape(
    logits: torch.Tensor,
    temperature: float,
    last: int,
    run: int,
    rules: tuple[int, int, float],
) -> torch.Tensor:
    """Scores [B, V] whose softmax is the distribution sampled at ``temperature``.

    Rhythm and pitch take temperature differently (as Notochord does): whether the next step
    holds, rests or starts a note is drawn at ``max(temperature, 1)``, and which pitch, given
    that a note starts, at ``temperature``. So a low temperature makes the choice of pitches
    safer without thinning the rhythm: sharpening the whole softmax let the likeliest token,
    HOLD, win ever more often, and replies went silent or drew out one note. At 1 and above
    this is ``logits / temperature``: the same draws as a plain softmax.

    Below 1, pitch ``last`` after ``run`` starts in a row (:func:`note_run`) is also made
    less likely the longer the run (``REPEAT_PENALTY`` nats a repeat past ``REPEAT_FREE``):
    near-greedy pitch choice otherwise settles on one note and drones for bars. ``rules`` is
    ``RULES``: (``NOTE_ON_BASE``, ``REPEAT_FREE``, ``REPEAT_PENALTY``).
    """
    base, free, penalty = rules
    scores = logits.float()
    if temperature >= 1.0:
        return scores / temperature
    on = scores[:, base : base + 128]
    if last >= 0 and run >= free:
        bump = torch.zeros_like(on)
        bump[:, last] = penalty * float(run - free + 1)
        on = on - bump
    return _temper_pitch(scores, on, temperature, base)


def _temper_pitch(
    scores: torch.Tensor, on: torch.Tensor, temperature: float, base: int
) -> torch.Tensor:
    """``scores`` with its note-on part replaced: log P(a note starts) at temperature 1 (from
    ``on``, the note-on scores) plus log P(pitch | a note starts) at ``temperature``."""
    pitch = on / temperature
    on = torch.logsumexp(on, -1, keepdim=True) + pitch - torch.logsumexp(pitch, -1, keepdim=True)
    return torch.cat([scores[:, :base], on, scores[:, base + 128 :]], -1)


def shape_rows(
    logits: torch.Tensor,
    temperature: float,
    last: torch.Tensor,
    run: torch.Tensor,
    rules: tuple[int, int, float],
) -> torch.Tensor:
    """:func:`shape` for a batch of streams, each with its own note run: ``last``, ``run``
    [B] (int64). Row for row the same numbers as :func:`shape` (a zero bump subtracts
    nothing)."""
    base, free, penalty = rules
    scores = logits.float()
    if temperature >= 1.0:
        return scores / temperature
    on = scores[:, base : base + 128]
    hit = (last >= 0) & (run >= free)
    amount = ((run - free + 1).double() * penalty).float()
    amount = torch.where(hit, amount, torch.zeros_like(amount))
    bump = torch.zeros_like(on).scatter(1, last.clamp(min=0)[:, None], amount[:, None])
    return _temper_pitch(scores, on - bump, temperature, base)


def pick(
    logits: torch.Tensor,
    temperature: float,
    top_p: float,
    uniform: torch.Tensor,
    last: int,
    run: int,
    rules: tuple[int, int, float],
) -> torch.Tensor:
    """A token per row by the Gumbel-max trick: logits [B, V], uniform noise in [0, 1) of
    the same shape -> tokens [B].

    ``argmax(scores + Gumbel noise)`` is a draw from ``softmax(scores)``, the scores being
    :func:`shape`'s; with ``top_p < 1`` the tokens outside the nucleus (the likeliest tokens
    whose probabilities reach ``top_p``; the top token always stays) are masked first. Noise
    drawn up front is what lets a whole continuation run in one scripted call with the
    seed's own numbers.
    """
    return _gumbel_max(shape(logits, temperature, last, run, rules), top_p, uniform)


def _gumbel_max(scores: torch.Tensor, top_p: float, uniform: torch.Tensor) -> torch.Tensor:
    """argmax(scores + Gumbel noise) per row, after the top-p mask (see :func:`pick`)."""
    if top_p < 1.0:
        probs = torch.softmax(scores, dim=-1)
        sorted_p, order = probs.sort(dim=-1, descending=True)
        drop = (sorted_p.cumsum(-1) - sorted_p) >= top_p
        scores = scores.masked_fill(torch.zeros_like(drop).scatter(-1, order, drop), -math.inf)
    return (scores + gumbel(uniform.to(scores.device))).argmax(-1)


def note_runs(
    last: torch.Tensor, run: torch.Tensor, tokens: torch.Tensor, on_base: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`note_run` for a batch: ``last``, ``run``, ``tokens`` [B] (int64)."""
    on = (tokens >= on_base) & (tokens < on_base + 128)
    pitch = tokens - on_base
    run = torch.where(on, torch.where(pitch == last, run + 1, torch.ones_like(run)), run)
    return torch.where(on, pitch, last), run


def gumbel(uniform: torch.Tensor) -> torch.Tensor:
    """Uniforms in [0, 1) -> standard Gumbel noise."""
    return -torch.log(-torch.log(uniform.clamp_min(1e-20)))


class _Int8Linear(nn.Module):
    """``x @ W.T + b`` with int8 weights: fbgemm's dynamic-quantized matmul, a scale per
    output row.

    A one-step LSTM is memory-bound: each step reads every weight once. Int8 weights are a
    quarter of the bytes; the held-out NLL per step moves by 0.1%.
    """

    def __init__(self, packed: Any) -> None:
        super().__init__()
        self.packed = packed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.quantized.linear_dynamic(x, self.packed)


class _FloatLinear(nn.Module):
    """``x @ W.T + b`` in float32, the weight stored transposed for one-row inputs."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.register_buffer("w_t", weight.T.contiguous())
        self.register_buffer("bias", torch.zeros_like(weight[:, 0]) if bias is None else bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x, self.w_t)


def _linear(weight: torch.Tensor, bias: torch.Tensor | None, int8: bool) -> nn.Module:
    """Int8 where asked and fbgemm has it (the quantized tensor API is deprecated in
    PyTorch, so it is tried once), float32 otherwise."""
    packed = _pack_int8(weight, bias) if int8 else None
    return _FloatLinear(weight, bias) if packed is None else _Int8Linear(packed)


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


def _ifog(gates: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """PyTorch's gate order (i, f, g, o) along ``dim`` -> (i, f, o, g): the three sigmoid
    gates side by side, so one sigmoid call covers them."""
    i, f, g, o = gates.chunk(4, dim)
    return torch.cat([i, f, o, g], dim)


def _cell(gates: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """LSTM gate arithmetic on (i, f, o, g)-ordered gates [B, 4H] -> new h, c."""
    ifo, g = gates.split([3 * c.shape[1], c.shape[1]], 1)
    i, f, o = torch.sigmoid(ifo).chunk(3, 1)
    c = torch.addcmul(f * c, i, torch.tanh(g))
    return o * torch.tanh(c), c


class _Layer(nn.Module):
    """One LSTM layer (the biases folded into the input side).

    A step for a batch reads ``[x, h] @ [W_ih, W_hh].T`` as one matmul (``joined``); a
    primer reads the input matrix once for all its steps (``ih``) and only the recurrent
    one at every step (``hh``), a working set that fits a core's cache. The first layer's
    input side is a table lookup done before: its ``ih`` is the identity and its step adds
    the two sides (:class:`_Sum`).
    """

    def __init__(
        self,
        ih: nn.Module,
        hh: nn.Module,
        joined: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.ih = ih
        self.hh = hh
        self.joined = joined if joined is not None else _Sum(ih, hh)

    def forward(
        self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step for a batch: x [B, in], h, c [B, H] -> new h, c."""
        return _cell(self.joined(x, h), c)

    @torch.jit.export
    def sequence(
        self, xs: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One stream through inputs xs [T, in] -> outputs [T, H] and the last h, c."""
        outs: list[torch.Tensor] = []
        for gates in self.ih(xs).split(1, 0):
            h, c = _cell(gates + self.hh(h), c)
            outs.append(h)
        return torch.cat(outs, 0), h, c


class _Sum(nn.Module):
    """ih(x) + hh(h), for a layer whose input side is already its gates (the first)."""

    def __init__(self, ih: nn.Module, hh: nn.Module) -> None:
        super().__init__()
        self.ih = ih
        self.hh = hh

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return self.ih(x) + self.hh(h)


class _Joined(nn.Module):
    """[x, h] @ W.T + b with W = [W_ih, W_hh]: one matmul for both sides of a layer."""

    def __init__(self, linear: nn.Module) -> None:
        super().__init__()
        self.linear = linear

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return self.linear(torch.cat([x, h], 1))


class _StepCore(nn.Module):
    """The single-step LSTM arithmetic as a module TorchScript can compile whole.

    From Python every torch call costs a few microseconds of dispatch, and an int8 matmul
    called through ``torch.ops`` about fifty on a slow core: more than its arithmetic. A
    scripted ``feed`` or ``generate`` runs a whole primer or continuation in one call.
    """

    def __init__(self, model: RnnModel, int8: bool) -> None:
        super().__init__()
        lstm = model.lstm
        cfg = model.config
        self.bar_steps = cfg.bar_steps or 1
        self.rules: tuple[int, int, float] = RULES
        with torch.no_grad():
            w = [
                [
                    _ifog(getattr(lstm, f"{name}_l{i}").detach())
                    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                ]
                for i in range(cfg.layers)
            ]
            # the first layer's input projection folded into tables: token and position
            self.register_buffer("table0", model.embed.weight @ w[0][0].T + w[0][2] + w[0][3])
            pos0 = model.position.weight @ w[0][0].T
            self.register_buffer("pos0", pos0 if cfg.bar_steps else torch.zeros_like(pos0))
            self.stack = nn.ModuleList(
                [_Layer(nn.Identity(), _linear(w[0][1], None, int8))]
                + [
                    _Layer(
                        _linear(w_ih, b_ih + b_hh, int8),
                        _linear(w_hh, None, int8),
                        _Joined(_linear(torch.cat([w_ih, w_hh], 1), b_ih + b_hh, int8)),
                    )
                    for w_ih, w_hh, b_ih, b_hh in w[1:]
                ]
            )
            self.head = _linear(model.head.weight.detach(), model.head.bias.detach(), int8)

    def layers(
        self, x0: torch.Tensor, h: list[torch.Tensor], c: list[torch.Tensor]
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """The first layer's gate input x0 [B, 4H] and the state -> the new state."""
        x = x0
        new_h: list[torch.Tensor] = []
        new_c: list[torch.Tensor] = []
        for k, layer in enumerate(self.stack):
            x, ck = layer(x, h[k], c[k])
            new_h.append(x)
            new_c.append(ck)
        return new_h, new_c

    def forward(
        self,
        tokens: torch.Tensor,
        positions: torch.Tensor,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """One step for a batch: tokens, positions [B] -> logits [B, V] and the new h, c."""
        x0 = self.table0[tokens] + self.pos0[positions % self.bar_steps]
        h, c = self.layers(x0, h, c)
        return self.head(h[-1]), h, c

    @torch.jit.export
    def feed(
        self, tokens: list[int], position: int, h: list[torch.Tensor], c: list[torch.Tensor]
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """One stream through ``tokens`` (at least one) from ``position``, a layer at a
        time -> the logits after the last token and the new h, c."""
        device = self.table0.device
        steps = torch.arange(len(tokens), device=device) + position
        xs = self.table0[torch.tensor(tokens, device=device)] + self.pos0[steps % self.bar_steps]
        new_h: list[torch.Tensor] = []
        new_c: list[torch.Tensor] = []
        for k, layer in enumerate(self.stack):
            xs, hk, ck = layer.sequence(xs, h[k], c[k])
            new_h.append(hk)
            new_c.append(ck)
        return self.head(new_h[-1]), new_h, new_c

    @torch.jit.export
    def generate(
        self,
        logits: torch.Tensor,
        position: int,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
        temperature: float,
        top_p: float,
        noise: torch.Tensor,
        last: torch.Tensor,
        run: torch.Tensor,
    ) -> tuple[
        torch.Tensor, torch.Tensor, list[torch.Tensor], list[torch.Tensor], torch.Tensor,
        torch.Tensor,
    ]:  # fmt: skip
        """Samples ``len(noise)`` tokens on each of B streams, all at ``position``, feeding
        each back: logits [B, V], h, c [B, H] per layer, noise [steps, B, V], the note runs
        ``last``/``run`` [B] (:func:`note_runs`) -> the tokens [B, steps] (CPU), the logits
        after the last, the new h, c and note runs. Row b draws with ``noise[:, b]`` what
        :func:`pick` draws for it alone."""
        noise = noise.to(logits.device)
        last = last.to(logits.device)
        run = run.to(logits.device)
        fast = top_p >= 1.0 and temperature >= 1.0
        if fast:  # argmax(l / T + G) = argmax(l + T * G): one add a step
            noise = gumbel(noise) * temperature
        out: list[torch.Tensor] = []
        for k in range(noise.shape[0]):
            if fast:
                token = (logits + noise[k]).argmax(-1)
            else:
                scores = shape_rows(logits, temperature, last, run, self.rules)
                token = _gumbel_max(scores, top_p, noise[k])
            last, run = note_runs(last, run, token, self.rules[0])
            out.append(token)
            q = (position + k) % self.bar_steps
            h, c = self.layers(self.table0[token] + self.pos0[q : q + 1], h, c)
            logits = self.head(h[-1])
        return torch.stack(out, 1).cpu(), logits, h, c, last, run


class FastStepper:
    """Single-step LSTM inference for a batch of streams, without nn.LSTM's per-call cost.

    The weights are laid out once for one-row steps: the first layer's input projection is
    folded into tables (vocab x 4H for the token, bar_steps x 4H for the position in the
    bar), and every later layer's input and recurrent matrices are joined into one, so a step
    is two lookups, one matmul per layer and the gate arithmetic. ``int8`` stores those
    matrices as int8 (see :class:`_Int8Linear`). The arithmetic is compiled by TorchScript.
    """

    def __init__(self, model: RnnModel, int8: bool = False) -> None:
        core = _StepCore(model, int8).to(next(model.parameters()).device)
        self.int8 = isinstance(core.head, _Int8Linear)
        self.core = script_or_eager(core, "the RNN")
        zeros = [torch.zeros(1, model.config.hidden, device=core.table0.device)]
        # the state after BOS, the same for every stream (tensors are never changed in place)
        self.start = self.feed([BOS], 0, zeros * model.config.layers, zeros * model.config.layers)

    @torch.no_grad()
    def __call__(
        self,
        tokens: torch.Tensor,
        positions: torch.Tensor,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """tokens, positions [B] (input index since BOS); h, c lists of [B, H] per layer
        -> logits [B, V] and the new h, c."""
        return self.core(tokens, positions, h, c)

    @torch.no_grad()
    def feed(
        self, tokens: Sequence[int], position: int, h: list[torch.Tensor], c: list[torch.Tensor]
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """One stream through ``tokens`` (at least one) -> last logits [1, V], new h, c."""
        return self.core.feed([int(t) for t in tokens], position, h, c)

    @torch.no_grad()
    def generate(
        self,
        logits: torch.Tensor,
        position: int,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
        temperature: float,
        top_p: float,
        noise: torch.Tensor,
        last: int = -1,
        run: int = 0,
    ) -> tuple[list[int], torch.Tensor, list[torch.Tensor], list[torch.Tensor], int, int]:
        """Sample ``len(noise)`` tokens on one stream (noise [steps, V]) -> tokens, last
        logits, new h, c and the note run after them."""
        out, logits, h, c, lasts, runs = self.core.generate(
            logits, position, h, c, temperature, top_p, noise[:, None],
            torch.tensor([last]), torch.tensor([run]),
        )  # fmt: skip
        return out[0].tolist(), logits, h, c, int(lasts[0]), int(runs[0])

    @torch.no_grad()
    def generate_rows(
        self,
        logits: torch.Tensor,
        position: int,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
        temperature: float,
        top_p: float,
        noise: torch.Tensor,
        last: Sequence[int],
        run: Sequence[int],
    ) -> list[list[int]]:
        """Sample ``noise.shape[0]`` tokens on each of B streams at once (noise [steps, B,
        V]; the state and note runs per row) -> each row's tokens."""
        out, *_ = self.core.generate(
            logits, position, h, c, temperature, top_p, noise,
            torch.tensor(list(last)), torch.tensor(list(run)),
        )  # fmt: skip
        return out.tolist()


__all__ = ["FastStepper", "gumbel", "note_run", "note_runs", "pick", "shape", "shape_rows"]
