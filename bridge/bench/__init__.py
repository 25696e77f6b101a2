"""Latency benchmarks behind ``bridge bench``: timing of engine steps, requests over loopback
UDP through a real daemon and serve's start-up (``core``), every engine verb's declared bench
request and the README's bars (``verbs``), and how late live streams' notes go out over OSC and
JACK MIDI (``live``). Not imported by the daemon or by ``bridge serve``.
"""
