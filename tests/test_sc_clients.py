"""SuperCollider clients: sclang runs every example in supercollider/examples, headless, against a
real `bridge serve --port 0` (tiny random-init RNN, n-gram, VAE and GAN
checkpoints), and the notes each one prints are checked; supercollider/tests/bridge_class.scd
calls every method of the Bridge class and each answer is checked here. The continue example
also plays through the default synth when JACK's dummy driver can run scsynth here;
elsewhere it runs without audio.

sclang gets the Bridge quark (supercollider/Bridge) through a class-library config of its
own (-l), so nothing is installed into the user's Extensions.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clients import HEADLESS, ROOT, free_udp_port, require_client, serve, stop

from bridge.live.jackd import server_name, spawn_jackd

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "supercollider" / "examples"
QUARK = ROOT / "supercollider" / "Bridge"
DAEMON_START_S = 120.0  # torch import on two busy cores
SCLANG_S = 150.0  # class library compile, the example, and a server boot


@pytest.fixture(scope="module")
def sclang() -> str:
    return require_client("sclang")


@pytest.fixture(scope="module")
def daemon_port(tiny_checkpoints: dict[str, Path]) -> Iterator[int]:
    """`bridge serve --port 0` with every engine (never 57120: sclang wants it); yields the
    port it printed."""
    with serve(DAEMON_START_S, **tiny_checkpoints) as port:
        assert port != 57120
        yield port


@pytest.fixture(scope="module")
def class_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    conf = tmp_path_factory.mktemp("sclang") / "sclang_conf.yaml"
    conf.write_text(
        f"includePaths:\n    -    {QUARK}\nexcludePaths:\n    []\npostInlineWarnings: false\n"
    )
    return conf


@pytest.fixture(scope="module")
def audio_env() -> Iterator[dict[str, str] | None]:
    """A JACK server of our own on the dummy driver, so scsynth boots headless; None without
    jackd (the examples then run with `noaudio`)."""
    jackd = shutil.which("jackd")
    if jackd is None or shutil.which("jack_lsp") is None:
        yield None
        return
    name = server_name("sc-test-jackd")
    env = dict(
        os.environ,
        JACK_DEFAULT_SERVER=name,
        JACK_NO_START_SERVER="1",
        BRIDGE_SCSYNTH_PORT=str(free_udp_port()),
    )
    proc = spawn_jackd(name, rate=44100, period=1024, env=env, output=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            probe = subprocess.run(["jack_lsp"], env=env, capture_output=True, timeout=10)
            if probe.returncode == 0 and b"playback" in probe.stdout:
                yield env
                return
            time.sleep(0.3)
        yield None
    finally:
        stop(proc, "jackd")


def run_sclang(
    sclang: str, conf: Path, script: Path, *args: str, env: dict[str, str] | None = None
) -> str:
    env = {**(env or os.environ), **HEADLESS}
    run = subprocess.run(
        [sclang, "-l", str(conf), str(script), *args],
        capture_output=True,
        text=True,
        timeout=SCLANG_S,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    out = run.stdout + run.stderr
    if "ERROR:" in out and "DONE" not in out:
        pytest.fail(f"sclang failed on {script.name}:\n{out[-4000:]}")
    return out


def printed(out: str, label: str) -> list:
    """The SuperCollider array printed after `label ` (asCompileString), as Python lists."""
    found = [ast.literal_eval(m.group(1)) for m in re.finditer(rf"^{label} (\[.*\])$", out, re.M)]
    assert found, f"no {label} line in the output:\n{out[-3000:]}"
    return found


def assert_notes(notes: list, what: str) -> None:
    assert notes, f"{what}: no notes"
    for pitch, start, dur, vel in notes:
        assert isinstance(pitch, int) and 0 <= pitch <= 127, (what, pitch)
        assert isinstance(start, float) and start >= 0, (what, start)
        assert isinstance(dur, float) and dur > 0, (what, dur)
        assert isinstance(vel, int) and 1 <= vel <= 127, (what, vel)


def test_examples_are_all_tested() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.scd")} == {
        "continue",
        "interpolate",
        "bars",
        "stream",
        "describe",
        "harmonize",
        "perform",
        "perform-stream",
    }


def test_harmonize_example_prints_four_voices(
    sclang: str, class_config: Path, daemon_port: int
) -> None:
    out = run_sclang(sclang, class_config, EXAMPLES / "harmonize.scd", str(daemon_port), "noaudio")
    assert re.findall(r"^VOICE (\d) ", out, re.M) == ["0", "1", "2", "3"], out[-3000:]
    voices = [v for v in printed(out, r"VOICE \d")]
    for voice in voices:
        assert_notes(voice, "voice")
    assert [n[0] for n in voices[0]] == [67, 69, 71, 72, 74, 72, 71, 67]  # the melody as given
    assert "DONE" in out


C_MAJOR = {0, 2, 4, 5, 7, 9, 11}


def test_perform_example_plays_the_answer_as_chords(
    sclang: str, class_config: Path, daemon_port: int, audio_env: dict[str, str] | None
) -> None:
    args = [str(daemon_port)] + ([] if audio_env else ["noaudio"])
    out = run_sclang(sclang, class_config, EXAMPLES / "perform.scd", *args, env=audio_env)
    (notes,) = printed(out, "NOTES")
    (chords,) = printed(out, "CHORDS")
    assert_notes(notes, "perf")
    assert {p % 12 for p, *_ in notes} <= C_MAJOR, "pitch classes weighted 0 never start"
    assert max(s + d for _, s, d, _ in notes) < 8 + 1e-4, "8 beats"
    # the chords: the notes grouped by onset, in time order, each note once
    starts = [c[0] for c in chords]
    assert starts == sorted(set(starts)) and len(starts) == len({s for _, s, _, _ in notes})
    regrouped = [(p, s, d, v) for s, *chord in chords for p, d, v in zip(*chord, strict=True)]
    assert sorted(regrouped) == sorted(map(tuple, notes))
    if audio_env:
        assert f"AUDIO played {len(chords)} chords" in out, out[-2000:]
        assert "ERROR" not in out, "the Pbind of chords played without an error"
    else:
        assert "AUDIO skipped" in out
    assert "DONE" in out


def test_perform_stream_example_plays_fed_chords(
    sclang: str, class_config: Path, daemon_port: int, audio_env: dict[str, str] | None
) -> None:
    args = [str(daemon_port)] + ([] if audio_env else ["noaudio"])
    out = run_sclang(sclang, class_config, EXAMPLES / "perform-stream.scd", *args, env=audio_env)
    assert re.search(r"^STREAM \d+ started$", out, re.M), out[-3000:]
    assert re.findall(r"^FED (\[.*\])$", out, re.M) == [
        "[ 45, 64, 69 ]",
        "[ 41, 65, 69 ]",
        "[ 43, 62, 71 ]",
    ], out[-3000:]
    assert "SET thinner" in out
    (played,) = printed(out, "PLAYED")
    (chords,) = printed(out, "CHORDS")
    assert len(played) >= 4, "about 3 notes a beat for 10 beats"
    assert_notes([[p, max(s, 0.0), d, v] for p, s, d, v in played], "perf stream")
    assert {p % 12 for p, *_ in played} <= C_MAJOR, "pitch classes weighted 0 never start"
    # lookahead bundles carry each note's time: a chord's notes share one start exactly
    regrouped = [(p, s, d, v) for s, *chord in chords for p, d, v in zip(*chord, strict=True)]
    assert sorted(regrouped) == sorted(map(tuple, played))
    if audio_env:
        assert f"AUDIO played {len(played)} notes" in out, out[-2000:]
        assert "ERROR" not in out, "the synth played every note without an error"
    else:
        assert "AUDIO skipped" in out
    assert "DONE" in out


def test_continue_plays_through_the_default_synth(
    sclang: str, class_config: Path, daemon_port: int, audio_env: dict[str, str] | None
) -> None:
    args = [str(daemon_port)] + ([] if audio_env else ["noaudio"])
    out = run_sclang(sclang, class_config, EXAMPLES / "continue.scd", *args, env=audio_env)
    assert re.search(r"^bridge \S+$", out, re.M), out[-2000:]
    (notes,) = printed(out, "NOTES")
    assert_notes(notes, "continuation")
    if audio_env:
        assert f"AUDIO played {len(notes)} notes" in out, out[-2000:]
    else:
        assert "AUDIO skipped" in out
    assert "DONE" in out


def test_interpolate_gives_every_point(sclang: str, class_config: Path, daemon_port: int) -> None:
    out = run_sclang(
        sclang, class_config, EXAMPLES / "interpolate.scd", str(daemon_port), "noaudio"
    )
    points = re.findall(r"^POINT (\d+) ", out, re.M)
    assert points == ["0", "1", "2", "3", "4"], out[-3000:]
    for melody in printed(out, r"POINT \d+"):
        assert_notes(melody, "point")
        assert max(s for _, s, _, _ in melody) < 8.0  # two bars
    assert "DONE" in out


def test_stream_plays_sets_and_stops(sclang: str, class_config: Path, daemon_port: int) -> None:
    out = run_sclang(sclang, class_config, EXAMPLES / "stream.scd", str(daemon_port), "noaudio")
    assert re.search(r"^STREAM \d+ started$", out, re.M), out[-3000:]
    assert re.search(r"^STREAM \d+ faster and wilder$", out, re.M), out[-3000:]
    (played,) = printed(out, "PLAYED")
    assert len(played) >= 4, "a 4 s stream at 150-180 BPM plays more than a few notes"
    assert_notes([[p, max(s, 0.0), d, v] for p, s, d, v in played], "stream")
    assert "DONE" in out


def test_bars_from_chords(sclang: str, class_config: Path, daemon_port: int) -> None:
    out = run_sclang(sclang, class_config, EXAMPLES / "bars.scd", str(daemon_port), "noaudio")
    failed = re.search(r"^FAIL (.*)$", out, re.M)
    if failed and (
        "unknown address /bridge/gan/bars" in failed.group(1)
        or "gan" in failed.group(1)
        and "engine" in failed.group(1)
    ):
        pytest.skip(f"the daemon does not serve the GAN yet: {failed.group(1)[:120]}")
    (notes,) = printed(out, "NOTES")
    assert_notes(notes, "bars")
    assert all(start < 16.0 for _, start, _, _ in notes), "4 chords, 4 bars of 4 beats"
    assert "DONE" in out


ERRORS_SCD = r"""
(
var b = Bridge(thisProcess.argv[0].asInteger, timeout: 20);
var dead = Bridge(thisProcess.argv[1].asInteger, timeout: 1);
fork {
	try { b.continue([[60, 0, 1, 100]], temperature: -1); "NO ERROR".postln }
	{ |e| "BAD TEMPERATURE %: %".format(e.class, e.errorString).postln };
	try { dead.ping; "NO ERROR".postln } { |e| "DEAD %".format(e.errorString).postln };
	try { Bridge.quads([60, 0, 1, 100, 62]).postln } { |e| "SHORT %".format(e.errorString).postln };
	b.continue([60, 0, 1, 100], steps: 8, seed: 1, action: { |notes|
		"ACTION % notes".format(notes.size).postln;
		try { b.ping } { |e| "OUTSIDE %".format(e.errorString).postln };
		"DONE".postln;
		0.exit;
	});
};
)
"""


def test_errors_reach_the_caller(
    sclang: str, class_config: Path, daemon_port: int, tmp_path: Path
) -> None:
    script = tmp_path / "errors.scd"
    script.write_text(ERRORS_SCD)
    out = run_sclang(sclang, class_config, script, str(daemon_port), str(free_udp_port()))
    assert re.search(r"^BAD TEMPERATURE BridgeError: bridge: .*temperature", out, re.M), out
    assert re.search(r"^DEAD bridge: no answer to /bridge/ping .*bridge serve", out, re.M), out
    assert "SHORT bridge: a note list needs 4 numbers per note" in out, out
    assert re.search(r"^ACTION \d+ notes$", out, re.M), out
    # the action runs in a Routine of its own, so it may call the bridge synchronously
    assert "OUTSIDE" not in out and "DONE" in out


def test_describe_example_prints_every_verb(
    sclang: str, class_config: Path, daemon_port: int, tiny_checkpoints: dict[str, Path]
) -> None:
    from bridge.server.table import registered_classes

    out = run_sclang(sclang, class_config, EXAMPLES / "describe.scd", str(daemon_port))
    assert "DONE" in out, out[-3000:]
    engines = re.findall(r"^ENGINE (\S+) (\S+) ([0-9a-f]{12}) ", out, re.M)
    assert sorted(e for e, _, _ in engines) == sorted(tiny_checkpoints)
    verbs = re.findall(r"^VERB (\S+) (\S+) (notes|indexed|numbers) ?(.*)$", out, re.M)
    for cls in registered_classes():
        for verb in cls.verbs:
            want = (cls.name, verb.name, verb.reply, " ".join(p.name for p in verb.params))
            assert want in verbs, (want, verbs)
    assert len(verbs) == sum(len(cls.verbs) for cls in registered_classes())


# --- every method of the class: supercollider/tests/bridge_class.scd -------------------------

CLASS_SCRIPT = ROOT / "supercollider" / "tests" / "bridge_class.scd"
METHOD = re.compile(r"^\t(\w+) \{", re.M)  # an instance method (class methods start with *)


def class_methods() -> dict[str, set[str]]:
    """The public instance methods (not pr..., not init) of each class file of the quark."""
    found = {}
    for path in (QUARK / "classes").glob("*.sc"):
        names = set(METHOD.findall(path.read_text())) - {"init"}
        found[path.stem] = {n for n in names if not n.startswith("pr")}
    return found


def test_the_class_has_a_method_per_address() -> None:
    from bridge.live.live import STREAM_ADDRESSES
    from bridge.server.table import addresses

    methods = set().union(*class_methods().values())
    core = {"ping", "engines", "register", "describe", "load"}
    for path in [*addresses(), *(a.path for a in STREAM_ADDRESSES)]:
        parts = path.split("/")[2:]  # /bridge/<engine>/<verb> or /bridge/<engine>/stream/<verb>
        name = {"start": "stream", "state": "callResponseState"}.get(parts[-1], parts[-1])
        assert name in methods | core, f"no Bridge method for {path}"
    assert core <= methods


def sc_values(out: str) -> dict[str, Any]:
    """LABEL <compile string> lines as Python values (SC arrays, numbers, strings, symbols)."""
    values: dict[str, Any] = {}
    for label, text in re.findall(r"^([A-Z_]+) (.+)$", out, re.M):
        text = {"true": "True", "false": "False", "nil": "None"}.get(text, text)
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            continue
        values.setdefault(label, []).append(value)
    return values


@pytest.fixture(scope="module")
def class_run(sclang: str, class_config: Path, daemon_port: int, tiny_checkpoints: dict) -> dict:
    out = run_sclang(
        sclang, class_config, CLASS_SCRIPT, str(daemon_port), str(tiny_checkpoints["rnn"])
    )
    assert "DONE" in out and "FAIL" not in out, out[-4000:]
    values = sc_values(out)
    return {k: v[0] for k, v in values.items() if len(v) == 1} | {
        k: v
        for k, v in values.items()
        if k in ("DESCRIBE_ENGINE", "DESCRIBE_VERB", "DESCRIBE_PARAM")
    }


def test_every_method_is_called_by_the_script() -> None:
    script = CLASS_SCRIPT.read_text()
    for cls, names in class_methods().items():
        for name in names:
            assert re.search(rf"\.{name}\b", script), f"{cls}.{name} is not called"


def test_class_describe_matches_the_daemons_table(class_run: dict, tiny_engines: dict) -> None:
    from bridge.server.table import addresses_for, describe_messages

    table = addresses_for(tiny_engines)
    assert class_run["DESCRIBED"] == sorted(tiny_engines) and class_run["DESCRIBE_ONE"] == ["vae"]
    assert "nosuch" in class_run["DESCRIBE_UNKNOWN"]
    engines = {e[0]: e for e in class_run["DESCRIBE_ENGINE"]}
    verbs = {(v[0], v[1]): v for v in class_run["DESCRIBE_VERB"]}
    params = {(p[0], p[1], p[2]): p for p in class_run["DESCRIBE_PARAM"]}
    for name, engine in tiny_engines.items():
        head, *rest = describe_messages(0, name, engine, table)
        a = head[1]
        assert engines[name] == [name, a[4], a[6], a[8], a[10], a[12], engines[name][6]]
        assert len(engines[name][6]) == a[14]
        for address, args in rest:
            if address.endswith("/verb"):
                assert verbs[(name, args[2])] == args[1:6]
            else:
                got = params[(name, args[2], args[4])]
                assert got[:5] == [name, args[2], args[4], args[5], args[6]]
                assert got[7] == args[9] and got[9:] == args[11:13]
                for mine, theirs in zip(
                    [got[5], got[6], got[8]], [args[7], args[8], args[10]], strict=True
                ):
                    assert mine == (theirs if isinstance(theirs, str) else pytest.approx(theirs))
    assert class_run["LOAD"] == ["rnn", engines["rnn"][1], engines["rnn"][5]]
    assert "no checkpoint folder" in class_run["LOAD_REFUSED"]


def test_class_core_methods(class_run: dict) -> None:
    from bridge.server.protocol import package_version

    assert class_run["PING"] == class_run["PING_AFTER_LOAD"] == package_version()
    assert class_run["REGISTER"] == class_run["LANGPORT"]
    assert class_run["CALLRESPONSE"] == "off"


def test_class_verbs_answer_notes(class_run: dict) -> None:
    for label in ("CONTINUE_RNN", "CONTINUE_NGRAM", "DECODE", "DECODE_WARM", "ATTRIBUTE"):
        assert_notes(class_run[label], label)
    assert class_run["CONTINUE_RNN"] == class_run["CONTINUE_RNN_AGAIN"]  # the seed is sent
    assert all(start < 4 for _, start, _, _ in class_run["CONTINUE_NGRAM"])  # 16 steps
    assert "top_p" in class_run["TOP_P_REFUSED"]
    points, samples = class_run["INTERPOLATE"], class_run["SAMPLE"]
    assert len(points) == 3 and len(samples) == 2
    for melody in points + samples:
        assert_notes(melody, "melody")
        assert max(s for _, s, _, _ in melody) < 8  # two bars
    voices = class_run["HARMONIZE"]
    assert len(voices) == 4  # soprano, alto, tenor, bass
    for voice in voices:
        assert_notes(voice, "voice")
    bass = class_run["HARMONIZE_BASS"][3]
    assert [n[0] for n in bass][:1] == [48]  # a given bass is kept
    z = class_run["ENCODE"]
    assert z and all(isinstance(x, float) for x in z)
    assert class_run["DECODE"] == class_run["DECODE_AGAIN"]  # greedy without a temperature
    assert "loudness" in class_run["ATTRIBUTE_REFUSED"]
    assert_notes(class_run["BARS"], "bars")
    assert_notes(class_run["BAR"], "bar")
    assert all(s < 16 for _, s, _, _ in class_run["BARS"]) and all(
        s < 4 for _, s, _, _ in class_run["BAR"]
    )


def test_class_perf_answers_chords(class_run: dict) -> None:
    perf = class_run["PERF"]
    assert_notes(perf, "perf")
    assert perf == class_run["PERF_AGAIN"], "the seed is sent"
    assert {p % 12 for p, *_ in perf} <= C_MAJOR, "pitch_classes is sent"
    assert max(s + d for _, s, d, _ in perf) < 4 + 1e-4, "beats 4"
    assert len(class_run["PERF_EVENTS"]) <= 6, "at most 6 events: at most 6 note-ons"
    assert_notes(class_run["PERF_LOOSE"], "perf, density hold 0")
    assert class_run["PERF_LOOSE"] != perf, "density_hold is sent (0: conditioning alone)"
    assert "density_hold" in class_run["PERF_HOLD_REFUSED"]
    # continue(engine: \perf) sends steps / 4 as beats (perf refuses steps)
    assert_notes(class_run["CONTINUE_PERF"], "continue perf")
    assert max(s + d for _, s, d, _ in class_run["CONTINUE_PERF"]) < 2 + 1e-4
    assert "beats" in class_run["PERF_REFUSED"]
    assert class_run["CHORDS"] == [
        [0.0, [60, 64, 67], [1.0, 1.0, 2.0], [90, 70, 50]],
        [1.0, [62, 65], [1.0, 1.0], [100, 60]],
    ]


def test_class_streams(class_run: dict) -> None:
    rnn, ngram = class_run["STREAM_RNN_ID"], class_run["STREAM_NGRAM_ID"]
    assert isinstance(rnn, int) and isinstance(ngram, int) and rnn != ngram
    assert class_run["STREAM_RNN_DONE"] is True  # onDone ran: 16 steps were played
    played = class_run["STREAM_RNN_PLAYED"]
    assert_notes([[p, max(s, 0.0), d, v] for p, s, d, v in played], "rnn stream")
    assert {v for *_, v in played} == {64}, "velocity 64 was sent"
    assert sum(d for _, _, d, _ in played) <= 4.0, "16 steps at most"
    latencies = class_run["STREAM_RNN_LATENCY"]
    assert len(latencies) == len(played) and max(latencies) > 0, "lookahead bundles come early"
    assert "lookahead" in class_run["LOOKAHEAD_REFUSED"]
    assert class_run["STREAM_NGRAM_SET"] == 300.0 and class_run["STREAM_NGRAM_FEED"] == ngram
    assert class_run["STREAM_NGRAM_STOP"] is True
    assert_notes(
        [[p, max(s, 0.0), d, v] for p, s, d, v in class_run["STREAM_NGRAM_PLAYED"]]
        or [[60, 0.0, 1.0, 100]],
        "ngram stream",
    )
    assert f"no stream {ngram}" in class_run["STREAM_STOPPED_SET"]


def test_class_perf_streams(class_run: dict) -> None:
    """perfStream: chords with their own velocities, in the 12 weights' key, `beats` long;
    stream(engine: perf) sets, feeds and stops one."""
    perf, perf2 = class_run["STREAM_PERF_ID"], class_run["STREAM_PERF_TWO_ID"]
    assert isinstance(perf, int) and isinstance(perf2, int) and perf != perf2
    assert class_run["STREAM_PERF_DONE"] is True, "onDone ran: 4 beats were played"
    played, heard = class_run["STREAM_PERF_PLAYED"], class_run["STREAM_PERF_NOTES"]
    assert len(played) == len(heard) >= 2
    assert_notes([[p, max(s, 0.0), d, v] for p, s, d, v in played], "perf stream")
    assert {p % 12 for p, *_ in played} <= C_MAJOR, "pitch classes weighted 0 never start"
    assert [[p, v] for p, _, _, v in played] == [[p, v] for p, v, _, _ in heard]
    for _, _, beats, ms in heard:
        assert 0 < beats <= 4 + 1e-6 and ms == pytest.approx(beats * 250, abs=0.5)  # 240 BPM
    # starts from arrival: the last note began within the 4 beats (1 s), give or take
    assert max(s for _, s, _, _ in played) < 4 + 1.0
    assert "own velocities" in class_run["STREAM_PERF_VELOCITY"]
    assert "density" in class_run["STREAM_PERF_REFUSED"]
    assert class_run["STREAM_PERF_SET"] == 300.0 and class_run["STREAM_PERF_FEED"] == perf2
    assert class_run["STREAM_PERF_STOP"] is True
    assert f"no stream {perf2}" in class_run["STREAM_PERF_STOPPED"]
