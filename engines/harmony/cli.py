"""The harmonizer's commands: ``train harmony`` and ``eval harmony`` (``bridge generate
harmony harmonize`` is built from its verb)."""

from __future__ import annotations

from pathlib import Path

import click

from engines.cli_common import (
    CHECKPOINT_OPTION,
    DEVICE_OPTION,
    JSON_OPTION,
    LIMIT_FILES_OPTION,
    SEED_OPTION,
    domain_errors,
    echo_report,
    load_checkpoint_engine,
    threads_option,
)


@click.command("harmony")
@LIMIT_FILES_OPTION
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Checkpoint folder (default: the shipped one, engines/checkpoints/harmony).",
)
@click.option("--max-minutes", type=float, default=22.0, show_default=True,
              help="Stop after this long (wall time).")  # fmt: skip
@click.option("--max-steps", type=click.IntRange(min=1), default=1_000_000)
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--seq-len", type=click.IntRange(min=8), default=64, show_default=True,
              help="Grid steps (8th notes) per training crop.")  # fmt: skip
@click.option("--lr", type=float, default=2e-3, show_default=True)
@click.option("--eval-every", type=click.IntRange(min=1), default=300, show_default=True)
@threads_option()
@SEED_OPTION
def train(
    limit_files: int | None,
    out: Path | None,
    max_minutes: float,
    max_steps: int,
    batch_size: int,
    seq_len: int,
    lr: float,
    eval_every: int,
    threads: int,
    seed: int,
) -> None:
    """Train the harmonizer on the Bach chorales (four voices, 8th-note grid)."""
    from engines import default_checkpoint
    from engines.harmony.data import load_chorales
    from engines.harmony.train import TrainOptions, train_harmony

    options = TrainOptions(seq_len=seq_len, batch_size=batch_size, lr=lr,
                           max_minutes=max_minutes, max_steps=max_steps,
                           eval_every=eval_every, seed=seed, threads=threads)  # fmt: skip
    out = out or default_checkpoint("harmony")
    with domain_errors():
        record = train_harmony(load_chorales(limit_files=limit_files), out, options=options)
    for entry in record["history"]:
        click.echo(
            f"step {entry['step']}: train loss {entry['train_loss']:.3f}, valid NLL "
            f"{entry['valid_nll_per_note']:.3f} nats/note, {entry['minutes']} min"
        )
    best = record["training"]["valid_nll_per_note"]["per_note"]
    click.echo(f"saved {out}: valid NLL {best:.3f} nats/note; {record['total_minutes']} minutes")


@click.command("harmony")
@LIMIT_FILES_OPTION
@CHECKPOINT_OPTION
@click.option("--chorales", type=click.IntRange(min=1), default=None,
              help="Check only the first N held-out chorales.")  # fmt: skip
@click.option("--repeats", type=click.IntRange(min=1), default=200, show_default=True,
              help="Timed runs of the speed check.")  # fmt: skip
@JSON_OPTION
@DEVICE_OPTION
def evaluate(
    limit_files: int | None,
    checkpoint: Path | None,
    chorales: int | None,
    repeats: int,
    json_out: Path | None,
    device: str,
) -> None:
    """Held-out chorales beside Bach and a count baseline; written melodies; speed."""
    from engines.harmony.data import load_chorales
    from engines.harmony.evaluate import evaluate as run
    from engines.harmony.evaluate import format_report

    with domain_errors():
        engine = load_checkpoint_engine("harmony", checkpoint, device)
        report = run(engine, load_chorales(limit_files=limit_files), chorales, repeats)
    echo_report(format_report(report), report, json_out)
