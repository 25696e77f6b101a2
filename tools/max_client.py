"""The bridge client for Max, and the pieces the performer's patches and devices share.

`bridge_client()` is max_patches/bridge.maxpat (an abstraction: [bridge 57120 7401] in a patch)
and, embedded as [p bridge], the client inside each Max for Live device.

Data flow follows Max's right-to-left order: [t ...] fires its rightmost outlet first, so cold
inlets are filled before the hot (left) inlet that makes the output.
"""

from __future__ import annotations

import re

import maxtable as osc
from maxpat import ROOT
from patcher import Patcher

MAX_DIR = ROOT / "max_patches"
LIVE_DIR = ROOT / "ableton"

DAEMON_PORT = 57120
REPLY_PORT = 7401  # every bridge client in one Max (or one Live set) shares it; see README
NOTE_LISTS = "@zlmaxsize 4096"  # zl keeps 256 atoms by default: 64 notes; this allows 1024

TITLE = {"fontsize": 16.0, "fontface": 1}
SMALL = {"fontsize": 10.0}

CHORD_PRESETS = ["C Am F G", "Am F C G", "Dm G7 C C", "C G Am Em F C F G"]


# --- the client: request ids, reply routing, status ---------------------------------------------


def bridge_client(embedded: bool = False) -> Patcher:
    """The reusable client: one inlet for requests, outlets for replies, notes, errors, status.

    In:  `/bridge/<engine>/<verb> key value ...` (the request id is inserted here),
         `daemonport N` to talk to a daemon on another port, `describe` (every engine) or
         `describe <engine>`, and `load <engine> <folder>` (a checkpoint on the daemon's
         computer).
    Out: 0 replies `/bridge/reply/... <id> ...` (and pong/error) to this client's requests,
         1 `pitch velocity beats ms` of the stream this client started,
         2 `<request-address> <message>` for each error, 3 a status line for the performer,
         4 the describe and load replies without address and id, as lists a patch can
         [route]: `engine <name> checkpoint <folder> ... verbs <count>`, then per verb
         `verb <engine> <verb> <reply> <params> <doc>` and per key `param <engine> <verb>
         <index> <name> <kind> <required> <low> <high> <low-open> <default> <default-text>
         <doc>`, last `done <engines>`; `loaded <engine> <checkpoint> <hash>`.

    Ids are this client's random base (a multiple of 100000) plus a counter, so several clients
    sharing one reply port each keep only their own replies. Every 3 s the client pings; no pong
    within 1.5 s shows "no answer". It registers its reply port at load and again after each
    missed pong (a restarted daemon has forgotten it).

    `embedded` builds the [p bridge] copy inside a device: fixed ports, no [patcherargs].
    """
    p = Patcher((80.0, 80.0, 1020.0, 720.0))
    p.comment("bridge client: request ids, replies, errors, daemon status", 20, 5, **TITLE)

    # requests in: set the port, or insert an id after the address and send
    inl = p.inlet(
        20,
        40,
        "requests: /bridge/<engine>/<verb> key value ...; daemonport N; describe "
        "[engine]; load <engine> <folder>",
    )
    route_in = p.obj("route daemonport describe load", 20, 80)
    p.connect(inl, 0, route_in, 0)
    port_out = p.obj("prepend port", 20, 120)
    p.connect(route_in, 0, port_out, 0)
    stamp = p.obj("t a b zlclear", 160, 120)
    p.connect(route_in, 3, stamp, 0)
    # describe: a bare `describe` (a bang out of [route]) asks for every engine
    which = p.obj("route bang", 1000, 120)
    p.connect(route_in, 1, which, 0)
    every = p.msg(osc.DESCRIBE, 1000, 160)
    one = p.obj(f"prepend {osc.DESCRIBE} engine", 1080, 160)
    load_req = p.msg(f"{osc.LOAD} engine $1 path $2", 1200, 160)
    p.connect(which, 0, every, 0)
    p.connect(which, 1, one, 0)
    p.connect(route_in, 2, load_req, 0)
    for request in (every, one, load_req):
        p.connect(request, 0, stamp, 0)
    slice_addr = p.obj(f"zl slice 1 {NOTE_LISTS}", 160, 200)
    counter = p.obj("counter 0 99999", 300, 160)
    plus = p.obj("+ 0", 300, 200)
    join_id = p.obj("zl join", 160, 240)
    join_rest = p.obj(f"zl join {NOTE_LISTS}", 160, 280)
    udpsend = p.obj(f"udpsend 127.0.0.1 {DAEMON_PORT}", 20, 320)
    p.connect(stamp, 2, join_rest, 0)  # zlclear: forget the last request's keys
    p.connect(stamp, 1, counter, 0)
    p.connect(counter, 0, plus, 0)
    p.connect(plus, 0, join_id, 1)
    p.connect(stamp, 0, slice_addr, 0)
    p.connect(slice_addr, 1, join_rest, 1)
    p.connect(slice_addr, 0, join_id, 0)
    p.connect(join_id, 0, join_rest, 0)
    p.connect(join_rest, 0, udpsend, 0)
    p.connect(port_out, 0, udpsend, 0)
    p.comment("address, id, keys: the id goes after the address", 300, 280, near=join_rest, **SMALL)

    # start: pick an id base, read the ports, then register and ping every 3 s
    load = p.obj("loadbang", 480, 40)
    boot = p.obj("t b b b", 480, 80)
    p.connect(load, 0, boot, 0)
    rnd = p.obj("random 20000", 760, 120)
    times = p.obj("* 100000", 760, 160)
    base = p.obj("t i i i", 760, 200)
    top = p.obj("+ 99999", 840, 240)
    p.connect(boot, 2, rnd, 0)
    p.chain(rnd, times, base)
    p.connect(base, 2, plus, 1)
    reg = p.msg(f"/bridge/register port {REPLY_PORT}", 480, 240)
    udprecv = p.obj(f"udpreceive {REPLY_PORT}", 20, 400)
    if not embedded:
        args = p.obj(f"patcherargs {DAEMON_PORT} {REPLY_PORT}", 600, 120)
        ports = p.obj("unpack 0 0", 600, 160)
        p.connect(boot, 1, args, 0)
        p.connect(args, 0, ports, 0)
        p.connect(ports, 0, port_out, 0)
        rport = p.obj("t i i", 660, 200)
        p.connect(ports, 1, rport, 0)
        set_reg = p.obj("prepend set /bridge/register port", 600, 280)
        p.connect(rport, 0, set_reg, 0)
        p.connect(set_reg, 0, reg, 0)
        listen = p.obj("prepend port", 760, 360)
        p.connect(rport, 1, listen, 0)
        p.connect(listen, 0, udprecv, 0)
    metro = p.obj("metro 3000", 480, 120)
    p.connect(boot, 0, metro, 0)
    tick = p.obj("t b b b", 480, 160)
    p.connect(metro, 0, tick, 0)
    ping = p.msg("/bridge/ping", 560, 200)
    timeout = p.obj("delay 1500", 400, 200)
    # register at load and again after a missed pong (the daemon may have restarted)
    unregistered = p.obj("gate 1 1", 480, 200)
    p.connect(tick, 2, unregistered, 1)
    p.connect(unregistered, 0, reg, 0)
    p.connect(tick, 1, ping, 0)
    p.connect(tick, 0, timeout, 0)
    p.connect(reg, 0, stamp, 0)
    p.connect(ping, 0, stamp, 0)

    # replies in: stream notes by stream id, everything else by request id
    by_addr = p.obj("route /bridge/note", 20, 440)
    p.connect(udprecv, 0, by_addr, 0)
    note_split = p.obj("zl slice 1", 20, 480)
    p.connect(by_addr, 0, note_split, 0)
    same_stream = p.obj("== -1", 120, 520)
    is_ours = p.obj("sel 1", 120, 560)
    note_hold = p.obj("zl reg", 20, 600)
    p.connect(note_split, 1, note_hold, 1)
    p.connect(note_split, 0, same_stream, 0)
    p.connect(same_stream, 0, is_ours, 0)
    p.connect(is_ours, 0, note_hold, 0)

    keep = p.obj("t a a", 240, 480)
    p.connect(by_addr, 1, keep, 0)
    held = p.obj(f"zl reg {NOTE_LISTS}", 240, 600)
    p.connect(keep, 1, held, 1)
    get_id = p.obj("zl mth 1", 320, 520)  # mth counts from 0: the id after the address
    p.connect(keep, 0, get_id, 0)
    in_range = p.obj("split 0 99999", 320, 560)
    p.connect(get_id, 0, in_range, 0)
    p.connect(base, 1, in_range, 1)
    p.connect(base, 0, top, 0)
    p.connect(top, 0, in_range, 2)
    release = p.obj("t b", 440, 560)
    p.connect(in_range, 0, release, 0)
    p.connect(release, 0, held, 0)

    fan = p.obj("t a a a", 240, 640)
    p.connect(held, 0, fan, 0)
    kinds = p.obj("route /bridge/pong /bridge/error /bridge/reply/rnn/stream/start", 400, 680)
    p.connect(fan, 2, kinds, 0)
    described = describe_replies(p, fan, 1, 840, 680)
    pong = p.obj("t l b b", 400, 720)
    p.connect(kinds, 0, pong, 0)
    stop = p.msg("stop", 480, 760)
    p.connect(pong, 2, stop, 0)
    p.connect(stop, 0, timeout, 0)
    registered = p.msg("0", 540, 760)
    p.connect(pong, 1, registered, 0)
    p.connect(registered, 0, unregistered, 0)
    version = p.obj("zl mth 2", 400, 760)
    p.connect(pong, 0, version, 0)
    running = p.obj("prepend daemon running: bridge", 400, 800)
    p.connect(version, 0, running, 0)
    err = p.obj("zl slice 1", 600, 720)
    p.connect(kinds, 1, err, 0)
    stream_id = p.obj("zl mth 1", 760, 720)
    p.connect(kinds, 2, stream_id, 0)
    p.connect(stream_id, 0, same_stream, 1)
    silent = p.msg(
        "no answer from the bridge daemon - start it with: python -m bridge serve", 20, 760
    )
    p.connect(timeout, 0, silent, 0)
    again = p.msg("1", 240, 760)
    p.connect(timeout, 0, again, 0)
    p.connect(again, 0, unregistered, 0)

    out_replies = p.outlet(240, 840, "replies: /bridge/reply/<engine>/<verb> <id> ...")
    out_notes = p.outlet(20, 840, "stream notes: pitch velocity beats ms")
    out_errors = p.outlet(600, 840, "errors: <request-address> <message>")
    out_status = p.outlet(400, 880, "status line for the performer")
    out_describe = p.outlet(
        840, 880, "describe and load: engine ..., verb ..., param ..., done N; loaded ..."
    )
    for box, outlet in described:
        p.connect(box, outlet, out_describe, 0)
    p.connect(fan, 0, out_replies, 0)
    p.connect(note_hold, 0, out_notes, 0)
    p.connect(err, 1, out_errors, 0)
    p.connect(running, 0, out_status, 0)
    p.connect(silent, 0, out_status, 0)
    return p


def describe_replies(
    p: Patcher, src: dict, outlet: int, x: float, y: float
) -> list[tuple[dict, int]]:
    """Route the describe and load replies from ``src``'s outlet, drop their id and label each
    (`engine` is the describe reply's own first word); the (box, outlet) giving each list."""
    labels = {
        **dict(zip(osc.describe_replies(), (None, "verb", "param", "done"), strict=True)),
        osc.reply(osc.LOAD): "loaded",
    }
    route = p.obj("route " + " ".join(labels), x, y)
    p.connect(src, outlet, route, 0)
    out = []
    for i, label in enumerate(labels.values()):
        drop_id = p.obj("zl slice 1", x + 80 * i, y + 40)
        p.connect(route, i, drop_id, 0)
        if label is None:
            out.append((drop_id, 1))
            continue
        named = p.obj(f"prepend {label}", x + 80 * i, y + 80)
        p.connect(drop_id, 1, named, 0)
        out.append((named, 0))
    return out


# --- shared pieces of the performer's patches --------------------------------------------------


def status_lines(p: Patcher, client: dict, x: float, y: float, stage_y: float, width: float):
    """Show the client's status (top) and the last error (below) on stage."""
    show_status = p.obj("prepend set", x, y)
    p.connect(client, 3, show_status, 0)
    status = p.comment(
        "status: waiting for the daemon...",
        x,
        y + 40,
        width,
        20,
        present=(10.0, stage_y, width, 20.0),
    )
    p.connect(show_status, 0, status, 0)
    show_err = p.obj("prepend set", x + 160, y)
    p.connect(client, 2, show_err, 0)
    error = p.comment(
        "",
        x + 160,
        y + 80,
        width,
        34,
        present=(10.0, stage_y + 22, width, 34.0),
        textcolor=[0.8, 0.1, 0.1, 1.0],
    )
    p.connect(show_err, 0, error, 0)
    return show_err


def tempo_control(p: Patcher, x: float, y: float, stage: tuple[float, float]) -> dict:
    """A tempo box (BPM) and the ms-per-beat it makes ([!/ 60000.] out)."""
    sx, sy = stage
    tempo = p.ui(
        "flonum",
        x,
        y,
        50,
        22,
        present=(sx, sy, 50.0, 22.0),
        minimum=20.0,
        maximum=300.0,
        format=6,
        varname="tempo",
    )
    p.comment("tempo", x + 60, y, present=(sx + 52, sy, 50.0, 20.0), near=tempo)
    ms = p.obj("!/ 60000.", x, y + 40)
    p.connect(tempo, 0, ms, 0)
    init = p.msg("120.", x + 120, y - 40)
    load = p.obj("loadbang", x + 120, y - 80)
    p.connect(load, 0, init, 0)
    p.connect(init, 0, tempo, 0)
    return ms


def note_player(p: Patcher, x: float, y: float, ms_per_beat: dict) -> tuple[dict, dict]:
    """Play a flat note list (pitch start dur vel ...) through [makenote] and [noteout].

    Returns (input box, stop box). Each note waits in [pipe] for its start time.
    """
    each = p.obj(f"zl iter 4 {NOTE_LISTS}", x, y)
    fields = p.obj("unpack 0 0. 0. 0", x, y + 40)
    p.connect(each, 0, fields, 0)
    start_ms = p.obj("* 500.", x + 80, y + 80)
    dur_ms = p.obj("* 500.", x + 160, y + 80)
    p.connect(ms_per_beat, 0, start_ms, 1)
    p.connect(ms_per_beat, 0, dur_ms, 1)
    wait = p.obj("pipe 0 0 0. 0", x, y + 120)
    p.connect(fields, 3, wait, 1)
    p.connect(fields, 2, dur_ms, 0)
    p.connect(dur_ms, 0, wait, 2)
    p.connect(fields, 1, start_ms, 0)
    p.connect(start_ms, 0, wait, 3)
    p.connect(fields, 0, wait, 0)
    note = p.obj("makenote 100 500", x, y + 160)
    p.connect(wait, 2, note, 2)
    p.connect(wait, 1, note, 1)
    p.connect(wait, 0, note, 0)
    out = p.obj("noteout 1", x, y + 200)
    p.connect(note, 1, out, 1)
    p.connect(note, 0, out, 0)
    stop = p.obj("t b b", x + 240, y + 120)
    clear = p.msg("clear", x + 240, y + 160)
    flush = p.msg("stop", x + 300, y + 160)
    p.connect(stop, 1, clear, 0)
    p.connect(clear, 0, wait, 0)
    p.connect(stop, 0, flush, 0)
    p.connect(flush, 0, note, 0)
    p.comment("double-click [noteout] to pick the MIDI output", x + 80, y + 200, near=out, **SMALL)
    return each, stop


def button(p: Patcher, label: str, x: float, y: float, stage: tuple[float, float]) -> dict:
    """A [button] with its label on stage."""
    sx, sy = stage
    name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")  # a scripting name, for tests
    b = p.ui("button", x, y, 24, 24, present=(sx, sy, 24.0, 24.0), varname=name)
    p.comment(label, x + 30, y + 2, present=(sx + 28, sy + 2, 120.0, 20.0), near=b)
    return b


def reply_notes(p: Patcher, client: dict, address: str, x: float, y: float) -> dict:
    """[route address] -> [zl slice 1]: the reply's notes (without its id) on outlet 1."""
    route = p.obj(f"route {address}", x, y)
    p.connect(client, 0, route, 0)
    drop_id = p.obj(f"zl slice 1 {NOTE_LISTS}", x, y + 40)
    p.connect(route, 0, drop_id, 0)
    return drop_id


def play_answer(
    p: Patcher,
    client: dict,
    address: str,
    ms_per_beat: dict,
    at: tuple[float, float],
    stop_at: tuple[float, float],
    stage: tuple[float, float],
) -> None:
    """A reply's notes shown in a message box and played ([note_player]); a stop button at
    `stop_at` in the patch and `stage` on the presentation."""
    x, y = at
    notes = reply_notes(p, client, address, x, y)
    show = p.obj("prepend set", x + 180, y + 80)
    shown = p.msg("", x + 180, y + 120, 220)
    p.connect(notes, 1, show, 0)
    p.connect(show, 0, shown, 0)
    play, stop = note_player(p, x, y + 80, ms_per_beat)
    p.connect(notes, 1, play, 0)
    stop_btn = button(p, "stop", *stop_at, stage)
    p.connect(stop_btn, 0, stop, 0)


def client_box(p: Patcher, x: float, y: float) -> dict:
    return p.obj(f"bridge {DAEMON_PORT} {REPLY_PORT}", x, y)
