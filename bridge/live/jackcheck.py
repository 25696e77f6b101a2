"""Watch a running JACK server for a while: can this machine keep its deadlines?

Before a gig the question is whether the machine keeps JACK's cycles: each missed cycle (an
xrun: some client, or the server itself, not done in its period) can make MIDI notes late,
or lose them (a lost note-off is a stuck note, which the bridge's writer guards against by
writing recent note-offs again). ``watch(seconds)`` opens a JACK client with no process
callback, counts the xrun notices the server sends it (libjack calls libc's ``sem_post``:
no Python in JACK's threads) and reads the server's DSP load. ``bridge ports --check N``
prints the result with a verdict.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

OK_XRUNS_PER_MINUTE = 1.0  # at most this many: fine for playing


@dataclass(frozen=True)
class JackCheck:
    """What ``watch`` saw."""

    seconds: float
    xruns: int
    frames: int  # frames per period
    rate: int  # frames per second
    load: float  # the server's DSP load, percent, at the end

    @property
    def period_ms(self) -> float:
        return 1000.0 * self.frames / self.rate

    @property
    def per_minute(self) -> float:
        return 60.0 * self.xruns / self.seconds if self.seconds > 0 else 0.0

    def verdict(self) -> str:
        """One line a performer can act on."""
        head = (f"JACK at {self.frames} frames, {self.rate} Hz ({self.period_ms:.2f} ms a "
                f"period): {self.xruns} xruns in {self.seconds:.0f} s, DSP load "
                f"{self.load:.0f}%")  # fmt: skip
        if self.per_minute <= OK_XRUNS_PER_MINUTE:
            return head + ": fine"
        return (head + ": this machine misses JACK cycles, so notes can come late or be lost; "
                "try a longer period (jackd -p), stop other programs, or on a virtual "
                "machine ask for dedicated CPUs")  # fmt: skip


def watch(seconds: float, client_name: str = "bridge-check") -> JackCheck:
    """Count the running JACK server's xruns for ``seconds``. MidiError if there is no
    server (or no JACK-Client)."""
    from bridge.live.jackout import JackClock, _jack
    from bridge.live.midi import MidiError

    jack = _jack()
    try:
        client = jack.Client(client_name, no_start_server=True)
    except jack.JackError as exc:
        raise MidiError(f"cannot open a JACK client: {exc} (is a JACK server running?)") from exc
    try:
        port = client.midi_inports.register("watch")
        clock = JackClock(client, port)
        counting = clock.count_xruns()
        client.activate()
        start = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - start
        if not counting:
            raise MidiError("this system cannot count JACK's xruns (no unnamed semaphores)")
        return JackCheck(elapsed, clock.xruns(), client.blocksize, client.samplerate,
                         client.cpu_load())  # fmt: skip
    finally:
        client.deactivate()
        client.close()


__all__ = ["JackCheck", "watch"]
