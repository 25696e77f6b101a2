"""The SuperCollider quark (supercollider/Bridge): its Bridge.quark fields, a help entry with
an example for every public method of its classes (read from the class files), and sclang's
`Quarks.install(path)` of it (a missing sclang skips, or fails with BRIDGE_REQUIRE_CLIENTS=1)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from clients import HEADLESS, ROOT, require_client

QUARK = ROOT / "supercollider" / "Bridge"
CLASS = re.compile(r"^(?:\+ )?(\w+)(?: : \w+)? \{", re.M)
METHOD = re.compile(r"^\t(\*?)(\w+) \{", re.M)
ACCESSORS = re.compile(r"^\t(classvar|var) (.*);$", re.M)


def public_methods() -> dict[str, set[str]]:
    """Class name -> its public methods and getters (`*name` for class methods), from every
    class file of the quark (extensions `+ Bridge` included)."""
    found: dict[str, set[str]] = {}
    for path in sorted((QUARK / "classes").glob("*.sc")):
        text = path.read_text()
        for block in re.split(r"^(?=(?:\+ )?\w+(?: : \w+)? \{)", text, flags=re.M):
            head = CLASS.match(block)
            if head is None or head.group(1) == "BridgeError":
                continue
            names = found.setdefault(head.group(1), set())
            for star, name in METHOD.findall(block):
                if not name.startswith("pr") and name != "init":
                    names.add(star + name)
            for kind, decl in ACCESSORS.findall(block):
                star = "*" if kind == "classvar" else ""
                names.update(star + n for n in re.findall(r"<>?(\w+)", decl))
    return found


def help_methods(name: str) -> dict[str, str]:
    """METHOD:: entries of a class's help file: `*name` (class) or `name` -> its text."""
    text = (QUARK / "HelpSource" / "Classes" / f"{name}.schelp").read_text()
    assert text.startswith(f"TITLE:: {name}\nsummary:: ")
    classmethods, _, instancemethods = text.partition("INSTANCEMETHODS::")
    found = {}
    for section, star in ((classmethods, "*"), (instancemethods, "")):
        for m in re.finditer(
            r"^METHOD:: (\w+)\n(.*?)(?=^METHOD::|^EXAMPLES::|\Z)", section, re.M | re.S
        ):
            found[star + m.group(1)] = m.group(2)
    return found


def test_quark_file() -> None:
    text = (QUARK / "Bridge.quark").read_text()
    fields = dict(re.findall(r"^\s*(\w+): (.+?),?$", text, re.M))
    assert fields["name"] == '"Bridge"' and fields["schelp"] == '"Bridge"'
    assert re.fullmatch(r'"\d+\.\d+\.\d+"', fields["version"]) and len(fields["summary"]) > 20


@pytest.mark.parametrize("name", ["Bridge", "BridgeStream"])
def test_help_documents_every_method(name: str) -> None:
    methods = public_methods()[name]
    documented = help_methods(name)
    assert methods, "no methods read from the class files"
    assert methods == set(documented), (
        f"undocumented: {sorted(methods - set(documented))}; "
        f"documented but not in the class: {sorted(set(documented) - methods)}"
    )


def test_every_request_has_an_example() -> None:
    requests = set(
        re.findall(
            r"^\t(\w+) \{ \|[^|]*\baction\|", (QUARK / "classes" / "Bridge.sc").read_text(), re.M
        )
    )
    assert {"describe", "load", "continue", "stream"} <= requests
    documented = help_methods("Bridge")
    for name in requests:
        assert "code::" in documented[name], f"Bridge.{name} has no example"


def test_quarks_install_compiles_the_classes(tmp_path: Path) -> None:
    """`Quarks.install(path)` as the README says, into a class-library config of the test's
    own (-l), then a fresh sclang compiles Bridge from the quark."""
    sclang = require_client("sclang")
    conf = tmp_path / "sclang_conf.yaml"
    conf.write_text("includePaths:\n    []\nexcludePaths:\n    []\npostInlineWarnings: false\n")
    install = tmp_path / "install.scd"
    install.write_text(
        f'Quarks.install("{QUARK}");\n'
        '"INSTALLED %".format(Quarks.installed.collect(_.name)).postln; 0.exit;\n'
    )
    check = tmp_path / "check.scd"
    check.write_text(
        '"FROM %".format(Bridge.filenameSymbol).postln;\n'
        '"HAS %".format(BridgeStream.findMethod(\\feed).notNil).postln; 0.exit;\n'
    )
    out = [run(sclang, conf, script) for script in (install, check)]
    assert "INSTALLED [ Bridge ]" in out[0], out[0][-2000:]
    assert str(QUARK) in conf.read_text()
    assert f"FROM {QUARK / 'classes' / 'Bridge.sc'}" in out[1] and "HAS true" in out[1], out[1][
        -2000:
    ]


def run(sclang: str, conf: Path, script: Path) -> str:
    done = subprocess.run(
        [sclang, "-l", str(conf), str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **HEADLESS},
        stdin=subprocess.DEVNULL,
    )
    return done.stdout + done.stderr
