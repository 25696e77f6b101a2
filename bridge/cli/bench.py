"""``bridge bench``: latency figures (median and p99) of the engines and of live playing."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from bridge.cli.common import DEVICES, engine_options, load_engines
from bridge.live.jackd import JACK_PERIOD

# Entries that are no engine verb: the streaming engine's step and streams, serve's start-up.
# Each needs the engine named (None: none); the verbs' entries come from the registry.
OTHER_BENCHES: dict[str, str | None] = {
    "rnn-step": "rnn",
    "startup": None,
    "stream-osc": "rnn",
    "stream-midi": "rnn",
    "stream-load": "rnn",
    "harmony-live": "harmony",
    "feed-flood": "rnn",
    "perf-stream-midi": "perf",
    "perf-chord-spread": "perf",
    "perf-stream-load": "perf",
}
PERF_STREAMS = 8  # perf-stream-load: polyphonic streams at once


@click.command()
@click.option(
    "--only",
    default=None,
    help="Comma-separated benchmarks to run (default: all): "
    f"{', '.join(OTHER_BENCHES)}, and <engine>-<verb> for every verb with a bench request "
    "(rnn-continue, vae-interpolate, gan-bars, ...).",
)
@click.option("-n", "count", type=click.IntRange(min=1), default=None,
              help="Measured repetitions per benchmark (default: each one's own).")  # fmt: skip
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the figures as JSON here.")  # fmt: skip
@click.option("--seconds", type=click.FloatRange(min=1), default=30.0, show_default=True,
              help="How long each stream-* benchmark plays (120 BPM 16ths).")  # fmt: skip
@click.option("--jack-period", type=click.IntRange(min=16), default=JACK_PERIOD,
              show_default=True, metavar="FRAMES",
              help="Frames per period of the MIDI benchmarks' JACK server (48 kHz).")  # fmt: skip
@click.option("--fuzz", type=click.IntRange(min=1), default=None, metavar="N",
              help="Instead: send N random and mutated datagrams (~1000/s) to a `bridge "
              "serve` while another client pings it (bridge/bench/fuzz.py).")  # fmt: skip
@engine_options
@click.option("--device", type=DEVICES, default="cpu", show_default=True)
def bench(only: str | None, count: int | None, json_out: Path | None, seconds: float,
          jack_period: int, fuzz: int | None, device: str,
          **checkpoints: Path | None) -> None:  # fmt: skip
    """Latency figures (median and p99) of the shipped engines on this machine, each beside
    its bar (README, Speed) where it has one."""
    import platform

    if fuzz is not None:
        from bridge.bench.fuzz import fuzz_serve

        given = {k: v for k, v in checkpoints.items() if v is not None}
        figures = fuzz_serve(fuzz, given)
        click.echo("\n".join(f"fuzz {k:18s} {v}" for k, v in figures.items()))
        if json_out is not None:
            json_out.write_text(json.dumps({"fuzz": figures}, indent=2) + "\n")
        return

    from tqdm import tqdm

    from bridge.bench import core as b
    from bridge.bench.verbs import bar_verdict, bench_verb, verb_entries

    engines = load_engines(checkpoints, device)
    verbs = verb_entries()
    known = [*OTHER_BENCHES][:2] + [*verbs] + [*OTHER_BENCHES][2:]
    chosen = known if only is None else [x.strip() for x in only.split(",") if x.strip()]
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise click.BadParameter(f"unknown {unknown}; choose from {', '.join(known)}")
    n = {} if count is None else {"n": count}
    runners = {
        "rnn-step": lambda: b.bench_rnn_step(engines["rnn"], **n),
        "startup": lambda: b.bench_serve_startup(**({"runs": count} if count else {})),
        "stream-osc": lambda: _bench_live("osc", engines, seconds, jack_period),
        "stream-midi": lambda: _bench_live("midi", engines, seconds, jack_period),
        "stream-load": lambda: _bench_live("load", engines, seconds, jack_period),
        "harmony-live": lambda: _bench_live("harmony", engines, seconds, jack_period),
        "feed-flood": lambda: _bench_live("flood", engines, seconds, jack_period),
        "perf-stream-midi": lambda: perf_midi(),
        "perf-chord-spread": lambda: perf_midi().get("chord_spread", perf_midi()),
        "perf-stream-load": lambda: _bench_live("perf-load", engines, seconds, jack_period),
    }
    # the chord spread is measured in the perf-stream-midi run (one run for both)
    perf_midi = functools.cache(lambda: _bench_live("perf-midi", engines, seconds, jack_period))
    results: dict[str, Any] = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "device": device,
            "jack_period_frames": jack_period,
        }
    }
    progress = tqdm(chosen, desc="bench", unit="benchmark", file=sys.stderr, leave=False)
    for name in progress:
        progress.set_postfix_str(name)
        engine = verbs[name][0] if name in verbs else OTHER_BENCHES[name]
        if engine is not None and engine not in engines:
            say(f"{name}: skipped, no {engine} engine loaded", err=True)
            continue
        if name in verbs:
            e, verb = verbs[name]
            results[name] = figures = bench_verb(e, engines[e], verb, **n)
        else:
            results[name] = figures = runners[name]()
        if "skipped" in figures:
            say(f"{name}: skipped, {figures['skipped']}", err=True)
            continue
        bar = f"   bar {bar_verdict(name, figures) or 'none (no README bar)'}"
        if "median_ms" in figures:
            say(
                f"{name:16s} median {figures['median_ms']:7.3f} ms   "
                f"p99 {figures['p99_ms']:7.3f} ms   (n={figures['n']}){bar}"
            )
        else:
            say(
                f"{name:16s} median {figures['median_s']:7.3f} s    "
                f"max {figures['max_s']:7.3f} s    (n={figures['n']}){bar}"
            )
        _echo_live(figures)
    progress.close()
    if json_out is not None:
        json_out.write_text(json.dumps(results, indent=2) + "\n")


def _bench_live(
    kind: str, engines: dict[str, Any], seconds: float, period: int = JACK_PERIOD
) -> dict[str, Any]:
    """A stream-* benchmark (bridge.bench.live); lateness figures in ms; ``period``: the JACK
    server's frames per period for those on JACK MIDI."""
    import shutil

    from bridge.bench import live as bench_live

    if kind == "harmony":
        if shutil.which("jackd") is None:
            return {"skipped": "jackd is not installed (Debian package jackd2)"}
        return bench_live.bench_harmony_live(engines["harmony"], period=period)
    if kind == "perf-midi":
        if shutil.which("jackd") is None:
            return {"skipped": "jackd is not installed (Debian package jackd2)"}
        return bench_live.bench_perf_stream_midi(engines["perf"], seconds=seconds, period=period)
    if kind == "perf-load":
        return bench_live.bench_stream_load(engines["perf"], PERF_STREAMS, seconds,
                                            engine_name="perf", keys=("density", 4.0))  # fmt: skip
    engine = engines["rnn"]
    if kind == "flood":
        if shutil.which("jackd") is None:
            return {"skipped": "jackd is not installed (Debian package jackd2)"}
        from bridge.bench.flood import bench_feed_flood

        return bench_feed_flood(engine, seconds=max(seconds / 2, 6.0), period=period)
    if kind == "osc":
        return bench_live.bench_stream_osc(engine, seconds=seconds)
    if kind == "midi":
        if shutil.which("jackd") is None:
            return {"skipped": "jackd is not installed (Debian package jackd2)"}
        return bench_live.bench_stream_midi(engine, seconds=seconds, period=period)
    figures = bench_live.bench_stream_load(engine, seconds=seconds)
    return {**figures, "batched_step_ms": bench_live.bench_batched_step(engine)}


def say(line: str, err: bool = False) -> None:
    """A line of results (stdout) or a note (stderr) above the progress bar, which tqdm
    draws on stderr: written through tqdm, so the bar is cleared first and redrawn after."""
    from tqdm import tqdm

    tqdm.write(line, file=sys.stderr if err else sys.stdout)


def _echo_live(figures: dict[str, Any]) -> None:
    """The extra lines of the stream-* benchmarks: late events and model step times, and
    what else the machine did meanwhile (JACK's xruns, CPU time stolen by a VM's host)."""
    if "xruns" in figures:
        say(
            f"{'':16s} JACK at {figures['jack_period_ms']:.2f} ms periods: {figures['xruns']} "
            f"xruns, reader late {figures['reader_late_cycles']} cycles, CPU stolen "
            f"{figures.get('cpu_steal_s')} s, note-offs written again "
            f"{figures.get('note_offs_repeated', 0)}, lost {figures.get('lost', 0)}"
        )
    if "notes_per_feed" in figures:
        f = figures["during_flood"]
        say(
            f"{'':16s} {figures['players']} players while one client sent {figures['feeds']} "
            f"feeds of {figures['notes_per_feed']} notes in {figures['flood_s']:.2f} s "
            f"({figures['accepted']} taken, {figures['refused']} refused): from the flood on "
            f"p99 {f['p99_ms']:.3f} ms, latest {f['max_ms']:.3f} ms; {figures['lost']} lost"
        )
    if "over_5ms" in figures:
        say(
            f"{'':16s} {figures['streams']} streams: {figures['over_5ms']} of {figures['n']} "
            f"events over 5 ms late, latest {figures['max_ms']:.3f} ms"
        )
    for label, key in (("per wake-up", "step_ms"), ("alone", "batched_step_ms")):
        for batch, f in (figures.get(key) or {}).items():
            say(
                f"{'':16s} model step {label}, {int(batch):2d} stream(s): median "
                f"{f['median_ms']:7.3f} ms   p99 {f['p99_ms']:7.3f} ms   (n={f['n']})"
            )
