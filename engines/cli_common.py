"""What the engines' own commands (``engines/<engine>/cli.py``) share: options, errors, reports.

An engine's ``cli.py`` defines its ``train`` and ``eval`` commands (and, optionally, a
``generate`` command with options the generic ``bridge generate <engine> <verb>`` cannot
express); the bridge's command line finds them through the registry. Click, no sockets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

DEVICES = click.Choice(["auto", "cpu", "cuda"])
DEVICE_OPTION = click.option("--device", type=DEVICES, default="auto", show_default=True)
SEED_OPTION = click.option("--seed", type=int, default=0, show_default=True)
JSON_OPTION = click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the full report as JSON here.",
)
CHECKPOINT_OPTION = click.option(
    "--checkpoint",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Checkpoint folder (default: the shipped one).",
)
CORPUS_OPTION = click.option(
    "--corpus",
    default="folk",
    show_default=True,
    help="folk, bach, or a folder of MIDI files.",
)
LIMIT_FILES_OPTION = click.option(
    "--limit-files",
    type=click.IntRange(min=1),
    default=None,
    help="Parse only the first files of each collection (quick runs).",
)


@contextmanager
def domain_errors() -> Iterator[None]:
    """An engine's ValueError or OSError becomes a ClickException: a message, no traceback."""
    try:
        yield
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc


def echo_report(text: str, report: Any, json_out: Path | None) -> None:
    """Print a report; also write it as JSON to ``json_out`` when one is given."""
    click.echo(text)
    if json_out is not None:
        json_out.write_text(json.dumps(report, indent=2) + "\n")


def read_midi_file(path: Path) -> list[Any]:
    """The notes of a MIDI file; a file that is not one becomes a ClickException."""
    from engines.notes import read_midi

    try:
        return read_midi(path)
    except (OSError, ValueError, EOFError, KeyError) as exc:
        raise click.ClickException(f"cannot read MIDI file {path}: {exc}") from exc


def load_checkpoint_engine(name: str, checkpoint: Path | None, device: str) -> Any:
    """Engine ``name`` from a checkpoint folder or its shipped one (ValueError otherwise)."""
    from engines import load_engine

    engine = load_engine(name if checkpoint is None else str(checkpoint.resolve()), device)
    if engine.name != name:
        raise ValueError(f"{checkpoint} is a checkpoint of the {engine.name} engine, not {name}")
    return engine


__all__ = [
    "CHECKPOINT_OPTION",
    "CORPUS_OPTION",
    "DEVICES",
    "DEVICE_OPTION",
    "JSON_OPTION",
    "LIMIT_FILES_OPTION",
    "SEED_OPTION",
    "domain_errors",
    "echo_report",
    "load_checkpoint_engine",
    "read_midi_file",
]
