"""Perf streams in Max: the polyphonic performer live, a Max patch and a Max for Live device.

Both start `/bridge/perf/stream/start` with tempo, temperature and `beats` (0: until stopped;
perf counts beats, where the rnn and ngram streams count 16th `steps`) and, when the density
toggle is on, `density`; while the stream plays, a changed tempo, temperature or density goes
out as `/bridge/perf/stream/set`. Its `/bridge/note <stream> <pitch> <velocity> <beats> <ms>`
events (a chord's notes at one moment, each at its own velocity) come out of the client's
notes outlet like any stream's and go to [makenote] with their own velocities.

Both also feed the stream what the performer plays into [midiin], by the daemon's own rule for
its MIDI input (bridge/live/phrases.py): a phrase is the notes from the first key down until
no key is held (a chord, or a run of overlapping notes); once every key is up it goes out as
`/bridge/perf/stream/feed stream <id> notes <pitch start duration velocity>...`, starts in
beats from the phrase's first key at the stream's tempo, velocities as played, notes in the
order their keys went up (as the daemon hands its MIDI input's phrases on). A key struck
again before its note-off ends its note there. The Feed toggle (on at load) stops the sending,
not the listening; nothing goes out while no stream plays.
"""

from __future__ import annotations

import maxtable as osc
from max_client import (
    MAX_DIR,
    NOTE_LISTS,
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
    switch,
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
    box that bangs (outlet 0) when the stream stops, to flush [makenote] (its outlet 2 sends
    0 then), and the [t 1 i i] of the start reply (outlet 1: the stream's id)."""
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
    return stopping, got


def played_phrases(p: Patcher, midi: dict, tempo: dict, x, y) -> dict:
    """The notes played into ``midi`` ([midiin]) as phrases (the module doc's rule): returns
    the [zl group] whose outlet 0 gives a phrase, `pitch start duration velocity`..., once
    every key is up. ``tempo`` (BPM, outlet 0) turns the ms of [timer] into beats."""
    parse = p.obj("midiparse", x, y)
    p.connect(midi, 0, parse, 0)
    pv = p.obj("unpack 0 0", x, y + 40)
    p.connect(parse, 0, pv, 0)
    is_on = p.obj("> 0", x + 120, y + 80)
    p.connect(pv, 1, is_on, 0)
    which = p.obj("+ 1", x + 120, y + 120)
    p.connect(is_on, 0, which, 0)
    on_off = p.obj("gate 2", x, y + 160)  # velocity 0: outlet 0 (key up), else outlet 1
    p.connect(which, 0, on_off, 0)
    p.connect(pv, 0, on_off, 1)

    # now, in beats since the phrase's first key: [timer] ms * tempo / 60000
    clock = p.obj("timer", x + 240, y + 200)
    per_ms = p.obj("/ 60000.", x + 400, y + 200)
    p.connect(tempo, 0, per_ms, 0)
    now = p.obj("* 0.002", x + 240, y + 240)
    p.connect(clock, 0, now, 0)
    p.connect(per_ms, 0, now, 1)

    # how many keys are down: [+ 0] adds 1 or -1 to the count it keeps
    count = p.obj("+ 0", x + 560, y + 400)
    counted = p.obj("t i i i", x + 560, y + 440)
    p.connect(count, 0, counted, 0)
    p.connect(counted, 2, count, 1)
    held_now = p.obj("i", x + 700, y + 200)
    p.connect(counted, 1, held_now, 1)
    first = p.obj("sel 0", x + 700, y + 240)
    p.connect(held_now, 0, first, 0)
    p.connect(first, 0, clock, 0)

    held = p.obj("coll", x + 240, y + 320)  # pitch -> start velocity, of each key down
    look = p.obj("t i i", x + 240, y + 280)  # a key's pitch: end its note if it is down
    p.connect(look, 0, held, 0)
    pitch = p.obj("i", x + 400, y + 280)
    p.connect(look, 1, pitch, 1)

    # key down: the count read (0: the phrase starts now), now, end a note of the same key,
    # keep this one, count it
    down = p.obj("t b i i b b", x + 120, y + 200)
    p.connect(on_off, 1, down, 0)
    p.connect(down, 4, held_now, 0)
    p.connect(down, 3, clock, 1)
    p.connect(down, 2, look, 0)
    keep = p.obj("pack 0 0. 0", x + 120, y + 280)
    p.connect(pv, 1, keep, 2)
    p.connect(now, 0, keep, 1)
    p.connect(down, 1, keep, 0)
    p.connect(keep, 0, held, 0)
    plus = p.msg("1", x + 120, y + 360)
    p.connect(down, 0, plus, 0)
    p.connect(plus, 0, count, 0)

    # key up: now, end its note, and with the gate open a count of 0 ends the phrase
    up = p.obj("t 0 i b 1", x, y + 200)
    p.connect(on_off, 0, up, 0)
    ending = p.obj("gate", x + 560, y + 480)
    p.connect(up, 3, ending, 0)
    p.connect(up, 2, clock, 1)
    p.connect(up, 1, look, 0)
    p.connect(up, 0, ending, 0)
    p.connect(counted, 0, ending, 1)
    last = p.obj("sel 0", x + 560, y + 520)
    p.connect(ending, 0, last, 0)

    # a note ends: pitch start duration velocity to the phrase, the key forgotten, uncounted
    began = p.obj("unpack 0. 0", x + 240, y + 360)
    p.connect(held, 0, began, 0)
    note = p.obj("pack 0 0. 0. 0", x + 240, y + 520)
    p.connect(began, 1, note, 3)
    times = p.obj("t b f f", x + 240, y + 400)
    p.connect(began, 0, times, 0)
    length = p.obj("!- 0.", x + 360, y + 440)
    p.connect(now, 0, length, 1)
    p.connect(times, 2, length, 0)
    at_least = p.obj("maximum 0.01", x + 360, y + 480)
    p.connect(length, 0, at_least, 0)
    p.connect(at_least, 0, note, 2)
    p.connect(times, 1, note, 1)
    p.connect(times, 0, pitch, 0)
    ended = p.obj("t b i i", x + 400, y + 360)
    p.connect(pitch, 0, ended, 0)
    forget = p.msg("remove $1", x + 520, y + 320)
    p.connect(ended, 2, forget, 0)
    p.connect(forget, 0, held, 0)
    p.connect(ended, 1, note, 0)
    minus = p.msg("-1", x + 560, y + 360)
    p.connect(ended, 0, minus, 0)
    p.connect(minus, 0, count, 0)

    phrase = p.obj(f"zl group 4096 {NOTE_LISTS}", x + 240, y + 560)
    p.connect(note, 0, phrase, 0)
    p.connect(last, 0, phrase, 0)
    return phrase


def feed_phrases(
    p: Patcher, client: dict, phrases: dict, feed: dict, got: dict, stopping: dict, x, y
) -> None:
    """Each phrase from ``phrases`` to the stream started (``got``: [t 1 i i] of its start
    reply) as a feed, while ``feed`` is on (1 at load) and until ``stopping``."""
    sid = p.obj("i -1", x, y + 40)
    p.connect(got, 1, sid, 1)
    each = p.obj("t b l", x, y)
    p.connect(phrases, 0, each, 0)
    notes = p.obj("prepend notes", x + 160, y + 40)
    p.connect(each, 1, notes, 0)
    request = p.obj(f"zl join {NOTE_LISTS}", x, y + 120)
    p.connect(notes, 0, request, 1)
    p.connect(each, 0, sid, 0)
    head = p.msg(osc.request(osc.PERF_FEED, stream=1), x, y + 80)
    p.connect(sid, 0, head, 0)
    p.connect(head, 0, request, 0)
    by_feed = p.obj("gate 1 1", x, y + 160)
    p.connect(feed, 0, by_feed, 0)
    p.connect(request, 0, by_feed, 1)
    playing = p.obj("gate", x, y + 200)
    p.connect(got, 0, playing, 0)
    p.connect(stopping, 2, playing, 0)
    p.connect(by_feed, 0, playing, 1)
    p.connect(playing, 0, client, 0)


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

    stopping, got = perf_stream_core(p, client, params, aim, run, 420, 260)
    note = stream_notes(p, client, stopping, 20, 680)

    feed = p.ui("toggle", 120, 60, 20, 20, present=(120.0, 106.0, 20.0, 20.0), varname="feed")
    p.comment(
        "feed what I play into [midiin] (each phrase, once every key is up)",
        150,
        60,
        present=(144.0, 106.0, 380.0, 20.0),
        near=feed,
    )
    init_f = p.msg("1", 120, 20)
    p.connect(load, 0, init_f, 0)
    p.connect(init_f, 0, feed, 0)
    midi = p.obj("midiin", 1000, 300)
    tempo = p.obj("unpack 0.", 1000, 340)  # the tempo box's value, first of [pak]'s list
    p.connect(params, 0, tempo, 0)
    phrases = played_phrases(p, midi, tempo, 1000, 380)
    feed_phrases(p, client, phrases, feed, got, stopping, 1000, 1000)

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

    stopping, got = perf_stream_core(p, client, params, aim, run, 440, 260)
    note = stream_notes(p, client, stopping, 20, 720)
    midi = into_track(p, note, 20, 800)
    feed = switch(p, "Feed", "Feed", "feed", 20, 100, (4.0, 78.0), 1, label_w=50.0)
    phrases = played_phrases(p, midi, tempo, 900, 300)
    feed_phrases(p, client, phrases, feed, got, stopping, 900, 920)
    p.comment(
        "chords into this track at Live's tempo (Beats 0: until stopped); incoming MIDI "
        "passes through and, with Feed on, each phrase steers the stream once every key is up",
        4,
        340,
        present=(4.0, 98.0, 292.0, 36.0),
        near=note,
        **SMALL,
    )
    return p
