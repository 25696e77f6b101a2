"""The ``bridge`` command line: one small function per command.

Only this module prints. Domain errors (ValueError, missing files) become
``click.ClickException`` here, at the edge. Torch is imported only by the commands that load
models, so ``bridge send`` starts fast.
"""

from __future__ import annotations

import dataclasses
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

from engines import available_engines
from engines.vae.config import TrainOptions as VaeTrainOptions
from engines.vae.config import VaeConfig

DEVICES = click.Choice(["auto", "cpu", "cuda"])
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


def load_engines(checkpoints: dict[str, Path | None], device: str) -> dict[str, Any]:
    """Every engine given a checkpoint, plus every engine with a shipped checkpoint."""
    from engines import default_checkpoint, load_engine

    engines: dict[str, Any] = {}
    for name in available_engines():
        path = checkpoints.get(name)
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
        engines[name] = engine
    if not engines:
        options = " ".join(f"--{n} PATH" for n in available_engines())
        raise click.ClickException(f"no engine to serve; pass a checkpoint: {options}")
    return engines


def live_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The MIDI and call-and-response options of ``bridge serve``."""
    options = [
        click.option(
            "--midi-out",
            metavar="NAME",
            default=None,
            help="Play streams on this MIDI output port (whole name or a part; see `bridge "
            "ports`). On Windows create one with loopMIDI and name it here.",
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
    "0.0.0.0 to accept clients on other computers of your network (e.g. Max on another "
    "laptop). Anyone on that network can then use the bridge.",
)
@click.option(
    "--port",
    default=57120,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="UDP port to listen on; 0 picks a free port (printed in the listening line).",
)
@click.option("--device", type=DEVICES, default="auto", show_default=True)
@click.option(
    "--reply-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Send every reply to this port of the sender's computer (unless the client "
    "registered its own with /bridge/register). Default: the port the request came from.",
)
@engine_options
@live_options
@click.option("--log-level", type=LOG_LEVELS, default="info", show_default=True)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
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
    **checkpoints: Path | None,
) -> None:
    """Load the engines and answer OSC requests until Ctrl-C or SIGTERM."""
    from bridge.callresponse import CallResponseOptions
    from bridge.daemon import Daemon
    from bridge.live import Live, LiveOptions
    from bridge.midi import MidiError
    from bridge.protocol import address_table_markdown

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
    engines = load_engines(checkpoints, device)
    daemon = Daemon(engines, host, port, reply_port=reply_port)
    options = LiveOptions(midi_out, virtual_midi, midi_in, midi_api, midi_clock, midi_name, cr)
    with log_to_stderr(log_level):
        live = Live(daemon, options)
        try:
            live.start()
        except MidiError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(address_table_markdown(daemon.addresses))
        try:
            run_until_signal(daemon, host, port)
        finally:
            live.close()  # every note that went out gets its note-off; MIDI panic
    click.echo("bridge stopped", err=True)
    request_fast_exit(ctx)


@main.command()
@click.option(
    "--midi-api",
    type=click.Choice(["alsa", "jack", "coremidi", "windows"]),
    default=None,
    help="MIDI system (default: ALSA if it has a sequencer, else JACK, on Linux).",
)
def ports(midi_api: str | None) -> None:
    """List the MIDI input and output ports (names for --midi-in and --midi-out)."""
    from bridge.midi import MidiError, api_name, choose_api, list_ports

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
    """Start the daemon, print the listening line, and serve until SIGINT or SIGTERM."""
    try:
        daemon.start()
    except OSError as exc:
        hint = ""
        if exc.errno == errno.EADDRINUSE:
            hint = " (is another bridge or sclang using it? try --port 0)"
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}{hint}") from exc
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        bound_host, bound_port = daemon.address
        click.echo(f"bridge listening on {bound_host}:{bound_port}")  # click.echo flushes
        # A timeout keeps the wait interruptible everywhere (Windows delivers Ctrl-C late).
        while not stop.wait(0.5):
            pass
    finally:
        daemon.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- send --------------------------------------------------------------------------------


def auto_type(text: str) -> int | float | str:
    """A command-line argument as int, else float, else string."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


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
    from bridge.osc import OscClient

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


# --- generate ----------------------------------------------------------------------------


@main.group()
def generate() -> None:
    """Generate offline into a MIDI file (no server needed)."""


@generate.command("rnn")
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
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Checkpoint folder (default: the shipped one).",
)
@click.option("--device", type=DEVICES, default="auto", show_default=True)
def generate_rnn(
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
    from engines import load_engine
    from engines.notes import STEPS_PER_BEAT, Note, bar_padded_steps, read_midi, write_midi

    notes: list[Note] = []
    if primer is not None:
        try:
            notes = read_midi(primer)
        except (OSError, ValueError, EOFError, KeyError) as exc:
            raise click.ClickException(f"cannot read MIDI file {primer}: {exc}") from exc
    try:
        engine = load_engine("rnn" if checkpoint is None else str(checkpoint.resolve()), device)
        if engine.name != "rnn":
            raise ValueError(f"{checkpoint} is a checkpoint of the {engine.name} engine, not rnn")
        new = engine.continue_(notes, steps=steps, temperature=temperature, seed=seed, top_p=top_p)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    offset = bar_padded_steps(notes) / STEPS_PER_BEAT
    placed = [Note(n.pitch, n.start + offset, n.duration, n.velocity) for n in new]
    write_midi([*notes, *placed], output)
    click.echo(f"wrote {len(notes)} primer notes and {len(placed)} new notes to {output}")


CHECKPOINT_OPTION = click.option(
    "--checkpoint",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Checkpoint folder (default: the shipped one).",
)


def load_vae(checkpoint: Path | None, device: str) -> Any:
    """The VAE engine from a checkpoint folder or the shipped one (ValueError otherwise)."""
    from engines import load_engine

    engine = load_engine("vae" if checkpoint is None else str(checkpoint.resolve()), device)
    if engine.name != "vae":
        raise ValueError(f"{checkpoint} is a checkpoint of the {engine.name} engine, not vae")
    return engine


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
@click.option("--device", type=DEVICES, default="auto", show_default=True)
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
    try:
        engine = load_vae(checkpoint, device)
        morph = engine.interpolate(*melodies, steps=steps, temperature=temperature, seed=seed)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    count = write_melodies(morph, output)
    click.echo(f"wrote {steps} melodies ({count} notes, {2 * steps} bars) to {output}")


@generate_vae.command("sample")
@click.option("-n", default=1, show_default=True, type=click.IntRange(1, 64), help="Melodies.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--temperature", default=1.0, show_default=True, help="0 for the likeliest.")
@click.option("--seed", type=int, default=None, help="Same seed, same result.")
@CHECKPOINT_OPTION
@click.option("--device", type=DEVICES, default="auto", show_default=True)
def generate_vae_sample(
    n: int,
    output: Path,
    temperature: float,
    seed: int | None,
    checkpoint: Path | None,
    device: str,
) -> None:
    """Sample new two-bar melodies; write them one after another."""
    try:
        melodies = load_vae(checkpoint, device).sample(n, temperature=temperature, seed=seed)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    count = write_melodies(melodies, output)
    click.echo(f"wrote {n} melodies ({count} notes, {2 * n} bars) to {output}")


# --- train / eval ------------------------------------------------------------------------


VAE_CONFIG = VaeConfig()
VAE_OPTIONS = VaeTrainOptions()


@main.group()
def train() -> None:
    """Train an engine on a corpus; the best checkpoint (on the valid split) is kept."""


@main.group("eval")
def eval_() -> None:
    """Measure an engine on the corpus's held-out test split, with PASS/FAIL per bar."""


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
@click.option("--device", type=DEVICES, default="auto", show_default=True)
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
    try:
        record = train_vae(load_corpus(corpus, limit_files=limit_files), out, config, options,
                           device)  # fmt: skip
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
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
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the full report as JSON here.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=DEVICES, default="auto", show_default=True)
def eval_vae_command(
    corpus: str,
    limit_files: int | None,
    checkpoint: Path | None,
    json_out: Path | None,
    seed: int,
    device: str,
) -> None:
    """Reconstruction, interpolation smoothness, attribute vectors, samples and KL."""
    from engines.corpus import load_corpus
    from engines.vae.evaluate import evaluate, format_report

    try:
        engine = load_vae(checkpoint, device)
        report = evaluate(engine, load_corpus(corpus, limit_files=limit_files), seed=seed)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_report(report))
    if json_out is not None:
        json_out.write_text(json.dumps(report, indent=2) + "\n")


@train.command("rnn")
@CORPUS_OPTION
@LIMIT_FILES_OPTION
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Checkpoint folder (default: the shipped one, engines/checkpoints/rnn).",
)
@click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--max-minutes", type=float, default=None, help="Stop after this long.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--seq-len", type=click.IntRange(min=8), default=256, show_default=True)
@click.option("--lr", type=float, default=3e-3, show_default=True)
@click.option("--embed", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--hidden", type=click.IntRange(min=1), default=512, show_default=True)
@click.option("--layers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Torch threads.")
@click.option("--init", type=click.Path(exists=True, file_okay=False), default=None,
              help="Go on training from this checkpoint (same architecture).")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=DEVICES, default="auto", show_default=True)
def train_rnn_command(
    corpus: str,
    limit_files: int | None,
    out: Path | None,
    epochs: int,
    max_minutes: float | None,
    batch_size: int,
    seq_len: int,
    lr: float,
    embed: int,
    hidden: int,
    layers: int,
    threads: int | None,
    init: str | None,
    seed: int,
    device: str,
) -> None:
    """Train the LSTM continuator (next token on the 16th-note grid, transposed copies)."""
    from engines import default_checkpoint
    from engines.corpus import load_corpus
    from engines.rnn.model import RnnConfig
    from engines.rnn.train import TrainOptions, train_rnn

    config = RnnConfig(embed=embed, hidden=hidden, layers=layers)
    options = TrainOptions(
        epochs=epochs,
        batch_size=batch_size,
        seq_len=seq_len,
        lr=lr,
        seed=seed,
        max_minutes=max_minutes,
        threads=threads,
        init=init,
    )
    out = out or default_checkpoint("rnn")
    try:
        record = train_rnn(load_corpus(corpus, limit_files=limit_files), out, config, options,
                           device)  # fmt: skip
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    for entry in record["epochs"]:
        click.echo(
            f"epoch {entry['epoch']}: train loss {entry['train_loss']:.3f}, valid NLL "
            f"{entry['valid_nll_per_step']:.3f} nats/step, {entry['minutes']} min"
        )
    click.echo(
        f"saved {out}: best epoch {record['best_epoch']}, valid NLL "
        f"{record['best_valid_nll_per_step']:.3f} nats/step; {record['total_minutes']} minutes"
    )


@eval_.command("rnn")
@CORPUS_OPTION
@LIMIT_FILES_OPTION
@CHECKPOINT_OPTION
@click.option("--continuations", type=click.IntRange(min=0), default=200, show_default=True)
@click.option("--order", type=click.IntRange(1, 8), default=5, show_default=True,
              help="Order of the n-gram baseline.")  # fmt: skip
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the full report as JSON here.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=DEVICES, default="auto", show_default=True)
def eval_rnn_command(
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
    from engines import load_engine
    from engines.corpus import load_corpus
    from engines.rnn.evaluate import evaluate, format_report

    try:
        engine = load_engine(checkpoint or "rnn", device)
        report = evaluate(
            engine,
            load_corpus(corpus, limit_files=limit_files),
            n_continuations=continuations,
            ngram_order=order,
            seed=seed,
        )
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_report(report))
    if json_out is not None:
        json_out.write_text(json.dumps(report, indent=2) + "\n")


# --- the GAN bar generator ---------------------------------------------------------------


def load_gan(checkpoint: Path | None, device: str) -> Any:
    """The GAN engine from a checkpoint folder or the shipped one (ValueError otherwise)."""
    from engines import load_engine

    engine = load_engine("gan" if checkpoint is None else str(checkpoint.resolve()), device)
    if engine.name != "gan":
        raise ValueError(f"{checkpoint} is a checkpoint of the {engine.name} engine, not gan")
    return engine


@generate.command("gan")
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
@click.option("--device", type=DEVICES, default="auto", show_default=True)
def generate_gan(
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
    from engines.notes import Note, read_midi, write_midi

    names = chords.replace(",", " ").split()
    if not names:
        raise click.ClickException('give at least one chord, e.g. --chords "C Am F G"')
    progression = [names[k % len(names)] for k in range(bars or len(names))]
    before: list[Note] = []
    if prev is not None:
        try:
            before = [n for n in read_midi(prev) if n.start < 4.0]
        except (OSError, ValueError, EOFError, KeyError) as exc:
            raise click.ClickException(f"cannot read MIDI file {prev}: {exc}") from exc
    try:
        triads = parse_chords(progression)
        melody = load_gan(checkpoint, device).bars(
            triads, prev=before, seed=seed, temperature=temperature
        )
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    backing = [
        Note(48 + pc, 4.0 * k, 4.0, 70) for k, t in enumerate(triads) for pc in t.pitch_classes
    ]
    write_midi([*melody, *(backing if with_chords else [])], output)
    click.echo(f"wrote {len(melody)} notes over {len(triads)} bars to {output}")


@train.command("gan")
@click.option(
    "--sources",
    default="bach,folk",
    show_default=True,
    help="Bars over chords from: bach (chorales), folk (ABC tunes with chord symbols).",
)
@LIMIT_FILES_OPTION
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Checkpoint folder (default: the shipped one, engines/checkpoints/gan).",
)
@click.option("--steps", type=click.IntRange(min=1), default=20_000, show_default=True)
@click.option("--max-minutes", type=float, default=None, help="Stop after this long.")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--lr", type=float, default=2e-4, show_default=True)
@click.option("--eval-every", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--g-channels", type=click.IntRange(min=8), default=64, show_default=True)
@click.option("--d-channels", type=click.IntRange(min=8), default=48, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=DEVICES, default="auto", show_default=True)
def train_gan_command(
    sources: str,
    limit_files: int | None,
    out: Path | None,
    steps: int,
    max_minutes: float | None,
    batch_size: int,
    lr: float,
    eval_every: int,
    g_channels: int,
    d_channels: int,
    threads: int,
    seed: int,
    device: str,
) -> None:
    """Train the bar GAN; the best checkpoint by the valid-split evaluation is kept."""
    from engines import default_checkpoint
    from engines.gan.data import load_bars
    from engines.gan.model import GanConfig
    from engines.gan.train import TrainOptions, train_gan

    config = GanConfig(g_channels=g_channels, d_channels=d_channels)
    options = TrainOptions(
        steps=steps,
        batch_size=batch_size,
        lr_g=lr,
        lr_d=lr,
        eval_every=eval_every,
        seed=seed,
        max_minutes=max_minutes,
        threads=threads,
    )
    out = out or default_checkpoint("gan")
    try:
        corpus = load_bars(tuple(sources.replace(",", " ").split()), limit_files=limit_files)
        record = train_gan(corpus, out, config, options, device)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    for e in record["evals"]:
        click.echo(
            f"step {e['step']}: chord tones {e['chord_tone_ratio']:.3f} (real "
            f"{e['chord_tone_ratio_real']:.3f}, random chords {e['chord_tone_ratio_random']:.3f}"
            f"), distinct {e['distinct']:.2f}, score {e['score']:.3f}, {e['minutes']} min"
        )
    click.echo(
        f"saved {out}: best at step {record.get('best_step')}, score "
        f"{record.get('best_score')}; {record['total_minutes']} minutes"
    )


@eval_.command("gan")
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
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the full report as JSON here.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=DEVICES, default="auto", show_default=True)
def eval_gan_command(
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

    try:
        engine = load_gan(checkpoint, device)
        corpus = load_bars(tuple(sources.replace(",", " ").split()), limit_files=limit_files)
        report = evaluate(engine, corpus, n_bars=n_bars, split=split, seed=seed)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_report(report))
    if json_out is not None:
        json_out.write_text(json.dumps(report, indent=2) + "\n")


# --- bench -------------------------------------------------------------------------------

BENCHES = ("rnn-step", "rnn-continue", "startup", "vae-interpolate", "gan-bars", "stream-osc",
           "stream-midi", "stream-load")  # fmt: skip


@main.command()
@click.option(
    "--only",
    default=",".join(BENCHES),
    show_default=True,
    help="Comma-separated benchmarks to run.",
)
@click.option("-n", "count", type=click.IntRange(min=1), default=None,
              help="Measured repetitions per benchmark (default: each one's own).")  # fmt: skip
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the figures as JSON here.")  # fmt: skip
@click.option("--seconds", type=click.FloatRange(min=1), default=30.0, show_default=True,
              help="How long each stream-* benchmark plays (120 BPM 16ths).")  # fmt: skip
@engine_options
@click.option("--device", type=DEVICES, default="cpu", show_default=True)
def bench(only: str, count: int | None, json_out: Path | None, seconds: float, device: str,
          **checkpoints: Path | None) -> None:  # fmt: skip
    """Latency figures (median and p99) of the shipped engines on this machine."""
    import platform

    from bridge import bench as b

    chosen = [x.strip() for x in only.split(",") if x.strip()]
    unknown = sorted(set(chosen) - set(BENCHES))
    if unknown:
        raise click.BadParameter(f"unknown {unknown}; choose from {', '.join(BENCHES)}")
    engines = load_engines(checkpoints, device)
    n = {} if count is None else {"n": count}
    runners = {
        "rnn-step": lambda: b.bench_rnn_step(engines["rnn"], **n),
        "rnn-continue": lambda: b.bench_rnn_continue(engines["rnn"], **n),
        "startup": lambda: b.bench_serve_startup(**({"runs": count} if count else {})),
        "vae-interpolate": lambda: _bench_vae(engines["vae"], n),
        "gan-bars": lambda: _bench_gan(engines["gan"], n),
        "stream-osc": lambda: _bench_live("osc", engines, seconds),
        "stream-midi": lambda: _bench_live("midi", engines, seconds),
        "stream-load": lambda: _bench_live("load", engines, seconds),
    }
    results: dict[str, Any] = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "device": device,
        }
    }
    for name in chosen:
        engine = "rnn" if name.startswith("stream-") else name.split("-")[0]
        if engine in ("rnn", "vae", "gan") and engine not in engines:
            click.echo(f"{name}: skipped, no {engine} engine loaded", err=True)
            continue
        results[name] = figures = runners[name]()
        if "skipped" in figures:
            click.echo(f"{name}: skipped, {figures['skipped']}", err=True)
        elif "median_ms" in figures:
            click.echo(
                f"{name:16s} median {figures['median_ms']:7.3f} ms   "
                f"p99 {figures['p99_ms']:7.3f} ms   (n={figures['n']})"
            )
        else:
            click.echo(
                f"{name:16s} median {figures['median_s']:7.3f} s    "
                f"max {figures['max_s']:7.3f} s    (n={figures['n']})"
            )
        _echo_live(figures)
    if json_out is not None:
        json_out.write_text(json.dumps(results, indent=2) + "\n")


def _bench_live(kind: str, engines: dict[str, Any], seconds: float) -> dict[str, Any]:
    """A stream-* benchmark (bridge.bench_live); lateness figures in ms."""
    import shutil

    from bridge import bench_live

    engine = engines["rnn"]
    if kind == "osc":
        return bench_live.bench_stream_osc(engine, seconds=seconds)
    if kind == "midi":
        if shutil.which("jackd") is None:
            return {"skipped": "jackd is not installed (Debian package jackd2)"}
        return bench_live.bench_stream_midi(engine, seconds=seconds)
    figures = bench_live.bench_stream_load(engine, seconds=seconds)
    return {**figures, "batched_step_ms": bench_live.bench_batched_step(engine)}


def _echo_live(figures: dict[str, Any]) -> None:
    """The extra lines of the stream-* benchmarks: late events and model step times."""
    if "over_5ms" in figures:
        click.echo(
            f"{'':16s} {figures['streams']} streams: {figures['over_5ms']} of {figures['n']} "
            f"events over 5 ms late, latest {figures['max_ms']:.3f} ms"
        )
    for label, key in (("per wake-up", "step_ms"), ("alone", "batched_step_ms")):
        for batch, f in (figures.get(key) or {}).items():
            click.echo(
                f"{'':16s} model step {label}, {int(batch):2d} stream(s): median "
                f"{f['median_ms']:7.3f} ms   p99 {f['p99_ms']:7.3f} ms   (n={f['n']})"
            )


def _bench_vae(engine: Any, n: dict[str, int]) -> dict[str, Any]:
    from bridge.bench_vae import bench_vae_interpolate

    return bench_vae_interpolate(engine, **n)


def _bench_gan(engine: Any, n: dict[str, int]) -> dict[str, Any]:
    from bridge.bench_gan import bench_gan_bars

    return bench_gan_bars(engine, **n)
