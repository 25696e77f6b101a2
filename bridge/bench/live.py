"""Timing benchmarks of live streaming: how late notes go out, over OSC and JACK MIDI.

- ``bench_stream_osc``: one stream of 16th notes; lateness = the time ``/bridge/note`` was
  handed to the socket minus the note's intended time (the scheduler's own trace).
- ``bench_stream_midi``: the same stream to a virtual JACK MIDI port, received by a JACK MIDI
  input in a separate process (timed by its JACK frame, see ``_RECEIVER``); lateness = the
  time of its frame minus intended time. The frame writer (the default) puts a message at
  the frame of its time; rtmidi's output (``BRIDGE_MIDI_FRAMES=0``) at the next period's
  start (the bench's server runs 64 frames at 48 kHz, 1.3 ms, or ``--jack-period``).
- ``bench_harmony_live``: ``bridge serve --harmonize`` on JACK: melody note-ons sent into the
  bridge's MIDI input by a JACK MIDI output of this process; latency = arrival of the third
  voice's note-on at the receiving JACK input minus the note-on's arrival at the bridge's
  input (its input callback), and minus the time it was sent (up to one more JACK period).
- ``bench_stream_load``: 16 streams at once (OSC, and JACK MIDI when jackd is there); the
  latest event, and the batched model step time per wake-up beside the single-stream one.
  With ``engine_name="perf"``: polyphonic event streams (8 in ``bridge bench``).
- ``bench_perf_stream_midi``: one polyphonic perf stream to a JACK MIDI input, as
  ``bench_stream_midi``; also each chord's spread: the latest minus the earliest arrival of
  the note-ons meant for one instant.

Each runs a real daemon and ``Live`` in this process. No torch at module level.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bridge.live.jackd import JACK_PERIOD, JACK_RATE, jack_server
from bridge.stats import summarize

log = logging.getLogger(__name__)

# The JACK MIDI reader of the MIDI benchmarks, in a process of its own: each message's time
# is the time of its JACK frame (the server's cycle times, put on time.monotonic's clock as
# bridge.live.jackout.JackClock does), not of a callback: exact to the frame whatever writes
# it (rtmidi puts messages at a period's start, the bridge's frame writer at their frame).
# The per-cycle libjack calls keep the GIL (ctypes.PyDLL): a reader slower than a period
# could read a buffer already cleared. Prints "ready", then at stdin's end the JSON list of
# [time, message], the count of cycles it ran late for and of the server's xruns.
_RECEIVER = r"""
import json, sys, time
import jack
from bridge.live.jackout import JackClock
source = sys.argv[1]
client = jack.Client("bench-recv", no_start_server=True)
port = client.midi_inports.register("in")
clock = JackClock(client, port)
got, state = [], {"last": None, "late": 0, "xruns": 0}
def process(frames):
    events = clock.events(clock.get_buffer(clock.port, frames))
    first, start, end, _ = clock.cycle()
    got.extend((start + offset * (end - start) / frames, message) for offset, message in events)
    last = state["last"]
    if last is not None and (first - last) % 2**32 > frames:
        state["late"] += 1
    state["last"] = first
client.set_process_callback(process)
clock.count_xruns()
client.activate()
deadline = time.monotonic() + 20
while not client.get_ports(source):
    if time.monotonic() > deadline:
        sys.exit("no port " + source)
    time.sleep(0.05)
client.connect(source, port)
while not port.connections:
    time.sleep(0.01)
time.sleep(0.05)
state["xruns"] = clock.xruns()
print("ready", flush=True)
sys.stdin.read()
time.sleep(0.05)
client.deactivate()
xruns = clock.xruns() - state["xruns"]
print(json.dumps({"messages": got, "late_cycles": state["late"], "xruns": xruns}), flush=True)
"""


MATCH_EARLY_S = 0.05  # the window in which an arrival can be an expected message's
MATCH_LATE_S = 0.1  # later than this: lost (a later message of that key is not its pair)


def _late_ms(trace: list[tuple[str, float, float]], kinds: tuple[str, ...]) -> list[float]:
    return [1000.0 * (actual - intended) for kind, intended, actual in trace if kind in kinds]


@contextmanager
def _bridge(
    engine: Any, midi: bool = False, name: str = "bridge-bench", engine_name: str = "rnn"
) -> Iterator[Any]:
    from bridge.live.live import LiveOptions, running
    from bridge.server.daemon import Daemon

    daemon = Daemon({engine_name: engine}, port=0)
    with running(daemon, LiveOptions(virtual_midi=midi, client_name=name)) as live:
        yield daemon, live


def _play(
    daemon: Any,
    live: Any,
    streams: int,
    seconds: float,
    tempo: float,
    engine: str = "rnn",
    keys: tuple[Any, ...] = (),
) -> None:
    """Start ``streams`` streams of ``engine`` (with ``keys``), let them play ``seconds``,
    stop them."""
    from bridge.server.osc import OscClient

    clients = [OscClient(*daemon.address) for _ in range(streams)]
    try:
        ids = []
        for i, c in enumerate(clients):
            c.send(f"/bridge/{engine}/stream/start", i, "tempo", tempo, "seed", i, *keys)
            ids.append(_stream_number(c, engine=engine))
        # Nothing reads the notes meanwhile (the sockets' buffers hold them): a reader here
        # would hold the GIL at times and be part of what is measured.
        time.sleep(seconds)
        for i, c in enumerate(clients):
            c.send(f"/bridge/{engine}/stream/stop", 100 + i, "stream", ids[i])
        time.sleep(0.2)
    finally:
        for c in clients:
            c.close()


def _stream_number(client: Any, timeout: float = 10.0, engine: str = "rnn") -> int:
    """The stream number in the start reply ``client`` is sent (numbers are random)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        m = client.receive(left)
        if m is not None and m.address == f"/bridge/reply/{engine}/stream/start":
            return int(m.args[1])
        if m is not None and m.address == "/bridge/error":
            raise RuntimeError(f"the stream did not start: {m.args}")
    raise RuntimeError(f"no reply to /bridge/{engine}/stream/start")


def _step_figures(worker: Any) -> dict[str, Any]:
    by_batch: dict[int, list[float]] = {}
    for batch, ms in worker.step_times_ms or []:
        by_batch.setdefault(batch, []).append(ms)
    return {str(b): summarize(v) for b, v in sorted(by_batch.items())}


def bench_stream_osc(engine: Any, seconds: float = 30.0, tempo: float = 120.0) -> dict[str, Any]:
    """One stream of 16ths over OSC: send time minus intended time of each /bridge/note."""
    with _bridge(engine) as (daemon, live):
        live.scheduler.trace = []
        live.worker.step_times_ms = []
        _play(daemon, live, 1, seconds, tempo)
        late = _late_ms(live.scheduler.trace, ("on",))
        steps = _step_figures(live.worker)
    return {**summarize(late), "seconds": seconds, "tempo": tempo, "step_ms": steps}


def _receive(source: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _RECEIVER, source],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError(f"the JACK receiver could not connect to {source}")
    return proc


def _jack_arrivals(
    proc: subprocess.Popen[str],
) -> tuple[list[tuple[float, list[int]]], dict[str, int]]:
    """The receiver's messages, each at the time of its JACK frame (see ``_RECEIVER``), and
    the server's xruns and the reader's late cycles while it read."""
    out, _ = proc.communicate("", timeout=30)
    got = json.loads(out.strip().splitlines()[-1])
    if got["late_cycles"]:
        log.warning("the JACK reader was late for %d cycles: what it read then may be counted "
                    "late or lost", got["late_cycles"])  # fmt: skip
    noise = {"xruns": got["xruns"], "reader_late_cycles": got["late_cycles"]}
    return [(t, msg) for t, msg in got["messages"]], noise


def cpu_steal_s() -> float | None:
    """CPU time the machine's host took from this virtual machine so far (all CPUs, seconds;
    /proc/stat's steal), or None where there is no /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class MachineNoise:
    """What else the machine did from its making to ``figures()``: CPU time stolen by the
    host (``cpu_steal_s``) and, for a MIDI output, the note-offs its frame writer wrote
    again after xruns."""

    def __init__(self, output: Any = None) -> None:
        self.output = output
        self._stolen = cpu_steal_s()
        self._repeated = getattr(output, "repeated", 0)

    def figures(self) -> dict[str, Any]:
        now = cpu_steal_s()
        stolen = None if now is None or self._stolen is None else round(now - self._stolen, 2)
        out: dict[str, Any] = {"cpu_steal_s": stolen}
        if self.output is not None:
            out["note_offs_repeated"] = self.output.repeated - self._repeated
        return out


class MidiRecorder:
    """A scheduler sink that notes each MIDI message the MIDI sink is asked for, with its
    intended time (None for a note ended early by a stop: not measured). MidiOutput sends a
    note-off only when the last note of its pitch and channel ends; so does ``expected``."""

    def __init__(self) -> None:
        self.events: list[tuple[int, int, float | None]] = []  # (status, pitch, intended)
        self.sent: list[list[int]] = []  # what went into the port (its ``on_sent``)

    def note_on(self, note: Any, now: float) -> None:
        self.events.append((0x90 | (note.channel - 1), note.pitch, note.on_time))

    def note_off(self, note: Any, now: float) -> None:
        intended = note.off_time if note.off_time <= now else None
        self.events.append((0x80 | (note.channel - 1), note.pitch, intended))

    def announce(self, note: Any, now: float) -> None:
        pass

    def close(self) -> None:
        pass

    def attach(self, live: Any) -> None:
        """Listen to ``live``'s scheduler and MIDI output."""
        live.scheduler.sinks.append(self)
        live.midi_output.on_sent = self.sent.append

    def lost(self, arrivals: list) -> dict[str, int]:
        """Messages never sent into the port, and sent but never read at the JACK input."""
        expected = self.expected()
        unsent = _midi_late_ms(expected, [(0.0, m) for m in self.sent], timed=False)[1]
        return {"lost": _midi_late_ms(expected, arrivals)[1], "lost_before_port": unsent}

    def expected(self) -> list[tuple[int, int, float | None]]:
        """The messages that went to the MIDI output, in order."""
        sounding: dict[tuple[int, int], int] = {}
        out = []
        for status, pitch, intended in self.events:
            key = (status & 0x0F, pitch)
            if status & 0xF0 == 0x90:
                sounding[key] = sounding.get(key, 0) + 1
            else:
                sounding[key] = sounding.get(key, 0) - 1
                if sounding[key] > 0:
                    continue
                del sounding[key]
            out.append((status, pitch, intended))
        return out


def _midi_late_ms(
    expected: list[tuple[int, int, float | None]],
    arrivals: list,
    channels: set[int] | None = None,
    since: float = float("-inf"),
    timed: bool = True,
    pairs: list[tuple[int, float, float]] | None = None,
) -> tuple[list[float], int]:
    """Each expected message matched with the next arrival of the same kind, channel and
    pitch (``timed``: one from MATCH_EARLY_S before to MATCH_LATE_S after its intended time,
    so that a lost message does not shift the pairs after it): the lateness of those with an
    intended time from ``since`` on ``channels`` (all if None), and how many never arrived.
    ``pairs``, when a list, also gets (status, intended, lateness ms) of each measured one."""
    from collections import deque

    came: dict[tuple[int, int], deque[float]] = {}
    for t, m in arrivals:
        if len(m) == 3 and m[0] & 0xE0 == 0x80:  # note on/off; a note-on of velocity 0 is off
            status = m[0] if m[0] & 0xF0 == 0x80 or m[2] > 0 else 0x80 | (m[0] & 0x0F)
            came.setdefault((status, m[1]), deque()).append(t)
    late, lost = [], 0
    for status, pitch, intended in expected:
        times = came.get((status, pitch)) or deque()
        if timed and intended is not None:
            while times and times[0] < intended - MATCH_EARLY_S:
                times.popleft()  # another message's, read garbled as this kind and pitch
            if times and times[0] > intended + MATCH_LATE_S:
                times = deque()  # a later message's: this one was lost
        if not times:
            lost += 1
            continue
        arrived = times.popleft()
        if (
            intended is not None
            and intended >= since
            and (channels is None or status & 0x0F in channels)
        ):
            late.append(1000.0 * (arrived - intended))
            if pairs is not None:
                pairs.append((status, intended, late[-1]))
    return late, lost


def bench_stream_midi(
    engine: Any, seconds: float = 30.0, tempo: float = 120.0, period: int = JACK_PERIOD
) -> dict[str, Any]:
    """One stream of 16ths to a virtual JACK MIDI port: arrival at a JACK MIDI input (another
    process) minus intended time, note-ons and note-offs."""
    with jack_server(period), _bridge(engine, midi=True) as (daemon, live):
        receiver = _receive("bridge-bench:out")
        recorder = MidiRecorder()
        try:
            live.scheduler.trace = []
            recorder.attach(live)
            noise = MachineNoise(live.midi_output)
            _play(daemon, live, 1, seconds, tempo)
            machine = noise.figures()
            trace = list(live.scheduler.trace)
        finally:
            arrivals, jack_noise = _jack_arrivals(receiver)
    late, _ = _midi_late_ms(recorder.expected(), arrivals)
    return {
        **summarize(late),
        **recorder.lost(arrivals),
        **jack_noise,
        **machine,
        "seconds": seconds,
        "tempo": tempo,
        "jack_period_ms": 1000.0 * period / JACK_RATE,
        "send_late": summarize(_late_ms(trace, ("on", "off"))),
    }


def bench_perf_stream_midi(
    engine: Any,
    seconds: float = 30.0,
    tempo: float = 120.0,
    period: int = JACK_PERIOD,
    density: float = 4.0,
) -> dict[str, Any]:
    """One perf stream (``density`` notes a beat) to a virtual JACK MIDI port: arrival at a
    JACK MIDI input minus intended time, and the spread of each chord's note-ons there."""
    name = "bridge-bench-p"
    with jack_server(period), _bridge(engine, True, name, "perf") as (daemon, live):
        receiver = _receive(f"{name}:out")
        recorder = MidiRecorder()
        try:
            live.scheduler.trace = []
            recorder.attach(live)
            noise = MachineNoise(live.midi_output)
            _play(daemon, live, 1, seconds, tempo, "perf", ("density", density))
            machine = noise.figures()
            trace = list(live.scheduler.trace)
        finally:
            arrivals, jack_noise = _jack_arrivals(receiver)
    pairs: list[tuple[int, float, float]] = []
    late, _ = _midi_late_ms(recorder.expected(), arrivals, pairs=pairs)
    chords: dict[float, list[float]] = {}
    for status, intended, ms in pairs:
        if status & 0xF0 == 0x90:
            chords.setdefault(intended, []).append(ms)
    spreads = [max(v) - min(v) for v in chords.values() if len(v) > 1]
    return {
        **summarize(late),
        **recorder.lost(arrivals),
        **jack_noise,
        **machine,
        "chord_spread": summarize(spreads),
        "seconds": seconds,
        "tempo": tempo,
        "density": density,
        "jack_period_ms": 1000.0 * period / JACK_RATE,
        "send_late": summarize(_late_ms(trace, ("on", "off"))),
    }


def bench_harmony_live(
    engine: Any, notes: int = 200, period: int = JACK_PERIOD, name: str = "bridge-bench-h"
) -> dict[str, Any]:
    """``notes`` melody notes (60 ms on, 40 ms off) into a harmonizing bridge on JACK; see the
    module doc. Also the time the input thread spends answering a note."""
    import random

    import rtmidi

    from bridge.live.live import LiveOptions, running
    from bridge.server.daemon import Daemon

    options = LiveOptions(virtual_midi=True, client_name=name, harmonize=True)
    with jack_server(period), running(Daemon({"harmony": engine}, port=0), options) as live:
        receiver = _receive(f"{name}:out")
        out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="bench-send")
        try:
            deadline = time.monotonic() + 20
            while f"{name}-in:in" not in out.get_ports():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no JACK port {name}-in:in")
                time.sleep(0.05)
            out.open_port(out.get_ports().index(f"{name}-in:in"), "out")
            time.sleep(0.3)  # JACK makes the connection at a later cycle
            live.harmonizer.trace = trace = []
            sent = []
            rng = random.Random(0)
            noise = MachineNoise(live.midi_output)
            for _ in range(notes):
                pitch = rng.randrange(60, 80)
                sent.append(time.monotonic())
                out.send_message([0x90, pitch, 90])
                time.sleep(0.06)
                out.send_message([0x80, pitch, 0])
                time.sleep(0.04)
            time.sleep(0.2)
            machine = noise.figures()
        finally:
            out.close_port()
            del out
            arrivals, jack_noise = _jack_arrivals(receiver)
    ons = [t for t, m in arrivals if m[0] & 0xF0 == 0x90 and m[2] > 0]
    if len(trace) < notes // 2:
        raise RuntimeError(f"{notes} notes sent, {len(trace)} heard by the bridge")
    late, from_send, missing = [], [], 0
    # each note the bridge heard, with the send it answers (notes are 100 ms apart): a note
    # JACK lost on the way in (an xrun) is counted, not paired with the next one's send
    for t, _ in trace:
        s = max((x for x in sent if x <= t), default=None)
        if s is None or t - s > 0.05:
            continue
        voices = [a for a in ons if t - 0.005 <= a < t + 0.05]  # notes are 100 ms apart
        if len(voices) < 3:  # a voice lost on the way, or garbled by rtmidi's JACK input
            missing += 3 - len(voices)
            continue
        late.append(1000.0 * (voices[2] - t))
        from_send.append(1000.0 * (voices[2] - s))
    return {
        **summarize(late),
        "voices_missing": missing,
        "input_lost": notes - len(trace),
        **jack_noise,
        **machine,
        "from_send": summarize(from_send),
        "input_thread": summarize([ms for _, ms in trace]),
        "jack_period_ms": 1000.0 * period / JACK_RATE,
    }


def bench_stream_load(
    engine: Any,
    streams: int = 16,
    seconds: float = 30.0,
    tempo: float = 120.0,
    engine_name: str = "rnn",
    keys: tuple[Any, ...] = (),
) -> dict[str, Any]:
    """``streams`` streams at once (``engine_name``'s, started with ``keys``): lateness of
    every event (OSC, and MIDI to a JACK port when jackd is installed) and the model step
    time per wake-up (perf: per session call)."""
    midi = shutil.which("jackd") is not None
    server = jack_server() if midi else None
    try:
        if server is not None:
            server.__enter__()
        with _bridge(engine, midi, engine_name=engine_name) as (daemon, live):
            live.scheduler.trace = []
            live.worker.step_times_ms = []
            _play(daemon, live, streams, seconds, tempo, engine_name, keys)
            trace = list(live.scheduler.trace)
            steps = _step_figures(live.worker)
    finally:
        if server is not None:
            server.__exit__(None, None, None)
    late = _late_ms(trace, ("on", "off"))
    return {
        **summarize(late),
        "streams": streams,
        "seconds": seconds,
        "tempo": tempo,
        "midi": midi,
        "over_5ms": sum(x > 5.0 for x in late),
        "step_ms": steps,
    }


def bench_batched_step(engine: Any, sizes: tuple[int, ...] = (1, 4, 16), n: int = 300) -> dict:
    """The streams' batched model step alone (the engine's ``batch_stepper``), per batch
    size."""
    import torch

    stepper = engine.batch_stepper

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = {}
        cfg = engine.config
        for b in sizes:
            h = [torch.zeros(b, cfg.hidden) for _ in range(cfg.layers)]
            c = [torch.zeros(b, cfg.hidden) for _ in range(cfg.layers)]
            x = torch.zeros(b, dtype=torch.long)
            pos = torch.arange(b)
            for _ in range(20):
                stepper(x, pos, h, c)
            samples = []
            for _ in range(n):
                t0 = time.perf_counter_ns()
                _, h, c = stepper(x, pos, h, c)
                samples.append((time.perf_counter_ns() - t0) / 1e6)
            out[str(b)] = summarize(samples)
        return out
    finally:
        torch.set_num_threads(threads)


__all__ = [
    "bench_batched_step",
    "bench_harmony_live",
    "bench_perf_stream_midi",
    "bench_stream_load",
    "bench_stream_midi",
    "bench_stream_osc",
    "MidiRecorder",
]
