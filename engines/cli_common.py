"""What the engines' own commands (``engines/<engine>/cli.py``) share: options, errors, reports.

An engine's ``cli.py`` defines its ``train`` and ``eval`` commands (and, optionally, a
``generate`` command with options the generic ``bridge generate <engine> <verb>`` cannot
express); the bridge's command line finds them through the registry. Click, no sockets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from click.core import ParameterSource

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

OUT_OPTION = click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the run's checkpoint (default: a new folder under "
    "~/.local/share/bridge/runs, or $BRIDGE_RUNS; printed at the start). A folder that "
    "holds files is refused unless --force or --resume.",
)
FORCE_OPTION = click.option(
    "--force",
    is_flag=True,
    help="Write into --out even if it holds files (a checkpoint there is replaced).",
)
RESUME_OPTION = click.option(
    "--resume",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Go on with a stopped run in this folder: its epoch or step, optimizer, learning-rate "
    "schedule and options (only --device, --threads and --max-minutes may change).",
)
MAX_MINUTES_OPTION = click.option(
    "--max-minutes", type=float, default=None, help="Stop after this long."
)


def stack_options(*decorators: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """One decorator that applies ``decorators`` as if written one above the other, in
    this order (so ``--help`` lists their options in this order)."""

    def apply(f: Any) -> Any:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


# where a run writes and how it goes on (see start_run): every resumable train command's
RUN_OPTIONS = stack_options(OUT_OPTION, FORCE_OPTION, RESUME_OPTION)


def threads_option(default: int | None = 1, help: str | None = None) -> Callable[[Any], Any]:
    """``--threads``: torch threads (shown default when there is one)."""
    return click.option(
        "--threads",
        type=click.IntRange(min=1),
        default=default,
        show_default=True if default is not None else None,
        help=help,
    )


# what a resumed run may change; every other option is the stopped run's own
RESUMABLE = ("device", "threads", "max_minutes")
NOT_SAVED = ("out", "force", "resume")


def training_params(ctx: click.Context) -> dict[str, Any]:
    """A train command's parameters; with ``--resume``, the stopped run's own (saved in its
    training state) but for --device, --threads and --max-minutes."""
    from engines.runs import read_progress

    params = dict(ctx.params)
    resume = params.get("resume")
    if resume is None:
        return params
    given = [
        name
        for name in params
        if name not in (*RESUMABLE, *NOT_SAVED)
        and ctx.get_parameter_source(name)
        in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    ]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise click.UsageError(f"--resume goes on with the run's own options; drop {flags}")
    with domain_errors():
        saved = read_progress(resume).get("command") or {}
    for name, value in saved.items():
        if name in params and name not in (*RESUMABLE, *NOT_SAVED):
            params[name] = value
    return params


def saved_params(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a run keeps in its training state, for ``--resume`` (JSON values)."""
    return {
        k: str(v) if isinstance(v, Path) else v for k, v in params.items() if k not in NOT_SAVED
    }


def start_run(engine: str, params: dict[str, Any]) -> Path:
    """The folder the run writes into (see :func:`engines.runs.prepare_out`), printed."""
    from engines.runs import prepare_out

    init = params.get("init")
    with domain_errors():
        folder = prepare_out(
            engine,
            params.get("out"),
            force=bool(params.get("force")),
            resume=params.get("resume"),
            init=Path(init) if init else None,
        )
    verb = "resuming the run in" if params.get("resume") else "training into"
    click.echo(f"{engine}: {verb} {folder}")
    return folder


def stopped(engine: str, folder: Path) -> NoReturn:
    """After Ctrl-C: say where the best checkpoint so far is (or that there is none), and
    exit with status 130 (the shell's code for an interrupt)."""
    from engines.checkpoint import WEIGHTS_FILE
    from engines.runs import STATE_FILE

    if (folder / WEIGHTS_FILE).is_file():
        message = f"stopped: the best checkpoint so far is in {folder}"
        if (folder / STATE_FILE).is_file():
            message += f"; go on with: bridge train {engine} --resume {folder}"
    else:
        message = f"stopped before the first checkpoint was saved: nothing in {folder}"
    click.echo(message, err=True)
    raise SystemExit(130)


@contextmanager
def training_run(engine: str, params: dict[str, Any]) -> Iterator[Path]:
    """A resumable train command's run: yields its folder (:func:`start_run`); inside,
    Ctrl-C ends with :func:`stopped` and an engine's ValueError or OSError is a message."""
    out = start_run(engine, params)
    with interruptible(engine, out), domain_errors():
        yield out


def run_args(params: dict[str, Any]) -> dict[str, Any]:
    """What a train function takes from its command's parameters: ``resume`` (go on in the
    run's folder) and ``command`` (the options to keep for ``--resume``)."""
    return {"resume": params["resume"] is not None, "command": saved_params(params)}


def echo_run(engine: str, out: Path, record: dict[str, Any], lines: Iterable[str] = ()) -> None:
    """Print a run's progress ``lines``; a run that Ctrl-C stopped then ends as
    :func:`stopped` does."""
    for line in lines:
        click.echo(line)
    if record["interrupted"]:
        stopped(engine, out)


@contextmanager
def interruptible(engine: str, folder: Path) -> Iterator[None]:
    """Ctrl-C inside (loading a corpus, say) ends with :func:`stopped`, not "Aborted!"."""
    try:
        yield
    except KeyboardInterrupt:
        stopped(engine, folder)


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
    "FORCE_OPTION",
    "MAX_MINUTES_OPTION",
    "OUT_OPTION",
    "RESUME_OPTION",
    "RUN_OPTIONS",
    "echo_run",
    "interruptible",
    "stack_options",
    "run_args",
    "threads_option",
    "training_run",
    "saved_params",
    "start_run",
    "stopped",
    "training_params",
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
