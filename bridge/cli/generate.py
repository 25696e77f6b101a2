"""``bridge generate <engine> <verb> [key value ...]``: any engine verb that makes notes, offline.

The commands are built from the engines' verb declarations (``engines.base.Verb``): the
``key value`` words are parsed by the same rules as an OSC request (``parse_request`` of
``bridge.server.protocol``, numbers typed as ``bridge send`` types them), and every parameter
is also an option (``--steps 8``; a ``notes`` parameter's option takes a MIDI file). The reply
is printed, or written with ``-o FILE.mid``. An engine whose ``engines/<name>/cli.py`` has a
``generate`` command keeps it for ``bridge generate <engine> [OPTIONS]`` (no verb first).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from bridge.cli.common import DEVICE_OPTION, auto_type, domain_errors, engine_cli
from engines import ENGINES, available_engines
from engines.base import Verb
from engines.cli_common import CHECKPOINT_OPTION, load_checkpoint_engine, read_midi_file
from engines.notes import BEATS_PER_BAR, Note
from engines.params import Param


class GenerateGroup(click.Group):
    """``bridge generate``: one sub-group per registered engine, built when asked for (it
    imports the engine's class, and so torch)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return available_engines()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return engine_group(cmd_name) if cmd_name in ENGINES else None


class EngineGroup(click.Group):
    """``bridge generate <engine>``: a command per verb; words that name no verb go to the
    engine's own ``generate`` command, if it has one (its options, as before verbs)."""

    def __init__(self, name: str, default: click.Command | None, **attrs: Any) -> None:
        settings = {"ignore_unknown_options": default is not None}
        super().__init__(name, context_settings=settings, no_args_is_help=True, **attrs)
        self.default = default

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if self.default is not None and args and args[0] not in self.commands:
            return self.name, self.default, args
        return super().resolve_command(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        if self.default is not None:
            rows = [r for p in self.default.get_params(ctx) if (r := p.get_help_record(ctx))]
            with formatter.section(f"Options without a verb ({self.default.help or ''})"):
                formatter.write_dl(rows)


def engine_group(name: str) -> click.Group:
    """The ``bridge generate <name>`` group, from the engine's declared verbs."""
    from engines import engine_class

    cls = engine_class(name)
    default = getattr(engine_cli(name), "generate", None)
    group = EngineGroup(
        name,
        default if isinstance(default, click.Command) else None,
        help=f"Generate offline with the {name} engine: a verb and its `key value` words.",
    )
    for verb in cls.verbs:
        if verb.makes_notes:
            group.add_command(verb_command(name, verb))
    return group


def _option(param: Param) -> click.Option:
    """The option for one parameter: ``--name`` (and ``-n`` for a one-letter name)."""
    flags = [f"--{param.name.replace('_', '-')}", param.name]
    if len(param.name) == 1:
        flags.insert(0, f"-{param.name}")
    rng = param.range_text()
    if param.kind == "notes":
        kind: click.ParamType = click.Path(exists=True, dir_okay=False, path_type=Path)
        help_ = f"MIDI file of {param.doc}"
    else:
        kind = click.STRING
        many = " (several: quote them)" if param.kind in ("strings", "floats") else ""
        help_ = param.doc + (f"; {rng}" if rng else "") + many
    default = "required" if param.required else f"default: {param.default_text()}"
    return click.Option(
        flags,
        type=kind,
        default=None,
        metavar="FILE" if param.kind == "notes" else param.placeholder().rstrip("."),
        help=f"{help_} [{default}]",
    )


def option_words(verb: Verb, options: dict[str, Any]) -> list[Any]:
    """The scalar and list options given, as ``key value`` words (MIDI files aside)."""
    words: list[Any] = []
    for p in verb.params:
        value = options.get(p.name)
        if value is None or p.kind == "notes":
            continue
        if p.kind in ("strings", "floats"):
            words += [p.name, *(auto_type(w) for w in value.replace(",", " ").split())]
        else:
            words += [p.name, auto_type(value)]
    return words


def parse_words(
    engine: str, verb: Verb, words: list[Any], files: dict[str, list[Note]] | None = None
) -> dict[str, Any]:
    """Every parameter's value (defaults filled in) from ``key value`` words, parsed as the
    daemon parses ``/bridge/<engine>/<verb>``, and notes read from MIDI files (``files``: by
    parameter; they may be empty, for the engine to judge). A refused word becomes a
    ClickException."""
    from bridge.server.protocol import Address, RequestError, parse_request

    files = files or {}
    keys = tuple(replace(p, required=False) if p.name in files else p for p in verb.params)
    address = Address(f"/bridge/{engine}/{verb.name}", keys=keys)  # type: ignore[arg-type]
    try:
        request = parse_request(address, [0, *words])
    except RequestError as exc:
        raise click.ClickException(str(exc)) from None
    twice = sorted(request.given & set(files))
    if twice:
        raise click.ClickException(f"{twice[0]} is given twice (as an option and as words)")
    return {**request.values, **files}


def verb_command(engine: str, verb: Verb) -> click.Command:
    """``bridge generate <engine> <verb> [key value ...]`` for one verb that makes notes."""

    def run(
        words: tuple[str, ...], output: Path | None, checkpoint: Path | None, device: str,
        **options: Any,
    ) -> None:  # fmt: skip
        files = {
            p.name: read_midi_file(options[p.name])
            for p in verb.params
            if p.kind == "notes" and options.get(p.name) is not None
        }
        given = [*option_words(verb, options), *map(auto_type, words)]
        values = parse_words(engine, verb, given, files)
        with domain_errors():
            reply = load_checkpoint_engine(engine, checkpoint, device).call(verb.name, values)
        indexed = verb.reply_for(values) == "indexed"
        melodies = list(reply) if indexed else [reply]
        if output is None:
            echo_melodies(melodies, indexed=indexed)
            return
        count, bars = write_melodies(melodies, output)
        if indexed:
            click.echo(f"wrote {len(melodies)} melodies ({count} notes, {bars} bars) to {output}")
        else:
            click.echo(f"wrote {count} notes ({bars} bars) to {output}")

    usage = " ".join(f"{p.name} {p.placeholder()}" for p in verb.params)
    command = click.Command(
        verb.name,
        callback=run,
        help=f"{verb.doc}\n\nWORDS: `key value` as in /bridge/{engine}/{verb.name}: {usage}",
        short_help=" ".join(verb.doc.split()).split(". ")[0],
        context_settings={"ignore_unknown_options": True},  # "-1" is a number, not an option
        params=[
            click.Argument(["words"], nargs=-1),
            click.Option(["-o", "--output", "--midi"], type=click.Path(dir_okay=False,
                         path_type=Path), default=None, help="Write a MIDI file (else print)."),
            *[_option(p) for p in verb.params],
        ],
    )  # fmt: skip
    return CHECKPOINT_OPTION(DEVICE_OPTION(command))


def write_melodies(melodies: list[list[Note]], output: Path) -> tuple[int, int]:
    """Melodies into one MIDI file, one after another, each starting on a bar line as long as
    the longest; returns the note count and the bars."""
    from engines.notes import write_midi

    end = max((n.start + n.duration for melody in melodies for n in melody), default=0.0)
    span = max(1, math.ceil(end / BEATS_PER_BAR - 1e-9)) * BEATS_PER_BAR
    placed = [
        Note(n.pitch, n.start + span * k, n.duration, n.velocity)
        for k, melody in enumerate(melodies)
        for n in melody
    ]
    write_midi(placed, output)
    return len(placed), len(melodies) * span // BEATS_PER_BAR


def echo_melodies(melodies: list[list[Note]], indexed: bool) -> None:
    """One note per line, ``pitch start duration velocity``; each melody after ``# k of n``."""
    for k, melody in enumerate(melodies):
        if indexed:
            click.echo(f"# melody {k} of {len(melodies)}")
        for n in melody:
            click.echo(f"{n.pitch} {n.start:g} {n.duration:g} {n.velocity}")


generate = GenerateGroup(
    "generate",
    help="Generate offline, no server needed: `bridge generate <engine> <verb> [key value "
    "...]`, or with options (`--help` of each verb); -o FILE.mid writes a MIDI file.",
)

__all__ = ["generate", "parse_words", "verb_command"]
