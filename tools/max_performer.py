"""The performer's Max patches: continue a phrase, stream, interpolate, bars from chords.

Each talks to the daemon through the [bridge] abstraction (max_client.bridge_client) and shows
the daemon's status and every error on its presentation.
"""

from __future__ import annotations

import maxtable as osc
from max_client import (
    CHORD_PRESETS,
    MAX_DIR,
    NOTE_LISTS,
    SMALL,
    TITLE,
    button,
    client_box,
    note_player,
    play_answer,
    reply_notes,
    status_lines,
    tempo_control,
)
from patcher import Patcher

DEMO_PHRASE = (
    "clear, 1 60 0. 0.5 100, 2 62 0.5 0.5 90, 3 64 1. 0.5 100, 4 67 1.5 0.5 110, "
    "5 65 2. 1. 95, 6 64 3. 0.5 90, 7 62 3.5 0.5 85"
)
MELODY_A = "60 0. 1. 100 64 1. 1. 90 67 2. 1. 100 72 3. 1. 110 67 4. 2. 90 64 6. 2. 80"
MELODY_B = "69 0. 0.5 90 67 0.5 0.5 80 65 1. 0.5 90 64 1.5 0.5 80 62 2. 2. 100 57 4. 4. 90"


def continue_patch() -> Patcher:
    """Record or load a phrase into a [coll], ask the RNN to continue it, play the answer."""
    p = Patcher((60.0, 80.0, 1260.0, 820.0), presentation=True, folders=[MAX_DIR])
    p.comment(
        "bridge: continue a phrase", 20, 10, 300, 24, present=(10.0, 8.0, 300.0, 24.0), **TITLE
    )
    client = client_box(p, 20, 560)
    status_lines(p, client, 20, 600, 36.0, 420.0)

    # the phrase: record MIDI in, or load the demo
    phrase = p.obj("coll phrase", 820, 480)
    demo = p.msg(DEMO_PHRASE, 820, 60, 380)
    p.connect(demo, 0, phrase, 0)
    demo_btn = button(p, "load the demo phrase", 820, 20, (10.0, 100.0))
    p.connect(demo_btn, 0, demo, 0)
    ms = tempo_control(p, 600, 520, (290.0, 162.0))

    rec = p.ui("toggle", 20, 60, 24, 24, present=(10.0, 130.0, 24.0, 24.0), varname="record")
    p.comment(
        "record from MIDI in (play, then stop)",
        50,
        62,
        present=(38.0, 132.0, 220.0, 20.0),
        near=rec,
    )
    rec_state = p.obj("t i i", 20, 100)
    p.connect(rec, 0, rec_state, 0)
    start_rec = p.obj("sel 1", 120, 140)
    p.connect(rec_state, 1, start_rec, 0)
    reset = p.obj("t b b b", 120, 180)
    p.connect(start_rec, 0, reset, 0)
    clear = p.msg("clear", 260, 220)
    p.connect(reset, 2, clear, 0)
    p.connect(clear, 0, phrase, 0)
    zero = p.msg("0", 200, 220)
    count = p.obj("i", 420, 400)
    p.connect(reset, 1, zero, 0)
    p.connect(zero, 0, count, 1)
    clock = p.obj("timer", 120, 300)
    p.connect(reset, 0, clock, 0)
    gate = p.obj("gate", 20, 260)
    p.connect(rec_state, 0, gate, 0)
    midi = p.obj("midiin", 20, 180)
    parse = p.obj("midiparse", 20, 220)
    p.connect(midi, 0, parse, 0)
    p.connect(parse, 0, gate, 1)
    held = p.obj("coll held", 300, 380)
    p.connect(clear, 0, held, 0)

    # a note event "pitch velocity": timestamp it, then note-on -> held, note-off -> phrase
    event = p.obj("t l b", 20, 300)
    p.connect(gate, 0, event, 0)
    p.connect(event, 1, clock, 1)
    beats = p.obj("/ 500.", 120, 340)
    p.connect(clock, 0, beats, 0)
    p.connect(ms, 0, beats, 1)
    pv = p.obj("unpack 0 0", 20, 340)
    p.connect(event, 0, pv, 0)
    vel = p.obj("t i i", 20, 380)
    p.connect(pv, 1, vel, 0)
    onoff = p.obj("> 0", 20, 420)
    which = p.obj("+ 1", 20, 460)
    route_note = p.obj("gate 2", 20, 500)
    p.connect(vel, 0, onoff, 0)
    p.connect(onoff, 0, which, 0)
    p.connect(which, 0, route_note, 0)
    p.connect(pv, 0, route_note, 1)
    note_on = p.obj("pack 0 0. 0", 160, 420)
    p.connect(vel, 1, note_on, 2)
    p.connect(beats, 0, note_on, 1)
    p.connect(route_note, 1, note_on, 0)
    p.connect(note_on, 0, held, 0)
    off = p.obj("t i i", 160, 500)
    p.connect(route_note, 0, off, 0)
    note = p.obj("pack 0 0 0. 0. 0", 420, 520)
    p.connect(off, 1, note, 1)
    p.connect(off, 0, held, 0)
    began = p.obj("unpack 0. 0", 300, 420)
    p.connect(held, 0, began, 0)
    p.connect(began, 1, note, 4)
    times = p.obj("t b f f", 300, 460)
    p.connect(began, 0, times, 0)
    length = p.obj("!- 0.", 420, 460)
    p.connect(beats, 0, length, 1)
    p.connect(times, 2, length, 0)
    at_least = p.obj("maximum 0.01", 420, 490)
    p.connect(length, 0, at_least, 0)
    p.connect(at_least, 0, note, 3)
    p.connect(times, 1, note, 2)
    step = p.obj("t i i", 540, 420)
    plus1 = p.obj("+ 1", 600, 460)
    p.connect(times, 0, count, 0)
    p.connect(count, 0, step, 0)
    p.connect(step, 1, plus1, 0)
    p.connect(plus1, 0, count, 1)
    p.connect(step, 0, note, 0)
    p.connect(note, 0, phrase, 0)
    p.comment("index pitch start duration velocity, in beats", 560, 560, near=note, **SMALL)

    # the request: /bridge/rnn/continue temperature T steps N notes <phrase>
    steps_key = osc.key(osc.CONTINUE, "steps")
    temp = p.ui(
        "flonum",
        240,
        100,
        50,
        22,
        present=(10.0, 162.0, 50.0, 22.0),
        varname="temperature",
        minimum=0.05,
        maximum=4.0,
        format=6,
    )
    p.comment("temperature", 300, 100, present=(62.0, 162.0, 80.0, 20.0), near=temp)
    steps = p.ui(
        "number",
        240,
        140,
        50,
        22,
        present=(150.0, 162.0, 50.0, 22.0),
        minimum=int(steps_key.low),
        maximum=int(steps_key.high),
        varname="steps",
    )
    p.comment("steps (16ths)", 300, 140, present=(202.0, 162.0, 90.0, 20.0), near=steps)
    params = p.obj(f"pak 1. {steps_key.default}", 240, 180)
    p.connect(temp, 0, params, 0)
    p.connect(steps, 0, params, 1)
    keep = p.obj("zl reg", 240, 220)
    p.connect(params, 0, keep, 1)
    init_load = p.obj("loadbang", 380, 20)
    for i, (box, value) in enumerate(((temp, "1."), (steps, str(steps_key.default)))):
        m = p.msg(value, 380 + 50 * i, 60)
        p.connect(init_load, 0, m, 0)
        p.connect(m, 0, box, 0)
    go = button(p, "continue!", 560, 100, (10.0, 196.0))
    ask = p.obj("t b b b zlclear", 560, 140)
    p.connect(go, 0, ask, 0)
    dump = p.msg("dump", 700, 220)
    gather = p.obj(f"zl group 4096 {NOTE_LISTS}", 700, 260)
    p.connect(ask, 2, dump, 0)
    p.connect(dump, 0, phrase, 0)
    p.connect(phrase, 0, gather, 0)
    p.connect(ask, 1, gather, 0)
    with_key = p.obj("prepend notes", 700, 300)
    p.connect(gather, 0, with_key, 0)
    request = p.obj(f"zl join {NOTE_LISTS}", 560, 340)
    p.connect(ask, 3, request, 0)
    p.connect(with_key, 0, request, 1)
    p.connect(ask, 0, keep, 0)
    head = p.msg(osc.request(osc.CONTINUE, temperature=1, steps=2), 240, 300)
    p.connect(keep, 0, head, 0)
    p.connect(head, 0, request, 0)
    p.connect(request, 0, client, 0)

    # the answer: show it and play it
    play_answer(p, client, osc.reply(osc.CONTINUE), ms, (820, 560), (1060, 760), (160.0, 196.0))
    return p


def stream_patch() -> Patcher:
    """Start, steer and stop a live RNN stream; play its /bridge/note events."""
    p = Patcher((60.0, 80.0, 1100.0, 760.0), presentation=True, folders=[MAX_DIR])
    p.comment("bridge: stream", 20, 10, 300, 24, present=(10.0, 8.0, 300.0, 24.0), **TITLE)
    client = client_box(p, 20, 500)
    status_lines(p, client, 20, 560, 36.0, 420.0)

    run = p.ui("toggle", 20, 60, 32, 32, present=(10.0, 100.0, 32.0, 32.0), varname="play")
    p.comment("play", 60, 66, present=(46.0, 106.0, 60.0, 20.0), near=run)
    temp = p.ui(
        "flonum",
        220,
        60,
        50,
        22,
        present=(10.0, 142.0, 50.0, 22.0),
        varname="temperature",
        minimum=0.05,
        maximum=4.0,
        format=6,
    )
    p.comment("temperature", 280, 60, present=(62.0, 142.0, 80.0, 20.0), near=temp)
    tempo = p.ui(
        "flonum",
        220,
        100,
        50,
        22,
        present=(140.0, 142.0, 50.0, 22.0),
        varname="tempo",
        minimum=20.0,
        maximum=300.0,
        format=6,
    )
    p.comment("tempo", 280, 100, present=(192.0, 142.0, 50.0, 20.0), near=tempo)
    chan = p.ui(
        "number",
        220,
        140,
        50,
        22,
        present=(240.0, 142.0, 50.0, 22.0),
        minimum=1,
        maximum=16,
        varname="channel",
    )
    p.comment("MIDI channel", 280, 140, present=(292.0, 142.0, 90.0, 20.0), near=chan)
    load = p.obj("loadbang", 420, 20)
    init_t = p.msg("1.", 420, 60)
    init_b = p.msg("120.", 470, 60)
    init_c = p.msg("1", 530, 60)
    for m, box in ((init_t, temp), (init_b, tempo), (init_c, chan)):
        p.connect(load, 0, m, 0)
        p.connect(m, 0, box, 0)

    # tempo and temperature: kept for the start, sent as /set while the stream runs
    params = p.obj("pak 120. 1.", 220, 200)
    p.connect(tempo, 0, params, 0)
    p.connect(temp, 0, params, 1)
    keep = p.obj("zl reg", 220, 240)
    p.connect(params, 0, keep, 1)
    live = p.obj("gate", 380, 240)
    p.connect(params, 0, live, 1)
    with_stream = p.obj("zl join", 380, 280)
    p.connect(live, 0, with_stream, 0)
    set_msg = p.msg(osc.request(osc.STREAM_SET, stream=3, tempo=1, temperature=2), 380, 320)
    p.connect(with_stream, 0, set_msg, 0)
    p.connect(set_msg, 0, client, 0)

    # play toggle: 1 starts, 0 stops
    onoff = p.obj("sel 1 0", 20, 200)
    p.connect(run, 0, onoff, 0)
    p.connect(onoff, 0, keep, 0)
    start = p.msg(osc.request(osc.STREAM_START, tempo=1, temperature=2), 20, 280)
    p.connect(keep, 0, start, 0)
    p.connect(start, 0, client, 0)
    stopping = p.obj("t b b 0", 120, 240)
    p.connect(onoff, 1, stopping, 0)
    p.connect(stopping, 2, live, 0)
    stream = p.obj("i -1", 120, 360)
    p.connect(stopping, 1, stream, 0)
    stop_msg = p.msg(osc.request(osc.STREAM_STOP, stream=1), 120, 400)
    p.connect(stream, 0, stop_msg, 0)
    p.connect(stop_msg, 0, client, 0)

    # the start reply carries the stream id: keep it, open the /set gate
    started = p.obj(f"route {osc.reply(osc.STREAM_START)}", 560, 440)
    p.connect(client, 0, started, 0)
    sid = p.obj("zl mth 1", 560, 480)
    p.connect(started, 0, sid, 0)
    got = p.obj("t 1 i i", 560, 520)
    p.connect(sid, 0, got, 0)
    p.connect(got, 2, with_stream, 1)
    p.connect(got, 1, stream, 1)
    p.connect(got, 0, live, 0)

    # notes: pitch velocity beats ms -> makenote -> noteout
    fields = p.obj("unpack 0 0 0. 0.", 20, 640)
    p.connect(client, 1, fields, 0)
    note = p.obj("makenote 100 500", 20, 680)
    p.connect(fields, 3, note, 2)
    p.connect(fields, 1, note, 1)
    p.connect(fields, 0, note, 0)
    out = p.obj("noteout 1", 20, 720)
    p.connect(note, 1, out, 1)
    p.connect(note, 0, out, 0)
    p.connect(chan, 0, out, 2)
    flush = p.msg("stop", 200, 680)
    p.connect(stopping, 0, flush, 0)
    p.connect(flush, 0, note, 0)
    last = p.ui("number", 120, 720, 50, 22, present=(10.0, 176.0, 50.0, 22.0))
    p.comment("last pitch", 180, 720, present=(62.0, 176.0, 80.0, 20.0), near=last)
    p.connect(fields, 0, last, 0)
    p.comment("double-click [noteout] to pick the MIDI output", 240, 760, near=out, **SMALL)
    return p


def interpolate_patch() -> Patcher:
    """Interpolate melody A to B with the VAE; a slider walks over the points and plays them."""
    p = Patcher((60.0, 80.0, 1200.0, 820.0), presentation=True, folders=[MAX_DIR])
    p.comment(
        "bridge: interpolate two melodies",
        20,
        10,
        340,
        24,
        present=(10.0, 8.0, 340.0, 24.0),
        **TITLE,
    )
    client = client_box(p, 20, 560)
    status_lines(p, client, 20, 600, 36.0, 460.0)

    # melodies A and B (edit the message boxes: pitch start duration velocity ...)
    mel_a = p.msg(
        MELODY_A, 20, 84, 440, presentation=1, presentation_rect=[10.0, 116.0, 460.0, 22.0]
    )
    p.comment("A: click to use", 20, 60, present=(10.0, 96.0, 100.0, 20.0), near=mel_a)
    mel_b = p.msg(
        MELODY_B, 20, 144, 440, presentation=1, presentation_rect=[10.0, 162.0, 460.0, 22.0]
    )
    p.comment("B: click to use", 20, 120, present=(10.0, 142.0, 100.0, 20.0), near=mel_b)
    keep_a = p.obj(f"zl reg {NOTE_LISTS}", 20, 200)
    keep_b = p.obj(f"zl reg {NOTE_LISTS}", 240, 200)
    p.connect(mel_a, 0, keep_a, 1)
    p.connect(mel_b, 0, keep_b, 1)
    load = p.obj("loadbang", 500, 60)
    p.connect(load, 0, mel_a, 0)
    p.connect(load, 0, mel_b, 0)

    points = osc.key(osc.INTERPOLATE, "steps")
    steps = p.ui(
        "number",
        500,
        100,
        50,
        22,
        present=(10.0, 196.0, 50.0, 22.0),
        minimum=int(points.low),
        maximum=int(points.high),
        varname="steps",
    )
    p.comment("points", 560, 100, present=(62.0, 196.0, 50.0, 20.0), near=steps)
    init = p.msg(str(points.default), 560, 60)
    p.connect(load, 0, init, 0)
    p.connect(init, 0, steps, 0)
    count = p.obj(f"i {points.default}", 500, 240)
    p.connect(steps, 0, count, 1)

    # /bridge/vae/interpolate steps N a <A> b <B>
    go = button(p, "interpolate", 680, 100, (120.0, 194.0))
    ask = p.obj("t b b b b zlclear", 680, 140)
    p.connect(go, 0, ask, 0)
    key_b = p.obj("prepend b", 240, 240)
    key_a = p.obj("prepend a", 20, 240)
    p.connect(ask, 2, keep_b, 0)
    p.connect(keep_b, 0, key_b, 0)
    p.connect(ask, 1, keep_a, 0)
    p.connect(keep_a, 0, key_a, 0)
    both = p.obj(f"zl join {NOTE_LISTS}", 20, 280)
    p.connect(key_b, 0, both, 1)
    p.connect(key_a, 0, both, 0)
    request = p.obj(f"zl join {NOTE_LISTS}", 500, 320)
    p.connect(ask, 4, request, 0)
    p.connect(both, 0, request, 1)
    p.connect(ask, 0, count, 0)
    head = p.msg(osc.request(osc.INTERPOLATE, steps=1), 500, 280)
    p.connect(count, 0, head, 0)
    p.connect(head, 0, request, 0)
    p.connect(request, 0, client, 0)
    points = p.obj("coll points", 820, 520)
    forget = p.msg("clear", 880, 180)
    p.connect(ask, 3, forget, 0)  # the last request's points
    p.connect(forget, 0, points, 0)

    # one reply per point: id index count notes -> coll points (index -> notes), slider range
    reply = reply_notes(p, client, osc.reply(osc.INTERPOLATE), 820, 360)
    header = p.obj(f"zl slice 2 {NOTE_LISTS}", 820, 440)
    p.connect(reply, 1, header, 0)
    entry = p.obj(f"zl join {NOTE_LISTS}", 820, 480)
    p.connect(header, 1, entry, 1)
    index_count = p.obj("unpack 0 0", 960, 440)
    p.connect(header, 0, index_count, 0)
    size = p.obj("prepend size", 1040, 480)
    p.connect(index_count, 1, size, 0)
    p.connect(index_count, 0, entry, 0)
    p.connect(entry, 0, points, 0)

    walk = p.ui(
        "slider",
        760,
        600,
        300,
        24,
        present=(10.0, 246.0, 380.0, 24.0),
        orientation=1,
        size=5,
        varname="walk",
    )
    p.comment(
        "A . . . walk over the points . . . B",
        760,
        580,
        present=(10.0, 226.0, 300.0, 20.0),
        near=walk,
    )
    p.connect(size, 0, walk, 0)
    p.connect(walk, 0, points, 0)
    ms = tempo_control(p, 1000, 120, (320.0, 196.0))
    play, stop = note_player(p, 820, 640, ms)
    stop_first = p.obj("t l b", 1000, 560)  # a new point cuts the one still playing
    p.connect(points, 0, stop_first, 0)
    p.connect(stop_first, 1, stop, 0)
    p.connect(stop_first, 0, play, 0)
    stop_btn = button(p, "stop", 1100, 640, (400.0, 246.0))
    p.connect(stop_btn, 0, stop, 0)
    return p


def bars_patch() -> Patcher:
    """Type or pick a chord list; the GAN answers one bar per chord, and it plays."""
    p = Patcher((60.0, 80.0, 1100.0, 760.0), presentation=True, folders=[MAX_DIR])
    p.comment(
        "bridge: bars from chords", 20, 10, 300, 24, present=(10.0, 8.0, 300.0, 24.0), **TITLE
    )
    client = client_box(p, 20, 520)
    status_lines(p, client, 20, 560, 36.0, 420.0)

    typed = p.ui(
        "textedit",
        20,
        84,
        260,
        24,
        present=(10.0, 116.0, 260.0, 24.0),
        varname="chords",
        keymode=1,
        lines=1,
        text=CHORD_PRESETS[0],
    )
    p.comment(
        "chords (one per bar; type, then Return)",
        20,
        60,
        present=(10.0, 96.0, 260.0, 20.0),
        near=typed,
    )
    words = p.obj("route text", 20, 130)
    p.connect(typed, 0, words, 0)
    chords = p.obj("zl reg", 20, 240)
    p.connect(words, 0, chords, 1)
    show = p.obj("prepend set", 300, 200)
    p.connect(show, 0, typed, 0)
    for i, preset in enumerate(CHORD_PRESETS):
        m = p.msg(
            preset,
            300 + 130 * (i % 2),
            60 + 30 * (i // 2),
            120,
            presentation=1,
            presentation_rect=[290.0 + 130.0 * (i % 2), 96.0 + 26.0 * (i // 2), 120.0, 22.0],
        )
        p.connect(m, 0, chords, 1)
        p.connect(m, 0, show, 0)
    load = p.obj("loadbang", 560, 20)
    first = p.msg(CHORD_PRESETS[0], 560, 60)
    p.connect(load, 0, first, 0)
    p.connect(first, 0, chords, 1)

    go = button(p, "make bars", 20, 180, (10.0, 150.0))
    p.connect(go, 0, chords, 0)
    head = p.obj(f"prepend {osc.prefix(osc.BARS, 'chords')}", 20, 280)
    p.connect(chords, 0, head, 0)
    p.connect(head, 0, client, 0)

    ms = tempo_control(p, 860, 120, (160.0, 150.0))
    play_answer(p, client, osc.reply(osc.BARS), ms, (600, 400), (1000, 600), (260.0, 150.0))
    return p
