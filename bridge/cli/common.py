"""What the ``bridge`` commands share: options, engine loading, the command groups."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from engines import available_engines

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


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One ``--<engine> PATH`` option per registered engine (a new engine gets one free)."""
    for name in reversed(available_engines()):
        command = click.option(
            f"--{name}",
            name,
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            default=None,
            help=f"{name} checkpoint folder to serve instead of the shipped one.",
        )(command)
    return command


def load_engines(
    checkpoints: dict[str, Path | None], device: str, names: list[str] | None = None
) -> dict[str, Any]:
    """Every engine given a checkpoint, plus every engine with a shipped checkpoint; only
    ``names`` when given (each must then have a checkpoint)."""
    from engines import default_checkpoint, load_engine

    engines: dict[str, Any] = {}
    for name in available_engines() if names is None else names:
        path = checkpoints.get(name)
        if (
            path is None
            and names is not None
            and not (default_checkpoint(name) / "config.json").is_file()
        ):
            raise click.ClickException(
                f"no shipped {name} checkpoint at {default_checkpoint(name)}: give one with "
                f"--checkpoint {name}=PATH"
            )
        if path is None and not (default_checkpoint(name) / "config.json").is_file():
            click.echo(
                f"note: no shipped {name} checkpoint at {default_checkpoint(name)}; "
                f"serving without the {name} engine (use --{name} PATH)",
                err=True,
            )
            continue
        source = name if path is None else str(path.resolve())
        try:
            engine = load_engine(source, device)
        except (ValueError, OSError) as exc:
            raise click.ClickException(f"could not load the {name} engine: {exc}") from exc
        if getattr(engine, "name", name) != name:
            raise click.ClickException(
                f"--{name} {path} is a checkpoint of the {engine.name} engine"
            )
        warm_up = getattr(engine, "warm_up", None)
        if warm_up is not None:
            warm_up()
        engines[name] = engine
    if not engines:
        options = " ".join(f"--{n} PATH" for n in available_engines())
        raise click.ClickException(f"no engine to serve; pass a checkpoint: {options}")
    return engines


def load_checkpoint_engine(name: str, checkpoint: Path | None, device: str) -> Any:
    """Engine ``name`` from a checkpoint folder or its shipped one (ValueError otherwise)."""
    from engines import load_engine

    engine = load_engine(name if checkpoint is None else str(checkpoint.resolve()), device)
    if engine.name != name:
        raise ValueError(f"{checkpoint} is a checkpoint of the {engine.name} engine, not {name}")
    return engine


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


@click.group()
def generate() -> None:
    """Generate offline into a MIDI file (no server needed)."""


@click.group()
def train() -> None:
    """Train an engine on a corpus; the best checkpoint (on the valid split) is kept."""


@click.group("eval")
def eval_() -> None:
    """Measure an engine on the corpus's held-out test split, with PASS/FAIL per bar."""
