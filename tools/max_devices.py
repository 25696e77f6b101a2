"""The Max for Live MIDI devices: Continue, Interpolate, Bars (clips in, clips out) and Stream,
and the pieces max_generate.py's Generate device shares with them.

Each embeds the bridge client as [p bridge] (no abstraction to find on disk) and reads and
writes clips through [js bridge_clip.js] (ableton/), which must sit next to the device.
Continue and Bars (and Generate) always ask for `variations N`: the daemon answers N indexed
replies `<index> <count> <notes...>`, each written to its own clip by `writevariation` (one
code path, N = 1 included).
"""

from __future__ import annotations

import maxtable as osc
from max_client import (
    CHORD_PRESETS,
    DAEMON_PORT,
    LIVE_DIR,
    NOTE_LISTS,
    SMALL,
    bridge_client,
    reply_notes,
    stream_notes,
)
from patcher import Patcher

DEVICE_H = 169.0  # the height of Live's device view


def device(title: str, width: float) -> tuple[Patcher, dict, dict, dict]:
    """A MIDI-effect device: embedded client, clip script, daemon status and a message line.

    Returns (patcher, client, clip script, message-line input).
    """
    p = Patcher(
        (60.0, 80.0, 1200.0, 760.0), presentation=True, devicewidth=width, folders=[LIVE_DIR]
    )
    p.comment(
        title, 20, 10, 200, 20, present=(4.0, 2.0, width - 8, 18.0), fontsize=12.0, fontface=1
    )
    client = p.subpatcher("bridge", bridge_client(embedded=True).layout(), 20, 600)
    clip = p.js("bridge_clip.js", 400, 600)
    here = p.obj("live.thisdevice", 600, 20)
    init = p.msg("init", 600, 60)
    p.connect(here, 0, init, 0)
    p.connect(init, 0, clip, 0)

    show_status = p.obj("prepend set", 20, 660)
    p.connect(client, 3, show_status, 0)
    status = p.comment(
        "waiting for the daemon...", 20, 700, 300, 18, present=(4.0, 20.0, width - 8, 18.0), **SMALL
    )
    p.connect(show_status, 0, status, 0)
    show_msg = p.obj("prepend set", 400, 660)
    p.connect(client, 2, show_msg, 0)
    p.connect(clip, 1, show_msg, 0)
    line = p.comment("", 400, 700, 300, 30, present=(4.0, DEVICE_H - 34, width - 8, 30.0), **SMALL)
    p.connect(show_msg, 0, line, 0)

    port = p.live_param(
        "live.numbox",
        760,
        20,
        44,
        15,
        (width - 52, 2.0, 48.0, 15.0),
        longname="Daemon Port",
        shortname="Port",
        kind="int",
        lo=1024,
        hi=65535,
        initial=DAEMON_PORT,
    )
    p.comment("port", 800, 20, present=(width - 84, 2.0, 30.0, 16.0), near=port, **SMALL)
    to_port = p.obj("prepend daemonport", 760, 60)
    p.connect(port, 0, to_port, 0)
    p.connect(to_port, 0, client, 0)
    return p, client, clip, here


def trigger(p: Patcher, label: str, x: float, y: float, stage: tuple[float, float, float, float]):
    """A live.text push button (bang on click)."""
    return p.live_param(
        "live.text",
        x,
        y,
        80,
        20,
        stage,
        longname=label,
        shortname=label,
        kind="enum",
        enum=["off", "on"],
        mode=0,
        text=label,
        texton=label,
        parameter_invisible=1,
    )


def dial(p: Patcher, name: str, x: float, y: float, stage: tuple[float, float], **kw):
    sx, sy = stage
    return p.live_param(
        "live.dial", x, y, 44, 48, (sx, sy, 44.0, 48.0), longname=name, shortname=name[:8], **kw
    )


def numbox(
    p: Patcher,
    name: str,
    x: float,
    y: float,
    stage: tuple[float, float],
    range_of: tuple[str, str],
    initial: int,
    label: str,
    label_at: tuple[float, float] | None = None,
    clamp: tuple[float, float] | None = None,
) -> dict:
    """An int live.numbox whose range is the daemon's (address, key), narrowed to `clamp`
    (low, high) when given, labelled on its right (or at `label_at` on stage)."""
    spec = osc.key(*range_of)
    lo, hi = spec.low, spec.high
    if clamp is not None:
        lo, hi = max(clamp[0], lo), min(clamp[1], hi)
    sx, sy = stage
    box = p.live_param(
        "live.numbox",
        x,
        y,
        44,
        15,
        (sx, sy, 44.0, 15.0),
        longname=name,
        shortname=name[:8],
        kind="int",
        lo=lo,
        hi=hi,
        initial=initial,
    )
    lx, ly = label_at or (sx + 46, sy)
    p.comment(label, x + 50, y, present=(lx, ly, 56.0, 16.0), near=box, **SMALL)
    return box


def write_variations(p: Patcher, client: dict, clip: dict, reply: str, name: str, x: float):
    """Each indexed reply `<index> <count> <notes...>` to its own clip named after `name`."""
    notes = reply_notes(p, client, reply, x, 600)
    write = p.obj(f"prepend writevariation {name}", x, 680)
    p.connect(notes, 1, write, 0)
    p.connect(write, 0, clip, 0)


def continue_device() -> Patcher:
    """Continue the selected clip: its notes go to the RNN, the answer lands in a new clip."""
    p, client, clip, here = device("bridge Continue", 260.0)
    temp = dial(p, "Temperature", 20, 60, (4.0, 42.0), lo=0.05, hi=2.0, initial=1.0)
    steps = p.live_param(
        "live.numbox",
        80,
        60,
        44,
        15,
        (54.0, 58.0, 44.0, 15.0),
        longname="Steps",
        shortname="Steps",
        kind="int",
        lo=1,
        hi=512,
        initial=32,
    )
    p.comment("16ths", 130, 60, present=(100.0, 58.0, 40.0, 16.0), near=steps, **SMALL)
    variations = numbox(
        p, "Variations", 80, 100, (54.0, 76.0), (osc.CONTINUE, "variations"), 1, "variations"
    )
    params = p.obj("pak 1. 32 1", 20, 140)
    p.connect(temp, 0, params, 0)
    p.connect(steps, 0, params, 1)
    p.connect(variations, 0, params, 2)
    p.connect(here, 0, params, 0)
    keep = p.obj("zl reg", 20, 180)
    p.connect(params, 0, keep, 1)

    go = trigger(p, "Continue", 200, 60, (150.0, 52.0, 100.0, 24.0))
    read = p.msg("read primer", 200, 100)
    p.connect(go, 0, read, 0)
    p.connect(read, 0, clip, 0)
    primer = p.obj("route primer", 400, 400)
    p.connect(clip, 0, primer, 0)
    order = p.obj("t b l", 400, 440)
    p.connect(primer, 0, order, 0)
    with_key = p.obj("prepend notes", 480, 480)
    request = p.obj(f"zl join {NOTE_LISTS}", 200, 520)
    p.connect(order, 1, with_key, 0)
    p.connect(with_key, 0, request, 1)
    p.connect(order, 0, keep, 0)
    head = p.msg(osc.request(osc.CONTINUE, temperature=1, steps=2, variations=3), 20, 480)
    p.connect(keep, 0, head, 0)
    p.connect(head, 0, request, 0)
    p.connect(request, 0, client, 0)
    p.comment(
        "select a clip, press Continue: each variation goes to the next empty slot",
        4,
        300,
        present=(4.0, 98.0, 252.0, 30.0),
        near=read,
        **SMALL,
    )

    write_variations(p, client, clip, osc.reply(osc.CONTINUE), "Continue", 700)
    return p


def interpolate_device() -> Patcher:
    """Take clip A and clip B, write each interpolation point to its own new clip."""
    p, client, clip, here = device("bridge Interpolate", 300.0)
    get_a = trigger(p, "Get A", 20, 60, (4.0, 44.0, 60.0, 20.0))
    get_b = trigger(p, "Get B", 120, 60, (4.0, 70.0, 60.0, 20.0))
    read_a = p.msg("read a", 20, 100)
    read_b = p.msg("read b", 120, 100)
    p.connect(get_a, 0, read_a, 0)
    p.connect(get_b, 0, read_b, 0)
    p.connect(read_a, 0, clip, 0)
    p.connect(read_b, 0, clip, 0)
    ab = p.obj("route a b", 400, 400)
    p.connect(clip, 0, ab, 0)
    keep_a = p.obj(f"zl reg {NOTE_LISTS}", 20, 240)
    keep_b = p.obj(f"zl reg {NOTE_LISTS}", 240, 240)
    p.connect(ab, 0, keep_a, 1)
    p.connect(ab, 1, keep_b, 1)

    steps = p.live_param(
        "live.numbox",
        240,
        60,
        44,
        15,
        (124.0, 46.0, 40.0, 15.0),
        longname="Points",
        shortname="Points",
        kind="int",
        lo=2,
        hi=16,
        initial=5,
    )
    p.comment("points", 290, 60, present=(166.0, 45.0, 50.0, 16.0), near=steps, **SMALL)
    temp = dial(p, "Temperature", 340, 60, (216.0, 40.0), lo=0.05, hi=2.0, initial=1.0)
    params = p.obj("pak 5 1.", 240, 140)
    p.connect(steps, 0, params, 0)
    p.connect(temp, 0, params, 1)
    p.connect(here, 0, params, 0)
    keep = p.obj("zl reg", 240, 180)
    p.connect(params, 0, keep, 1)

    go = trigger(p, "Interpolate", 460, 60, (124.0, 70.0, 90.0, 20.0))
    ask = p.obj("t b b b zlclear", 460, 100)
    p.connect(go, 0, ask, 0)
    key_b = p.obj("prepend b", 240, 280)
    key_a = p.obj("prepend a", 20, 280)
    both = p.obj(f"zl join {NOTE_LISTS}", 20, 320)
    request = p.obj(f"zl join {NOTE_LISTS}", 240, 400)
    p.connect(ask, 3, request, 0)
    p.connect(ask, 2, keep_b, 0)
    p.connect(keep_b, 0, key_b, 0)
    p.connect(key_b, 0, both, 1)
    p.connect(ask, 1, keep_a, 0)
    p.connect(keep_a, 0, key_a, 0)
    p.connect(key_a, 0, both, 0)
    p.connect(both, 0, request, 1)
    p.connect(ask, 0, keep, 0)
    head = p.msg(osc.request(osc.INTERPOLATE, steps=1, temperature=2), 240, 360)
    p.connect(keep, 0, head, 0)
    p.connect(head, 0, request, 0)
    p.connect(request, 0, client, 0)
    p.comment(
        "select clip A, Get A; clip B, Get B; Interpolate: one new clip per point",
        4,
        300,
        present=(4.0, 98.0, 292.0, 30.0),
        near=ask,
        **SMALL,
    )

    points = reply_notes(p, client, osc.reply(osc.INTERPOLATE), 700, 600)
    write = p.obj("prepend writepoint", 700, 680)
    p.connect(points, 1, write, 0)
    p.connect(write, 0, clip, 0)
    return p


def bars_device() -> Patcher:
    """Type a chord list; the GAN's bars land in new clips (one 4-beat bar per chord), one
    clip per variation."""
    p, client, clip, here = device("bridge Bars", 360.0)
    typed = p.ui(
        "textedit",
        20,
        60,
        200,
        22,
        present=(4.0, 42.0, 200.0, 22.0),
        keymode=1,
        lines=1,
        text=CHORD_PRESETS[0],
        fontsize=11.0,
    )
    words = p.obj("route text", 20, 100)
    p.connect(typed, 0, words, 0)
    chords = p.obj("zl reg", 20, 220)
    p.connect(words, 0, chords, 1)
    first = p.msg(CHORD_PRESETS[0], 240, 100)
    p.connect(here, 0, first, 0)
    p.connect(first, 0, chords, 1)
    show = p.obj("prepend set", 240, 180)
    p.connect(show, 0, typed, 0)
    for i, preset in enumerate(CHORD_PRESETS[:3]):
        m = p.msg(
            preset,
            440,
            60 + 30 * i,
            90,
            presentation=1,
            presentation_rect=[4.0 + 98.0 * i, 70.0, 94.0, 20.0],
            fontsize=10.0,
        )
        p.connect(m, 0, chords, 1)
        p.connect(m, 0, show, 0)
    go = trigger(p, "Make bars", 620, 60, (210.0, 42.0, 86.0, 22.0))
    at = (osc.BARS, "variations")
    variations = numbox(
        p, "Variations", 760, 100, (302.0, 45.0), at, 1, "variations", (302.0, 62.0)
    )
    keep = p.obj("i 1", 760, 140)
    p.connect(variations, 0, keep, 1)
    # right to left: the chords wait in [zl join]'s cold inlet, then the head joins them
    ask = p.obj("t b b", 620, 100)
    p.connect(go, 0, ask, 0)
    p.connect(ask, 1, chords, 0)
    p.connect(ask, 0, keep, 0)
    request = p.obj(f"zl join {NOTE_LISTS}", 20, 300)
    p.connect(chords, 0, request, 1)
    chords_key = osc.prefix(osc.BARS, "chords").split()[-1]  # a list key: the chords follow
    head = p.msg(f"{osc.request(osc.BARS, variations=1)} {chords_key}", 20, 260)
    p.connect(keep, 0, head, 0)
    p.connect(head, 0, request, 0)
    p.connect(request, 0, client, 0)
    p.comment(
        "chords per bar (type + Return, or pick one); each variation goes to a new clip",
        4,
        320,
        present=(4.0, 98.0, 352.0, 30.0),
        near=head,
        **SMALL,
    )

    write_variations(p, client, clip, osc.reply(osc.BARS), "Bars", 700)
    return p


def switch(
    p: Patcher, longname: str, shortname: str, label: str, x: float, y: float,
    at: tuple[float, float], initial: int, label_w: float = 60.0,
) -> dict:  # fmt: skip
    """An off/on live.toggle (a Live parameter, ``initial`` at load) labelled ``label`` on its
    right, on stage at ``at``."""
    tx, ty = at
    box = p.live_param(
        "live.toggle",
        x,
        y,
        15,
        15,
        (tx, ty, 14.0, 14.0),
        longname=longname,
        shortname=shortname,
        kind="enum",
        enum=["off", "on"],
        initial=initial,
    )
    p.comment(label, x + 20, y, present=(tx + 16, ty - 1, label_w, 16.0), near=box, **SMALL)
    return box


def density_aim(
    p: Patcher, address: str, x: float, y: float, dial_at: tuple[float, float],
    toggle_at: tuple[float, float],
) -> tuple[dict, dict]:  # fmt: skip
    """A Density dial (notes per beat, up to ``address``'s bound or 8) and the Aim Density
    toggle that adds it to requests (labelled "density" right of the toggle on stage)."""
    density = dial(
        p,
        "Density",
        x,
        y,
        dial_at,
        lo=0.25,
        hi=min(8.0, float(osc.key(address, "density").high)),
        initial=2.0,
    )
    aim = switch(p, "Aim Density", "Aim", "density", x + 80, y, toggle_at, initial=0)
    return density, aim


def play_switch(p: Patcher, x: float, y: float) -> dict:
    """The Play/Playing live.text toggle of a streaming device (1 starts, 0 stops)."""
    return p.live_param(
        "live.text",
        x,
        y,
        80,
        24,
        (4.0, 48.0, 70.0, 24.0),
        longname="Play",
        shortname="Play",
        kind="enum",
        enum=["off", "on"],
        mode=1,
        text="Play",
        texton="Playing",
    )


def live_tempo(p: Patcher, here: dict, x: float, y: float) -> dict:
    """Live's tempo, observed from when the device loads: the [live.observer] giving it."""
    path = p.msg("path live_set", x, y)
    p.connect(here, 0, path, 0)
    song = p.obj("live.path", x, y + 40)
    p.connect(path, 0, song, 0)
    tempo = p.obj("live.observer tempo", x, y + 80)
    p.connect(song, 0, tempo, 1)
    return tempo


def into_track(p: Patcher, note: dict, x: float, y: float) -> dict:
    """[makenote]'s notes, and the track's own MIDI, out to the track's instrument; answers
    the [midiin] of the track's MIDI."""
    pair = p.obj("pack 0 0", x, y)
    p.connect(note, 1, pair, 1)
    p.connect(note, 0, pair, 0)
    fmt = p.obj("midiformat", x, y + 40)
    p.connect(pair, 0, fmt, 0)
    out = p.obj("midiout", x, y + 80)
    p.connect(fmt, 0, out, 0)
    thru = p.obj("midiin", x + 180, y + 40)
    p.connect(thru, 0, out, 0)
    return thru


def stream_device() -> Patcher:
    """Play a live RNN continuation into this track, at Live's tempo."""
    p, client, clip, here = device("bridge Stream", 240.0)
    run = play_switch(p, 20, 60)
    temp = dial(p, "Temperature", 140, 60, (86.0, 40.0), lo=0.05, hi=2.0, initial=1.0)

    # Live's tempo, observed; temperature from the dial
    tempo = live_tempo(p, here, 600, 100)
    params = p.obj("pak 120. 1.", 140, 220)
    p.connect(tempo, 0, params, 0)
    p.connect(temp, 0, params, 1)
    keep = p.obj("zl reg", 140, 260)
    p.connect(params, 0, keep, 1)
    live = p.obj("gate", 300, 260)
    p.connect(params, 0, live, 1)
    with_stream = p.obj("zl join", 300, 300)
    p.connect(live, 0, with_stream, 0)
    set_msg = p.msg(osc.request(osc.STREAM_SET, stream=3, tempo=1, temperature=2), 300, 340)
    p.connect(with_stream, 0, set_msg, 0)
    p.connect(set_msg, 0, client, 0)

    onoff = p.obj("sel 1 0", 20, 140)
    p.connect(run, 0, onoff, 0)
    p.connect(onoff, 0, keep, 0)
    start = p.msg(osc.request(osc.STREAM_START, tempo=1, temperature=2), 20, 300)
    p.connect(keep, 0, start, 0)
    p.connect(start, 0, client, 0)
    stopping = p.obj("t b b 0", 100, 180)
    p.connect(onoff, 1, stopping, 0)
    p.connect(stopping, 2, live, 0)
    stream = p.obj("i -1", 100, 380)
    p.connect(stopping, 1, stream, 0)
    stop_msg = p.msg(osc.request(osc.STREAM_STOP, stream=1), 100, 420)
    p.connect(stream, 0, stop_msg, 0)
    p.connect(stop_msg, 0, client, 0)
    started = p.obj(f"route {osc.reply(osc.STREAM_START)}", 700, 440)
    p.connect(client, 0, started, 0)
    sid = p.obj("zl mth 1", 700, 480)
    p.connect(started, 0, sid, 0)
    got = p.obj("t 1 i i", 700, 520)
    p.connect(sid, 0, got, 0)
    p.connect(got, 2, with_stream, 1)
    p.connect(got, 1, stream, 1)
    p.connect(got, 0, live, 0)

    # the stream's notes, and the track's own MIDI, out to the instrument
    note = stream_notes(p, client, stopping, 20, 720)
    into_track(p, note, 20, 800)
    p.comment(
        "plays into this track at Live's tempo; incoming MIDI passes through",
        4,
        340,
        present=(4.0, 98.0, 232.0, 30.0),
        near=note,
        **SMALL,
    )
    return p
