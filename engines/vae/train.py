"""Training the VAE on two-bar slices of a corpus, and computing its attribute vectors.

The loss per example is the reconstruction's cross-entropy (nats, summed over the 32
steps) plus ``beta * max(KL - free_bits, 0)``: the first ``free_bits`` nats of KL are free,
so the encoder is never pushed to ignore the melody (posterior collapse), and ``beta``
rises linearly from 0 over ``anneal_steps``. The checkpoint kept is the best on the valid
split by that loss at full beta.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engines.checkpoint import WEIGHTS_FILE, load_weights
from engines.corpus import Corpus
from engines.progress import time_left
from engines.runs import resume_run, save_run, seed_run
from engines.vae.config import TrainOptions
from engines.vae.data import ATTRIBUTES, quartile_indices, transpose_slices, two_bar_slices
from engines.vae.engine import VaeEngine
from engines.vae.model import VaeConfig, VaeModel, kl_per_example

log = logging.getLogger(__name__)


def learning_rate(options: TrainOptions, step: int, progress: float) -> float:
    """Linear warm-up, then a cosine from ``lr`` down to ``min_lr`` as ``progress`` (the
    share of the run done, by steps or by the time budget, whichever is further) goes
    0 -> 1."""
    if step < options.warmup_steps:
        return options.lr * (step + 1) / options.warmup_steps
    p = min(1.0, max(0.0, progress))
    return options.min_lr + (options.lr - options.min_lr) * 0.5 * (1 + math.cos(math.pi * p))


def vae_loss(
    model: VaeModel,
    x: torch.Tensor,
    beta: float,
    free_bits: float,
    sample: bool = True,
    input_dropout: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean loss over the batch x [B, T] and its parts (per example, in nats)."""
    logits, mean, logvar = model(x, sample=sample, input_dropout=input_dropout)
    recon = F.cross_entropy(logits.transpose(1, 2), x, reduction="none").sum(-1)  # [B]
    kl = kl_per_example(mean, logvar)  # [B]
    loss = recon + beta * (kl - free_bits).clamp_min(0.0)
    acc = (logits.argmax(-1) == x).float().mean()
    parts = {
        "recon_nll": float(recon.detach().mean()),
        "kl": float(kl.detach().mean()),
        "teacher_forced_acc": float(acc),
    }
    return loss.mean(), parts


@torch.no_grad()
def evaluate_slices(
    engine: VaeEngine, slices: np.ndarray, options: TrainOptions, batch_size: int = 256
) -> dict[str, float]:
    """Valid loss at full beta (seeded z noise), its parts, and greedy reconstruction
    accuracy from the latent mean."""
    model = engine.model.eval()
    engine.refresh()
    state = torch.random.get_rng_state()
    torch.manual_seed(1234)  # the same z noise at every evaluation
    totals: dict[str, float] = {}
    correct = 0
    for i in range(0, len(slices), batch_size):
        x = torch.as_tensor(slices[i : i + batch_size].astype(np.int64), device=engine.device)
        loss, parts = vae_loss(model, x, options.beta, options.free_bits)
        parts["loss"] = float(loss)
        for k, v in parts.items():
            totals[k] = totals.get(k, 0.0) + v * len(x)
        mean, _ = model.encode(x)
        tokens = engine.decoder(mean, x.shape[1])
        correct += int((tokens == x.cpu()).sum())
    torch.random.set_rng_state(state)
    n = max(1, len(slices))
    out = {k: v / n for k, v in totals.items()}
    out["recon_acc"] = correct / (n * slices.shape[1]) if len(slices) else 0.0
    return out


@torch.no_grad()
def attribute_vectors(
    engine: VaeEngine, slices: np.ndarray, seed: int = 0, batch_size: int = 512
) -> tuple[dict[str, torch.Tensor], dict[str, dict[str, float]]]:
    """For each attribute: mean latent code of the top quarter of ``slices`` minus that of
    the bottom quarter. Also returns the attribute's mean value in each quarter."""
    means = torch.cat(
        [engine._means(slices[i : i + batch_size]) for i in range(0, len(slices), batch_size)]
    )
    rng = np.random.default_rng(seed)
    vectors, stats = {}, {}
    for name, fn in ATTRIBUTES.items():
        values = fn(slices)
        low, high = quartile_indices(values, rng)
        vectors[name] = (means[high].mean(0) - means[low].mean(0)).cpu()
        stats[name] = {
            "bottom_quarter_mean": round(float(np.mean(values[low])), 3),
            "top_quarter_mean": round(float(np.mean(values[high])), 3),
            "vector_norm": round(float(vectors[name].norm()), 3),
        }
    return vectors, stats


def train_vae(
    corpus: Corpus,
    out: str | Path,
    config: VaeConfig | None = None,
    options: TrainOptions | None = None,
    device: str = "auto",
    progress: bool = True,
    on_eval: Callable[[dict], None] | None = None,
    resume: bool = False,
    command: dict | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> dict:
    """Train on two-bar slices of the corpus's train split; save the best (on valid)
    checkpoint to ``out`` with its attribute vectors. Returns the training record (also
    stored in the checkpoint's config.json).

    After every epoch the training state is saved beside the checkpoint; ``resume`` goes on
    from there (same config and options; ``command``, the command line's options, is kept
    for ``--resume``). Ctrl-C ends the run cleanly: the attribute vectors are computed from
    the best weights so far and the record says ``interrupted``.
    """
    from tqdm import tqdm

    config = config or VaeConfig()
    options = options or TrainOptions()
    out = Path(out)
    rng = seed_run(options.seed, options.threads)
    all_train = two_bar_slices(corpus.tunes("train"), config.steps)
    # a tune's repeated sections give identical slices: train on each distinct slice once
    train = np.unique(all_train, axis=0)
    valid = two_bar_slices(corpus.tunes("valid"), config.steps)
    if len(train) < options.batch_size or not len(valid):
        raise ValueError(
            f"the corpus gives {len(train):,} distinct two-bar slices in its train split and "
            f"{len(valid):,} in its valid split; one batch needs {options.batch_size} train "
            "slices and the valid split at least one: lower --batch-size or add music"
        )
    valid = valid[rng.permutation(len(valid))[: options.valid_limit]]
    engine = VaeEngine.from_config(config, device, seed=options.seed)
    model = engine.model
    opt = torch.optim.Adam(model.parameters(), lr=options.lr)
    record: dict = {
        "corpus_slices": {
            "train": len(all_train),
            "train_distinct": len(train),
            "valid_used": len(valid),
        },
        "options": asdict(options),
        "evals": [],
    }
    best, step, first_epoch, seconds_before = math.inf, 0, 0, 0.0
    running: dict[str, float] = {}
    if resume:
        state = resume_run(out, {"model": model}, {"opt": opt}, rng, asdict(config),
                           asdict(options))  # fmt: skip
        record, best, running = state["record"], state["best"], state["running"]
        record["options"] = asdict(options)
        step, first_epoch, seconds_before = state["step"], state["epoch"], state["seconds"]
        engine.refresh()
    log.info("training on %d two-bar slices, %d valid", len(train), len(valid))
    start = time.monotonic() - seconds_before
    stopped = False
    record["interrupted"] = False

    def evaluate_and_keep(epoch: float) -> None:
        nonlocal best
        metrics = evaluate_slices(engine, valid, options)
        entry = {
            "step": step,
            "epoch": round(epoch, 3),
            "minutes": round((time.monotonic() - start) / 60, 2),
            **{f"train_{k}": round(v, 4) for k, v in running.items()},
            **{f"valid_{k}": round(v, 4) for k, v in metrics.items()},
        }
        record["evals"].append(entry)
        log.info("eval: %s", entry)
        if on_eval:
            on_eval(entry)
        if metrics["loss"] < best:
            best = metrics["loss"]
            record["best"] = entry
            engine.save(out, extra={"training": record})
        model.train()

    total_steps = max(1, options.epochs * (len(train) // options.batch_size))
    try:
        for epoch in range(first_epoch, options.epochs):
            model.train()
            data = transpose_slices(train, rng, options.transpose)
            order = rng.permutation(len(data))
            n_batches = len(order) // options.batch_size
            desc = f"epoch {epoch + 1}/{options.epochs}"
            bar = tqdm(range(n_batches), desc=desc, disable=not progress)
            for b in bar:
                idx = order[b * options.batch_size : (b + 1) * options.batch_size]
                x = torch.from_numpy(data[idx]).to(engine.device)
                beta = options.beta * min(1.0, step / max(1, options.anneal_steps))
                done = step / total_steps
                if options.max_minutes:
                    done = max(done, (time.monotonic() - start) / 60 / options.max_minutes)
                lr = learning_rate(options, step, done)
                for group in opt.param_groups:
                    group["lr"] = lr
                loss, parts = vae_loss(
                    model, x, beta, options.free_bits, True, options.input_dropout
                )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), options.clip)
                opt.step()
                step += 1
                for k, v in parts.items():
                    running[k] = 0.98 * running[k] + 0.02 * v if k in running else v
                bar.set_postfix(
                    lr=f"{lr:.1e}",
                    nll=f"{running['recon_nll']:.2f}",
                    kl=f"{running['kl']:.1f}",
                    acc=f"{running['teacher_forced_acc']:.3f}",
                    run_left=time_left(start, step, total_steps, options.max_minutes),
                    refresh=False,
                )
                minutes = (time.monotonic() - start) / 60
                if options.max_minutes is not None and minutes > options.max_minutes:
                    stopped = True
                    break
                if step % options.eval_every == 0:
                    evaluate_and_keep(epoch + (b + 1) / n_batches)
            bar.close()
            if stopped or step % options.eval_every != 0:
                evaluate_and_keep(epoch + 1 if not stopped else epoch + (b + 1) / n_batches)
            if stopped:
                break
            state = {
                "epoch": epoch + 1,
                "step": step,
                "seconds": time.monotonic() - start,
                "best": best,
                "running": running,
                "record": record,
                "config": asdict(config),
                "options": asdict(options),
                "command": command,
            }
            save_run(out, {"model": model}, {"opt": opt}, state, rng)
            if on_epoch:
                on_epoch(epoch + 1)
    except KeyboardInterrupt:
        record["interrupted"] = True
        log.warning("training interrupted; the best checkpoint so far stays in %s", out)
    if not (out / WEIGHTS_FILE).is_file():
        return record  # stopped before the first evaluation: nothing to finish

    # attribute vectors from the best weights, over (a sample of) the untransposed train set
    load_weights(out, model, engine.device)
    engine.refresh()
    model.eval()
    pick = rng.permutation(len(train))[: options.attribute_limit]
    engine.attributes, record["attributes"] = attribute_vectors(engine, train[pick], options.seed)
    record["total_minutes"] = round((time.monotonic() - start) / 60, 2)
    record["stopped_early"] = stopped
    engine.save(out, extra={"training": record})
    return record
