"""README.md carries the address table generated from the handlers, and only that one."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import update_readme  # noqa: E402


def test_readme_address_table_is_generated_from_the_code() -> None:
    text = (ROOT / "README.md").read_text()
    assert update_readme.updated(text) == text, "run: .venv/bin/python tools/update_readme.py"


def test_readme_table_lists_every_contract_address() -> None:
    table = update_readme.full_table()
    for address in (
        "/bridge/ping",
        "/bridge/engines",
        "/bridge/register",
        "/bridge/rnn/continue",
        "/bridge/vae/interpolate",
        "/bridge/vae/sample",
        "/bridge/gan/bars",
        "/bridge/rnn/stream/start",
        "/bridge/rnn/stream/set",
        "/bridge/rnn/stream/feed",
        "/bridge/rnn/stream/stop",
    ):
        assert f"### `{address}`" in table
