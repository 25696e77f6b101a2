"""The VAE interpolator's commands: ``generate vae ...``, ``train vae``, ``eval vae``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from bridge.cli.common import (
    CHECKPOINT_OPTION,
    CORPUS_OPTION,
    DEVICE_OPTION,
    JSON_OPTION,
    LIMIT_FILES_OPTION,
    SEED_OPTION,
    domain_errors,
    echo_report,
    eval_,
    generate,
    load_checkpoint_engine,
    train,
)
from engines.vae.config import TrainOptions as VaeTrainOptions
from engines.vae.config import VaeConfig

VAE_CONFIG = VaeConfig()
VAE_OPTIONS = VaeTrainOptions()


def write_melodies(melodies: list[list[Any]], output: Path) -> int:
    """Two-bar melodies into one MIDI file, melody k at beat 8k; returns the note count."""
    from engines.notes import Note, write_midi

    placed = [
        Note(n.pitch, n.start + 8.0 * k, n.duration, n.velocity)
        for k, melody in enumerate(melodies)
        for n in melody
    ]
    write_midi(placed, output)
    return len(placed)


@generate.group("vae")
def generate_vae() -> None:
    """Two-bar melodies from the VAE: morph one into another, or sample new ones."""


@generate_vae.command("interpolate")
@click.option(
    "--a",
    "a_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="MIDI file of the first melody (its first 2 bars).",
)
@click.option(
    "--b",
    "b_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="MIDI file of the last melody (its first 2 bars).",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--steps",
    default=5,
    show_default=True,
    type=click.IntRange(2, 64),
    help="Melodies from a to b, both included.",
)
@click.option("--temperature", default=1.0, show_default=True, help="0 for the likeliest.")
@click.option("--seed", type=int, default=None, help="Same seed, same result.")
@CHECKPOINT_OPTION
@DEVICE_OPTION
def generate_vae_interpolate(
    a_file: Path,
    b_file: Path,
    output: Path,
    steps: int,
    temperature: float,
    seed: int | None,
    checkpoint: Path | None,
    device: str,
) -> None:
    """Morph melody A into melody B; write the whole morph, one melody per 2 bars."""
    from engines.notes import read_midi

    melodies = []
    for path in (a_file, b_file):
        try:
            melodies.append(read_midi(path))
        except (OSError, ValueError, EOFError, KeyError) as exc:
            raise click.ClickException(f"cannot read MIDI file {path}: {exc}") from exc
    with domain_errors():
        engine = load_checkpoint_engine("vae", checkpoint, device)
        morph = engine.interpolate(*melodies, steps=steps, temperature=temperature, seed=seed)
    count = write_melodies(morph, output)
    click.echo(f"wrote {steps} melodies ({count} notes, {2 * steps} bars) to {output}")


@generate_vae.command("sample")
@click.option("-n", default=1, show_default=True, type=click.IntRange(1, 64), help="Melodies.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--temperature", default=1.0, show_default=True, help="0 for the likeliest.")
@click.option("--seed", type=int, default=None, help="Same seed, same result.")
@CHECKPOINT_OPTION
@DEVICE_OPTION
def generate_vae_sample(
    n: int,
    output: Path,
    temperature: float,
    seed: int | None,
    checkpoint: Path | None,
    device: str,
) -> None:
    """Sample new two-bar melodies; write them one after another."""
    with domain_errors():
        melodies = load_checkpoint_engine("vae", checkpoint, device).sample(
            n, temperature=temperature, seed=seed
        )
    count = write_melodies(melodies, output)
    click.echo(f"wrote {n} melodies ({count} notes, {2 * n} bars) to {output}")


@train.command("vae")
@CORPUS_OPTION
@LIMIT_FILES_OPTION
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Checkpoint folder (default: the shipped one, engines/checkpoints/vae).",
)
@click.option("--epochs", type=click.IntRange(min=1), default=VAE_OPTIONS.epochs, show_default=True)
@click.option("--max-minutes", type=float, default=None, help="Stop after this long.")
@click.option("--batch-size", type=click.IntRange(min=1), default=VAE_OPTIONS.batch_size,
              show_default=True)  # fmt: skip
@click.option("--lr", type=float, default=VAE_OPTIONS.lr, show_default=True)
@click.option("--beta", type=float, default=VAE_OPTIONS.beta, show_default=True, help="KL weight.")
@click.option("--free-bits", type=float, default=VAE_OPTIONS.free_bits, show_default=True,
              help="Nats of KL per example that cost nothing.")  # fmt: skip
@click.option("--input-dropout", type=click.FloatRange(0, 1, max_open=True),
              default=VAE_OPTIONS.input_dropout, show_default=True,
              help="Share of the decoder's inputs hidden in training (word dropout).")  # fmt: skip
@click.option("--latent", type=click.IntRange(min=1), default=VAE_CONFIG.latent, show_default=True)
@click.option("--enc-hidden", type=click.IntRange(min=1), default=VAE_CONFIG.enc_hidden,
              show_default=True)  # fmt: skip
@click.option("--dec-hidden", type=click.IntRange(min=1), default=VAE_CONFIG.dec_hidden,
              show_default=True)  # fmt: skip
@click.option("--dec-layers", type=click.IntRange(min=1), default=VAE_CONFIG.dec_layers,
              show_default=True)  # fmt: skip
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--seed", type=int, default=VAE_OPTIONS.seed, show_default=True)
@DEVICE_OPTION
def train_vae_command(
    corpus: str,
    limit_files: int | None,
    out: Path | None,
    epochs: int,
    max_minutes: float | None,
    batch_size: int,
    lr: float,
    beta: float,
    free_bits: float,
    input_dropout: float,
    latent: int,
    enc_hidden: int,
    dec_hidden: int,
    dec_layers: int,
    threads: int,
    seed: int,
    device: str,
) -> None:
    """Train the VAE on two-bar slices of a corpus, then store its attribute vectors."""
    from engines import default_checkpoint
    from engines.corpus import load_corpus
    from engines.vae.train import train_vae

    config = dataclasses.replace(
        VAE_CONFIG, latent=latent, enc_hidden=enc_hidden, dec_hidden=dec_hidden,
        dec_layers=dec_layers,
    )  # fmt: skip
    options = dataclasses.replace(
        VAE_OPTIONS,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        beta=beta,
        free_bits=free_bits,
        input_dropout=input_dropout,
        seed=seed,
        max_minutes=max_minutes,
        threads=threads,
    )
    out = out or default_checkpoint("vae")
    with domain_errors():
        record = train_vae(load_corpus(corpus, limit_files=limit_files), out, config, options,
                           device)  # fmt: skip
    best = record["best"]
    click.echo(
        f"saved {out}: best at step {best['step']} (epoch {best['epoch']}), valid "
        f"reconstruction {best['valid_recon_acc']:.3f}, KL {best['valid_kl']:.1f} nats; "
        f"{record['total_minutes']} minutes"
    )


@eval_.command("vae")
@CORPUS_OPTION
@LIMIT_FILES_OPTION
@CHECKPOINT_OPTION
@JSON_OPTION
@SEED_OPTION
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Torch threads (small batches gain nothing from more; they spin against other work).",
)
@DEVICE_OPTION
def eval_vae_command(
    corpus: str,
    limit_files: int | None,
    checkpoint: Path | None,
    json_out: Path | None,
    seed: int,
    threads: int,
    device: str,
) -> None:
    """Reconstruction, interpolation smoothness, attribute vectors, samples and KL."""
    import torch

    from engines.corpus import load_corpus
    from engines.vae.evaluate import evaluate, format_report

    torch.set_num_threads(threads)
    with domain_errors():
        engine = load_checkpoint_engine("vae", checkpoint, device)
        report = evaluate(engine, load_corpus(corpus, limit_files=limit_files), seed=seed)
    echo_report(format_report(report), report, json_out)
