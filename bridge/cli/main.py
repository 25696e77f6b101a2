"""The ``bridge`` command line: the group, ``serve``, ``ports`` and ``send``.

The engines' own commands (train, eval, an engine's generate options) live in
``engines/<engine>/cli.py``, found through the registry; ``generate`` (built from the verbs) is
in ``bridge/cli/generate.py`` and ``bench`` in ``bridge/cli/bench.py``. Domain errors
(ValueError, missing files) become ``click.ClickException`` there, at the edge. Torch is
imported only by the commands that load models, so ``bridge send`` starts fast.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from bridge.cli.addresses import ADDRESSES_OPTION, addresses
from bridge.cli.bench import bench
from bridge.cli.common import (
    DEVICE_OPTION,
    auto_type,
    engine_options,
    eval_,
    listening_line,
    load_engines,
    train,
)
from bridge.cli.generate import generate

LOG_LEVELS = click.Choice(["debug", "info", "warning", "error"])


class BridgeGroup(click.Group):
    """The command group. Run as a program (no ``args``), a command may ask to skip the
    interpreter's teardown: with torch loaded that teardown alone takes about a second, and
    ``serve`` must stop within one. Test runners pass ``args`` and get plain click."""

    def main(self, args: Any = None, *rest: Any, **extra: Any) -> Any:
        if args is not None or "obj" in extra:
            return super().main(args, *rest, **extra)
        state: dict[str, bool] = {}
        try:
            return super().main(args, *rest, obj=state, **extra)
        finally:
            if state.get("fast_exit"):
                sys.stdout.flush()
                sys.stderr.flush()
                logging.shutdown()
                os._exit(0)


def request_fast_exit(ctx: click.Context) -> None:
    """Everything is closed: let BridgeGroup.main end the process without teardown."""
    if isinstance(ctx.obj, dict):
        ctx.obj["fast_exit"] = True


@click.group(cls=BridgeGroup)
@click.version_option(package_name="bridge")
def main() -> None:
    """bridge: play live with neural music models over OSC."""


# --- serve -------------------------------------------------------------------------------


def live_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The MIDI and call-and-response options of ``bridge serve``."""
    options = [
        click.option(
            "--midi-out",
            metavar="NAME",
            default=None,
            help="Play streams on this MIDI output port (whole name or a part; see `python -m "
            "bridge ports`). On Windows create one with loopMIDI and name it here.",
        ),
        click.option(
            "--virtual-midi",
            is_flag=True,
            help="Create virtual MIDI ports '<midi-name>:out' and, unless --midi-in, "
            "'<midi-name>-in:in', that a DAW or synth can connect to (Linux ALSA/JACK and "
            "macOS; not Windows).",
        ),
        click.option(
            "--midi-in",
            metavar="NAME",
            default=None,
            help="Listen on this MIDI input: call and response (the bridge answers each "
            "phrase you play), and MIDI clock with --midi-clock.",
        ),
        click.option(
            "--midi-api",
            type=click.Choice(["alsa", "jack", "coremidi", "windows"]),
            default=None,
            help="MIDI system (default: ALSA if it has a sequencer, else JACK, on Linux).",
        ),
        click.option(
            "--midi-clock",
            is_flag=True,
            help="Follow the MIDI clock on the input: streams started without a tempo take "
            "its tempo, wait for Start and pause on Stop. The bridge never sends clock.",
        ),
        click.option("--midi-name", default="bridge", show_default=True,
                     help="MIDI client name (virtual ports are named after it)."),
        click.option("--phrase-silence", type=click.FloatRange(min=0), default=1.0,
                     show_default=True, help="Seconds of silence that end a phrase (0: off)."),
        click.option("--phrase-bars", type=click.IntRange(min=0), default=0, show_default=True,
                     help="A phrase also ends this many bars after its first note (0: off)."),
        click.option("--response-bars", type=click.IntRange(0, 8), default=0,
                     show_default=True, help="Bars to answer with (0: as long as the call)."),
        click.option("--response-temperature", type=click.FloatRange(min=0, min_open=True),
                     default=1.0, show_default=True),
        click.option("--response-channel", type=click.IntRange(1, 16), default=1,
                     show_default=True, help="MIDI channel of the answers."),
        click.option("--respond-with", metavar="ENGINE", default=None,
                     help="The engine that answers your phrases: any loaded engine with a "
                     "`continue` verb (default: rnn, when it is loaded; perf answers chords "
                     "with chords)."),
        click.option("--harmonize", is_flag=True,
                     help="Harmonize the melody played into the MIDI input: each note is "
                     "answered at once by alto, tenor and bass (the harmony engine) on "
                     "--harmony-channels. Call and response is then off unless --respond-with."),
        click.option("--harmony-channels", default="2,3,4", show_default=True,
                     metavar="A,T,B", help="MIDI channels of the alto, tenor and bass."),
        click.option("--tempo", type=click.FloatRange(20, 400), default=120.0,
                     show_default=True, help="Tempo the harmonizer hears the melody at "
                     "(with --midi-clock, the clock's while one runs)."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default accepts only clients on this computer; use "
    "0.0.0.0 with --allow to accept clients on other computers of your network (e.g. Max on "
    "another laptop).",
)
@click.option(
    "--allow",
    "allow",
    metavar="NETWORK",
    multiple=True,
    help="Also answer clients in this network (192.168.1.0/24, or one address; repeatable). "
    "Only this computer is answered otherwise, whatever --host is.",
)
@click.option(
    "--port",
    default=57120,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="UDP port to listen on; 0 picks a free port (printed in the listening line).",
)
@DEVICE_OPTION
@click.option(
    "--reply-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Send every reply to this port of the sender's computer (unless the client "
    "registered its own with /bridge/register). Default: the port the request came from.",
)
@engine_options
@click.option(
    "--checkpoint",
    "checkpoint_pairs",
    multiple=True,
    metavar="ENGINE=FOLDER",
    help="Serve this checkpoint folder for ENGINE instead of the shipped one (repeat for "
    "several engines; the same as --ENGINE FOLDER).",
)
@click.option(
    "--engines",
    "engine_names",
    default=None,
    metavar="NAMES",
    help="Serve only these engines, comma-separated (e.g. rnn,gan). Default: every engine "
    "with a shipped checkpoint or one given.",
)
@live_options
@click.option("--log-level", type=LOG_LEVELS, default="info", show_default=True)
@ADDRESSES_OPTION
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    allow: tuple[str, ...],
    port: int,
    device: str,
    reply_port: int | None,
    log_level: str,
    midi_out: str | None,
    virtual_midi: bool,
    midi_in: str | None,
    midi_api: str | None,
    midi_clock: bool,
    midi_name: str,
    phrase_silence: float,
    phrase_bars: int,
    response_bars: int,
    response_temperature: float,
    response_channel: int,
    respond_with: str | None,
    harmonize: bool,
    harmony_channels: str,
    tempo: float,
    checkpoint_pairs: tuple[str, ...],
    engine_names: str | None,
    **checkpoints: Path | None,
) -> None:
    """Load the engines and answer OSC requests until Ctrl-C, SIGTERM or SIGHUP."""
    from bridge.live.callresponse import CallResponseOptions
    from bridge.live.live import Live, LiveOptions
    from bridge.live.midi import MidiError
    from bridge.server.daemon import Daemon
    from bridge.server.guard import parse_networks
    from bridge.server.loading import map_large_blocks

    if midi_out and virtual_midi:
        raise click.UsageError("--midi-out and --virtual-midi exclude each other")
    if midi_clock and not (midi_in or virtual_midi):
        raise click.UsageError(
            "--midi-clock follows a MIDI input: give --midi-in or --virtual-midi"
        )
    try:
        cr = CallResponseOptions(
            silence=phrase_silence,
            bars=phrase_bars,
            response_bars=response_bars,
            temperature=response_temperature,
            channel=response_channel,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        channels = tuple(int(c) for c in harmony_channels.split(","))
        if len(channels) != 3 or not all(1 <= c <= 16 for c in channels):
            raise ValueError
    except ValueError:
        raise click.BadParameter("give three channels 1..16, e.g. 2,3,4",
                                 param_hint="--harmony-channels") from None  # fmt: skip
    try:
        networks = parse_networks(allow)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--allow") from exc
    names = parse_engine_names(engine_names)
    checkpoints = {**checkpoints, **parse_checkpoints(checkpoint_pairs, checkpoints)}
    unserved = [
        n for n, path in checkpoints.items() if path is not None and n not in (names or [n])
    ]
    if unserved:
        raise click.UsageError(f"a checkpoint is given for {', '.join(unserved)}, not in --engines")
    guardian = start_guardian(midi_out, virtual_midi, midi_api, midi_name)  # before models
    try:
        map_large_blocks()  # before any model is loaded: see bridge/server/loading.py
        engines = load_engines(checkpoints, device, names)
        daemon = Daemon(engines, host, port, reply_port=reply_port, allow=networks, device=device,
                        freeze_gc=True)  # fmt: skip
        options = LiveOptions(midi_out, virtual_midi, midi_in, midi_api, midi_clock, midi_name,
                              cr, respond_with=respond_with, harmonize=harmonize,
                              harmony_channels=channels, tempo=tempo)  # fmt: skip
        with log_to_stderr(log_level):
            live = Live(daemon, options)
            try:
                live.start()
            except (MidiError, ValueError) as exc:  # a port, or --respond-with
                raise click.ClickException(str(exc)) from exc
            if guardian is not None and live.midi_output is not None:
                live.midi_output.on_sent = guardian.tell
            try:
                run_until_signal(daemon, host, port)
            finally:
                # every note that went out gets its note-off; MIDI panic. The ports close
                # with the process, which ends without teardown right after.
                live.close(release_ports=False)
    finally:
        if guardian is not None:
            guardian.bye()
    click.echo("bridge stopped", err=True)
    request_fast_exit(ctx)


def parse_engine_names(text: str | None) -> list[str] | None:
    """``--engines rnn,gan`` as names, each a registered engine (UsageError listing them)."""
    if text is None:
        return None
    from engines import available_engines

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in available_engines()]
    if unknown or not names:
        what = f"unknown engine {', '.join(map(repr, unknown))}" if unknown else "no engine"
        raise click.UsageError(f"--engines: {what}; engines: {', '.join(available_engines())}")
    return list(dict.fromkeys(names))


def parse_checkpoints(pairs: tuple[str, ...], given: dict[str, Path | None]) -> dict[str, Path]:
    """``--checkpoint rnn=FOLDER`` options as {engine: folder}, checked like ``--rnn``."""
    from engines import available_engines

    out: dict[str, Path] = {}
    for pair in pairs:
        name, sep, folder = pair.partition("=")
        if not sep or name not in available_engines():
            raise click.UsageError(
                f"--checkpoint {pair}: give ENGINE=FOLDER with ENGINE one of "
                f"{', '.join(available_engines())}"
            )
        path = Path(folder)
        if not path.is_dir():
            raise click.UsageError(f"--checkpoint {pair}: no folder {folder}")
        if name in out or given.get(name) is not None:
            raise click.UsageError(f"two checkpoints for the {name} engine")
        out[name] = path
    return out


def start_guardian(
    midi_out: str | None, virtual_midi: bool, midi_api: str | None, midi_name: str
) -> Any:
    """With MIDI output, the process that ends this one's notes if it dies (SIGKILL too)."""
    if not (midi_out or virtual_midi):
        return None
    from bridge.live.guardian import Guardian

    return Guardian.start(api=midi_api, midi_out=midi_out, client_name=midi_name)


@main.command()
@click.option(
    "--midi-api",
    type=click.Choice(["alsa", "jack", "coremidi", "windows"]),
    default=None,
    help="MIDI system (default: ALSA if it has a sequencer, else JACK, on Linux).",
)
@click.option(
    "--check",
    type=click.FloatRange(min=1.0),
    default=None,
    metavar="SECONDS",
    help="On JACK, also watch the server this long: its period, xruns and DSP load, and "
    "whether this machine keeps its cycles (before a gig).",
)
def ports(midi_api: str | None, check: float | None) -> None:
    """List the MIDI input and output ports (names for --midi-in and --midi-out)."""
    from bridge.live.midi import MidiError, api_name, choose_api, list_ports

    try:
        api = choose_api(midi_api)
        found = list_ports(api)
    except MidiError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"MIDI system: {api_name(api)}")
    for kind, option in (("inputs", "--midi-in"), ("outputs", "--midi-out")):
        click.echo(f"{kind} (names for {option}):")
        for name in found[kind] or ["(none)"]:
            click.echo(f"  {name}")
    if check is not None:
        if not api_name(api).upper().startswith("JACK"):
            raise click.ClickException(f"--check watches a JACK server; the MIDI system is "
                                       f"{api_name(api)}")  # fmt: skip
        from bridge.live.jackcheck import watch

        click.echo(f"watching the JACK server for {check:g} s ...")
        try:
            click.echo(watch(check).verdict())
        except MidiError as exc:
            raise click.ClickException(str(exc)) from exc


@contextmanager
def log_to_stderr(level: str) -> Iterator[None]:
    """Send the library's log lines to stderr while serving (undone after, for tests)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(level.upper())
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def run_until_signal(daemon: Any, host: str, port: int) -> None:
    """Start the daemon, print the listening line, and serve until SIGINT, SIGTERM or
    SIGHUP."""
    try:
        daemon.start()
    except OSError as exc:
        hint = ""
        if exc.errno == errno.EADDRINUSE:
            hint = " (is another bridge or sclang using it? try --port 0)"
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}{hint}") from exc
    stop = threading.Event()
    # SIGHUP (the terminal closed) stops the bridge as SIGTERM does: notes end.
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    sigs = [getattr(signal, n) for n in names if hasattr(signal, n)]
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in sigs}
    try:
        bound_host, bound_port = daemon.address
        click.echo(listening_line(bound_host, bound_port, daemon.engines))  # echo flushes
        # A timeout keeps the wait interruptible everywhere (Windows delivers Ctrl-C late).
        while not stop.wait(0.5):
            pass
    finally:
        daemon.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- send --------------------------------------------------------------------------------


def format_osc(address: str, args: list[Any]) -> str:
    """One message as a line: floats to float32 precision, strings quoted if needed."""
    parts = [address]
    for a in args:
        if isinstance(a, float):
            parts.append(repr(float(f"{a:.7g}")))
        elif isinstance(a, str):
            bare = a and not any(c.isspace() or c in "\"'\\" for c in a)
            parts.append(a if bare else json.dumps(a, ensure_ascii=False))
        else:
            parts.append(str(a))
    return " ".join(parts)


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=57120, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--timeout",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for a reply, and after the last one.",
)
@click.argument("address")
@click.argument("args", nargs=-1)
def send(host: str, port: int, timeout: float, address: str, args: tuple[str, ...]) -> None:
    """Send one OSC message and print every reply, one per line.

    ARGS are sent as int, else float, else string: `bridge send /bridge/rnn/continue 1
    steps 16 notes 60 0 1 100`. Exits non-zero if nothing or /bridge/error came back.
    """
    from bridge.server.osc import OscClient

    if not address.startswith("/"):
        raise click.ClickException(f"an OSC address starts with '/', got {address!r}")
    errors = replies = 0
    with OscClient(host, port) as client:
        client.send(address, *[auto_type(a) for a in args])
        for message in client.replies(timeout):
            replies += 1
            errors += message.address == "/bridge/error"
            click.echo(format_osc(message.address, message.args))
    if not replies:
        raise click.ClickException(f"no reply from {host}:{port} within {timeout:g} s")
    if errors:
        sys.exit(1)


for _command in (generate, train, eval_, bench, addresses):
    main.add_command(_command)
