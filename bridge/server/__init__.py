"""The OSC server: the UDP socket and OSC encoding and decoding (``osc``), the table of
addresses with the parsing and checking of requests (``protocol``), and the ``Daemon`` that
owns the engines, answers requests on its socket thread and hands engine verbs to worker
threads (``daemon``). Nothing here plays in time; ``bridge.live`` adds that.
"""
