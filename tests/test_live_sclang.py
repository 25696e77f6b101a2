"""SuperCollider streams from a real `bridge serve`: supercollider/tests/bridge_stream.scd
counts /bridge/note events against the tempo and checks lookahead bundles.

A missing sclang skips, unless BRIDGE_REQUIRE_CLIENTS=1 (then it fails), as in
test_real_clients.py, whose helpers run the server.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_real_clients import ROOT, SCLANG_TIMEOUT, require_client, serve

pytestmark = pytest.mark.slow

SC_STREAM = ROOT / "supercollider" / "tests" / "bridge_stream.scd"
SCRIPT_TIMEOUT = 45.0


def test_sclang_stream_counts_notes_against_the_tempo(tiny_rnn_checkpoint: Path) -> None:
    sclang = require_client("sclang")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_DISABLE_SANDBOX": "1"}
    with serve(tiny_rnn_checkpoint) as port:
        cmd = [sclang, str(SC_STREAM), str(port), str(SCRIPT_TIMEOUT)]
        try:
            done = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=SCLANG_TIMEOUT,
                env=env,
                cwd=ROOT,
            )
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""
            pytest.fail(f"sclang ran past {SCLANG_TIMEOUT:g} s; output:\n{out}", pytrace=False)
    output = done.stdout + done.stderr
    verdicts = [line for line in output.splitlines() if line.startswith(("PASS:", "FAIL:"))]
    assert verdicts and verdicts[0].startswith("PASS:"), f"sclang said:\n{output}"
    assert done.returncode == 0, f"sclang exited {done.returncode}:\n{output}"
