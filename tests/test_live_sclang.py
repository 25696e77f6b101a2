"""SuperCollider streams from a real `bridge serve`: supercollider/tests/bridge_stream.scd
counts /bridge/note events against the tempo and checks lookahead bundles.

A missing sclang skips, unless BRIDGE_REQUIRE_CLIENTS=1 (then it fails), as in
test_real_clients.py; the helpers are in clients.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clients import ROOT, require_client, run_sclang_script, serve

pytestmark = pytest.mark.slow

SC_STREAM = ROOT / "supercollider" / "tests" / "bridge_stream.scd"
SCRIPT_TIMEOUT = 45.0


def test_sclang_stream_counts_notes_against_the_tempo(tiny_rnn_checkpoint: Path) -> None:
    sclang = require_client("sclang")
    with serve(rnn=tiny_rnn_checkpoint) as port:
        run_sclang_script(sclang, SC_STREAM, str(port), str(SCRIPT_TIMEOUT))
