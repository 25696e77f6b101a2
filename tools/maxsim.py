"""Run a Max patch file in Python: a small model of Max's message passing, for tests.

It follows Max's rules as documented: a message into a hot (left) inlet makes output, cold
inlets only store; [t] and [unpack] fire right to left; one outlet feeding several inlets fires
them right to left by the position of the receiving boxes; $1... in a message box take the
incoming atoms. Each object class the bridge patches use has a model here (the subset of its
behaviour they rely on; zl objects also drop atoms past their zlmaxsize, 256 unless given).
Time does not pass: [metro] and [delay] wait for `tick` and `fire`; [pipe] keeps notes in `queue`.

    sim = Sim.load(path, args=["57120", "7401"])    # a patch, or an abstraction with its args
    sim.start()                                     # loadbang
    sim.click(box)                                  # a button, toggle, or message box
    sim.udp_in("/bridge/pong", 100001, 1, "0.1.0")  # a datagram into [udpreceive]
    sim.sent                                        # what [udpsend] sent: [["/addr", ...]]

Names a box by its text (`sim.box("zl join")`) or by a function of its JSON.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from maxmodels import MODELS, Atom, Msg, Obj
from maxpat import read_document, split_text


class Abstraction(Obj):
    """[bridge ...] or [p name]: a patch inside the patch, run by a Sim of its own."""

    def setup(self) -> None:
        doc = self.box.get("patcher")
        if doc is None:
            path = self.sim.folder / f"{self.cls}.maxpat"
            doc = json.loads(path.read_text())["patcher"]
        self.inner = Sim(doc, self.sim.folder, [str(a) for a in self.args], (self.sim, self))
        self.inner.rng = self.sim.rng

    def receive(self, inlet: int, msg: Msg) -> None:
        inlets = sorted(
            (b for b in self.inner.objs.values() if b.cls == "inlet"),
            key=lambda o: o.box["patching_rect"][0],  # Max numbers them left to right
        )
        inlets[inlet].receive(0, msg)


class Sim:
    """A running patch. `sent` collects [udpsend]'s messages, `outputs` its outlets' output."""

    def __init__(
        self,
        patcher: dict[str, Any],
        folder: Path,
        args: list[str] | None = None,
        parent: tuple[Sim, Obj] | None = None,
    ) -> None:
        self.folder, self.args, self.parent = folder, args or [], parent
        self.rng = random.Random(1)
        self.time_ms = 0.0
        self.sent: list[list[Atom]] = []
        self.ports: dict[str, Atom] = {}
        self.played: list[Atom] = []
        self.outputs: list[tuple[int, Msg]] = []
        self.log: list[Any] = []
        self.objs: dict[str, Obj] = {}
        self.wires: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for entry in patcher["boxes"]:
            box = entry["box"]
            cls, args_ = (
                split_text(box["text"]) if box["maxclass"] == "newobj" else (box["maxclass"], [])
            )
            if cls == "p" or (cls not in MODELS and (folder / f"{cls}.maxpat").exists()):
                model: type[Obj] = Abstraction
                if cls == "p":
                    cls, args_ = args_[0], []
            else:
                model = MODELS.get(cls, Obj)
            self.objs[box["id"]] = model(self, box, cls, args_)
        for entry in patcher["lines"]:
            (s, o), (d, i) = entry["patchline"]["source"], entry["patchline"]["destination"]
            self.wires.setdefault((s, o), []).append((d, i))

    @classmethod
    def load(cls, path: Path, args: list[str] | None = None) -> Sim:
        return cls(read_document(path)["patcher"], path.parent, args)

    # wiring

    def send(self, obj: Obj, outlet: int, msg: Msg) -> None:
        dests = self.wires.get((obj.box["id"], outlet), [])
        # one outlet to several inlets: right to left by the receiving boxes' positions
        dests = sorted(dests, key=lambda d: -self.objs[d[0]].box["patching_rect"][0])
        for dest, inlet in dests:
            self.objs[dest].receive(inlet, msg)

    def all(self) -> list[Obj]:
        found = list(self.objs.values())
        for obj in self.objs.values():
            if isinstance(obj, Abstraction):
                found += obj.inner.all()
        return found

    def box(self, text: str | Callable[[dict[str, Any]], bool]) -> Obj:
        """The one box (at any depth) whose text is `text`, or that the function picks."""
        match = text if callable(text) else (lambda b: b.get("text") == text)
        found = [o for o in self.all() if match(o.box)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} boxes match {text!r}")
        return found[0]

    def of(self, cls: str) -> list[Obj]:
        return [o for o in self.all() if o.cls == cls]

    # driving

    def start(self) -> Sim:
        """Every [loadbang] fires, those of inner patches first."""
        for obj in self.objs.values():
            if isinstance(obj, Abstraction):
                obj.inner.start()
        for obj in self.objs.values():
            if obj.cls == "loadbang":
                obj.out(0, Msg("bang"))
        return self

    def press(self, obj: Obj, *atoms: Atom) -> None:
        """The box sends this out of its left outlet (a live.text click, a [js] answer...)."""
        obj.out(0, Msg.of(list(atoms)) if atoms else Msg("bang"))

    def click(self, obj: Obj, value: Any = None) -> None:
        """A click on a button or message box, or a value typed into a number box."""
        msg = (
            Msg("bang") if value is None else Msg.of(value if isinstance(value, list) else [value])
        )
        obj.receive(0, msg)

    def tick(self) -> None:
        """Each running [metro] fires once."""
        for obj in self.of("metro"):
            if obj.running:
                obj.out(0, Msg("bang"))

    def fire(self, cls: str = "delay") -> None:
        """Each pending [delay] goes off."""
        for obj in self.of(cls):
            if obj.running:
                obj.running = False
                obj.out(0, Msg("bang"))

    def udp_in(self, *atoms: Atom) -> None:
        """A message arriving at every [udpreceive] (they share the port)."""
        for obj in self.of("udpreceive"):
            obj.out(0, Msg.of(list(atoms)))

    def all_sent(self) -> list[list[Atom]]:
        found = list(self.sent)
        for obj in self.objs.values():
            if isinstance(obj, Abstraction):
                found += obj.inner.all_sent()
        return found
