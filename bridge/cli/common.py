"""What the ``bridge`` commands share: engine options and loading, the train and eval groups.

The options an engine's own commands share with the bridge's are in ``engines.cli_common``
(engines never import ``bridge``).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from engines import ENGINES, available_engines
from engines.cli_common import DEVICE_OPTION, DEVICES, domain_errors

__all__ = ["DEVICES", "DEVICE_OPTION", "EngineCommands", "LISTENING", "auto_type",
           "domain_errors", "engine_cli", "engine_options", "eval_", "listening_line",
           "load_engines", "train"]  # fmt: skip

LISTENING = re.compile(r"bridge listening on (\S+):(\d+)(?: with (.+))?")
"""``bridge serve``'s ready line: host, port, and what it serves (see :func:`listening_line`)."""


def listening_line(host: str, port: int, engines: Mapping[str, Any]) -> str:
    """The line ``bridge serve`` prints once it answers: where, and each engine with the
    checkpoint it serves (folder name and the first 12 hex digits of its weights' SHA-256,
    as ``/bridge/describe`` gives them): ``bridge listening on 127.0.0.1:57120 with rnn
    (rnn, 3f2a9c01b2d4), gan (gan, ...)``."""
    served = []
    for name, engine in engines.items():
        info = engine.checkpoint() if hasattr(engine, "checkpoint") else {}
        served.append(f"{name} ({info.get('name', 'untitled')}, {info.get('hash', 'none')})")
    return f"bridge listening on {host}:{port}" + (f" with {', '.join(served)}" if served else "")


def auto_type(text: str) -> int | float | str:
    """A command-line argument as int, else float, else string."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


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


def engine_cli(name: str) -> ModuleType | None:
    """Engine ``name``'s own commands, ``engines/<name>/cli.py``, or None if it has none."""
    module = f"engines.{name}.cli"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise  # the module is there but imports something missing: say so


class EngineCommands(click.Group):
    """A group whose commands are the engines' own: ``attr`` of each ``engines/<name>/cli.py``
    (``train``, ``evaluate``), under the engine's name. Found through the registry when asked
    for, so a new engine's commands appear without editing the bridge."""

    def __init__(self, name: str, attr: str, **attrs: Any) -> None:
        super().__init__(name, **attrs)
        self.attr = attr

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n in available_engines() if self.get_command(ctx, n) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in ENGINES:
            return None
        command = getattr(engine_cli(cmd_name), self.attr, None)
        return command if isinstance(command, click.Command) else None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:  # the corpora are music21's: the [train] extra
            if (exc.name or "").partition(".")[0] != "music21":
                raise
            raise click.ClickException(
                f"bridge {self.name} needs music21, which is not installed: pip install "
                f'"bridge[train]" (this Python: {sys.executable} -m pip install "bridge[train]")'
            ) from exc


train = EngineCommands(
    "train",
    "train",
    help="Train an engine on a corpus; the best checkpoint (on the valid split) is kept.",
)
eval_ = EngineCommands(
    "eval",
    "evaluate",
    help="Measure an engine on the corpus's held-out test split, with PASS/FAIL per bar.",
)
