"""docs/PROTOCOL.md is generated from the code (tools/update_protocol.py) and is current; the
README and docs link it, never a file outside the project."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import update_protocol  # noqa: E402

from bridge.server.guard import REPLY_MAX  # noqa: E402


def test_protocol_doc_is_generated_from_the_code() -> None:
    text = (ROOT / "docs" / "PROTOCOL.md").read_text()
    assert update_protocol.document() == text, "run: .venv/bin/python tools/update_protocol.py"


def test_protocol_doc_has_the_rules_and_every_core_address() -> None:
    text = update_protocol.document()
    for heading in ("## Transport", "## Requests", "## Notes on the wire", "## Replies"):
        assert f"\n{heading}\n" in text
    core = ["/bridge/ping", "/bridge/register", "/bridge/rnn/continue", "/bridge/vae/interpolate"]
    for address in [*core, "/bridge/gan/bars", "/bridge/rnn/stream/start"]:
        assert f"### `{address}`" in text
    assert f"at most {REPLY_MAX} bytes" in text  # the bound the daemon applies


def test_docs_link_the_protocol_inside_the_project() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "](docs/PROTOCOL.md)" in readme
    for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = path.read_text()
        assert "../shared" not in text and "shared/PROTOCOL" not in text, path
        for target in re.findall(r"\]\(([^)#\s]+\.md)\)", text):
            assert (path.parent / target).is_file(), f"{path.name} links a missing {target}"
