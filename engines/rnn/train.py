"""Training the RNN continuator on a corpus: teacher forcing, transposition, best-on-valid."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from engines.corpus import Corpus, random_transpose
from engines.notes import BOS
from engines.progress import time_left
from engines.rnn.engine import RnnEngine
from engines.rnn.model import RnnConfig
from engines.runs import resume_run, save_run, seed_run, update_record

log = logging.getLogger(__name__)
IGNORE = -100


@dataclass(frozen=True)
class TrainOptions:
    epochs: int = 3
    batch_size: int = 32
    seq_len: int = 256
    lr: float = 3e-3
    weight_decay: float = 0.0
    clip: float = 1.0
    transpose: int = 6  # random transposition, +-semitones, per tune per epoch
    seed: int = 0
    max_minutes: float | None = None  # stop early (keeping the best checkpoint) after this
    threads: int | None = None
    init: str | None = None  # start from this checkpoint's weights (same config) to go on


Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # inputs, positions, targets [B, T]


def make_chunks(tunes: list[np.ndarray], seq_len: int) -> list[tuple[np.ndarray, int]]:
    """[BOS] + tune, cut into pieces of at most seq_len + 1 tokens overlapping by one, each
    with the index of its first token since BOS."""
    chunks = []
    for t in tunes:
        seq = np.concatenate([[BOS], t.astype(np.int64)])
        for s in range(0, max(1, len(seq) - 1), seq_len):
            piece = seq[s : s + seq_len + 1]
            if len(piece) >= 2:
                chunks.append((piece, s))
    return chunks


def batches(chunks: list[tuple[np.ndarray, int]], batch_size: int) -> list[Batch]:
    """Chunks -> batches, similar lengths together to waste little padding."""
    order = np.argsort([len(c) for c, _ in chunks], kind="stable")
    out = []
    for first in range(0, len(order), batch_size):
        group = order[first : first + batch_size]
        width = max(len(chunks[i][0]) for i in group) - 1
        x = np.full((len(group), width), BOS, dtype=np.int64)
        p = np.zeros((len(group), width), dtype=np.int64)
        y = np.full((len(group), width), IGNORE, dtype=np.int64)
        for row, i in enumerate(group):
            c, start = chunks[i]
            x[row, : len(c) - 1] = c[:-1]
            p[row, : len(c) - 1] = np.arange(start, start + len(c) - 1)
            y[row, : len(c) - 1] = c[1:]
        out.append((torch.from_numpy(x), torch.from_numpy(p), torch.from_numpy(y)))
    return out


def stream_batches(
    tunes: list[np.ndarray], batch_size: int, seq_len: int, rng: np.random.Generator
) -> list[Batch]:
    """Tunes in random order joined into one stream ([BOS] tune [BOS] tune ...), cut into
    windows of seq_len: every batch has the same shape.

    A fixed shape matters on the CPU: oneDNN builds its LSTM kernels per input shape, and
    batches of varying width made training three times slower. A window may begin inside a
    tune; BOS inside a window teaches the model that a new tune starts there.
    """
    order = rng.permutation(len(tunes))
    stream = np.concatenate([np.concatenate([[BOS], tunes[i].astype(np.int64)]) for i in order])
    pos = np.concatenate([np.arange(len(tunes[i]) + 1) for i in order])
    n_batches = (len(stream) - 1) // (seq_len * batch_size)
    spare = len(stream) - 1 - n_batches * seq_len * batch_size
    cut = int(rng.integers(min(seq_len, spare + 1)))  # a new cut every epoch, costing no batch
    stream, pos = stream[cut:], pos[cut:]
    used = n_batches * batch_size * seq_len
    shape = (n_batches, batch_size, seq_len)
    x = torch.from_numpy(stream[:used].reshape(shape))
    p = torch.from_numpy(pos[:used].reshape(shape))
    y = torch.from_numpy(stream[1 : used + 1].reshape(shape))
    return list(zip(x, p, y, strict=True))


@torch.no_grad()
def evaluate_nll(engine: RnnEngine, tunes: list[np.ndarray], seq_len: int = 1024) -> float:
    """Mean NLL per token (nats) over whole tunes."""
    model = engine.model.eval()
    loss_fn = nn.CrossEntropyLoss(ignore_index=IGNORE, reduction="sum")
    total, count = 0.0, 0
    for x, p, y in batches(make_chunks(tunes, seq_len), 32):
        x, p, y = x.to(engine.device), p.to(engine.device), y.to(engine.device)
        logits, _ = model(x, p)
        total += float(loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)))
        count += int((y != IGNORE).sum())
    return total / max(1, count)


def check_corpus_size(corpus: Corpus, train: list[np.ndarray], options: TrainOptions) -> None:
    """Refuse, before any training, a corpus whose train split cannot fill one batch."""
    have = sum(len(t) + 1 for t in train) - 1  # tokens to predict: the stream minus its first
    need = options.batch_size * options.seq_len
    if have < need:
        raise ValueError(
            f"the corpus holds {len(corpus.tokens):,} tokens in {len(corpus):,} tunes "
            f"({max(have, 0):,} in its {len(train):,} train tunes); one batch of "
            f"{options.batch_size} x {options.seq_len} needs {need:,}: lower "
            "--batch-size/--seq-len or add music"
        )


def train_rnn(
    corpus: Corpus,
    out: str | Path,
    config: RnnConfig | None = None,
    options: TrainOptions | None = None,
    device: str = "auto",
    progress: bool = True,
    on_epoch: Callable[[dict], None] | None = None,
    resume: bool = False,
    command: dict | None = None,
) -> dict:
    """Train on the corpus's train split; save the best (by valid NLL) checkpoint to ``out``.

    After every epoch the training state (latest weights, optimizer, schedule, random
    generators) is saved beside it; ``resume`` goes on from there, with the same config and
    options (``max_minutes`` and ``threads`` may change); ``command`` (the command line's
    options, JSON) is kept in the state for ``--resume``. Ctrl-C (KeyboardInterrupt) ends
    the run cleanly: the record says ``interrupted`` and the best checkpoint stays.
    Returns the training record (also stored in the checkpoint's config.json).
    """
    from tqdm import tqdm

    config = config or RnnConfig()
    options = options or TrainOptions()
    out = Path(out)
    rng = seed_run(options.seed, options.threads)
    train, valid = corpus.tunes("train"), corpus.tunes("valid")
    if not train or not valid:
        raise ValueError(
            f"corpus too small to split: {len(train)} train and {len(valid)} valid tunes "
            "(a tune's split comes from its name: 90% train, 5% valid); add music"
        )
    check_corpus_size(corpus, train, options)
    if options.init and not resume:
        engine = RnnEngine.load(options.init, device)
        if engine.config != config:
            raise ValueError(f"--init {options.init} has config {engine.config}, not {config}")
    else:
        engine = RnnEngine.from_config(config, device, seed=options.seed)
    model = engine.model
    opt = torch.optim.AdamW(model.parameters(), lr=options.lr, weight_decay=options.weight_decay)
    loss_fn = nn.CrossEntropyLoss(ignore_index=IGNORE)
    steps_per_epoch = (sum(len(t) + 1 for t in train) - 1) // (options.seq_len * options.batch_size)
    total_steps = max(1, steps_per_epoch * options.epochs)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=options.lr, total_steps=total_steps, pct_start=0.05
    )
    record: dict = {
        "corpus_tunes": {"train": len(train), "valid": len(valid)},
        "options": options.__dict__,
        "epochs": [],
    }
    best, first_epoch, tokens_seen, seconds_before = math.inf, 0, 0, 0.0
    if resume:
        state = resume_run(out, {"model": model}, {"opt": opt}, rng, asdict(config),
                           options.__dict__)  # fmt: skip
        sched.load_state_dict(state["scheduler"])
        record, best = state["record"], state["best"]
        record["options"] = options.__dict__
        first_epoch, tokens_seen, seconds_before = state["epoch"], state["tokens"], state["seconds"]
        log.info("resuming %s after epoch %d of %d", out, first_epoch, options.epochs)
    start = time.monotonic() - seconds_before
    record["interrupted"] = False
    try:
        for epoch in range(first_epoch, options.epochs):
            model.train()
            aug = [random_transpose(t, rng, options.transpose) for t in train]
            epoch_batches = stream_batches(aug, options.batch_size, options.seq_len, rng)
            desc = f"epoch {epoch + 1}/{options.epochs}"
            bar = tqdm(epoch_batches, desc=desc, disable=not progress)
            running, stopped = 0.0, False
            for i, (x, p, y) in enumerate(bar):
                x, p, y = x.to(engine.device), p.to(engine.device), y.to(engine.device)
                logits, _ = model(x, p)
                loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), options.clip)
                opt.step()
                if sched.last_epoch + 1 < total_steps:
                    sched.step()
                tokens_seen += int((y != IGNORE).sum())
                running = 0.98 * running + 0.02 * loss.item() if i else loss.item()
                left = time_left(start, sched.last_epoch, total_steps, options.max_minutes)
                bar.set_postfix(loss=f"{running:.3f}", run_left=left, refresh=False)
                minutes = (time.monotonic() - start) / 60
                if options.max_minutes is not None and minutes > options.max_minutes:
                    stopped = True
                    break
            valid_nll = evaluate_nll(engine, valid)
            elapsed = time.monotonic() - start
            entry = {
                "epoch": epoch + 1,
                "train_loss": round(running, 4),
                "valid_nll_per_step": round(valid_nll, 4),
                "minutes": round(elapsed / 60, 2),
                "tokens_per_second": round(tokens_seen / max(elapsed, 1e-9)),
                "partial": stopped,
            }
            record["epochs"].append(entry)
            log.info("epoch %d: %s", epoch + 1, entry)
            if valid_nll < best:
                best = valid_nll
                record["best_valid_nll_per_step"] = round(valid_nll, 4)
                record["best_epoch"] = epoch + 1
                record["train_minutes"] = round(elapsed / 60, 2)
                engine.save(out, extra={"training": record})
            if not stopped:  # a partial epoch cannot be resumed where it stopped
                progress_now = {
                    "epoch": epoch + 1,
                    "tokens": tokens_seen,
                    "seconds": elapsed,
                    "best": best,
                    "record": record,
                    "scheduler": sched.state_dict(),
                    "config": asdict(config),
                    "options": options.__dict__,
                    "command": command,
                }
                save_run(out, {"model": model}, {"opt": opt}, progress_now, rng)
            if on_epoch:
                on_epoch(entry)
            if stopped:
                break
    except KeyboardInterrupt:
        record["interrupted"] = True
        log.warning("training interrupted; the best checkpoint so far stays in %s", out)
    record["total_minutes"] = round((time.monotonic() - start) / 60, 2)
    update_record(out, record)
    return record
