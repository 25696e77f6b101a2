"""The Max patches and Max for Live devices: valid files of real objects, sound cords, and only
addresses (and keys) the daemon answers.

Every .maxpat in max_patches/ and .amxd in ableton/ is read back from disk (the .amxd through
its binary chunks) and checked against max_patches/objects.json, the table of real Max objects
and their inlet/outlet counts. The OSC addresses the patches send and route are checked against
the daemon's own address table (tools/maxtable.py: the registered engines' verbs, and
bridge.server.protocol's and bridge.live.live's addresses), the table the generators read. The
devices' Live API script runs under node against a fake Live set.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import maxpat  # noqa: E402
import maxtable  # noqa: E402

PATCHES = sorted((ROOT / "max_patches").glob("*.maxpat"))
DEVICES = sorted((ROOT / "ableton").glob("*.amxd"))
FILES = PATCHES + DEVICES
TABLE = maxpat.load_objects()

# The daemon's address table (tools/maxtable.py: the registered engines' verbs, the daemon's
# own addresses, the streams'), which the patch generators read too, and what it sends.
TABLE_ADDRESSES = maxtable.table()
SENDS = maxtable.sends()
EVENTS = {"/bridge/pong", "/bridge/error", "/bridge/note"}  # sent, never requested


# --- every file: real objects, real inlets and outlets --------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_patch_is_valid_max(path: Path) -> None:
    problems = maxpat.check_file(path, TABLE)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", DEVICES, ids=lambda p: p.name)
def test_device_container(path: Path) -> None:
    data = path.read_bytes()
    assert data[:4] == b"ampf" and struct.unpack_from("<I", data, 4)[0] == 4
    kind, doc = maxpat.read_amxd(data)
    assert kind == "mmmm", "the bridge devices are MIDI effects"
    patcher = doc["patcher"]
    assert patcher["openinpresentation"] == 1 and patcher["devicewidth"] > 0
    params = patcher["parameters"]
    boxes = {b["box"]["id"]: b["box"] for b in patcher["boxes"]}
    for box_id, (longname, _short, _) in ((k, v) for k, v in params.items() if k in boxes):
        value = boxes[box_id]["saved_attribute_attributes"]["valueof"]
        assert value["parameter_longname"] == longname
    names = [v[0] for k, v in params.items() if k in boxes]
    assert len(names) == len(set(names)), "Live parameter names must be unique in a device"
    assert maxpat.amxd_bytes(doc, "midi") == data, "the file is not what the writer makes"
    for dep in patcher["dependency_cache"]:
        assert (path.parent / dep["name"]).is_file(), f"{dep['name']} must sit next to the device"


def test_generated_files_are_up_to_date(tmp_path: Path) -> None:
    import build_max

    (tmp_path / "max").mkdir()
    (tmp_path / "live").mkdir()
    for out in build_max.build(tmp_path / "max", tmp_path / "live"):
        committed = ROOT / "max_patches" if out.parent.name == "max" else ROOT / "ableton"
        assert (committed / out.name).read_bytes() == out.read_bytes(), (
            f"{out.name} differs from tools/build_max.py's output: run the generator"
        )


# --- the checker itself catches broken patches -------------------------------------------------


def _client_doc() -> dict[str, Any]:
    return json.loads((ROOT / "max_patches" / "bridge.maxpat").read_text())


def _problems(doc: dict[str, Any]) -> list[str]:
    ctx = maxpat.Context([ROOT / "max_patches"])
    return maxpat.check_document(doc, TABLE, ctx, presentation=False)


def test_checker_catches_an_unknown_object() -> None:
    doc = _client_doc()
    box = next(b["box"] for b in doc["patcher"]["boxes"] if b["box"].get("text") == "zl join")
    box["text"] = "zl.joinn"
    assert any("unknown Max object class 'zl.joinn'" in p for p in _problems(doc))


def test_checker_catches_a_cord_to_a_missing_inlet_or_box() -> None:
    doc = _client_doc()
    lines = doc["patcher"]["lines"]
    bad = copy.deepcopy(lines[0])
    bad["patchline"]["destination"][1] = 7
    gone = copy.deepcopy(lines[1])
    gone["patchline"]["source"][0] = "obj-999"
    lines += [bad, gone]
    problems = _problems(doc)
    assert any("inlet 7" in p for p in problems)
    assert any("obj-999" in p for p in problems)


def test_checker_catches_wrong_counts() -> None:
    doc = _client_doc()
    box = next(b["box"] for b in doc["patcher"]["boxes"] if b["box"].get("text") == "zl join")
    box["numoutlets"] = 1
    assert any("Max makes 2/2" in p for p in _problems(doc))


def test_checker_catches_outlets_out_of_x_order() -> None:
    # Max numbers outlets left to right by x: an outlet left of a lower index one is a bug
    doc = _client_doc()
    outlets = [b["box"] for b in doc["patcher"]["boxes"] if b["box"]["maxclass"] == "outlet"]
    assert not _problems(doc)
    outlets[0]["patching_rect"][0], outlets[1]["patching_rect"][0] = (
        outlets[1]["patching_rect"][0],
        outlets[0]["patching_rect"][0],
    )
    assert any("outlets left to right have index [1, 0" in p for p in _problems(doc))


def test_count_rules() -> None:
    ctx = maxpat.Context([])
    cases = {
        "route /a /b /c": (4, 4),
        "t b b zlclear": (1, 3),
        "unpack 0 0. 0. 0": (1, 4),
        "pack 0 0 0. 0. 0": (5, 1),
        "pipe 0 0 0. 0": (4, 3),
        "sel 1": (2, 2),
        "sel 1 0": (1, 3),
        "gate": (2, 1),
        "gate 2": (2, 2),
        "makenote 100 500": (3, 2),
        "sprintf %s %d": (2, 1),
        "zl group 4 @zlmaxsize 4096": (2, 2),
    }
    for text, io in cases.items():
        assert maxpat.expected_io({"maxclass": "newobj", "text": text}, TABLE, ctx) == io, text


# --- OSC addresses and keys --------------------------------------------------------------------

TOKEN = re.compile(r"\S+")


def _number(token: str) -> bool:
    return bool(re.fullmatch(r"-?\d+\.?\d*|\$\d+", token))


def requests_in(doc: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(address, the words after it) for every box that sends a request."""
    found = []
    for text in maxpat.box_texts(doc):
        words = TOKEN.findall(text)
        if words[:1] == ["prepend"]:
            words = words[1:]
        if words and words[0].startswith("/bridge/") and words[0] not in EVENTS:
            if not words[0].startswith("/bridge/reply/"):
                found.append((words[0], words[1:]))
    return found


def routed_in(doc: dict[str, Any]) -> set[str]:
    """Addresses the patch listens for (in [route] boxes)."""
    found: set[str] = set()
    for text in maxpat.box_texts(doc):
        if text.startswith("route "):
            found.update(w for w in text.split()[1:] if w.startswith("/bridge/"))
    return found


ALL_REQUESTS = sorted(
    {
        (path.name, addr, " ".join(words))
        for path in FILES
        for addr, words in requests_in(maxpat.read_document(path))
    }
)
ALL_ROUTED = sorted(
    {(path.name, addr) for path in FILES for addr in routed_in(maxpat.read_document(path))}
)


def test_patches_name_addresses() -> None:
    # the checks below are not vacuous: every verb the performer's patches use is there
    sent = {addr for _, addr, _ in ALL_REQUESTS}
    assert {
        "/bridge/ping",
        "/bridge/register",
        "/bridge/describe",
        "/bridge/load",
        "/bridge/rnn/continue",
        "/bridge/gan/bars",
        "/bridge/vae/interpolate",
        "/bridge/vae/sample",
        "/bridge/rnn/stream/start",
        "/bridge/rnn/stream/set",
        "/bridge/rnn/stream/stop",
        "/bridge/harmony/harmonize",
        "/bridge/perf/continue",
    } <= sent


@pytest.mark.parametrize("name,address,words", ALL_REQUESTS)
def test_sent_address_and_keys_are_served(name: str, address: str, words: str) -> None:
    if address not in TABLE_ADDRESSES:
        pytest.fail(f"{name} sends {address}, which the daemon does not answer")
    keys = {k.name: k.kind for k in TABLE_ADDRESSES[address].keys}
    multi = {n for n, kind in keys.items() if kind in maxtable.LIST_KINDS}
    current = None
    for word in words.split():
        if word in keys:
            current = word
        elif _number(word):
            continue
        elif current not in multi:
            pytest.fail(f"{name}: {word!r} after {address} is not one of its keys {sorted(keys)}")


@pytest.mark.parametrize("name,address", ALL_ROUTED)
def test_routed_address_is_sent_by_the_daemon(name: str, address: str) -> None:
    assert address in SENDS, f"{name} listens for {address}, which the daemon never sends"


def test_table_holds_every_engine_verb() -> None:
    # the table the patches are checked against is the registry's, not a copy
    import engines

    for engine in engines.available_engines():
        for verb in engines.engine_class(engine).verbs:
            spec = TABLE_ADDRESSES[f"/bridge/{engine}/{verb.name}"]
            assert [k.name for k in spec.keys] == [p.name for p in verb.params]
    assert maxtable.request(maxtable.CONTINUE, temperature=1, steps=2) == (
        "/bridge/rnn/continue temperature $1 steps $2"
    )
    with pytest.raises(KeyError, match="no key 'tempo'"):
        maxtable.request(maxtable.CONTINUE, tempo=1)


# --- the devices' Live API script, under node with a fake Live set --------------------------

FAKE_LIVE_SETUP = r"""
const fs = require("fs"), vm = require("vm");
const out = [], calls = [];
const slots = [{clip: {name: "intro"}}, {clip: null}, {clip: null}, {clip: null}];
slots[1].clip = {name: "riff", midi: 1, loop_start: 4, loop_end: 12, notes: [
  {note_id: 1, pitch: 64, start_time: 5.5, duration: 0.25, velocity: 120, mute: 0},
  {note_id: 2, pitch: 60, start_time: 4.0, duration: 0.5, velocity: 33, mute: 0},
  {note_id: 3, pitch: 67, start_time: 6.0, duration: 0.5, velocity: 90, mute: 1}]};
let scenes = 4;
function slotOf(path) { const m = /clip_slots (\d+)/.exec(path); return m ? Number(m[1]) : -1; }
class LiveAPI {
  constructor(path) {
    this.path = path;
    if (path === "live_set view detail_clip") path = "live_set tracks 0 clip_slots 1 clip";
    if (path === "this_device canonical_parent") path = "live_set tracks 0";
    this.unquotedpath = path;
    const i = slotOf(path);
    this.type = path === "live_set tracks 0" ? "Track" : path.endsWith(" clip") ? "Clip" : "";
    this.id = (i >= scenes || (path.endsWith(" clip") && !(slots[i] && slots[i].clip))) ? 0 : 7;
  }
  get(prop) {
    const i = slotOf(this.unquotedpath), c = slots[i] && slots[i].clip;
    if (prop === "has_clip") return [c ? 1 : 0];
    if (prop === "is_midi_clip") return [c.midi];
    return [c[prop]];
  }
  set(prop, value) { slots[slotOf(this.unquotedpath)].clip[prop] = value; }
  getcount(what) { return scenes; }
  call(fn, ...args) {
    calls.push([this.unquotedpath, fn, args]);
    const i = slotOf(this.unquotedpath);
    if (fn === "get_notes_extended") {
      const [p0, ps, t0, ts] = args, c = slots[i].clip;
      return JSON.stringify({notes: c.notes.filter(n => n.pitch >= p0 && n.pitch < p0 + ps &&
        n.start_time >= t0 && n.start_time < t0 + ts)});
    }
    if (fn === "create_clip") { slots[i].clip = {length: args[0], notes: [], midi: 1}; }
    if (fn === "add_new_notes") { slots[i].clip.notes = args[0].notes; }
    if (fn === "create_scene") { slots.push({clip: null}); scenes += 1; }
  }
}
const ctx = {LiveAPI, JSON, Math, Number, String, Error, console,
  outlet: (n, ...a) => out.push([n, a.length === 1 && Array.isArray(a[0]) ? a[0] : a]),
  post: () => {}, setinletassist: () => {}, setoutletassist: () => {},
  arrayfromargs: (a) => Array.prototype.slice.call(a)};
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), ctx);
"""
FAKE_LIVE = (
    FAKE_LIVE_SETUP
    + r"""
ctx.init();
ctx.read("primer");
ctx.write("continuation", 72, 0, 1, 45, 74, 1.5, 0.5, 101, 76, 4.0, 0.5, 64);
ctx.writepoint(0, 5, 60, 0, 2, 80);
ctx.writepoint(1, 5, 62, 0, 2, 81);
ctx.writevariation("Continue", 1, 2, 64, 0, 1, 70);
ctx.writevariation("Bars", 0, 1, 65, 0, 1, 71);
ctx.write("bad", 60, 0, 1);
console.log(JSON.stringify({out, slots: slots.map(s => s.clip), scenes}));
"""
)


def test_clip_script_reads_and_writes_notes_with_their_velocity(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    harness = tmp_path / "fake_live.js"
    harness.write_text(FAKE_LIVE)
    script = ROOT / "ableton" / "bridge_clip.js"
    run = subprocess.run(
        [node, str(harness), str(script)], capture_output=True, text=True, timeout=30
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    out, slots = result["out"], result["slots"]
    assert out[0] == [1, ["ready: select a clip"]]
    # read: unmuted notes in the loop, sorted, starts from the loop start, velocity as played
    assert out[1] == [0, ["primer", 60, 0, 0.5, 33, 64, 1.5, 0.25, 120]]
    assert out[2][1][0].startswith("read 2 notes from 'riff'")
    # write: the next empty slot below the selected clip, whole bars, velocities kept
    assert slots[2]["name"] == "continuation" and slots[2]["length"] == 8
    assert [(n["pitch"], n["velocity"]) for n in slots[2]["notes"]] == [
        (72, 45),
        (74, 101),
        (76, 64),
    ]
    assert slots[2]["notes"][1]["start_time"] == 1.5 and slots[2]["notes"][1]["duration"] == 0.5
    assert slots[3]["name"] == "morph 1/5"
    # no empty slot left: a new scene makes one (here three times)
    assert slots[4]["name"] == "morph 2/5"
    # variations: "<name> variation i/n", just "<name>" for one; each in a new slot
    assert slots[5]["name"] == "Continue variation 2/2" and slots[5]["notes"][0]["pitch"] == 64
    assert slots[6]["name"] == "Bars" and result["scenes"] == 7
    assert out[-1] == [1, ["a note list needs 4 numbers per note, got 3"]]


# --- the patches run: a model of Max's message passing (tools/maxsim.py) ---------------------

from maxsim import Msg, Sim  # noqa: E402

MAX = ROOT / "max_patches"
LIVE = ROOT / "ableton"


CLIENT_IN = "route daemonport describe load"  # the client's first box: its inlet's messages


def client_sim() -> tuple[Sim, int]:
    """The client abstraction, loaded with its arguments; answers (sim, its id base)."""
    sim = Sim.load(MAX / "bridge.maxpat", args=["57120", "7401"]).start()
    base = sim.sent[0][1]
    assert base % 100000 == 0 and 0 <= base < 2**31 - 100000
    return sim, base


def outlet_msgs(sim: Sim, index: int) -> list[str]:
    return [repr(m) for i, m in sim.outputs if i == index]


def test_client_registers_pings_and_stamps_ids() -> None:
    sim, base = client_sim()
    assert sim.ports == {"port": 57120, "listen": 7401}
    assert sim.sent == [["/bridge/register", base, "port", 7401], ["/bridge/ping", base + 1]]
    request = sim.box(CLIENT_IN)
    request.receive(0, Msg("/bridge/rnn/continue", ["temperature", 0.9, "notes", 60, 0.0, 0.5, 90]))
    request.receive(0, Msg("/bridge/engines"))  # no keys: nothing left over from the last one
    assert sim.sent[2:] == [
        ["/bridge/rnn/continue", base + 2, "temperature", 0.9, "notes", 60, 0.0, 0.5, 90],
        ["/bridge/engines", base + 3],
    ]
    request.receive(0, Msg("daemonport", [57130]))
    assert sim.ports["port"] == 57130


def test_client_keeps_long_note_lists() -> None:
    sim, base = client_sim()
    notes = [x for i in range(1000) for x in (60 + i % 12, i * 0.25, 0.25, 1 + i % 127)]
    sim.box(CLIENT_IN).receive(0, Msg("/bridge/rnn/continue", ["notes", *notes]))
    assert sim.sent[-1] == ["/bridge/rnn/continue", base + 2, "notes", *notes]
    sim.udp_in("/bridge/reply/rnn/continue", base + 2, *notes)
    assert outlet_msgs(sim, 0)[-1].split()[2:] == [str(x) for x in notes]


def test_client_keeps_its_own_replies_and_shows_status_and_errors() -> None:
    sim, base = client_sim()
    sim.udp_in("/bridge/reply/rnn/continue", 1234567, 60, 0.0, 1.0, 100)  # another client's
    sim.udp_in("/bridge/reply/rnn/continue", base + 2, 62, 0.0, 0.5, 90)
    assert outlet_msgs(sim, 0) == [f"/bridge/reply/rnn/continue {base + 2} 62 0.0 0.5 90"]
    sim.udp_in("/bridge/pong", base + 1, 1, "0.1.0")
    assert outlet_msgs(sim, 3) == ["daemon running: bridge 0.1.0"]
    sim.fire()  # the 1.5 s timeout was stopped by the pong
    assert len(outlet_msgs(sim, 3)) == 1
    sim.udp_in("/bridge/error", base + 2, "/bridge/rnn/continue", "temperature must be > 0")
    assert outlet_msgs(sim, 2) == ["/bridge/rnn/continue temperature must be > 0"]


def test_client_reregisters_after_a_missed_pong() -> None:
    sim, base = client_sim()
    sim.udp_in("/bridge/pong", base + 1, 1, "0.1.0")
    sim.tick()
    assert [m[0] for m in sim.sent[2:]] == ["/bridge/ping"]  # registered: ping only
    sim.fire()  # no pong this time
    assert outlet_msgs(sim, 3)[-1].startswith("no answer from the bridge daemon")
    sim.tick()
    assert [m[0] for m in sim.sent[3:]] == ["/bridge/register", "/bridge/ping"]


def test_client_describes_and_loads_on_its_describe_outlet() -> None:
    from bridge.server.table import addresses, describe_messages

    sim, base = client_sim()
    request = sim.box(CLIENT_IN)
    request.receive(0, Msg("describe"))
    request.receive(0, Msg("describe", ["gan"]))
    request.receive(0, Msg("load", ["rnn", "/ckpt/rnn-bach"]))
    assert sim.sent[2:] == [
        ["/bridge/describe", base + 2],
        ["/bridge/describe", base + 3, "engine", "gan"],
        ["/bridge/load", base + 4, "engine", "rnn", "path", "/ckpt/rnn-bach"],
    ]
    # the daemon's own replies (an engine without checkpoint info), and another client's
    replies = describe_messages(base + 3, "gan", object(), addresses())
    replies.append(("/bridge/reply/describe/done", [base + 3, 1]))
    for address, args in [*replies, ("/bridge/reply/describe/done", [base + 100009, 1])]:
        sim.udp_in(address, *args)
    sim.udp_in("/bridge/reply/load", base + 4, "rnn", "rnn-bach", "0123456789ab")
    got = [m.atoms() for i, m in sim.outputs if i == 4]
    label = {"describe": "engine", "verb": "verb", "param": "param", "done": "done"}
    assert [a[0] for a in got[:-1]] == [label[addr.split("/")[-1]] for addr, _ in replies]
    assert got[0] == replies[0][1][1:] and got[0][:3] == ["engine", "gan", "checkpoint"]
    for (_, args), atoms in zip(replies[1:], got[1:-1], strict=True):
        assert atoms[1:] == args[1:], "the reply without its id, after its label"
    assert [a[:3] for a in got if a[0] == "verb"] == [
        ["verb", "gan", "bars"],
        ["verb", "gan", "bar"],
    ]
    assert got[-1] == ["loaded", "rnn", "rnn-bach", "0123456789ab"]
    assert len(outlet_msgs(sim, 0)) == len(got), "each still comes out of the replies outlet"


def test_client_passes_only_its_streams_notes() -> None:
    sim, base = client_sim()
    sim.udp_in("/bridge/note", 3, 64, 100, 0.5, 250.0)  # before any stream of ours
    sim.udp_in("/bridge/reply/rnn/stream/start", base + 2, 3)
    sim.udp_in("/bridge/note", 3, 64, 100, 0.5, 250.0)
    sim.udp_in("/bridge/note", 4, 65, 100, 0.5, 250.0)  # someone else's stream
    assert outlet_msgs(sim, 1) == ["list 64 100 0.5 250.0"]


def named(sim: Sim, name: str):
    """The box with this scripting name (varname)."""
    return sim.box(lambda b: b.get("varname") == name)


def request_sent(sim: Sim, address: str) -> list:
    found = [m for m in sim.all_sent() if m[0] == address]
    assert found, f"nothing sent to {address}: {sim.all_sent()}"
    return found[-1]


def test_continue_patch_sends_the_phrase_and_plays_the_answer() -> None:
    sim = Sim.load(MAX / "bridge.continue.maxpat").start()
    sim.click(named(sim, "load-the-demo-phrase"))
    sim.click(named(sim, "continue"))
    msg = request_sent(sim, "/bridge/rnn/continue")
    assert msg[2:6] == ["temperature", 1.0, "steps", 32]
    assert msg[6] == "notes" and msg[7:11] == [60, 0.0, 0.5, 100] and len(msg) == 7 + 7 * 4
    sim.udp_in("/bridge/reply/rnn/continue", msg[1], 72, 0.0, 0.5, 100, 74, 0.5, 0.25, 80)
    # each note waits in [pipe] for its start at 120 BPM: pitch velocity ms delay-ms
    assert sim.box("pipe 0 0 0. 0").queue == [[72, 100, 250, 0], [74, 80, 125, 250]]


def test_continue_patch_records_midi_in() -> None:
    sim = Sim.load(MAX / "bridge.continue.maxpat").start()
    record = named(sim, "record")
    parse = sim.box("midiparse")
    sim.click(record, 1)
    for t, pitch, vel in [(0, 60, 100), (250, 64, 90), (500, 60, 0), (1000, 64, 0)]:
        sim.time_ms = t
        sim.press(parse, pitch, vel)
    sim.click(record, 0)
    sim.press(parse, 67, 100)  # not recording
    assert sim.box("coll phrase").data == {0: [60, 0.0, 1.0, 100], 1: [64, 0.5, 1.5, 90]}


def test_stream_patch_starts_steers_plays_and_stops() -> None:
    sim = Sim.load(MAX / "bridge.stream.maxpat").start()
    play = named(sim, "play")
    sim.click(play, 1)
    start = request_sent(sim, "/bridge/rnn/stream/start")
    assert start[2:] == ["tempo", 120.0, "temperature", 1.0]
    sim.udp_in("/bridge/reply/rnn/stream/start", start[1], 7)
    sim.click(named(sim, "temperature"), 0.5)
    assert request_sent(sim, "/bridge/rnn/stream/set")[2:] == [
        "stream",
        7,
        "tempo",
        120.0,
        "temperature",
        0.5,
    ]
    sim.udp_in("/bridge/note", 7, 64, 99, 0.5, 250.0)
    assert sim.played == [64]
    sim.click(play, 0)
    assert request_sent(sim, "/bridge/rnn/stream/stop")[2:] == ["stream", 7]


def test_interpolate_patch_walks_the_points() -> None:
    sim = Sim.load(MAX / "bridge.interpolate.maxpat").start()
    sim.click(named(sim, "interpolate"))
    msg = request_sent(sim, "/bridge/vae/interpolate")
    assert msg[2:4] == ["steps", 5] and msg[4] == "a" and "b" in msg
    assert msg[5:9] == [60, 0.0, 1.0, 100] and msg[msg.index("b") + 1 : msg.index("b") + 5] == [
        69,
        0.0,
        0.5,
        90,
    ]
    for i in range(5):
        sim.udp_in("/bridge/reply/vae/interpolate", msg[1], i, 5, 60 + i, 0.0, 1.0, 100)
    assert sim.box("coll points").data == {i: [60 + i, 0.0, 1.0, 100] for i in range(5)}
    sim.click(named(sim, "walk"), 3)
    assert sim.box("pipe 0 0 0. 0").queue == [[63, 100, 500, 0]]


def test_bars_patch_sends_the_chords() -> None:
    sim = Sim.load(MAX / "bridge.bars.maxpat").start()
    sim.click(sim.box("Dm G7 C C"))
    sim.click(named(sim, "make-bars"))
    msg = request_sent(sim, "/bridge/gan/bars")
    assert msg[2:] == ["chords", "Dm", "G7", "C", "C"]
    sim.press(named(sim, "chords"), "text", "C", "F")
    sim.click(named(sim, "make-bars"))
    assert request_sent(sim, "/bridge/gan/bars")[2:] == ["chords", "C", "F"]


def js_received(sim: Sim) -> list[str]:
    return [repr(m) for obj, _, m in sim.log if obj.cls == "js"]


def device(name: str) -> Sim:
    sim = Sim.load(LIVE / name).start()
    sim.press(sim.box("live.thisdevice"))
    return sim


def live_text(sim: Sim, label: str):
    return named(sim, label)


def test_continue_device_round_trip() -> None:
    sim = device("bridge Continue.amxd")
    clip = sim.box("js bridge_clip.js")
    sim.press(live_text(sim, "Continue"))
    assert js_received(sim)[-1] == "read primer"
    sim.press(clip, "primer", 60, 0.0, 0.5, 33, 64, 1.5, 0.25, 120)
    msg = request_sent(sim, "/bridge/rnn/continue")
    assert msg[2:] == [
        "temperature",
        1.0,
        "steps",
        32,
        "variations",
        1,
        "notes",
        60,
        0.0,
        0.5,
        33,
        64,
        1.5,
        0.25,
        120,
    ]
    # always asked with variations: even one comes back indexed, to its own clip
    sim.udp_in("/bridge/reply/rnn/continue", msg[1], 0, 1, 72, 0.0, 1.0, 45)
    assert js_received(sim)[-1] == "writevariation Continue 0 1 72 0.0 1.0 45"
    sim.click(named(sim, "Variations"), 3)
    sim.press(live_text(sim, "Continue"))
    sim.press(clip, "primer", 60, 0.0, 0.5, 33)
    msg = request_sent(sim, "/bridge/rnn/continue")
    assert msg[2:8] == ["temperature", 1.0, "steps", 32, "variations", 3]


def test_interpolate_device_round_trip() -> None:
    sim = device("bridge Interpolate.amxd")
    clip = sim.box("js bridge_clip.js")
    sim.press(live_text(sim, "Get A"))
    sim.press(clip, "a", 60, 0.0, 1.0, 100)
    sim.press(live_text(sim, "Get B"))
    sim.press(clip, "b", 72, 0.0, 2.0, 80)
    assert js_received(sim)[-2:] == ["read a", "read b"]
    sim.press(live_text(sim, "Interpolate"))
    msg = request_sent(sim, "/bridge/vae/interpolate")
    assert msg[2:] == [
        "steps",
        5,
        "temperature",
        1.0,
        "a",
        60,
        0.0,
        1.0,
        100,
        "b",
        72,
        0.0,
        2.0,
        80,
    ]
    sim.udp_in("/bridge/reply/vae/interpolate", msg[1], 1, 5, 66, 0.0, 1.5, 90)
    assert js_received(sim)[-1] == "writepoint 1 5 66 0.0 1.5 90"


def test_bars_device_round_trip() -> None:
    sim = device("bridge Bars.amxd")
    sim.press(live_text(sim, "Make bars"))
    msg = request_sent(sim, "/bridge/gan/bars")
    assert msg[2:] == ["variations", 1, "chords", "C", "Am", "F", "G"]
    sim.udp_in("/bridge/reply/gan/bars", msg[1], 0, 1, 60, 0.0, 4.0, 70)
    assert js_received(sim)[-1] == "writevariation Bars 0 1 60 0.0 4.0 70"
    sim.click(named(sim, "Variations"), 4)
    sim.click(sim.box("Dm G7 C C"))
    sim.press(live_text(sim, "Make bars"))
    assert request_sent(sim, "/bridge/gan/bars")[2:] == [
        "variations",
        4,
        "chords",
        "Dm",
        "G7",
        "C",
        "C",
    ]


def test_stream_device_follows_lives_tempo() -> None:
    sim = device("bridge Stream.amxd")
    play = named(sim, "Play")
    sim.press(sim.box("live.observer tempo"), 98.0)  # Live's tempo, observed
    sim.press(play, 1)
    start = request_sent(sim, "/bridge/rnn/stream/start")
    assert start[2:] == ["tempo", 98.0, "temperature", 1.0]
    sim.udp_in("/bridge/reply/rnn/stream/start", start[1], 2)
    sim.press(sim.box("live.observer tempo"), 140.0)
    assert request_sent(sim, "/bridge/rnn/stream/set")[2:] == [
        "stream",
        2,
        "tempo",
        140.0,
        "temperature",
        1.0,
    ]
    sim.udp_in("/bridge/note", 2, 60, 90, 0.5, 214.0)
    assert sim.played == [60]
    sim.press(play, 0)
    assert request_sent(sim, "/bridge/rnn/stream/stop")[2:] == ["stream", 2]
