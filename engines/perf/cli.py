"""The performance engine's commands: ``bridge train perf`` and ``bridge eval perf``.

``bridge train perf`` runs unchanged under ``torchrun`` (see :mod:`engines.perf.train`)::

    torchrun --standalone --nproc_per_node 2 -m bridge train perf --out runs/perf ...
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from engines.cli_common import (
    CHECKPOINT_OPTION,
    DEVICE_OPTION,
    JSON_OPTION,
    LIMIT_FILES_OPTION,
    MAX_MINUTES_OPTION,
    SEED_OPTION,
    domain_errors,
    echo_report,
    load_checkpoint_engine,
    threads_option,
)

CORPUS = click.option(
    "--corpus",
    default="scores",
    show_default=True,
    help="scores (music21's polyphonic scores), a folder of .mid performances, or a parsed "
    "corpus (.npz, from --prepare-only).",
)
STRIDE = click.option(
    "--stride",
    type=click.IntRange(min=1),
    default=None,
    help="Take every n-th Palestrina movement (default 8; 1 takes all, ~30 min to parse).",
)


def _load(corpus: str, limit_files: int | None, stride: int | None, workers: int) -> object:
    from engines.perf.data import PALESTRINA_STRIDE, load_perf_corpus

    return load_perf_corpus(
        corpus,
        limit_files=limit_files,
        stride=stride or PALESTRINA_STRIDE,
        workers=workers,
        progress=True,
    )


@click.command("perf")
@CORPUS
@LIMIT_FILES_OPTION
@STRIDE
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Checkpoint folder to write (required unless --prepare-only).",
)
@click.option(
    "--prepare-only",
    is_flag=True,
    help="Parse the corpus into its cache (to copy to other machines) and stop.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Processes parsing the corpus.",
)
@click.option("--steps", type=click.IntRange(min=1), default=100_000, show_default=True)
@MAX_MINUTES_OPTION
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="The global batch, split between torchrun's processes.",
)
@click.option("--seq-len", type=click.IntRange(min=8), default=256, show_default=True)
@click.option("--lr", type=float, default=3e-3, show_default=True)
@click.option(
    "--warmup",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Steps of learning-rate warm-up.",
)
@click.option("--embed", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--hidden", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--layers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--dropout", type=click.FloatRange(0, 0.9), default=0.1, show_default=True)
@click.option("--eval-every", type=click.IntRange(min=1), default=200, show_default=True)
@threads_option(help="Torch threads per process.")
@SEED_OPTION
@DEVICE_OPTION
def train(
    corpus: str,
    limit_files: int | None,
    stride: int | None,
    out: Path | None,
    prepare_only: bool,
    workers: int,
    steps: int,
    max_minutes: float | None,
    batch_size: int,
    seq_len: int,
    lr: float,
    warmup: int,
    embed: int,
    hidden: int,
    layers: int,
    dropout: float,
    eval_every: int,
    threads: int,
    seed: int,
    device: str,
) -> None:
    """Train the performance model (next event; transposed windows; conditions dropped half
    the time). Under torchrun, process 0 alone writes the checkpoint."""
    import os

    from engines.perf.data import PALESTRINA_STRIDE, corpus_cache_path
    from engines.perf.model import PerfConfig
    from engines.perf.train import TrainOptions, train_perf

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rank = int(os.environ.get("RANK", "0"))
    if out is None and not prepare_only:
        raise click.UsageError("give --out FOLDER for the checkpoint (or --prepare-only)")
    with domain_errors():
        data = _load(corpus, limit_files, stride, workers)
        if prepare_only:
            path = corpus_cache_path(corpus, limit_files, stride or PALESTRINA_STRIDE)
            click.echo(f"corpus cached at {path}: {len(data)} pieces")  # type: ignore[arg-type]
            return
        config = PerfConfig(embed=embed, hidden=hidden, layers=layers, dropout=dropout)
        options = TrainOptions(
            steps=steps,
            batch_size=batch_size,
            seq_len=seq_len,
            lr=lr,
            warmup=warmup,
            eval_every=eval_every,
            max_minutes=max_minutes,
            seed=seed,
            threads=threads,
        )
        assert out is not None
        record = train_perf(data, out, config, options, device, corpus)  # type: ignore[arg-type]
    if rank == 0:
        for entry in record["history"]:
            click.echo(
                f"step {entry['step']}: train loss {entry['train_loss']:.3f}, valid NLL "
                f"{entry['valid_nll_per_event']:.3f} nats/event, {entry['minutes']} min"
            )
        click.echo(
            f"saved {out}: best step {record.get('best_step')}, valid NLL "
            f"{record.get('best_valid_nll_per_event')} nats/event; "
            f"{record['total_minutes']} minutes on {record['processes']} process(es)"
        )


@click.command("perf")
@CORPUS
@LIMIT_FILES_OPTION
@STRIDE
@CHECKPOINT_OPTION
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    help="Continuations sampled for each check.",
)
@click.option(
    "--order",
    type=click.IntRange(1, 6),
    default=5,
    show_default=True,
    help="Order of the n-gram baseline.",
)
@JSON_OPTION
@SEED_OPTION
@DEVICE_OPTION
def evaluate(
    corpus: str,
    limit_files: int | None,
    stride: int | None,
    checkpoint: Path | None,
    samples: int,
    order: int,
    json_out: Path | None,
    seed: int,
    device: str,
) -> None:
    """Held-out NLL against an n-gram; polyphony, density and key of samples; musician's
    checks (keys, registers, temperatures)."""
    from engines.perf.evaluate import evaluate as run
    from engines.perf.evaluate import format_report

    with domain_errors():
        engine = load_checkpoint_engine("perf", checkpoint, device)
        data = _load(corpus, limit_files, stride, 2)
        report = run(engine, data, samples=samples, order=order, seed=seed)  # type: ignore[arg-type]
    echo_report(format_report(report), report, json_out)
