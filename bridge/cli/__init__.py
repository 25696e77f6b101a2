"""The ``bridge`` command line (click): the group with ``serve``, ``ports`` and ``send``
(``main``, whose ``main`` is the console script and ``python -m bridge``), the options and
engine loading the commands share (``common``), each engine's ``generate``/``train``/``eval``
commands (``rnn``, ``vae``, ``gan``) and ``bench`` (``bench``). Only these modules print.
"""
