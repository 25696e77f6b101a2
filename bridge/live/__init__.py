"""Live playing: everything that happens in time. The clock and tempo maps (``clock``), the
scheduler thread that sends notes at their time (``scheduler``), the RNN stream worker that
samples ahead of the clock (``streams``), MIDI ports (``midi``; each sends and reconnects
from its own thread, ``midilink``, watching the JACK server with ``jackwatch``; on JACK the
output writes each note at its frame, ``jackout``, from a writer process of its own,
``jackwriter``; ``jackcheck`` watches a server's xruns), the MIDI clock (``midiclock``), the
guardian process that ends a killed bridge's notes (``guardian``), call and response
(``callresponse``), a private JACK server for benchmarks and tests (``jackd``), and ``Live``
(``live``), which adds the streaming addresses to a ``bridge.server.daemon.Daemon`` and owns
the rest.
"""
