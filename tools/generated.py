"""What the tools that write generated documentation share: write, or check with --check."""

from __future__ import annotations

from pathlib import Path


def write_or_check(path: Path, text: str, argv: list[str], tool: str) -> int:
    """Write ``text`` to ``path``; with ``--check`` in ``argv`` write nothing and return 1
    (saying which tool to run) if ``path`` does not hold ``text``."""
    if "--check" in argv:
        current = path.read_text() if path.is_file() else ""
        if current != text:
            print(f"{path.name} is out of date: run .venv/bin/python tools/{tool}")
            return 1
        return 0
    path.write_text(text)
    return 0
