"""The README's sample `bridge send` outputs are what the shipped checkpoints answer now
(tools/readme_samples.py rewrites them)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import readme_samples  # noqa: E402

pytestmark = pytest.mark.slow  # loads the shipped checkpoints


def test_readme_samples_are_current() -> None:
    text = (ROOT / "README.md").read_text()
    assert readme_samples.commands(text), "the README has no sample between the markers"
    assert readme_samples.updated(text) == text, "run: .venv/bin/python tools/readme_samples.py"


def test_a_stale_sample_output_is_rewritten() -> None:
    text = (ROOT / "README.md").read_text()
    stale = text.replace("/bridge/error 4 /bridge/rnn/continue", "/bridge/error 4 /old", 1)
    assert stale != text
    assert readme_samples.updated(stale) == text
