"""The live harmonizer: its logic with a memory MIDI output and a fake clock (no JACK), then
through a real JACK server (``jackd -d dummy``): 8 melody notes in, three voices out on
channels 2-4 per note, each ended with its melody note; no stuck note after SIGTERM."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from clients import LISTENING, STARTUP_TIMEOUT, Lines, bridge_command
from test_midi import Receiver, Sender, drain, jack, notes_on, panics, unmatched  # noqa: F401

from bridge.live.harmonize import LiveHarmonizer
from bridge.live.live import LiveOptions, running
from bridge.live.midi import MemoryMidiOutput, MidiEvent
from bridge.server.daemon import Daemon
from bridge.server.osc import OscClient

MELODY = [60, 62, 64, 65, 67, 65, 64, 62]


def ons(messages: list[list[int]]) -> list[list[int]]:
    return [m for m in messages if m[0] & 0xF0 == 0x90 and m[2] > 0]


def test_each_note_gets_three_voices_ended_with_it(tiny_harmony) -> None:
    out = MemoryMidiOutput()
    heard: list[tuple[int, int, int, bool]] = []
    h = LiveHarmonizer(tiny_harmony, out, tempo=lambda: 60.0,
                       on_voice=lambda *v: heard.append(v))  # fmt: skip
    expected = tiny_harmony.open_live()
    t = 10.0
    for pitch in MELODY:
        before = len(out.messages)
        assert h.feed(MidiEvent((0x90, pitch, 90), t))
        new = out.messages[before:]
        # beats: 0.5 s at 60 BPM is half a beat (the first note: None)
        voices = tiny_harmony.harmonize_step(expected, pitch, beats=None if t == 10.0 else 0.5)
        assert new == [[0x91, voices[0], 90], [0x92, voices[1], 90], [0x93, voices[2], 90]]
        assert [v[:3] for v in heard[-3:]] == [(1, voices[0], 90), (2, voices[1], 90),
                                               (3, voices[2], 90)]  # fmt: skip
        h.feed(MidiEvent((0x90, pitch, 0), t + 0.4))  # velocity 0 ends it
        assert {(m[0], m[1]) for m in out.messages[-3:]} == {
            (0x81, voices[0]),
            (0x82, voices[1]),
            (0x83, voices[2]),
        }
        assert not h.sounding and not out._on
        t += 0.5
    assert h.notes == len(MELODY) and not h.feed(MidiEvent((0xB0, 1, 5), t))


def test_latest_note_wins_and_end_all_ends_the_voices(tiny_harmony) -> None:
    out = MemoryMidiOutput()
    h = LiveHarmonizer(tiny_harmony, out, channels=(5, 6, 7))
    h.feed(MidiEvent((0x90, 60, 100), 0.0))
    first = h.sounding
    h.feed(MidiEvent((0x90, 67, 100), 0.2))  # legato: 60 still held
    offs = [m for m in out.messages[3:6]]
    assert sorted((m[0] & 0x0F, m[1]) for m in offs) == sorted((c - 1, p) for c, p in first)
    assert all(m[0] & 0xF0 == 0x80 for m in offs)
    second = h.sounding
    h.feed(MidiEvent((0x80, 60, 0), 0.3))  # the older note's note-off: ignored
    assert h.sounding == second
    h.end_all()
    assert not h.sounding and not out._on and len(ons(out.messages)) == 6
    with pytest.raises(ValueError):
        LiveHarmonizer(tiny_harmony, out, channels=(1, 2))


def voice_ons(messages: list[tuple[float, list[int]]]) -> list[list[int]]:
    return [m for _, m in notes_on(messages)]


@pytest.mark.slow
def test_harmonize_over_jack_midi_and_osc(jack: str, tiny_harmony) -> None:  # noqa: F811
    options = LiveOptions(virtual_midi=True, client_name="bridge-harm", harmonize=True)
    daemon = Daemon({"harmony": tiny_harmony}, port=0)
    with running(daemon, options, realtime=False) as live:
        recv = Receiver("bridge-harm:out")
        send = Sender("bridge-harm-in:in")
        try:
            with OscClient(*daemon.address) as c:
                c.send("/bridge/register", 1, "port", c.port)
                assert c.receive(5.0) is not None  # the reply
                for i, pitch in enumerate(MELODY):
                    send.send(0x90, pitch, 80)
                    assert recv.wait_for(lambda ms, n=3 * (i + 1): len(voice_ons(ms)) >= n)
                    triple = voice_ons(recv.messages)[-3:]
                    assert sorted(m[0] for m in triple) == [0x91, 0x92, 0x93]  # channels 2-4
                    assert all(m[2] == 80 for m in triple)
                    assert unmatched(recv.messages)  # they sound while the melody note does
                    send.send(0x80 if i % 2 else 0x90, pitch, 0)  # note-off, or velocity 0
                    assert recv.wait_for(lambda ms: not unmatched(ms), 5.0), recv.messages
                events = drain(c, 0.5)
            ons = voice_ons(recv.messages)
            assert len(ons) == 3 * len(MELODY) and live.harmonizer.notes == len(MELODY)
            assert not any(m[0] & 0x0F == 0 for _, m in recv.messages)  # no melody echo
            harmony = [m.args for m in events if m.address == "/bridge/harmony/note"]
            assert [a for a in harmony if a[3] == 1] == [
                [v, m[1], 80, 1] for v, m in zip([1, 2, 3] * len(MELODY), ons, strict=True)
            ]
            assert sum(a[3] == 0 for a in harmony) == 3 * len(MELODY)
            # an engine swap while a note is held: its voices end, the new engine answers
            send.send(0x90, 71, 90)
            assert recv.wait_for(lambda ms: len(voice_ons(ms)) == 3 * len(MELODY) + 3)
            fresh = type(tiny_harmony).tiny(seed=1)
            for hook in list(daemon.on_engine_swap):
                hook("harmony", tiny_harmony, fresh)
            assert recv.wait_for(lambda ms: not unmatched(ms), 5.0), unmatched(recv.messages)
            send.send(0x80, 71, 0)
            # a note held when the bridge stops: its voices end
            send.send(0x90, 72, 90)
            assert recv.wait_for(lambda ms: len(voice_ons(ms)) == 3 * len(MELODY) + 6)
            assert live.harmonizer._engine is fresh
            live.close()
            assert recv.wait_for(lambda ms: not unmatched(ms), 5.0), unmatched(recv.messages)
        finally:
            send.close()
            recv.close()


@pytest.mark.slow
def test_sigterm_mid_note_leaves_no_stuck_voice(
    jack: str,  # noqa: F811
    tiny_harmony_checkpoint: Path,
) -> None:
    cmd = bridge_command("serve", "--port", "0", "--device", "cpu", "--engines", "harmony",
                         "--harmony", str(tiny_harmony_checkpoint), "--virtual-midi",
                         "--midi-name", "bridge-hterm", "--harmonize")  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = Lines(proc)
    recv = send = None
    try:
        assert out.wait_for(LISTENING.fullmatch, STARTUP_TIMEOUT, "'bridge listening on' line")
        recv = Receiver("bridge-hterm:out")
        send = Sender("bridge-hterm-in:in")
        send.send(0x90, 64, 100)
        assert recv.wait_for(lambda ms: len(voice_ons(ms)) == 3 and len(unmatched(ms)) == 3, 20)
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        assert proc.returncode in (0, -signal.SIGTERM), out.text()
        assert recv.wait_for(lambda ms: not unmatched(ms), 5.0), unmatched(recv.messages)
        assert recv.wait_for(lambda ms: all(panics(ms, ch) for ch in (2, 3, 4)), 5.0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for port in (send, recv):
            if port is not None:
                port.close()
