"""Latency benchmarks behind ``bridge bench``: timing of engine steps and of requests over
loopback UDP through a real daemon, and serve's start-up (``core``), the VAE's interpolation
(``vae``), and how late live streams' notes go out over OSC and JACK MIDI (``live``). Not
imported by the daemon or by ``bridge serve``.
"""
