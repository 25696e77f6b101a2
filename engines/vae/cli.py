"""The VAE interpolator's commands: ``train vae`` and ``eval vae`` (``bridge generate vae
<verb>`` is built from its verbs)."""

from __future__ import annotations

import dataclasses
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
    run_args,
    threads_option,
    training_params,
    training_run,
)
from engines.vae.config import TrainOptions as VaeTrainOptions
from engines.vae.config import VaeConfig

VAE_CONFIG = VaeConfig()
VAE_OPTIONS = VaeTrainOptions()


@click.command("vae")
@CORPUS_OPTION
@LIMIT_FILES_OPTION
@RUN_OPTIONS
@click.option("--epochs", type=click.IntRange(min=1), default=VAE_OPTIONS.epochs, show_default=True)
@MAX_MINUTES_OPTION
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
@threads_option()
@click.option("--seed", type=int, default=VAE_OPTIONS.seed, show_default=True)
@DEVICE_OPTION
@click.pass_context
def train(ctx: click.Context, **_: object) -> None:
    """Train the VAE on two-bar slices of a corpus, then store its attribute vectors.

    The run writes into a new folder (see --out); Ctrl-C stops it cleanly, keeping the
    best checkpoint so far, and --resume goes on from the last finished epoch.
    """
    from engines.corpus import load_corpus
    from engines.vae.train import train_vae

    p = training_params(ctx)
    config = dataclasses.replace(
        VAE_CONFIG, latent=p["latent"], enc_hidden=p["enc_hidden"], dec_hidden=p["dec_hidden"],
        dec_layers=p["dec_layers"],
    )  # fmt: skip
    options = dataclasses.replace(
        VAE_OPTIONS,
        epochs=p["epochs"],
        batch_size=p["batch_size"],
        lr=p["lr"],
        beta=p["beta"],
        free_bits=p["free_bits"],
        input_dropout=p["input_dropout"],
        seed=p["seed"],
        max_minutes=p["max_minutes"],
        threads=p["threads"],
    )
    with training_run("vae", p) as out:
        corpus = load_corpus(p["corpus"], limit_files=p["limit_files"])
        record = train_vae(corpus, out, config, options, p["device"], **run_args(p))
    echo_run("vae", out, record)
    best = record["best"]
    click.echo(
        f"saved {out}: best at step {best['step']} (epoch {best['epoch']}), valid "
        f"reconstruction {best['valid_recon_acc']:.3f}, KL {best['valid_kl']:.1f} nats; "
        f"{record['total_minutes']} minutes"
    )


@click.command("vae")
@CORPUS_OPTION
@LIMIT_FILES_OPTION
@CHECKPOINT_OPTION
@JSON_OPTION
@SEED_OPTION
@threads_option(
    help="Torch threads (small batches gain nothing from more; they spin against other work)."
)
@DEVICE_OPTION
def evaluate(
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
