"""Perf streams in Max: the polyphonic performer live, a Max patch and a Max for Live device.

Both start `/bridge/perf/stream/start` with tempo, temperature and `beats` (0: until stopped;
perf counts beats, where the rnn and ngram streams count 16th `steps`) and, when the density
toggle is on, `density`; while the stream plays, a changed tempo, temperature or density goes
out as `/bridge/perf/stream/set`. Its `/bridge/note <stream> <pitch> <velocity> <beats> <ms>`
events (a chord's notes at one moment, each at its own velocity) come out of the client's
notes outlet like any stream's and go to [makenote] with their own velocities.
"""

from __future__ import annotations

import maxtable as osc
from max_client import (
    MAX_DIR,
    SMALL,
    TITLE,
    client_box,
    number_row,
    status_lines,
    stream_notes,
)
from max_devices import (
    density_aim,
    device,
    dial,
    into_track,
    live_tempo,
    numbox,
    play_switch,
)
from patcher import Patcher

# [pak tempo temperature density beats]: the slots the request heads name
TEMPO, TEMPERATURE, DENSITY, BEATS, STREAM = 1, 2, 3, 4, 5
PARAMS = "pak 120. 1. 2. 0"


def switched(p: Patcher, src: dict, switch: dict, free: str, dense: str, dest: dict, x, y):
    """``src``'s list to the ``free`` head, or with the switch on to the ``dense`` one."""
    which = p.obj("+ 1", x + 200, y - 40)
    p.connect(switch, 0, which, 0)
    by_density = p.obj("gate 2 1", x, y)
    p.connect(which, 0, by_density, 0)
    p.connect(src, 0, by_density, 1)
    for i, head in enumerate((free, dense)):
        msg = p.msg(head, x + 220 * i, y + 40 + 40 * i)
        p.connect(by_density, i, msg, 0)
        p.connect(msg, 0, dest, 0)


def perf_stream_core(p: Patcher, client: dict, params: dict, aim: dict, run: dict, x, y):
    """Start (run 1), set (params changed while playing) and stop (run 0) a perf stream from
    [pak tempo temperature density beats] ``params``; ``aim`` on adds density. Returns the
    box that bangs (outlet 0) when the stream stops, to flush [makenote]."""
    keep = p.obj("zl reg", x, y)
    p.connect(params, 0, keep, 1)
    live = p.obj("gate", x + 200, y)
    p.connect(params, 0, live, 1)
    with_stream = p.obj("zl join", x + 200, y + 40)
    p.connect(live, 0, with_stream, 0)
    slots = {"tempo": TEMPO, "temperature": TEMPERATURE}
    switched(
        p,
        with_stream,
        aim,
        osc.request(osc.PERF_SET, stream=STREAM, **slots),
        osc.request(osc.PERF_SET, stream=STREAM, **slots, density=DENSITY),
        client,
        x + 200,
        y + 120,
    )

    onoff = p.obj("sel 1 0", x - 200, y)
    p.connect(run, 0, onoff, 0)
    p.connect(onoff, 0, keep, 0)
    switched(
        p,
        keep,
        aim,
        osc.request(osc.PERF_START, **slots, beats=BEATS),
        osc.request(osc.PERF_START, **slots, beats=BEATS, density=DENSITY),
        client,
        x - 200,
        y + 120,
    )
    stopping = p.obj("t b b 0", x - 100, y + 40)
    p.connect(onoff, 1, stopping, 0)
    p.connect(stopping, 2, live, 0)
    stream = p.obj("i -1", x - 100, y + 240)
    p.connect(stopping, 1, stream, 0)
    stop_msg = p.msg(osc.request(osc.PERF_STOP, stream=1), x - 100, y + 280)
    p.connect(stream, 0, stop_msg, 0)
    p.connect(stop_msg, 0, client, 0)

    # the start reply carries the stream id: keep it, open the /set gate
    started = p.obj(f"route {osc.reply(osc.PERF_START)}", x + 440, y + 240)
    p.connect(client, 0, started, 0)
    sid = p.obj("zl mth 1", x + 440, y + 280)
    p.connect(started, 0, sid, 0)
    got = p.obj("t 1 i i", x + 440, y + 320)
    p.connect(sid, 0, got, 0)
    p.connect(got, 2, with_stream, 1)
    p.connect(got, 1, stream, 1)
    p.connect(got, 0, live, 0)
    return stopping


def perf_stream_patch() -> Patcher:
    """Start, steer and stop a live perf stream; play its chords with their velocities."""
    p = Patcher((60.0, 80.0, 1200.0, 820.0), presentation=True, folders=[MAX_DIR])
    p.comment(
        "bridge: perf stream (live chords)", 20, 10, 340, 24, present=(10.0, 8.0, 340.0, 24.0),
        **TITLE,
    )  # fmt: skip
    client = client_box(p, 20, 560)
    status_lines(p, client, 20, 600, 36.0, 460.0)

    run = p.ui("toggle", 20, 60, 32, 32, present=(10.0, 100.0, 32.0, 32.0), varname="play")
    p.comment("play", 60, 66, present=(46.0, 106.0, 60.0, 20.0), near=run)
    beats_high = min(1024, int(osc.key(osc.PERF_START, "beats").high))
    density_high = min(16.0, float(osc.key(osc.PERF_START, "density").high))
    controls = [  # name, class, low, high, initial: the [pak]'s inlets in order
        ("tempo", "flonum", 20.0, 300.0, "120."),
        ("temperature", "flonum", 0.05, 4.0, "1."),
        ("density", "flonum", 0.25, density_high, "2."),
        ("beats", "number", 0, beats_high, "0"),
    ]
    params = p.obj(PARAMS, 420, 200)
    load = p.obj("loadbang", 420, 20)
    number_row(p, controls, params, load, 420, 142.0)
    aim = p.ui("toggle", 900, 140, 20, 20, present=(230.0, 172.0, 20.0, 20.0), varname="aim")
    p.comment("aim at the density", 930, 140, present=(252.0, 172.0, 130.0, 20.0), near=aim)
    p.comment(
        "beats 0: until stopped", 930, 170, present=(10.0, 172.0, 200.0, 20.0), near=aim, **SMALL
    )
    chan = p.ui(
        "number",
        900,
        240,
        50,
        22,
        present=(450.0, 142.0, 50.0, 22.0),
        minimum=1,
        maximum=16,
        varname="channel",
    )
    p.comment("MIDI channel", 960, 240, present=(502.0, 142.0, 90.0, 20.0), near=chan)
    init_c = p.msg("1", 900, 200)
    p.connect(load, 0, init_c, 0)
    p.connect(init_c, 0, chan, 0)

    stopping = perf_stream_core(p, client, params, aim, run, 420, 260)
    note = stream_notes(p, client, stopping, 20, 680)
    out = p.obj("noteout 1", 20, 760)
    p.connect(note, 1, out, 1)
    p.connect(note, 0, out, 0)
    p.connect(chan, 0, out, 2)
    p.comment("double-click [noteout] to pick the MIDI output", 240, 760, near=out, **SMALL)
    return p


def perf_stream_device() -> Patcher:
    """Play a live perf stream (chords, velocities) into this track, at Live's tempo."""
    p, client, _clip, here = device("bridge Perform Stream", 300.0)
    run = play_switch(p, 20, 60)
    temp = dial(p, "Temperature", 140, 60, (86.0, 40.0), lo=0.05, hi=2.0, initial=1.0)
    density, aim = density_aim(p, osc.PERF_START, 200, 60, (140.0, 40.0), (190.0, 46.0))
    beats = numbox(
        p, "Beats", 320, 60, (190.0, 66.0), (osc.PERF_START, "beats"), 0, "beats", clamp=(0, 1024)
    )

    tempo = live_tempo(p, here, 700, 100)  # Live's tempo, observed
    params = p.obj(PARAMS, 140, 220)
    for i, box in enumerate((tempo, temp, density, beats)):
        p.connect(box, 0, params, i)

    stopping = perf_stream_core(p, client, params, aim, run, 440, 260)
    note = stream_notes(p, client, stopping, 20, 720)
    into_track(p, note, 20, 800)
    p.comment(
        "chords into this track at Live's tempo (Beats 0: until stopped); incoming MIDI "
        "passes through",
        4,
        340,
        present=(4.0, 98.0, 292.0, 30.0),
        near=note,
        **SMALL,
    )
    return p
