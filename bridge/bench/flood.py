"""A feed flood from one client while other clients' streams play to a JACK MIDI input.

``bench_feed_flood``: ``players`` clients each play a stream of 16ths, each on its own MIDI
channel, to the bridge's virtual JACK MIDI port, read by a JACK MIDI input in another
process (as ``bench_stream_midi``). One more client starts a stream of its own and then
floods it with ``feeds`` feeds of ``notes`` notes each within ``flood_s`` seconds (one
datagram each, near the largest a datagram holds). Lateness = arrival at the JACK input
minus intended time, of the players' note-ons and note-offs only: a flood may cost the
flooder's own stream, never the others'. Also counted: the flood's feeds accepted and
refused (the per-stream bound on waiting feeds), and the players' events lost.

No torch at module level.
"""

from __future__ import annotations

import time
from typing import Any

from bridge.bench.live import (
    MachineNoise,
    MidiRecorder,
    _bridge,
    _jack_arrivals,
    _midi_late_ms,
    _receive,
)
from bridge.bench.live import _stream_number as stream_number
from bridge.live.jackd import JACK_PERIOD, JACK_RATE, jack_server
from bridge.stats import summarize

NAME = "bridge-flood"
FLOODER_CHANNEL = 16


def _feed_datagram(sid: int, notes: int) -> bytes:
    """One ``stream/feed`` of ``notes`` 16th notes, encoded once (the flood re-sends it)."""
    from bridge.server.osc import encode

    args: list[Any] = [1, "stream", sid, "notes"]
    for i in range(notes):
        args += [48 + (i * 7) % 36, i * 0.25, 0.25, 90]
    return encode("/bridge/rnn/stream/feed", args)


def _answers(client: Any, timeout: float = 2.0) -> dict[str, int]:
    """Count the replies and errors that came back to the flooder."""
    counts = {"accepted": 0, "refused": 0}
    while (m := client.receive(timeout)) is not None:
        if m.address == "/bridge/reply/rnn/stream/feed":
            counts["accepted"] += 1
        elif m.address == "/bridge/error":
            counts["refused"] += 1
        timeout = 0.5
    return counts


def bench_feed_flood(
    engine: Any,
    players: int = 4,
    seconds: float = 12.0,
    feeds: int = 50,
    notes: int = 3000,
    flood_s: float = 1.0,
    tempo: float = 120.0,
    period: int = JACK_PERIOD,
) -> dict[str, Any]:
    """See the module doc. The flood starts a third of the way into ``seconds``."""
    from bridge.server.osc import MAX_DATAGRAM, OscClient

    with jack_server(period), _bridge(engine, midi=True, name=NAME) as (daemon, live):
        receiver = _receive(f"{NAME}:out")
        recorder = MidiRecorder()
        clients = [OscClient(*daemon.address) for _ in range(players + 1)]
        flooder = clients[-1]
        noise = MachineNoise(live.midi_output)
        try:
            recorder.attach(live)
            ids = []
            for i, c in enumerate(clients):
                channel = i + 1 if c is not flooder else FLOODER_CHANNEL
                c.send("/bridge/rnn/stream/start", i, "tempo", tempo, "seed", i,
                       "channel", channel)  # fmt: skip
                ids.append(stream_number(c))
            datagram = _feed_datagram(ids[-1], notes)
            if len(datagram) > MAX_DATAGRAM:
                raise ValueError(f"{notes} notes do not fit one datagram ({len(datagram)} B)")
            time.sleep(seconds / 3)
            flood_at = time.monotonic()
            for k in range(feeds):
                flooder.send_raw(datagram)
                time.sleep(max(0.0, flood_at + (k + 1) * flood_s / feeds - time.monotonic()))
            flood_took = time.monotonic() - flood_at
            time.sleep(max(0.0, seconds - seconds / 3 - flood_took))
            for i, c in enumerate(clients):
                c.send("/bridge/rnn/stream/stop", 100 + i, "stream", ids[i])
            time.sleep(0.2)
            answers = _answers(flooder)
        finally:
            machine = noise.figures()
            for c in clients:
                c.close()
            arrivals, jack_noise = _jack_arrivals(receiver)
    player_channels = set(range(players))  # channels 1..players, 0-based
    late, _ = _midi_late_ms(recorder.expected(), arrivals, player_channels)
    flood_late, _ = _midi_late_ms(recorder.expected(), arrivals, player_channels, flood_at)
    return {
        **summarize(late),
        **recorder.lost(arrivals),
        **jack_noise,
        **machine,
        "during_flood": summarize(flood_late),
        "players": players,
        "feeds": feeds,
        "notes_per_feed": notes,
        "datagram_bytes": len(datagram),
        "flood_s": round(flood_took, 3),
        **answers,
        "seconds": seconds,
        "tempo": tempo,
        "jack_period_ms": 1000.0 * period / JACK_RATE,
    }


__all__ = ["bench_feed_flood"]
