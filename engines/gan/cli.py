"""The GAN bar generator's commands: ``generate gan`` (its own options; ``bridge generate gan
<verb>`` is built from its verbs), ``train gan``, ``eval gan``."""

from __future__ import annotations

from pathlib import Path

import click

from engines.cli_common import (
    CHECKPOINT_OPTION,
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


@click.command("gan")
@click.option("--chords", required=True, help='Chord names, one per bar: "C Am F G".')
@click.option(
    "--bars",
    type=click.IntRange(1, 256),
    default=None,
    help="Bars to write; the chords repeat in order to fill them (default: one per chord).",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--prev",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="MIDI file whose first bar (4 beats) is the bar before the first.",
)
@click.option("--with-chords", is_flag=True, help="Also write the chords, as whole-bar triads.")
@click.option("--temperature", default=1.0, show_default=True, help="Scales the noise.")
@click.option("--seed", type=int, default=None, help="Same seed, same result.")
@CHECKPOINT_OPTION
@DEVICE_OPTION
def generate(
    chords: str,
    bars: int | None,
    output: Path,
    prev: Path | None,
    with_chords: bool,
    temperature: float,
    seed: int | None,
    checkpoint: Path | None,
    device: str,
) -> None:
    """A melody over a chord progression, one bar per chord, into a MIDI file."""
    from engines.gan.chords import parse_chords
    from engines.notes import Note, write_midi

    names = chords.replace(",", " ").split()
    if not names:
        raise click.ClickException('give at least one chord, e.g. --chords "C Am F G"')
    progression = [names[k % len(names)] for k in range(bars or len(names))]
    before = [] if prev is None else [n for n in read_midi_file(prev) if n.start < 4.0]
    with domain_errors():
        triads = parse_chords(progression)
        melody = load_checkpoint_engine("gan", checkpoint, device).bars(
            triads, prev=before, seed=seed, temperature=temperature
        )
    backing = [
        Note(48 + pc, 4.0 * k, 4.0, 70) for k, t in enumerate(triads) for pc in t.pitch_classes
    ]
    write_midi([*melody, *(backing if with_chords else [])], output)
    click.echo(f"wrote {len(melody)} notes over {len(triads)} bars to {output}")


@click.command("gan")
@click.option(
    "--sources",
    default="bach,folk",
    show_default=True,
    help="Bars over chords from: bach (chorales), folk (ABC tunes with chord symbols).",
)
@LIMIT_FILES_OPTION
@RUN_OPTIONS
@click.option("--steps", type=click.IntRange(min=1), default=20_000, show_default=True)
@MAX_MINUTES_OPTION
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--lr", type=float, default=2e-4, show_default=True)
@click.option("--eval-every", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--g-channels", type=click.IntRange(min=8), default=64, show_default=True)
@click.option("--d-channels", type=click.IntRange(min=8), default=48, show_default=True)
@click.option(
    "--straight-through",
    is_flag=True,
    help="Show the critic hard one-hot bars (straight-through) instead of softmax outputs.",
)
@threads_option()
@SEED_OPTION
@DEVICE_OPTION
@click.pass_context
def train(ctx: click.Context, **_: object) -> None:
    """Train the bar GAN; the best checkpoint by the valid-split evaluation is kept.

    The run writes into a new folder (see --out); Ctrl-C stops it cleanly, keeping the
    best checkpoint so far, and --resume goes on from the last evaluation.
    """
    from engines.gan.data import load_bars
    from engines.gan.model import GanConfig
    from engines.gan.train import TrainOptions, train_gan

    p = training_params(ctx)
    config = GanConfig(g_channels=p["g_channels"], d_channels=p["d_channels"])
    options = TrainOptions(
        steps=p["steps"],
        batch_size=p["batch_size"],
        lr_g=p["lr"],
        lr_d=p["lr"],
        eval_every=p["eval_every"],
        straight_through=p["straight_through"],
        seed=p["seed"],
        max_minutes=p["max_minutes"],
        threads=p["threads"],
    )
    sources = tuple(p["sources"].replace(",", " ").split())
    with training_run("gan", p) as out:
        corpus = load_bars(sources, limit_files=p["limit_files"])
        record = train_gan(corpus, out, config, options, p["device"], **run_args(p))
    echo_run("gan", out, record, (
        f"step {e['step']}: chord tones {e['chord_tone_ratio']:.3f} (real "
        f"{e['chord_tone_ratio_real']:.3f}, random chords {e['chord_tone_ratio_random']:.3f}"
        f"), distinct {e['distinct']:.2f}, score {e['score']:.3f}, {e['minutes']} min"
        for e in record["evals"]
    ))  # fmt: skip
    click.echo(
        f"saved {out}: best at step {record.get('best_step')}, score "
        f"{record.get('best_score')}; {record['total_minutes']} minutes"
    )


@click.command("gan")
@click.option("--sources", default="bach,folk", show_default=True, help="As for train gan.")
@LIMIT_FILES_OPTION
@CHECKPOINT_OPTION
@click.option("--bars", "n_bars", type=click.IntRange(min=10), default=1000, show_default=True)
@click.option(
    "--split",
    type=click.Choice(["train", "valid", "test"]),
    default="train",
    show_default=True,
    help="Whose chords and bars to compare with.",
)
@JSON_OPTION
@SEED_OPTION
@DEVICE_OPTION
def evaluate(
    sources: str,
    limit_files: int | None,
    checkpoint: Path | None,
    n_bars: int,
    split: str,
    json_out: Path | None,
    seed: int,
    device: str,
) -> None:
    """Generated vs real bars: empty bars, pitch classes, chord tones, distinct bars,
    continuity across the bar line, with PASS/FAIL per bar."""
    from engines.gan.data import load_bars
    from engines.gan.evaluate import evaluate, format_report

    with domain_errors():
        engine = load_checkpoint_engine("gan", checkpoint, device)
        corpus = load_bars(tuple(sources.replace(",", " ").split()), limit_files=limit_files)
        report = evaluate(engine, corpus, n_bars=n_bars, split=split, seed=seed)
    echo_report(format_report(report), report, json_out)
