"""Models of the Max objects the bridge patches use, for tools/maxsim.py.

Each model follows the object's documented behaviour as far as the patches rely on it: a hot
(left) inlet makes output, cold inlets store; [t] and [unpack] fire right to left; $1... in a
message box take the incoming atoms; zl objects drop atoms past their zlmaxsize (256 unless
given). [metro], [delay], [pipe] and [timer] wait for the test to move time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maxsim import Sim

Atom = int | float | str
ZL_DEFAULT_MAX = 256


class Msg:
    """A Max message: a selector (bang, int, float, list, symbol, or any word) and atoms."""

    def __init__(self, selector: str, args: list[Atom] | None = None) -> None:
        self.selector = selector
        self.args = list(args or [])

    @staticmethod
    def of(atoms: list[Atom]) -> Msg:
        """The message Max makes from a list of atoms."""
        if not atoms:
            return Msg("bang")
        head = atoms[0]
        if isinstance(head, str):
            return Msg(head, atoms[1:])
        if len(atoms) == 1:
            return Msg("int" if isinstance(head, int) else "float", [head])
        return Msg("list", atoms)

    def atoms(self) -> list[Atom]:
        if self.selector in ("int", "float", "list", "symbol"):
            return list(self.args)
        if self.selector == "bang":
            return []
        return [self.selector, *self.args]

    def __repr__(self) -> str:
        return " ".join(str(a) for a in [self.selector, *self.args])


def parse_atom(word: str) -> Atom:
    if re.fullmatch(r"-?\d+", word):
        return int(word)
    if re.fullmatch(r"-?\d+\.\d*|-?\.\d+", word):
        return float(word)
    return word


def number(msg: Msg) -> float | int | None:
    atoms = msg.atoms()
    return atoms[0] if atoms and not isinstance(atoms[0], str) else None


class Obj:
    """A box: `receive(inlet, msg)`, and `out(outlet, msg)` to whatever it is patched to."""

    def __init__(self, sim: Sim, box: dict[str, Any], cls: str, args: list[str]) -> None:
        self.sim, self.box, self.cls = sim, box, cls
        self.args = [parse_atom(a) for a in args]
        self.attrs = dict(re.findall(r"@(\w+) (\S+)", box.get("text", "")))
        self.setup()

    def setup(self) -> None:
        pass

    def out(self, outlet: int, msg: Msg) -> None:
        self.sim.send(self, outlet, msg)

    def receive(self, inlet: int, msg: Msg) -> None:
        raise NotImplementedError(f"no model of [{self.box.get('text', self.cls)}]")


class Passive(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        self.sim.log.append((self, inlet, msg))


class Comment(Obj):
    def setup(self) -> None:
        self.text = self.box.get("text", "")

    def receive(self, inlet: int, msg: Msg) -> None:
        if msg.selector == "set":
            self.text = " ".join(str(a) for a in msg.args)


class Message(Obj):
    def setup(self) -> None:
        self.text = self.box.get("text", "")

    def receive(self, inlet: int, msg: Msg) -> None:
        if inlet == 1 or msg.selector == "set":
            self.text = " ".join(str(a) for a in msg.args) if msg.selector == "set" else self.text
            return
        given = msg.atoms()
        for part in self.text.split(","):

            def dollar(m: re.Match[str], given: list[Atom] = given) -> str:
                i = int(m.group(1)) - 1
                return str(given[i]) if i < len(given) else "0"

            words = re.sub(r"\$(\d+)", dollar, part).split()
            if words:
                self.out(0, Msg.of([parse_atom(w) for w in words]))


class Trigger(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        kinds = self.args or ["i", "i"]
        atoms = msg.atoms()
        for i in reversed(range(len(kinds))):
            k = kinds[i]
            if k == "b":
                self.out(i, Msg("bang"))
            elif k == "i":
                self.out(i, Msg("int", [int(atoms[0]) if atoms else 0]))
            elif k == "f":
                self.out(i, Msg("float", [float(atoms[0]) if atoms else 0.0]))
            elif k in ("l", "a"):
                self.out(i, msg)
            elif k == "s":
                self.out(i, Msg("symbol", [str(atoms[0])]))
            else:
                self.out(i, Msg.of([k]))


class Route(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        atoms = msg.atoms()
        if msg.selector == "bang" and "bang" in self.args:  # [route bang] takes the bang
            self.out(self.args.index("bang"), msg)
            return
        for i, arg in enumerate(self.args):
            if atoms and atoms[0] == arg:
                self.out(i, Msg.of(atoms[1:]) if len(atoms) > 1 else Msg("bang"))
                return
        self.out(len(self.args), msg)


class Select(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        if inlet:
            self.args[0] = number(msg)
            return
        atoms = msg.atoms()
        for i, arg in enumerate(self.args):
            if atoms and atoms[0] == arg:
                self.out(i, Msg("bang"))
                return
        self.out(len(self.args), msg)


class Prepend(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        self.out(0, Msg.of([*self.args, *msg.atoms()]))


class Zl(Obj):
    def setup(self) -> None:
        self.mode = self.args[0]
        self.n = self.args[1] if len(self.args) > 1 else 0
        self.max = int(self.attrs.get("zlmaxsize", ZL_DEFAULT_MAX))
        self.stored: list[Atom] | None = None
        self.group: list[Atom] = []

    def cut(self, atoms: list[Atom]) -> list[Atom]:
        return atoms[: self.max]

    def receive(self, inlet: int, msg: Msg) -> None:
        if inlet == 1:
            self.stored = self.cut(msg.atoms())
            return
        if msg.selector == "zlclear":
            self.stored, self.group = None, []
            return
        atoms = self.cut(msg.atoms())
        mode = self.mode
        if mode == "slice":
            if atoms[self.n :]:
                self.out(1, Msg.of(atoms[self.n :]))
            self.out(0, Msg.of(atoms[: self.n]))
        elif mode == "join":
            self.out(0, Msg.of(self.cut(atoms + (self.stored or []))))
        elif mode == "reg":
            if msg.selector != "bang":
                self.stored = atoms
            if self.stored is not None:
                self.out(0, Msg.of(self.stored))
        elif mode == "mth":
            if len(atoms) > self.n:
                self.out(0, Msg.of([atoms[self.n]]))
        elif mode == "iter":
            for i in range(0, len(atoms), self.n):
                self.out(0, Msg.of(atoms[i : i + self.n]))
        elif mode == "group":
            if msg.selector == "bang":
                if self.group:
                    self.out(0, Msg.of(self.group))
                self.group = []
                return
            self.group = self.cut(self.group + atoms)
            while len(self.group) >= self.n:
                chunk, self.group = self.group[: self.n], self.group[self.n :]
                self.out(0, Msg.of(chunk))
        else:
            raise NotImplementedError(f"zl {mode}")


class Arith(Obj):
    OPS: dict[str, Callable[[Any, Any], Any]] = {
        "+": lambda a, b: a + b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b if isinstance(a, float) or isinstance(b, float) else a // b,
        "!-": lambda a, b: b - a,
        "!/": lambda a, b: b / a if isinstance(a, float) or isinstance(b, float) else b // a,
        ">": lambda a, b: int(a > b),
        "==": lambda a, b: int(a == b),
        "maximum": lambda a, b: max(a, b),
    }

    def setup(self) -> None:
        self.right = self.args[0] if self.args else 0
        self.left: Any = 0

    def receive(self, inlet: int, msg: Msg) -> None:
        value = number(msg)
        if inlet:
            self.right = value
            return
        if value is not None:
            self.left = value
        result = self.OPS[self.cls](self.left, self.right)
        if isinstance(self.right, float) and self.cls not in (">", "=="):
            result = float(result)
        self.out(0, Msg.of([result]))


class Counter(Obj):
    def setup(self) -> None:
        self.lo, self.hi = (self.args + [0, 0])[:2] if len(self.args) >= 2 else (0, self.args[0])
        self.value = self.lo

    def receive(self, inlet: int, msg: Msg) -> None:
        self.out(0, Msg("int", [self.value]))
        self.value = self.lo if self.value >= self.hi else self.value + 1


class Split(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        if inlet:
            self.args[inlet - 1] = number(msg)
            return
        value = number(msg)
        self.out(0 if self.args[0] <= value <= self.args[1] else 1, msg)


class Random(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        self.out(0, Msg("int", [self.sim.rng.randrange(self.args[0])]))


class Gate(Obj):
    def setup(self) -> None:
        self.open = self.args[1] if len(self.args) > 1 else 0

    def receive(self, inlet: int, msg: Msg) -> None:
        if inlet == 0:
            self.open = int(number(msg))
        elif self.open:
            self.out(min(self.open, max(self.args[0] if self.args else 1, 1)) - 1, msg)


class Unpack(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        atoms = msg.atoms()
        for i in reversed(range(len(self.args))):
            if i < len(atoms):
                kind = self.args[i]
                value = atoms[i]
                if isinstance(kind, int):
                    value = int(value)
                elif isinstance(kind, float):
                    value = float(value)
                self.out(i, Msg.of([value]))


class Pack(Obj):
    def setup(self) -> None:
        self.slots = list(self.args)

    def put(self, inlet: int, msg: Msg) -> None:
        atoms = msg.atoms()
        for j, value in enumerate(atoms if inlet == 0 else atoms[:1]):
            kind = self.slots[inlet + j]
            if isinstance(kind, int) and not isinstance(value, str):
                value = int(value)
            elif isinstance(kind, float) and not isinstance(value, str):
                value = float(value)
            self.slots[inlet + j] = value

    def receive(self, inlet: int, msg: Msg) -> None:
        if msg.selector != "bang":
            self.put(inlet, msg)
        if inlet == 0 or self.cls == "pak":
            self.out(0, Msg.of(self.slots))


class Int(Obj):
    """[i] and [f]: keep a number (right inlet, or left), send it on a bang or a number (left)."""

    def setup(self) -> None:
        self.kind = float if self.cls in ("f", "float") else int
        self.value = self.kind(self.args[0] if self.args else 0)

    def receive(self, inlet: int, msg: Msg) -> None:
        if msg.selector != "bang":
            self.value = self.kind(number(msg))
        if inlet == 0:
            self.out(0, Msg(self.kind.__name__, [self.value]))


class Coll(Obj):
    def setup(self) -> None:
        self.data: dict[int, list[Atom]] = {}

    def receive(self, inlet: int, msg: Msg) -> None:
        atoms = msg.atoms()
        if msg.selector == "clear":
            self.data = {}
        elif msg.selector == "dump":
            for key in list(self.data):
                self.out(0, Msg.of(self.data[key]))
            self.out(3, Msg("bang"))
        elif msg.selector in ("int", "float"):
            key = int(atoms[0])
            if key in self.data:
                self.out(0, Msg.of(self.data[key]))
        elif msg.selector == "list":
            self.data[int(atoms[0])] = atoms[1:]
        elif msg.selector == "remove":
            self.data.pop(int(msg.args[0]), None)


class Clocked(Obj):
    """[metro], [delay], [pipe], [timer]: they wait for the test to move time."""

    def setup(self) -> None:
        self.running = False
        self.queue: list[list[Atom]] = []
        self.now = 0.0
        self.started = 0.0

    def receive(self, inlet: int, msg: Msg) -> None:
        if self.cls == "metro" and inlet == 0:
            self.running = msg.selector == "bang" or bool(number(msg))
            if self.running:
                self.out(0, Msg("bang"))
        elif self.cls == "delay" and inlet == 0:
            self.running = msg.selector != "stop"
        elif self.cls == "pipe":
            if msg.selector == "clear":
                self.queue = []
            elif inlet == 0:
                self.args[0] = number(msg)
                self.queue.append(list(self.args))
            else:
                self.args[inlet] = number(msg)
        elif self.cls == "timer":
            if inlet == 0:
                self.started = self.sim.time_ms
            else:
                self.out(0, Msg("float", [float(self.sim.time_ms - self.started)]))


class Ui(Obj):
    """number, flonum, toggle, button, slider, textedit: show a value and pass it on."""

    def setup(self) -> None:
        self.value: Any = 0

    def receive(self, inlet: int, msg: Msg) -> None:
        if msg.selector == "set":
            self.value = msg.args
            return
        if self.cls in ("button",):
            self.out(0, Msg("bang"))
            return
        if msg.selector == "size":
            self.size = msg.args[0]
            return
        if self.cls == "toggle" and msg.selector == "bang":
            self.value = 0 if self.value else 1
        elif msg.selector != "bang":
            self.value = number(msg)
            if self.cls in ("number", "toggle", "slider"):
                self.value = int(self.value)
            elif self.cls == "flonum":
                self.value = float(self.value)
        self.out(0, Msg.of([self.value]))


class Io(Obj):
    """[udpsend], [noteout], [makenote], [udpreceive], [midiin]...: the patch's edges."""

    def receive(self, inlet: int, msg: Msg) -> None:
        if self.cls == "udpsend":
            if msg.selector in ("port", "host"):
                self.sim.ports[msg.selector] = msg.args[0]
            else:
                self.sim.sent.append(msg.atoms())
        elif self.cls == "udpreceive":
            self.sim.ports["listen"] = msg.args[0]
        elif self.cls == "makenote":
            if msg.selector == "stop":
                self.sim.log.append((self, "stop", msg))
            elif inlet == 0:
                self.sim.played.append(msg.atoms()[0])
            else:  # the velocity and duration of the next note: logged, so tests can see them
                self.sim.log.append((self, inlet, msg))
        else:
            self.sim.log.append((self, inlet, msg))


class PatcherArgs(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        given = [parse_atom(a) for a in self.sim.args]
        values = given + self.args[len(given) :]
        self.out(0, Msg.of(values))


class Inlet(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        self.out(0, msg)


class Outlet(Obj):
    def receive(self, inlet: int, msg: Msg) -> None:
        # Max numbers a patcher's outlets left to right by x, not by their saved index
        xs = sorted(o.box["patching_rect"][0] for o in self.sim.objs.values() if o.cls == "outlet")
        index = xs.index(self.box["patching_rect"][0])
        self.sim.outputs.append((index, msg))
        if self.sim.parent is not None:
            parent, box = self.sim.parent
            parent.send(box, index, msg)


MODELS: dict[str, type[Obj]] = {
    "message": Message, "comment": Comment, "trigger": Trigger, "t": Trigger, "route": Route,
    "sel": Select, "select": Select, "prepend": Prepend, "zl": Zl, "counter": Counter,
    "split": Split, "random": Random, "gate": Gate, "unpack": Unpack, "pack": Pack, "pak": Pack,
    "i": Int, "int": Int, "f": Int, "float": Int, "coll": Coll, "metro": Clocked,
    "delay": Clocked, "pipe": Clocked,
    "timer": Clocked, "number": Ui, "flonum": Ui, "toggle": Ui, "button": Ui, "slider": Ui,
    "textedit": Ui, "udpsend": Io, "udpreceive": Io, "makenote": Io, "noteout": Io,
    "midiin": Io, "midiparse": Io, "midiout": Io, "midiformat": Io, "patcherargs": PatcherArgs,
    "inlet": Inlet, "outlet": Outlet, "loadbang": Passive, "js": Passive,
    "live.thisdevice": Passive, "live.path": Passive, "live.observer": Passive,
    "live.dial": Ui, "live.numbox": Ui, "live.text": Ui, "live.menu": Ui, "live.toggle": Ui,
}  # fmt: skip
for _op in Arith.OPS:
    MODELS[_op] = Arith
