"""The RNN continuator's commands: ``generate rnn`` (its own options; ``bridge generate rnn
<verb>`` is built from its verbs), ``train rnn``, ``eval rnn``."""

from __future__ import annotations

from pathlib import Path

import click

from engines.cli_common import (
    CHECKPOINT_OPTION,
    CORPUS_OPTION,
    DEVICE_OPTION,
    JSON_OPTION,
    LIMIT_FILES_OPTION,
    MAX_MINUTES_OPTION,
    RUN_OPTIONS,
    SEED_OPTION,
    domain_errors,
    echo_report,
    echo_run,
    load_checkpoint_engine,
    read_midi_file,
    run_args,
    threads_option,
    training_params,
    training_run,
)


@click.command("rnn")
@click.option(
    "--primer",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="MIDI file to continue (default: start from nothing).",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--steps", default=32, show_default=True, help="16th-note steps to generate.")
@click.option("--temperature", default=1.0, show_default=True)
@click.option("--top-p", type=float, default=None, help="Nucleus sampling, in (0, 1].")
@click.option("--seed", type=int, default=None, help="Same seed, same result.")
@CHECKPOINT_OPTION
@DEVICE_OPTION
def generate(
    primer: Path | None,
    output: Path,
    steps: int,
    temperature: float,
    top_p: float | None,
    seed: int | None,
    checkpoint: Path | None,
    device: str,
) -> None:
    """Continue a MIDI primer; write the primer and, after its last bar, the continuation."""
    from engines.notes import STEPS_PER_BEAT, Note, bar_padded_steps, write_midi

    notes: list[Note] = [] if primer is None else read_midi_file(primer)
    with domain_errors():
        engine = load_checkpoint_engine("rnn", checkpoint, device)
        new = engine.continue_(notes, steps=steps, temperature=temperature, seed=seed, top_p=top_p)
    offset = bar_padded_steps(notes) / STEPS_PER_BEAT
    placed = [Note(n.pitch, n.start + offset, n.duration, n.velocity) for n in new]
    write_midi([*notes, *placed], output)
    click.echo(f"wrote {len(notes)} primer notes and {len(placed)} new notes to {output}")


@click.command("rnn")
@CORPUS_OPTION
@LIMIT_FILES_OPTION
@RUN_OPTIONS
@click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True)
@MAX_MINUTES_OPTION
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--seq-len", type=click.IntRange(min=8), default=256, show_default=True)
@click.option("--lr", type=float, default=3e-3, show_default=True)
@click.option("--embed", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--hidden", type=click.IntRange(min=1), default=512, show_default=True)
@click.option("--layers", type=click.IntRange(min=1), default=2, show_default=True)
@threads_option(default=None, help="Torch threads.")
@click.option("--init", type=click.Path(exists=True, file_okay=False), default=None,
              help="Start from this checkpoint's weights (same architecture; it is never "
                   "written to).")  # fmt: skip
@SEED_OPTION
@DEVICE_OPTION
@click.pass_context
def train(ctx: click.Context, **_: object) -> None:
    """Train the LSTM continuator (next token on the 16th-note grid, transposed copies).

    The run writes into a new folder (see --out); Ctrl-C stops it cleanly, keeping the
    best checkpoint so far, and --resume goes on from the last finished epoch.
    """
    from engines.corpus import load_corpus
    from engines.rnn.model import RnnConfig
    from engines.rnn.train import TrainOptions, train_rnn

    p = training_params(ctx)
    config = RnnConfig(embed=p["embed"], hidden=p["hidden"], layers=p["layers"])
    options = TrainOptions(
        epochs=p["epochs"],
        batch_size=p["batch_size"],
        seq_len=p["seq_len"],
        lr=p["lr"],
        seed=p["seed"],
        max_minutes=p["max_minutes"],
        threads=p["threads"],
        init=p["init"],
    )
    with training_run("rnn", p) as out:
        corpus = load_corpus(p["corpus"], limit_files=p["limit_files"])
        record = train_rnn(corpus, out, config, options, p["device"], **run_args(p))
    echo_run("rnn", out, record, (
        f"epoch {entry['epoch']}: train loss {entry['train_loss']:.3f}, valid NLL "
        f"{entry['valid_nll_per_step']:.3f} nats/step, {entry['minutes']} min"
        for entry in record["epochs"]
    ))  # fmt: skip
    click.echo(
        f"saved {out}: best epoch {record['best_epoch']}, valid NLL "
        f"{record['best_valid_nll_per_step']:.3f} nats/step; {record['total_minutes']} minutes"
    )


@click.command("rnn")
@CORPUS_OPTION
@LIMIT_FILES_OPTION
@CHECKPOINT_OPTION
@click.option("--continuations", type=click.IntRange(min=0), default=200, show_default=True)
@click.option("--order", type=click.IntRange(1, 8), default=5, show_default=True,
              help="Order of the n-gram baseline.")  # fmt: skip
@JSON_OPTION
@SEED_OPTION
@DEVICE_OPTION
def evaluate(
    corpus: str,
    limit_files: int | None,
    checkpoint: Path | None,
    continuations: int,
    order: int,
    json_out: Path | None,
    seed: int,
    device: str,
) -> None:
    """Held-out NLL against an n-gram baseline; key and density of sampled continuations."""
    from engines.corpus import load_corpus
    from engines.rnn.evaluate import evaluate, format_report

    with domain_errors():
        engine = load_checkpoint_engine("rnn", checkpoint, device)
        report = evaluate(
            engine,
            load_corpus(corpus, limit_files=limit_files),
            n_continuations=continuations,
            ngram_order=order,
            seed=seed,
        )
    echo_report(format_report(report), report, json_out)
