"""Pure Data client: the real `pd -nogui` opens pd/tests/roundtrip.pd, whose two [bridge]
abstractions (vanilla [netsend]/[oscformat] and [oscparse]) talk to a real
`bridge serve --port 0` with tiny random-init RNN, VAE and GAN checkpoints. The patch writes
every message its [bridge]s put out to a file; the file is checked against PROTOCOL.md. Every
patch in pd/ also has to load in Pd without an error.

A missing `pd` skips, or fails under BRIDGE_REQUIRE_CLIENTS=1 (as in CI).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from clients import ROOT, free_udp_port, require_client, serve

pytestmark = pytest.mark.slow

PD_DIR = ROOT / "pd"
DAEMON_START_S = 120.0  # torch import on two busy cores
PD_S = 90.0  # the whole pd run; the patch's own watchdog gives up after 60 s
STREAM_TEMPO = 400  # roundtrip.pd starts its stream at this tempo
# Patches a performer opens; every other pd/*.pd is an abstraction ([bridge], [bridge.play] ...).
OPENED = {
    "bridge-help.pd",
    "bridge.continue.pd",
    "bridge.stream.pd",
    "bridge.interpolate.pd",
    "bridge.bars.pd",
    "bridge.perform.pd",
    "bridge.harmonize.pd",
}
LOAD_ERROR = re.compile(r"error|couldn't create|no such object|bad arguments", re.IGNORECASE)


@pytest.fixture(scope="module")
def pd() -> str:
    return require_client("pd")


@pytest.fixture(scope="module")
def daemon_port(tiny_checkpoints: dict[str, Path]) -> Iterator[int]:
    """`bridge serve --port 0` with the tiny RNN, VAE, GAN, perf and harmony."""
    served = {name: tiny_checkpoints[name] for name in ("rnn", "vae", "gan", "perf", "harmony")}
    with serve(DAEMON_START_S, **served) as port:
        yield port


def run_pd(pd: str, *args: str) -> str:
    """Run headless Pd (no audio, MIDI, preferences or real-time priority) with pd/ on its
    path; its printout. Pd still running at the deadline is killed and the test fails."""
    cmd = [pd, "-nogui", "-noaudio", "-nomidi", "-noprefs", "-nrt", "-stderr"]
    cmd += ["-path", str(PD_DIR), *args]
    try:
        done = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=PD_S
        )
    except subprocess.TimeoutExpired as e:  # subprocess.run has killed pd
        out = e.stderr.decode() if isinstance(e.stderr, bytes) else e.stderr or ""
        pytest.fail(f"pd ran past {PD_S:g} s; output:\n{out}", pytrace=False)
    assert done.returncode == 0, f"pd exited {done.returncode}:\n{done.stderr}"
    return done.stdout + done.stderr


def fudi_atoms(line: str) -> list[float | str]:
    """One line of a `[text] write -c` file: numbers as floats, words unescaped
    (`temperature\\ must\\ be\\ >\\ 0\\,\\ got\\ -1` is one word)."""
    atoms: list[float | str] = []
    for raw in re.findall(r"(?:\\.|\S)+", line):
        word = re.sub(r"\\(.)", r"\1", raw)
        try:
            atoms.append(word if raw != word else float(word))
        except ValueError:
            atoms.append(word)
    return atoms


def quadruples(values: list[float | str]) -> list[tuple[float, ...]]:
    """Notes as PROTOCOL.md has them: whole pitch 0..127 and velocity 1..127, start >= 0,
    duration > 0."""
    assert len(values) % 4 == 0 and all(isinstance(v, float) for v in values), values
    quads = [tuple(values[i : i + 4]) for i in range(0, len(values), 4)]
    for pitch, start, duration, velocity in quads:  # type: ignore[misc]
        assert pitch == int(pitch) and 0 <= pitch <= 127, quads
        assert start >= 0 and duration > 0, quads
        assert velocity == int(velocity) and 1 <= velocity <= 127, quads
    return quads  # type: ignore[return-value]


def test_pd_roundtrip(pd: str, daemon_port: int, tmp_path: Path) -> None:
    out = tmp_path / "roundtrip.txt"
    reply_port = free_udp_port()
    patch = PD_DIR / "tests" / "roundtrip.pd"
    printed = run_pd(
        pd, "-open", str(patch), "-send", f"roundtrip {daemon_port} {reply_port} {out}"
    )
    assert out.exists(), f"the patch wrote nothing; pd said:\n{printed}"
    got: dict[str, list[list[float | str]]] = {}
    for line in out.read_text().splitlines():
        tag, *atoms = fudi_atoms(line)
        got.setdefault(str(tag), []).append(atoms)
    replies, notes, stream, errors = (got.get(f"A{k}", []) for k in range(1, 5))
    ids = {}

    # ping: /bridge/pong <id> 1 <version>
    pong = next(r for r in replies if r[0] == "pong")
    assert pong[2] == 1.0 and isinstance(pong[3], str) and pong[3], pong
    ids["ping"] = pong[1]

    # continue: one reply, its notes again on outlet 2, one quadruple per message, in order
    by_verb: dict[str, list[list[float | str]]] = {}
    for r in replies:
        if r[0] == "reply":
            by_verb.setdefault(" ".join(map(str, r[1:3])), []).append(r[3:])
    for verb in ("rnn continue", "vae interpolate", "gan bars"):
        assert verb in by_verb, f"no {verb} reply; the [bridge] put out:\n{out.read_text()}"
    (cont,) = by_verb["rnn continue"]
    ids["continue"] = cont[0]
    cont_notes = quadruples(cont[1:])
    assert cont_notes, "the continuation is empty"

    # interpolate: 5 replies <id> <index> <count> <notes...>, indices 0..4 in order
    interp = by_verb["vae interpolate"]
    assert [r[1:3] for r in interp] == [[float(i), 5.0] for i in range(5)], interp
    assert len({r[0] for r in interp}) == 1
    ids["interpolate"] = interp[0][0]
    interp_notes = [quadruples(r[3:]) for r in interp]
    assert all(0 <= n[1] < 8 for melody in interp_notes for n in melody)

    # bars: one bar of 4 beats per chord (2 chords)
    (bars,) = by_verb["gan bars"]
    ids["bars"] = bars[0]
    bar_notes = quadruples(bars[1:])
    assert bar_notes and all(n[1] < 8 for n in bar_notes), bar_notes

    # the notes outlet: the notes of those replies, one quadruple a message, in arrival order
    skip = {"rnn continue": 4, "gan bars": 4, "vae interpolate": 6}  # words before the notes
    arrived = []
    for r in replies:
        verb = " ".join(map(str, r[1:3]))
        if r[0] == "reply" and verb in skip:
            arrived += quadruples(r[skip[verb] :])
    assert [tuple(n) for n in notes] == arrived

    # a bad value: /bridge/error <id> <address> <message>
    (error,) = errors
    assert error[1] == "/bridge/rnn/continue" and "temperature" in str(error[2]), error
    ids["error"] = error[0]

    # the stream: started, at least 3 notes (pitch velocity beats ms stream), stopped
    (start,) = [r for r in replies if r[:4] == ["reply", "rnn", "stream", "start"]]
    (stop,) = [r for r in replies if r[:4] == ["reply", "rnn", "stream", "stop"]]
    number = start[5]
    assert stop[5] == number, (start, stop)
    ids["start"], ids["stop"] = start[4], stop[4]
    assert len(stream) >= 3, stream
    for pitch, velocity, beats, ms, of in stream:  # type: ignore[misc]
        assert 0 <= pitch <= 127 and 1 <= velocity <= 127 and of == number, stream
        assert beats > 0 and ms == pytest.approx(beats * 60000 / STREAM_TEMPO, rel=1e-3)

    # the request ids count 1, 2, 3 ... in the order the patch sent the requests
    assert ids == {
        "ping": 1.0,
        "continue": 2.0,
        "interpolate": 3.0,
        "bars": 4.0,
        "error": 5.0,
        "start": 6.0,
        "stop": 7.0,
    }

    # B registered its [netreceive] port; its replies came there, and only its own
    b_replies = got.get("B1", [])
    assert ["reply", "register", 1.0, float(reply_port)] in b_replies, b_replies
    assert any(r[:2] == ["pong", 2.0] and r[2] == 1.0 for r in b_replies), b_replies
    assert len(b_replies) == 2 and not any(got.get(f"B{k}") for k in (2, 3, 4)), got


@pytest.mark.parametrize("patch", sorted(p.name for p in PD_DIR.glob("*.pd")))
def test_pd_patch_loads(pd: str, patch: str, tmp_path: Path) -> None:
    """Each patch loads in Pd with every object created and nothing printed as an error: the
    help and example patches opened, each abstraction as an object in a patch of its own."""
    if patch in OPENED:
        path = PD_DIR / patch
    else:
        path = tmp_path / "host.pd"
        path.write_text(f"#N canvas 0 50 400 300 12;\n#X obj 10 10 {patch.removesuffix('.pd')};\n")
    printed = run_pd(pd, "-open", str(path), "-send", "pd quit")
    bad = [line for line in printed.splitlines() if LOAD_ERROR.search(line)]
    assert not bad, f"{patch}:\n{printed}"


# Messages a performer clicks into [bridge] (connect, listen and register would move the test's
# connection, so they are left to the round trip).
SENT = {"ping", "engines", "send", "continue", "interpolate", "sample", "bars", "bar"}
STREAM = {"start", "set", "feed", "stop"}
COUNTED = {"obj", "msg", "text", "floatatom", "symbolatom", "listbox", "restore"}


def requests_in(patch: Path) -> list[str]:
    """The messages of the message boxes wired into a [bridge] in ``patch`` (its top level,
    straight or through a trigger), in file order; boxes with a $1 (fed by a number box) are
    left out."""
    records = re.split(r"(?<!\\);\s*\n", patch.read_text())
    boxes: list[list[str]] = []  # the top level's objects, in Pd's numbering
    wires: list[tuple[int, int]] = []
    depth = 0
    for record in records:
        words = re.sub(r",\s*f\s+\d+\s*$", "", record).split()  # drop a box width (", f 80")
        if words[:2] == ["#N", "canvas"]:
            depth += 1
        elif words[:2] == ["#X", "restore"]:
            depth -= 1
        if depth == 1 and len(words) > 1 and words[0] == "#X":
            if words[1] in COUNTED:
                boxes.append(words[1:])
            elif words[1] == "connect":
                wires.append((int(words[2]), int(words[4])))
    bridges = {i for i, box in enumerate(boxes) if box[0] == "obj" and box[3:4] == ["bridge"]}
    # a [t a b] in between (bridge.interpolate.pd clears its [text] first) leads there too
    bridges |= {
        i
        for i, box in enumerate(boxes)
        if box[0] == "obj"
        and box[3:4] in (["t"], ["trigger"])
        and any((i, b) in wires for b in bridges)
    }
    found = []
    for i, box in enumerate(boxes):
        if box[0] == "msg" and any((i, b) in wires for b in bridges):
            for message in " ".join(box[3:]).split("\\,"):
                if message.strip() and "\\$" not in message:
                    found.append(" ".join(message.split()))
    return found


# Replies whose notes [bridge] also puts out one by one: words between the id and the notes.
NOTES_AFTER = {
    "rnn continue": 0,
    "ngram continue": 0,
    "perf continue": 0,
    "gan bars": 0,
    "gan bar": 0,
    "vae decode": 0,
    "vae attribute": 0,
    "vae interpolate": 2,  # <index> <count>
    "vae sample": 2,
    "harmony harmonize": 2,
}


def replies_expected(request: str) -> int:
    """How many replies a request gets: one per point, sample or voice, else one."""
    words = request.split()
    if words[:2] == ["send", "/bridge/harmony/harmonize"]:
        return 4  # soprano, alto, tenor, bass
    key = {"interpolate": "steps", "sample": "n"}.get(words[0])
    if key is None:
        return 1
    default = {"steps": 5, "n": 1}[key]
    return int(words[words.index(key) + 1]) if key in words else default


def test_pd_every_request_in_the_patches_is_answered(
    pd: str, daemon_port: int, tmp_path: Path
) -> None:
    """Every request the help and example patches can send goes through [bridge] to the
    daemon, one at a time, and gets its replies; the only error is the help's deliberate one."""
    found = [r for name in sorted(OPENED) for r in requests_in(PD_DIR / name)]
    assert {r.split()[0] for r in found} >= SENT | STREAM, "the patches show every message"
    plain = [r for r in found if r.split()[0] in SENT]
    starts = [r for r in found if r.split()[0] == "start"]
    changes = [r for r in found if r.split()[0] in {"set", "feed"}]
    plan = plain + [r for start in starts for r in (start, *changes, "stop")]
    lines = tmp_path / "requests.txt"
    lines.write_text("".join(f"{replies_expected(r)} {r}\n" for r in plan))
    out = tmp_path / "answers.txt"
    patch = PD_DIR / "tests" / "requests.pd"
    printed = run_pd(pd, "-open", str(patch), "-send", f"requests {daemon_port} {lines} {out}")
    assert out.exists(), f"the patch wrote nothing; pd said:\n{printed}"
    answers: dict[int, list[list[float | str]]] = {}
    notes: list[list[float | str]] = []  # outlet 2: each note of a reply, after the reply
    expected_notes: list[tuple[float, ...]] = []
    for line in out.read_text().splitlines():
        atoms = fudi_atoms(line)
        if atoms[0] == "N":
            notes.append(atoms[1:])
            continue
        request_id = next(a for a in atoms if isinstance(a, float))
        answers.setdefault(int(request_id), []).append(atoms)
        words = NOTES_AFTER.get(
            " ".join(map(str, atoms[2:4])) if atoms[:2] == ["R", "reply"] else ""
        )
        if words is not None:
            expected_notes += quadruples(atoms[5 + words :])  # R reply <engine> <verb> <id>
    for n, request in enumerate(plan, 1):
        got = answers.get(n, [])
        assert len(got) == replies_expected(request), (request, got)
        errors = [a for a in got if a[0] == "E"]
        deliberate = "temperature -1" in request
        assert len(errors) == deliberate, (request, errors)
    assert len(answers) == len(plan), answers.keys()
    assert [tuple(n) for n in notes] == expected_notes, "every reply's notes, on outlet 2"
    assert any(r.startswith("send /bridge/harmony/harmonize") for r in plan), "voices too"
