"""Training the harmonizer on the Bach chorales (teacher-forced, one CPU thread is enough).

Each batch holds random crops of ``seq_len`` steps of training chorales, each transposed by
a random shift in -6..+6 semitones among those that keep every voice inside the pitches that
voice sings in the corpus; a crop starting inside a note strikes it anew. Per sequence, the
backward half of the encoder is zeroed with probability ``p_causal`` (the live model), and
otherwise, with probability ``p_given``, some of alto, tenor and bass are given (the bass
alone half the time): the model learns to harmonise around voices a performer gives. The
loss is the cross-entropy of the tokens of the voices not given. The best checkpoint on the
valid chorales' offline NLL is kept. A quarter of the crops start where their chorale
starts; the others give the decoder the voices of the step before the crop, so that its
start-of-piece input means a piece's beginning (trained on crops that began anywhere with it,
the model opened a written tune in C on an A minor chord).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engines.harmony.data import Chorales, split_chorales
from engines.harmony.grid import chorale_tokens
from engines.harmony.model import HOLD, NOTE_BASE, HarmonyConfig, HarmonyModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    seq_len: int = 64
    batch_size: int = 32
    lr: float = 2e-3
    max_minutes: float = 22.0
    max_steps: int = 1_000_000
    eval_every: int = 300
    p_causal: float = 0.25
    p_given: float = 0.35
    p_start: float = 0.25  # crops that start where the chorale starts
    seed: int = 0
    threads: int = 1


@dataclass
class Pieces:
    """Chorales on the model's grid: tokens [T, 4], pitch [T, 4] (-1 rests), pos [T] each."""

    names: list[str]
    tokens: list[np.ndarray]
    pitch: list[np.ndarray]
    pos: list[np.ndarray]

    @staticmethod
    def of(chorales: Chorales, config: HarmonyConfig) -> Pieces:
        out = Pieces([], [], [], [])
        for i, name in enumerate(chorales.names):
            tok, p, pos = chorale_tokens(*chorales.piece(i), config)
            out.names.append(name)
            out.tokens.append(tok)
            out.pitch.append(p)
            out.pos.append(pos)
        return out


def voice_extremes(chorales: Chorales) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The lowest and highest pitch of each voice in the chorales."""
    p = chorales.pitch.astype(int)
    low = tuple(int(np.where(p[:, v] >= 0, p[:, v], 999).min()) for v in range(4))
    high = tuple(int(p[:, v].max()) for v in range(4))
    return low, high


def _crop(pieces: Pieces, i: int, start: int, length: int) -> tuple[np.ndarray, ...]:
    """tokens [L, 4], pitch [L, 4], pos [L], valid [L] of a crop (padded with rests)."""
    tok = pieces.tokens[i][start : start + length].copy()
    pit = pieces.pitch[i][start : start + length].copy()
    pos = pieces.pos[i][start : start + length].copy()
    n = len(tok)
    held = (tok[0] == HOLD) & (pit[0] >= 0)  # a note begun before the crop: struck anew
    valid = np.ones(length, dtype=bool)
    if n < length:
        pad = length - n
        tok = np.vstack([tok, np.ones((pad, 4), dtype=tok.dtype)])  # REST
        pit = np.vstack([pit, -np.ones((pad, 4), dtype=pit.dtype)])
        pos = np.concatenate([pos, np.zeros(pad, dtype=pos.dtype)])
        valid[n:] = False
    return tok, pit, pos, valid, held


def make_batch(
    pieces: Pieces, config: HarmonyConfig, options: TrainOptions, rng: np.random.Generator
) -> dict[str, torch.Tensor]:
    """One training batch (see the module doc)."""
    lengths = np.array([len(t) for t in pieces.tokens], dtype=float)
    which = rng.choice(len(lengths), size=options.batch_size, p=lengths / lengths.sum())
    toks, poss, valids = [], [], []
    firsts = []
    for i in which:
        start = int(rng.integers(0, max(1, len(pieces.tokens[i]) - options.seq_len + 1)))
        if rng.random() < options.p_start:
            start = 0
        tok, pit, pos, valid, held = _crop(pieces, int(i), start, options.seq_len)
        # the step before the crop (the decoder's first input): a piece's start is ``mask``
        before = pieces.tokens[i][start - 1, 1:] if start else np.full(3, config.mask)
        tok[0] = np.where(held, NOTE_BASE + pit[0] - config.low, tok[0])
        sounding = pit >= 0
        lo = np.where(sounding, pit, 999).min(0)
        hi = np.where(sounding, pit, -999).max(0)
        shifts = [
            s
            for s in range(-6, 7)
            if all(
                lo[v] + s >= config.voice_low[v] and hi[v] + s <= config.voice_high[v]
                for v in range(4)
                if sounding[:, v].any()
            )  # fmt: skip
        ] or [0]
        s = int(rng.choice(shifts))
        tok = np.where(tok >= NOTE_BASE, tok + s, tok)
        moved = np.where((before >= NOTE_BASE) & (before < config.mask), before + s, before)
        inside = (moved < config.mask) & (moved >= 0) | (before == config.mask)
        firsts.append(np.where(inside, moved, config.mask))
        toks.append(tok)
        poss.append(pos)
        valids.append(valid)
    tokens = torch.as_tensor(np.stack(toks))  # [B, L, 4]
    b = options.batch_size
    causal = torch.as_tensor(rng.random(b) < options.p_causal)
    given_mask = np.zeros((b, 3), dtype=bool)
    for k in range(b):
        if causal[k] or rng.random() >= options.p_given:
            continue
        if rng.random() < 0.5:
            given_mask[k, 2] = True  # the bass alone, the commonest request
        else:
            while given_mask[k].sum() in (0, 3):
                given_mask[k] = rng.random(3) < 0.5
    target = tokens[..., 1:].transpose(1, 2).contiguous()  # [B, 3, L]
    gm = torch.as_tensor(given_mask)[..., None].expand_as(target)
    given = torch.where(gm, target, torch.full_like(target, config.mask))
    return {
        "soprano": tokens[..., 0],
        "pos": torch.as_tensor(np.stack(poss)),
        "given": given,
        "causal": causal,
        "target": target,
        "first": torch.as_tensor(np.stack(firsts)).long(),
        "weight": (~gm & torch.as_tensor(np.stack(valids))[:, None, :]).float(),
    }


def loss_of(model: HarmonyModel, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, float]:
    logits = model(batch["soprano"], batch["pos"], batch["given"], batch["causal"],
                   batch["target"], batch.get("first"))  # fmt: skip
    nll = F.cross_entropy(logits.flatten(0, 2), batch["target"].flatten(), reduction="none")
    w = batch["weight"].flatten()
    return (nll * w).sum() / w.sum().clamp_min(1), float(w.sum())


@torch.no_grad()
def nll_per_note(model: HarmonyModel, pieces: Pieces, causal: bool = False) -> dict[str, Any]:
    """Held-out NLL (nats) of the alto, tenor and bass tokens, summed over every step and
    divided by the number of notes, per voice and overall (whole chorales, no voice given)."""
    model.eval()
    c = model.config
    total = np.zeros(3)
    notes = np.zeros(3)
    for tok, pos in zip(pieces.tokens, pieces.pos, strict=True):
        t = torch.as_tensor(tok)[None]
        target = t[..., 1:].transpose(1, 2)
        given = torch.full_like(target, c.mask)
        logits = model(t[..., 0], torch.as_tensor(pos)[None], given, torch.tensor([causal]),
                       target)  # fmt: skip
        nll = F.cross_entropy(logits.flatten(0, 2), target.flatten(), reduction="none")
        total += nll.view(3, -1).sum(1).numpy()
        notes += (tok[:, 1:] >= NOTE_BASE).sum(0)
    per = total / np.maximum(notes, 1)
    return {
        "per_voice": dict(zip(("alto", "tenor", "bass"), per.round(4).tolist(), strict=True)),
        "per_note": round(float(total.sum() / max(notes.sum(), 1)), 4),
        "notes": int(notes.sum()),
    }


def train_harmony(
    chorales: Chorales,
    out: Path,
    config: HarmonyConfig | None = None,
    options: TrainOptions | None = None,
    init: Path | None = None,
) -> dict[str, Any]:
    """Train on the chorales' train split; save the best (valid NLL) engine to ``out``.
    ``init``: a checkpoint whose weights and config to start from (training on with the
    same split), else a new network."""
    from engines.harmony.engine import HarmonyEngine

    options = options or TrainOptions()
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    split = split_chorales(chorales)
    low, high = voice_extremes(chorales.subset(split["train"]))
    if init is not None:
        start = HarmonyEngine.load(init)
        if start.info.get("split", split) != split:
            raise ValueError(f"{init} was trained on another split of the chorales")
        config, model = start.config, start.model
    else:
        config = replace(config or HarmonyConfig(), voice_low=low, voice_high=high)
        model = HarmonyModel(config)
    train = Pieces.of(chorales.subset(split["train"]), config)
    valid = Pieces.of(chorales.subset(split["valid"]), config)
    opt = torch.optim.Adam(model.parameters(), lr=options.lr)
    t0 = time.monotonic()
    best, history, step = math.inf, [], 0
    record: dict[str, Any] = {}
    budget = options.max_minutes * 60
    running = 0.0
    while step < options.max_steps:
        elapsed = time.monotonic() - t0
        if elapsed > budget:
            break
        for g in opt.param_groups:  # cosine decay over the time budget
            g["lr"] = options.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * elapsed / budget)))
        model.train()
        loss, _ = loss_of(model, make_batch(train, config, options, rng))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running = 0.98 * running + 0.02 * loss.detach().item() if step else loss.detach().item()
        step += 1
        if step % options.eval_every == 0 or time.monotonic() - t0 > budget:
            v = nll_per_note(model, valid)
            minutes = round((time.monotonic() - t0) / 60, 2)
            history.append({"step": step, "train_loss": round(running, 4),
                            "valid_nll_per_note": v["per_note"], "minutes": minutes})  # fmt: skip
            log.info("step %d: train %.3f, valid NLL %.3f/note, %.1f min", step, running,
                     v["per_note"], minutes)  # fmt: skip
            if v["per_note"] < best:
                best = v["per_note"]
                record = {
                    "corpus": "bach chorales (music21), four voices",
                    "split": split,
                    "training": {
                        "corpus": "bach",
                        "steps": step,
                        "minutes": minutes,
                        "valid_nll_per_note": v,
                        "options": asdict(options),
                        "init": str(init) if init else None,
                    },
                }
                HarmonyEngine(model, torch.device("cpu"), record).save(out, record)
    if not record:  # a run too short to reach one evaluation
        v = nll_per_note(model, valid)
        training = {"corpus": "bach", "steps": step, "valid_nll_per_note": v}
        record = {"corpus": "bach chorales (music21), four voices", "split": split,
                  "training": training}  # fmt: skip
        HarmonyEngine(model, torch.device("cpu"), record).save(out, record)
    record["history"] = history
    record["total_minutes"] = round((time.monotonic() - t0) / 60, 2)
    return record


__all__ = ["Pieces", "TrainOptions", "make_batch", "nll_per_note", "train_harmony",
           "voice_extremes"]  # fmt: skip
