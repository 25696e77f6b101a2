"""Training the performance model: random windows of events, transposed, conditions dropped
part of the time; one process or many (``torchrun``, DistributedDataParallel).

Every batch is drawn by a numpy generator seeded with the run's seed, the same on every
process; process ``r`` of ``w`` takes rows ``r, r + w, ...`` of it. So the global batch is the
one a single process would train on, and with dropout off two processes follow one process's
losses to float rounding (tests/test_perf_train.py checks it). The clock (``max_minutes``)
and the learning-rate schedule are agreed between processes each step, so every replica
takes the same optimizer step. Process 0 alone evaluates and writes the checkpoint.

Under ``torchrun`` (``WORLD_SIZE`` set) the process group is gloo on the CPU, nccl on CUDA
(one GPU a process, ``LOCAL_RANK``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from engines.checkpoint import resolve_device, save_checkpoint
from engines.perf.data import PerfCorpus, pitch_range, transpose
from engines.perf.events import BOS, TICKS_PER_BEAT
from engines.perf.model import COND_SIZE, PerfConfig, PerfModel, event_features, window_condition

log = logging.getLogger(__name__)
ENGINE = "perf"


@dataclass(frozen=True)
class TrainOptions:
    steps: int = 100_000  # optimizer steps (the schedule's length, unless max_minutes ends first)
    batch_size: int = 32  # the global batch, split between processes
    seq_len: int = 256
    lr: float = 3e-3
    warmup: int = 100  # steps of linear learning-rate warm-up
    clip: float = 1.0
    transpose: int = 6
    cond_dropout: float = 0.5  # each condition is hidden this often
    eval_every: int = 200
    valid_windows: int = 64
    max_minutes: float | None = None
    seed: int = 0
    threads: int = 1


@dataclass
class Batch:
    tokens: torch.Tensor  # [B, T + 1]: BOS then T events
    phases: torch.Tensor  # [B, T]: beat phase after each input token
    cond: torch.Tensor  # [B, COND_SIZE]


class Windows:
    """Draws training windows: a piece (by length), an offset, a transposition."""

    def __init__(self, pieces: list[np.ndarray], seq_len: int, max_shift: int) -> None:
        self.pieces = [p for p in pieces if len(p) >= 2]
        if not self.pieces:
            raise ValueError("no piece has two events or more")
        self.features = [event_features(p) for p in self.pieces]
        self.ranges = [pitch_range(p) for p in self.pieces]
        lengths = np.array([len(p) for p in self.pieces], dtype=np.float64)
        self.weights = lengths / lengths.sum()
        self.seq_len = seq_len
        self.max_shift = max_shift

    def window(self, i: int, start: int, shift: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Piece ``i`` from event ``start``: tokens [BOS, e...] (at most seq_len + 1, padded
        with BOS), phases of the inputs, the window's true condition vector."""
        piece, (ticks, _) = self.pieces[i], self.features[i]
        end = min(len(piece), start + self.seq_len)
        events = transpose(piece[start:end], shift)
        t0 = int(ticks[start - 1]) if start else 0
        w_ticks = ticks[start:end]
        tokens = np.full(self.seq_len + 1, BOS, dtype=np.int64)
        tokens[1 : 1 + len(events)] = events
        phases = np.zeros(self.seq_len, dtype=np.int64)
        phases[0] = t0 % TICKS_PER_BEAT
        phases[1 : len(events)] = w_ticks[: len(events) - 1] % TICKS_PER_BEAT
        return tokens, phases, window_condition(events, w_ticks, t0)

    def batch(self, rng: np.random.Generator, size: int, cond_dropout: float) -> Batch:
        rows = []
        for _ in range(size):
            i = int(rng.choice(len(self.pieces), p=self.weights))
            start = int(rng.integers(0, max(1, len(self.pieces[i]) - self.seq_len)))
            lo, hi = self.ranges[i]
            shift = (
                int(rng.integers(max(-self.max_shift, -lo), min(self.max_shift, 127 - hi) + 1))
                if hi >= lo
                else 0
            )
            tokens, phases, cond = self.window(i, start, shift)
            if rng.random() < cond_dropout:
                cond[0:2] = 0.0
            if rng.random() < cond_dropout:
                cond[2:15] = 0.0
            rows.append((tokens, phases, cond))
        return Batch(
            torch.from_numpy(np.stack([r[0] for r in rows])),
            torch.from_numpy(np.stack([r[1] for r in rows])),
            torch.from_numpy(np.stack([r[2] for r in rows])),
        )

    def fixed(self, count: int) -> list[Batch]:
        """Up to ``count`` windows at fixed places (each piece from its start, in turn),
        untransposed and unconditioned, in batches of 16: the validation set."""
        rows = []
        for i, p in enumerate(self.pieces):
            for start in range(0, len(p), self.seq_len):
                if len(rows) >= count:
                    break
                tokens, phases, _ = self.window(i, start, 0)
                rows.append((tokens, phases, np.zeros(COND_SIZE, dtype=np.float32)))
        return [
            Batch(
                torch.from_numpy(np.stack([r[0] for r in rows[k : k + 16]])),
                torch.from_numpy(np.stack([r[1] for r in rows[k : k + 16]])),
                torch.from_numpy(np.stack([r[2] for r in rows[k : k + 16]])),
            )
            for k in range(0, len(rows), 16)
        ]


def batch_loss(model: nn.Module, b: Batch, device: torch.device) -> tuple[torch.Tensor, int]:
    """Mean NLL per event of a batch (BOS padding ignored) and the number of events."""
    tokens = b.tokens.to(device)
    x, y = tokens[:, :-1], tokens[:, 1:].clone()
    y[y == BOS] = -100
    logits, _ = model(x, b.phases.to(device), b.cond.to(device))
    loss = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100
    )
    return loss, int((y != -100).sum())


@torch.no_grad()
def valid_nll(model: nn.Module, batches: list[Batch], device: torch.device) -> float:
    model.eval()
    total, count = 0.0, 0
    for b in batches:
        loss, n = batch_loss(model, b, device)
        total += float(loss) * n
        count += n
    model.train()
    return total / max(1, count)


def _distributed() -> tuple[int, int, torch.device | None]:
    """(rank, world size, device) under torchrun, after joining the process group."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, None
    cuda = torch.cuda.is_available()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    return dist.get_rank(), world, device


def train_perf(
    corpus: PerfCorpus,
    out: str | Path,
    config: PerfConfig | None = None,
    options: TrainOptions | None = None,
    device: str = "auto",
    corpus_name: str = "scores",
) -> dict[str, Any]:
    """Train on the corpus's train split; process 0 saves the best (valid NLL) checkpoint
    to ``out``. Returns the training record (also in the checkpoint's config.json)."""
    config = config or PerfConfig()
    options = options or TrainOptions()
    torch.set_num_threads(options.threads)
    rank, world, dist_device = _distributed()
    dev = dist_device or resolve_device(device)
    if options.batch_size % world:
        raise ValueError(f"batch size {options.batch_size} does not split over {world} processes")
    train, valid = corpus.pieces("train"), corpus.pieces("valid")
    if not train or not valid:
        raise ValueError(f"corpus too small: {len(train)} train and {len(valid)} valid pieces")
    windows = Windows(train, options.seq_len, options.transpose)
    valid_batches = Windows(valid, options.seq_len, 0).fixed(options.valid_windows)
    torch.manual_seed(options.seed)  # the same initial weights on every process
    model = PerfModel(config).to(dev)
    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[dev] if dev.type == "cuda" else None
        )
    opt = torch.optim.AdamW(model.parameters(), lr=options.lr, weight_decay=0.01)
    rng = np.random.default_rng(options.seed)
    record: dict[str, Any] = {
        "corpus": corpus_name,
        "pieces": {"train": len(train), "valid": len(valid)},
        "events": {"train": int(sum(len(p) for p in train))},
        "options": asdict(options),
        "processes": world,
        "history": [],
    }
    best = math.inf
    start = time.monotonic()
    running = 0.0
    step = 0
    for step in range(1, options.steps + 1):
        minutes = (time.monotonic() - start) / 60
        progress = step / options.steps
        if options.max_minutes:
            progress = max(progress, minutes / options.max_minutes)
        if world > 1:  # every replica must take the same step with the same learning rate
            flag = torch.tensor([progress], dtype=torch.float64, device=dev)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            progress = float(flag)
        if progress > 1.0:
            break
        warm = min(1.0, step / max(1, options.warmup))
        for group in opt.param_groups:
            group["lr"] = options.lr * warm * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        b = windows.batch(rng, options.batch_size, options.cond_dropout)
        mine = Batch(b.tokens[rank::world], b.phases[rank::world], b.cond[rank::world])
        loss, _ = batch_loss(net, mine, dev)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), options.clip)
        opt.step()
        value = float(loss.detach())
        if world > 1:
            t = torch.tensor([value], device=dev)
            dist.all_reduce(t)
            value = float(t) / world
        if options.steps <= 1000:  # short runs (tests) keep every step's loss
            record.setdefault("losses", []).append(round(value, 5))
        running = value if step == 1 else 0.98 * running + 0.02 * value
        if rank == 0 and (step % options.eval_every == 0 or step == options.steps):
            best = _evaluate_and_save(
                model, valid_batches, dev, record, step, running, start, best, out
            )
    if rank == 0 and (not record["history"] or record["history"][-1]["step"] != step):
        best = _evaluate_and_save(
            model, valid_batches, dev, record, step, running, start, best, out
        )
    record["steps"] = step
    record["total_minutes"] = round((time.monotonic() - start) / 60, 2)
    if rank == 0:
        config_path = Path(out) / "config.json"
        meta = json.loads(config_path.read_text())
        meta["extra"]["training"] = record
        config_path.write_text(json.dumps(meta, indent=2) + "\n")
    if world > 1:
        dist.barrier()
    return record


def _evaluate_and_save(
    model: PerfModel,
    valid_batches: list[Batch],
    dev: torch.device,
    record: dict[str, Any],
    step: int,
    running: float,
    start: float,
    best: float,
    out: str | Path,
) -> float:
    nll = valid_nll(model, valid_batches, dev)
    entry = {
        "step": step,
        "train_loss": round(running, 4),
        "valid_nll_per_event": round(nll, 4),
        "minutes": round((time.monotonic() - start) / 60, 2),
    }
    record["history"].append(entry)
    log.info("step %d: %s", step, entry)
    if nll < best:
        best = nll
        record["best_valid_nll_per_event"] = round(nll, 4)
        record["best_step"] = step
        save_checkpoint(out, ENGINE, model.config, model, {"training": record})
    return best
