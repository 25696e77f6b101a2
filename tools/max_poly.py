"""The polyphonic engines in Max: Harmonize (harmony) and Perform (perf), each a Max for Live
device and a Max patch.

Harmonize sends a melody to `/bridge/harmony/harmonize` (greedy at temperature 0, sampled
above it) and gets four indexed replies, one per voice, soprano first; the device writes them
together as one clip ([js bridge_clip.js]'s `writepart`), the patch keeps each voice in a
[coll] and plays them. Perform sends a polyphonic primer (chords, velocities) to
`/bridge/perf/continue` with temperature, beats and, when its toggle is on, density; the
answer is one note list with overlapping notes and velocities, written to a new clip or played.
"""

from __future__ import annotations

import maxtable as osc
from max_client import (
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
from max_devices import device, dial, trigger
from patcher import Patcher

# A chorale-like tune in G (quarter notes, half-note cadences): pitch start duration velocity
HARMONIZE_MELODY = (
    "67 0. 1. 90 67 1. 1. 90 71 2. 1. 90 69 3. 1. 90 67 4. 1. 90 66 5. 1. 90 64 6. 2. 90 "
    "62 8. 1. 90 64 9. 1. 90 66 10. 1. 90 67 11. 1. 90 69 12. 1. 90 66 13. 1. 90 67 14. 2. 90"
)
# C Am F G, a four-note chord per beat, the downbeat's chord louder
PERFORM_CHORDS = " ".join(
    f"{p} {beat}. 1. {96 if beat == 0 else 80}"
    for beat, chord in enumerate(
        [(48, 64, 67, 72), (45, 64, 69, 72), (41, 65, 69, 72), (43, 62, 67, 71)]
    )
    for p in chord
)


def harmony_heads(p: Patcher, keep: dict, request: dict, x: float, y: float) -> None:
    """[keep]'s temperature picks the head: 0 greedy (no temperature key), above 0 sampled."""
    which = p.obj("split 0. 0.", x, y)
    p.connect(keep, 0, which, 0)
    greedy = p.msg(osc.request(osc.HARMONIZE), x, y + 40)
    sampled = p.msg(osc.request(osc.HARMONIZE, temperature=1), x + 200, y + 40)
    p.connect(which, 0, greedy, 0)
    p.connect(which, 1, sampled, 0)
    p.connect(greedy, 0, request, 0)
    p.connect(sampled, 0, request, 0)


def perf_heads(p: Patcher, keep: dict, switch: dict, request: dict, x: float, y: float) -> None:
    """[keep]'s `temperature beats density` to the head without density, or (switch on) with."""
    which = p.obj("+ 1", x + 200, y - 40)
    p.connect(switch, 0, which, 0)
    by_density = p.obj("gate 2 1", x, y)
    p.connect(which, 0, by_density, 0)
    p.connect(keep, 0, by_density, 1)
    free = p.msg(osc.request(osc.PERF, temperature=1, beats=2), x, y + 40)
    dense = p.msg(osc.request(osc.PERF, temperature=1, beats=2, density=3), x + 200, y + 80)
    p.connect(by_density, 0, free, 0)
    p.connect(by_density, 1, dense, 0)
    p.connect(free, 0, request, 0)
    p.connect(dense, 0, request, 0)


def clip_request(p: Patcher, clip: dict, tag: str, x: float, y: float) -> tuple[dict, dict]:
    """[js]'s `<tag> <notes...>` -> `notes <notes...>` waiting in a [zl join]'s cold inlet.

    Returns (the bang when the notes are in, the [zl join] the head goes into)."""
    notes = p.obj(f"route {tag}", x, y)
    p.connect(clip, 0, notes, 0)
    order = p.obj("t b l", x, y + 40)
    p.connect(notes, 0, order, 0)
    with_key = p.obj("prepend notes", x + 80, y + 80)
    request = p.obj(f"zl join {NOTE_LISTS}", x - 200, y + 120)
    p.connect(order, 1, with_key, 0)
    p.connect(with_key, 0, request, 1)
    return order, request


def ask_with_notes(
    p: Patcher, go: dict, notes: dict, keep: dict, x: float, y: float, before: int = 0
) -> tuple[dict, dict]:
    """On `go`, right to left: the request's [zl join] cleared, `before` bangs of the
    caller's (outlets 2...), `notes` (a [zl reg]) after the key `notes` into the join's cold
    inlet, then a bang to `keep`, whose output picks and sends the head.

    Returns ([t b b ... zlclear], the [zl join] the head goes into)."""
    ask = p.obj("t b b " + "b " * before + "zlclear", x, y)
    p.connect(go, 0, ask, 0)
    with_key = p.obj("prepend notes", x - 660, y + 100)
    p.connect(ask, 1, notes, 0)
    p.connect(notes, 0, with_key, 0)
    request = p.obj(f"zl join {NOTE_LISTS}", x - 440, y + 220)
    p.connect(ask, 2 + before, request, 0)
    p.connect(with_key, 0, request, 1)
    p.connect(ask, 0, keep, 0)
    return ask, request


def harmonize_device() -> Patcher:
    """The selected clip's melody in four voices: one new clip holding all four."""
    p, client, clip, here = device("bridge Harmonize", 240.0)
    temp = dial(p, "Temperature", 20, 60, (4.0, 42.0), lo=0.0, hi=2.0, initial=0.0)
    p.comment("0: greedy", 70, 60, present=(50.0, 58.0, 60.0, 16.0), near=temp, **SMALL)
    keep = p.obj("f 0.", 20, 140)
    p.connect(temp, 0, keep, 1)
    go = trigger(p, "Harmonize", 200, 60, (120.0, 52.0, 110.0, 24.0))
    read = p.msg("read melody", 200, 100)
    p.connect(go, 0, read, 0)
    p.connect(read, 0, clip, 0)
    order, request = clip_request(p, clip, "melody", 400, 400)
    p.connect(order, 0, keep, 0)
    harmony_heads(p, keep, request, 20, 440)
    p.connect(request, 0, client, 0)
    p.comment(
        "select a melody clip, press Harmonize: soprano, alto, tenor, bass in one new clip",
        4,
        300,
        present=(4.0, 98.0, 232.0, 30.0),
        near=read,
        **SMALL,
    )
    voices = reply_notes(p, client, osc.reply(osc.HARMONIZE), 700, 600)
    write = p.obj("prepend writepart Harmony", 700, 680)
    p.connect(voices, 1, write, 0)
    p.connect(write, 0, clip, 0)
    return p


def perform_device() -> Patcher:
    """Continue the selected clip's chords (velocities kept) with perf: a new clip."""
    p, client, clip, here = device("bridge Perform", 300.0)
    temp = dial(p, "Temperature", 20, 60, (4.0, 42.0), lo=0.05, hi=2.0, initial=1.0)
    beats_key = osc.key(osc.PERF, "beats")
    beats = p.live_param(
        "live.numbox",
        80,
        60,
        44,
        15,
        (54.0, 46.0, 44.0, 15.0),
        longname="Beats",
        shortname="Beats",
        kind="int",
        lo=max(1, int(beats_key.low)),
        hi=int(beats_key.high),
        initial=8,
    )
    p.comment("beats", 130, 60, present=(100.0, 45.0, 40.0, 16.0), near=beats, **SMALL)
    density = dial(
        p,
        "Density",
        80,
        100,
        (140.0, 42.0),
        lo=0.25,
        hi=min(8.0, float(osc.key(osc.PERF, "density").high)),
        initial=2.0,
    )
    aim = p.live_param(
        "live.toggle",
        160,
        100,
        15,
        15,
        (54.0, 66.0, 14.0, 14.0),
        longname="Aim Density",
        shortname="Aim",
        kind="enum",
        enum=["off", "on"],
        initial=0,
    )
    p.comment("density", 180, 100, present=(70.0, 65.0, 60.0, 16.0), near=aim, **SMALL)
    params = p.obj("pak 1. 8 2.", 20, 180)
    p.connect(temp, 0, params, 0)
    p.connect(beats, 0, params, 1)
    p.connect(density, 0, params, 2)
    p.connect(here, 0, params, 0)
    keep = p.obj("zl reg", 20, 220)
    p.connect(params, 0, keep, 1)

    go = trigger(p, "Perform", 400, 60, (196.0, 46.0, 100.0, 24.0))
    read = p.msg("read primer", 400, 100)
    p.connect(go, 0, read, 0)
    p.connect(read, 0, clip, 0)
    order, request = clip_request(p, clip, "primer", 400, 400)
    p.connect(order, 0, keep, 0)
    perf_heads(p, keep, aim, request, 20, 300)
    p.connect(request, 0, client, 0)
    p.comment(
        "select a clip (chords welcome), press Perform: its continuation, velocities and "
        "all, goes to the next empty slot",
        4,
        340,
        present=(4.0, 98.0, 292.0, 30.0),
        near=read,
        **SMALL,
    )
    notes = reply_notes(p, client, osc.reply(osc.PERF), 700, 600)
    write = p.obj("prepend write Perform", 700, 680)
    p.connect(notes, 1, write, 0)
    p.connect(write, 0, clip, 0)
    return p


def _patch(title: str) -> tuple[Patcher, dict]:
    p = Patcher((60.0, 80.0, 1260.0, 820.0), presentation=True, folders=[MAX_DIR])
    p.comment(title, 20, 10, 340, 24, present=(10.0, 8.0, 340.0, 24.0), **TITLE)
    client = client_box(p, 20, 560)
    status_lines(p, client, 20, 600, 36.0, 460.0)
    return p, client


def _notes_box(p: Patcher, text: str, label: str, load: dict, x: float, y: float) -> dict:
    """An editable note list (click to use) kept in a [zl reg]; loaded at start."""
    box = p.msg(text, x, y + 24, 440, presentation=1, presentation_rect=[10.0, 116.0, 460.0, 36.0])
    p.comment(label, x, y, present=(10.0, 96.0, 300.0, 20.0), near=box)
    keep = p.obj(f"zl reg {NOTE_LISTS}", x, y + 100)
    p.connect(box, 0, keep, 1)
    p.connect(load, 0, box, 0)
    return keep


def harmonize_patch() -> Patcher:
    """Harmonize a melody in four voices; each voice is kept in [coll voices] and they play."""
    p, client = _patch("bridge: harmonize a melody")
    load = p.obj("loadbang", 500, 20)
    melody = _notes_box(p, HARMONIZE_MELODY, "melody (pitch start dur vel ...): click to use",
                        load, 20, 60)  # fmt: skip
    temp = p.ui(
        "flonum",
        500,
        100,
        50,
        22,
        present=(10.0, 162.0, 50.0, 22.0),
        varname="temperature",
        minimum=0.0,
        maximum=4.0,
        format=6,
    )
    p.comment("temperature (0: greedy)", 560, 100, present=(62.0, 162.0, 150.0, 20.0), near=temp)
    init = p.msg("0.", 560, 60)
    p.connect(load, 0, init, 0)
    p.connect(init, 0, temp, 0)
    keep = p.obj("f 0.", 500, 240)
    p.connect(temp, 0, keep, 1)

    go = button(p, "harmonize", 680, 100, (220.0, 160.0))
    ask, request = ask_with_notes(p, go, melody, keep, 680, 140, before=1)
    harmony_heads(p, keep, request, 240, 280)
    p.connect(request, 0, client, 0)
    voices = p.obj("coll voices", 820, 520)
    forget = p.msg("clear", 880, 180)
    p.connect(ask, 2, forget, 0)  # the last melody's voices
    p.connect(forget, 0, voices, 0)

    # one reply per voice: id index count notes -> coll voices (index -> notes), and play it
    ms = tempo_control(p, 1000, 120, (320.0, 196.0))
    play, stop = note_player(p, 820, 640, ms)
    reply = reply_notes(p, client, osc.reply(osc.HARMONIZE), 820, 360)
    header = p.obj(f"zl slice 2 {NOTE_LISTS}", 820, 440)
    p.connect(reply, 1, header, 0)
    entry = p.obj(f"zl join {NOTE_LISTS}", 820, 480)
    p.connect(header, 1, entry, 1)
    p.connect(header, 1, play, 0)
    index = p.obj("unpack 0 0", 960, 440)
    p.connect(header, 0, index, 0)
    p.connect(index, 0, entry, 0)
    p.connect(entry, 0, voices, 0)
    again = button(p, "play again", 1100, 520, (10.0, 196.0))
    replay = p.obj("t b b", 1100, 560)
    p.connect(again, 0, replay, 0)
    p.connect(replay, 1, stop, 0)
    dump = p.msg("dump", 1100, 600)
    p.connect(replay, 0, dump, 0)
    p.connect(dump, 0, voices, 0)
    p.connect(voices, 0, play, 0)
    stop_btn = button(p, "stop", 1180, 640, (140.0, 196.0))
    p.connect(stop_btn, 0, stop, 0)
    return p


def perform_patch() -> Patcher:
    """Continue a chord phrase with perf (velocities, overlapping notes) and play the answer."""
    p, client = _patch("bridge: perform (polyphonic continue)")
    load = p.obj("loadbang", 500, 20)
    chords = _notes_box(p, PERFORM_CHORDS, "chords (pitch start dur vel ...): click to use",
                        load, 20, 60)  # fmt: skip
    beats_key = osc.key(osc.PERF, "beats")
    density_key = osc.key(osc.PERF, "density")
    controls = [
        ("temperature", "flonum", 0.05, 4.0, "1."),
        ("beats", "number", max(1, int(beats_key.low)), int(beats_key.high), "8"),
        ("density", "flonum", 0.25, float(density_key.high), "2."),
    ]
    params = p.obj("pak 1. 8 2.", 500, 200)
    for i, (name, cls, lo, hi, value) in enumerate(controls):
        box = p.ui(
            cls,
            500 + 120 * i,
            100,
            50,
            22,
            present=(10.0 + 110.0 * i, 162.0, 50.0, 22.0),
            varname=name,
            minimum=lo,
            maximum=hi,
            **({"format": 6} if cls == "flonum" else {}),
        )
        p.comment(name, 560 + 120 * i, 100, present=(62.0 + 110.0 * i, 162.0, 58.0, 20.0), near=box)
        init = p.msg(value, 500 + 120 * i, 60)
        p.connect(load, 0, init, 0)
        p.connect(init, 0, box, 0)
        p.connect(box, 0, params, i)
    aim = p.ui("toggle", 860, 140, 20, 20, present=(340.0, 163.0, 20.0, 20.0), varname="aim")
    p.comment("aim at the density", 890, 140, present=(362.0, 162.0, 120.0, 20.0), near=aim)
    keep = p.obj("zl reg", 500, 240)
    p.connect(params, 0, keep, 1)

    go = button(p, "perform!", 680, 180, (10.0, 196.0))
    _, request = ask_with_notes(p, go, chords, keep, 680, 220)
    perf_heads(p, keep, aim, request, 240, 320)
    p.connect(request, 0, client, 0)

    ms = tempo_control(p, 1000, 120, (340.0, 196.0))
    play_answer(p, client, osc.reply(osc.PERF), ms, (820, 560), (1060, 760), (160.0, 196.0))
    return p
