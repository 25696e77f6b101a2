"""Write the OSC address table, generated from the handlers, into README.md.

    .venv/bin/python tools/update_readme.py          rewrite the section in place
    .venv/bin/python tools/update_readme.py --check  exit 1 if README.md is out of date

tests/test_readme.py runs the check, so the README's table cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from generated import write_or_check

from bridge.cli.addresses import full_table

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- addresses:start -->", "<!-- addresses:end -->"


def updated(text: str) -> str:
    """README text with the section between the markers replaced by the current table."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{full_table()}{END}{tail}"


def main(argv: list[str]) -> int:
    return write_or_check(README, updated(README.read_text()), argv, "update_readme.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
