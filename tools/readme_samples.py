"""Run the README's sample `bridge send` commands and write what they print under them.

    .venv/bin/python tools/readme_samples.py          rewrite the samples in README.md
    .venv/bin/python tools/readme_samples.py --check  exit 1 if a sample's output is stale

A sample is a code block between ``<!-- samples:start -->`` and ``<!-- samples:end -->``
whose command lines start with ``$ .venv/bin/bridge send``; every other line of the block is
output, replaced by what the command prints against a daemon serving the shipped
checkpoints on the CPU (where the replies of a seed are the README's). The engines a sample
needs are loaded once. tests/test_readme_samples.py runs the check.
"""

from __future__ import annotations

import logging
import re
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generated import write_or_check

from bridge.cli.common import auto_type
from bridge.cli.main import format_osc

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- samples:start -->", "<!-- samples:end -->"
PROMPT = "$ "
COMMAND = [".venv/bin/bridge", "send"]
SECTION = re.compile(re.escape(START) + r"\n(.*?)" + re.escape(END), re.S)
WAIT = 60.0  # seconds for a reply on a busy machine (a reply normally takes milliseconds)


def commands(text: str) -> list[list[str]]:
    """Every sample command's words after ``.venv/bin/bridge send``, in order."""
    found = []
    for section in SECTION.findall(text):
        for line in section.splitlines():
            if line.startswith(PROMPT):
                words = shlex.split(line[len(PROMPT) :])
                if words[:2] != COMMAND:
                    raise ValueError(f"a README sample runs {' '.join(words[:2])}, not bridge send")
                found.append(words[2:])
    return found


def ask(client: Any, words: list[str]) -> list[str]:
    """What ``bridge send`` prints for ``words`` (address, then arguments): every reply to
    the request, one per line; an indexed reply (a verb that answers so, or ``variations``)
    is waited for until its last message."""
    from bridge.server.table import addresses

    address, *args = words
    spec = addresses().get(address)
    verb = spec.verb if spec is not None else None
    indexed = verb is not None and (verb.reply == "indexed" or "variations" in args)
    client.send(address, *map(auto_type, args))
    lines: list[str] = []
    while True:
        message = client.receive(WAIT)
        if message is None:
            raise RuntimeError(f"no reply to {' '.join(words)}")
        lines.append(format_osc(message.address, message.args))
        if message.address == "/bridge/error" or not indexed or len(lines) == message.args[2]:
            return lines


def outputs(samples: Iterable[list[str]]) -> list[list[str]]:
    """Each sample's printed lines, against a daemon serving the shipped checkpoints it
    needs (on the CPU)."""
    from bridge.server.daemon import Daemon
    from bridge.server.osc import OscClient
    from engines import load_engine

    samples = list(samples)
    names = sorted({w[0].split("/")[2] for w in samples if w[0].count("/") >= 3})
    engines = {name: load_engine(name, "cpu") for name in names}
    with Daemon(engines, port=0, device="cpu") as daemon, OscClient(*daemon.address) as client:
        client.send("/bridge/register", 0, "port", client.port)  # long samples are allowed
        client.receive(WAIT)
        return [ask(client, words) for words in samples]


def updated(text: str) -> str:
    """README text with every sample's output lines replaced by what its command prints."""
    printed = iter(outputs(commands(text)))

    def rewrite(match: re.Match[str]) -> str:
        out = []
        for line in match.group(1).splitlines():
            if line.startswith(PROMPT):
                out += [line, *next(printed)]
            elif line.startswith("```"):
                out.append(line)
        return f"{START}\n" + "\n".join(out) + f"\n{END}"

    return SECTION.sub(rewrite, text)


def main(argv: list[str]) -> int:
    logging.getLogger("bridge").setLevel(logging.ERROR)  # the error sample is logged as refused
    return write_or_check(README, updated(README.read_text()), argv, "readme_samples.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
