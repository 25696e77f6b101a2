"""The Max patches and Max for Live devices: valid files of real objects, sound cords, and only
addresses (and keys) the daemon answers.

Every .maxpat in max_patches/ and .amxd in ableton/ is read back from disk (the .amxd through
its binary chunks) and checked against max_patches/objects.json, the table of real Max objects
and their inlet/outlet counts. The OSC addresses the patches send and route are checked against
the daemon's own address table (bridge.protocol and bridge.live), or, for an address of
PROTOCOL.md the daemon does not serve yet, skipped with a note. The devices' Live API script
runs under node against a fake Live set.
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

PATCHES = sorted((ROOT / "max_patches").glob("*.maxpat"))
DEVICES = sorted((ROOT / "ableton").glob("*.amxd"))
FILES = PATCHES + DEVICES
TABLE = maxpat.load_objects()

# PROTOCOL.md's addresses and keys: the contract, for addresses the daemon does not serve yet.
CONTRACT_KEYS: dict[str, tuple[str, ...]] = {
    "/bridge/ping": (),
    "/bridge/engines": (),
    "/bridge/register": ("port",),
    "/bridge/rnn/continue": ("temperature", "steps", "seed", "notes"),
    "/bridge/vae/interpolate": ("steps", "temperature", "seed", "a", "b"),
    "/bridge/vae/sample": ("n", "temperature", "seed"),
    "/bridge/gan/bars": ("chords", "seed", "prev"),
    "/bridge/rnn/stream/start": ("tempo", "temperature", "seed", "channel", "steps", "notes"),
    "/bridge/rnn/stream/set": ("stream", "tempo", "temperature"),
    "/bridge/rnn/stream/feed": ("stream", "notes"),
    "/bridge/rnn/stream/stop": ("stream",),
}
CONTRACT_MULTI = {"notes", "a", "b", "prev", "chords"}  # keys whose value is a list
CONTRACT_EVENTS = {"/bridge/pong", "/bridge/error", "/bridge/note"}


def contract_reply(path: str) -> str:
    return "/bridge/pong" if path == "/bridge/ping" else "/bridge/reply/" + path[len("/bridge/") :]


def daemon_table() -> tuple[dict[str, Any], set[str]] | None:
    """The daemon's addresses {path: Address} and the addresses it sends, or None."""
    try:
        from bridge import daemon, protocol
    except ImportError:
        return None
    addresses: dict[str, Any] = dict(protocol.ADDRESSES)
    sends = {daemon.ERROR_ADDRESS}
    try:
        from bridge import live
    except ImportError:
        live = None
    if live is not None:
        for name in dir(live):
            value = getattr(live, name)
            if name.endswith("ADDRESSES") and isinstance(value, tuple):
                addresses.update({a.path: a for a in value})
            if name.endswith("_ADDRESS") and isinstance(value, str):
                sends.add(value)
    sends.update(a.reply for a in addresses.values())
    return addresses, sends


DAEMON = daemon_table()


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
        if words and words[0].startswith("/bridge/") and words[0] not in CONTRACT_EVENTS:
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
        "/bridge/rnn/continue",
        "/bridge/gan/bars",
        "/bridge/vae/interpolate",
        "/bridge/rnn/stream/start",
        "/bridge/rnn/stream/set",
        "/bridge/rnn/stream/stop",
    } <= sent


@pytest.mark.parametrize("name,address,words", ALL_REQUESTS)
def test_sent_address_and_keys_are_served(name: str, address: str, words: str) -> None:
    if DAEMON is not None and address in DAEMON[0]:
        spec = DAEMON[0][address]
        keys = {k.name: k.kind for k in spec.keys}
        multi = {n for n, kind in keys.items() if kind in ("notes", "strings", "floats")}
    elif address in CONTRACT_KEYS:
        if DAEMON is not None:
            pytest.skip(f"{address} is in PROTOCOL.md but not in the daemon's table yet")
        keys = dict.fromkeys(CONTRACT_KEYS[address], "")
        multi = CONTRACT_MULTI
    else:
        pytest.fail(f"{name} sends {address}, which neither the daemon nor PROTOCOL.md knows")
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
    contract = CONTRACT_EVENTS | {contract_reply(a) for a in CONTRACT_KEYS}
    if DAEMON is not None and address in DAEMON[1]:
        return
    if address in contract:
        if DAEMON is not None:
            pytest.skip(f"{address} is in PROTOCOL.md but the daemon does not send it yet")
        return
    pytest.fail(f"{name} listens for {address}, which the daemon never sends")


# --- the devices' Live API script, under node with a fake Live set --------------------------

FAKE_LIVE = r"""
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
ctx.init();
ctx.read("primer");
ctx.write("continuation", 72, 0, 1, 45, 74, 1.5, 0.5, 101, 76, 4.0, 0.5, 64);
ctx.writepoint(0, 5, 60, 0, 2, 80);
ctx.writepoint(1, 5, 62, 0, 2, 81);
ctx.write("bad", 60, 0, 1);
console.log(JSON.stringify({out, slots: slots.map(s => s.clip), scenes}));
"""


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
    # no empty slot left: a new scene makes one
    assert result["scenes"] == 5 and slots[4]["name"] == "morph 2/5"
    assert out[-1] == [1, ["a note list needs 4 numbers per note, got 3"]]
