"""Read, write and check Max patchers (.maxpat) and Max for Live devices (.amxd).

The checker (`check_file`) reads any .maxpat or .amxd back, independently of how it was made,
and reports every box whose class is not a known Max object (max_patches/objects.json, with each
object's inlet and outlet counts), whose counts disagree with the table, and every patch cord
that starts or ends at a box, outlet or inlet that does not exist. The builder that writes the
patches (tools/patcher.py) takes its counts from the same table.

Run `python tools/maxpat.py check FILE...` to check files by hand.
"""

from __future__ import annotations

import ast
import json
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OBJECTS_JSON = ROOT / "max_patches" / "objects.json"

# The Max version written into generated files; Max 8 and 9 both open it.
APPVERSION = {"major": 8, "minor": 6, "revision": 0, "architecture": "x64", "modernui": 1}

# .amxd device types, the four bytes after the "ampf" chunk header.
DEVICE_TYPES = {"audio": b"aaaa", "midi": b"mmmm", "instrument": b"iiii"}

UI_CLASSES = {
    "message",
    "comment",
    "button",
    "toggle",
    "number",
    "flonum",
    "slider",
    "textedit",
    "live.dial",
    "live.text",
    "live.numbox",
    "live.menu",
    "live.toggle",
    "inlet",
    "outlet",
}

# Performance controls: they must be visible in presentation mode.
CONTROL_CLASSES = {
    "button",
    "toggle",
    "number",
    "flonum",
    "slider",
    "textedit",
    "live.dial",
    "live.text",
    "live.numbox",
    "live.menu",
    "live.toggle",
}


# --- the object table --------------------------------------------------------------------------


def load_objects(path: Path = OBJECTS_JSON) -> dict[str, Any]:
    """The object table: {"aliases": {...}, "objects": {class: {"inlets", "outlets"}}}."""
    return json.loads(path.read_text())


def split_text(text: str) -> tuple[str, list[str]]:
    """A box text's class and its arguments (everything before the first @attribute)."""
    words = text.split()
    if not words:
        return "", []
    args: list[str] = []
    for w in words[1:]:
        if w.startswith("@"):
            break
        args.append(w)
    return words[0], args


_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Compare,
    ast.GtE,
    ast.Gt,
    ast.Lt,
    ast.LtE,
    ast.Eq,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
)


def eval_count(expr: int | str, n: int, pct: int = 0, a0: int = 0) -> int:
    """Evaluate a count from the table: an int, or a small expression in n, pct and a0."""
    if isinstance(expr, int):
        return expr
    tree = ast.parse(expr, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"unsupported expression {expr!r}")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in ("max", "min")
        ):
            raise ValueError(f"unsupported call in {expr!r}")
    names = {"n": n, "pct": pct, "a0": a0, "max": max, "min": min}
    return int(eval(compile(tree, "<count>", "eval"), {"__builtins__": {}}, names))


def _first_int(args: list[str]) -> int:
    try:
        return int(float(args[0])) if args else 0
    except ValueError:
        return 0


def js_counts(script: Path) -> tuple[int, int]:
    """The inlets and outlets a Max [js] script declares (`inlets = N; outlets = M;`)."""
    src = script.read_text()
    found = {}
    for name in ("inlets", "outlets"):
        m = re.search(rf"^\s*{name}\s*=\s*(\d+)\s*;", src, re.M)
        if not m:
            raise ValueError(f"{script.name} does not declare {name}")
        found[name] = int(m.group(1))
    return found["inlets"], found["outlets"]


def patcher_io(patcher: dict[str, Any]) -> tuple[int, int]:
    """A subpatcher's or abstraction's inlets and outlets: its inlet and outlet boxes."""
    boxes = [b["box"] for b in patcher.get("boxes", [])]
    return (
        sum(1 for b in boxes if b.get("maxclass") == "inlet"),
        sum(1 for b in boxes if b.get("maxclass") == "outlet"),
    )


@dataclass
class Context:
    """Where a patch lives: folders searched for js scripts and abstractions."""

    folders: list[Path] = field(default_factory=list)

    def find(self, name: str) -> Path | None:
        for folder in self.folders:
            if (folder / name).is_file():
                return folder / name
        return None


def box_class(box: dict[str, Any]) -> tuple[str, list[str]]:
    """A box's Max class and arguments: newobj's first word, or the UI object's maxclass."""
    if box.get("maxclass") == "newobj":
        return split_text(box.get("text", ""))
    return box.get("maxclass", ""), []


def expected_io(box: dict[str, Any], table: dict[str, Any], ctx: Context) -> tuple[int, int] | str:
    """The inlets and outlets a box must have, or a message saying why it cannot be known."""
    cls, args = box_class(box)
    cls = table["aliases"].get(cls, cls)
    if cls == "patcher":
        if "patcher" not in box:
            return "[p] box without an embedded patcher"
        return patcher_io(box["patcher"])
    if cls == "js":
        if not args:
            return "[js] without a script name"
        script = ctx.find(args[0])
        if script is None:
            return f"[js] script {args[0]} not found next to the patch"
        return js_counts(script)
    spec = table["objects"].get(cls)
    if spec is None:
        abstraction = ctx.find(f"{cls}.maxpat")
        if abstraction is not None:
            return patcher_io(json.loads(abstraction.read_text())["patcher"])
        return f"unknown Max object class {cls!r}"
    pct = sum(len(re.findall(r"%(?!%)[-0-9.]*[a-zA-Z]", a)) for a in args)
    n, a0 = len(args), _first_int(args)
    return eval_count(spec["inlets"], n, pct, a0), eval_count(spec["outlets"], n, pct, a0)


def _name(box: dict[str, Any]) -> str:
    return f"[{box.get('text', box.get('maxclass'))}] ({box.get('id')})"


# --- files -------------------------------------------------------------------------------------


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent="\t", ensure_ascii=False) + "\n"


def write_maxpat(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(dumps(doc))


def amxd_bytes(doc: dict[str, Any], device_type: str = "midi") -> bytes:
    """An unfrozen Max for Live device: chunks of a 4-byte tag and a little-endian 32-bit size.

    "ampf" holds the device type (aaaa audio effect, mmmm MIDI effect, iiii instrument),
    "meta" four bytes, "ptch" the patcher JSON ending in a NUL byte.
    """
    patch = dumps(doc).encode("utf-8") + b"\x00"
    out = b"ampf" + struct.pack("<I", 4) + DEVICE_TYPES[device_type]
    out += b"meta" + struct.pack("<I", 4) + struct.pack("<I", 0)
    out += b"ptch" + struct.pack("<I", len(patch)) + patch
    return out


def write_amxd(path: Path, doc: dict[str, Any], device_type: str = "midi") -> None:
    path.write_bytes(amxd_bytes(doc, device_type))


def read_amxd(data: bytes) -> tuple[str, dict[str, Any]]:
    """The device type tag and the patcher document of an unfrozen .amxd file's bytes."""
    chunks: dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        if pos + 8 > len(data):
            raise ValueError(f"truncated chunk header at byte {pos}")
        tag = data[pos : pos + 4].decode("ascii", errors="replace")
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = data[pos + 8 : pos + 8 + size]
        if len(body) != size:
            raise ValueError(f"chunk {tag!r} at byte {pos} is cut short")
        chunks[tag] = body
        pos += 8 + size
    if "ampf" not in chunks or len(chunks["ampf"]) != 4:
        raise ValueError("not an .amxd file: no 4-byte 'ampf' chunk")
    if "ptch" not in chunks:
        raise ValueError("no 'ptch' chunk")
    patch = chunks["ptch"]
    if patch[:4] == b"mx@c":
        raise ValueError("device is frozen; only unfrozen devices can be checked")
    doc = json.loads(patch.rstrip(b"\x00").decode("utf-8"))
    return chunks["ampf"].decode("ascii"), doc


def read_document(path: Path) -> dict[str, Any]:
    if path.suffix == ".amxd":
        return read_amxd(path.read_bytes())[1]
    return json.loads(path.read_text())


# --- the checker -------------------------------------------------------------------------------


def walk_patchers(patcher: dict[str, Any], where: str = ""):
    """Yield (path, patcher) for a patcher and every [p] subpatcher inside it."""
    yield where or "top", patcher
    for b in patcher.get("boxes", []):
        inner = b["box"].get("patcher")
        if inner is not None:
            yield from walk_patchers(inner, f"{where}/{b['box'].get('text', '')}".lstrip("/"))


def check_patcher(
    patcher: dict[str, Any], table: dict[str, Any], ctx: Context, where: str = "top"
) -> list[str]:
    """Problems in one patcher level (not its subpatchers): classes, counts and cords."""
    problems: list[str] = []
    boxes: dict[str, dict[str, Any]] = {}
    for entry in patcher.get("boxes", []):
        box = entry.get("box", {})
        bid = box.get("id")
        label = f"{where}: {_name(box)}"
        if not bid:
            problems.append(f"{label}: box without an id")
            continue
        if bid in boxes:
            problems.append(f"{label}: duplicate id {bid}")
        boxes[bid] = box
        cls, _ = box_class(box)
        if box.get("maxclass") != "newobj" and cls not in UI_CLASSES:
            problems.append(f"{label}: unknown UI class {cls!r}")
            continue
        io = expected_io(box, table, ctx)
        if isinstance(io, str):
            problems.append(f"{label}: {io}")
            continue
        got = (box.get("numinlets"), box.get("numoutlets"))
        if got != io:
            problems.append(
                f"{label}: file says {got[0]} in/{got[1]} out, Max makes {io[0]}/{io[1]}"
            )
        if io[1] and len(box.get("outlettype", [])) != io[1]:
            problems.append(f"{label}: outlettype lists {len(box.get('outlettype', []))} outlets")
        if "patching_rect" not in box or len(box["patching_rect"]) != 4:
            problems.append(f"{label}: no patching_rect")
        box["_io"] = io
    for entry in patcher.get("lines", []):
        line = entry.get("patchline", {})
        try:
            (sid, outlet), (did, inlet) = line["source"], line["destination"]
        except (KeyError, ValueError):
            problems.append(f"{where}: malformed patch cord {line}")
            continue
        src, dst = boxes.get(sid), boxes.get(did)
        if src is None or dst is None:
            problems.append(f"{where}: cord {sid}:{outlet} -> {did}:{inlet} ends at no box")
            continue
        if "_io" not in src or "_io" not in dst:
            continue  # already reported
        if not 0 <= outlet < src["_io"][1]:
            problems.append(
                f"{where}: cord from {_name(src)} outlet {outlet}: it has {src['_io'][1]}"
            )
        if not 0 <= inlet < dst["_io"][0]:
            problems.append(
                f"{where}: cord into {_name(dst)} inlet {inlet}: it has {dst['_io'][0]}"
            )
    for box in boxes.values():
        box.pop("_io", None)
    problems += _port_order(boxes.values(), where)
    return problems


def _port_order(boxes: Any, where: str) -> list[str]:
    """Max numbers a patcher's inlets and outlets left to right by their x in the patching
    view, whatever their saved "index": the two must agree, or the parent's cords land on the
    wrong outlet."""
    problems = []
    for kind in ("inlet", "outlet"):
        ports = [b for b in boxes if b.get("maxclass") == kind]
        by_x = [b.get("index") for b in sorted(ports, key=lambda b: b["patching_rect"][0])]
        if by_x != sorted(by_x) or len({b["patching_rect"][0] for b in ports}) < len(ports):
            problems.append(
                f"{where}: {kind}s left to right have index {by_x}: Max numbers them by x"
            )
    return problems


def check_document(
    doc: dict[str, Any], table: dict[str, Any], ctx: Context, *, presentation: bool = True
) -> list[str]:
    """Problems in a whole patch file: every level, plus presentation of its controls."""
    top = doc.get("patcher")
    if not isinstance(top, dict) or "boxes" not in top or "lines" not in top:
        return ["not a Max patcher: no patcher.boxes / patcher.lines"]
    problems: list[str] = []
    for where, patcher in walk_patchers(top):
        problems += check_patcher(patcher, table, ctx, where)
    if presentation:
        if not top.get("openinpresentation"):
            problems.append("top: does not open in presentation mode")
        for entry in top["boxes"]:
            box = entry["box"]
            if box.get("maxclass") in CONTROL_CLASSES and not box.get("presentation"):
                problems.append(f"top: control {_name(box)} is not in the presentation")
    return problems


def check_file(path: Path, table: dict[str, Any] | None = None) -> list[str]:
    """Problems in a .maxpat or .amxd file (an empty list when it is sound)."""
    table = table or load_objects()
    ctx = Context([path.parent, ROOT / "max_patches", ROOT / "ableton"])
    try:
        doc = read_document(path)
    except (ValueError, json.JSONDecodeError) as e:
        return [f"cannot read: {e}"]
    # An abstraction (a patch with inlets or outlets) is a part, not a performer's screen.
    is_abstraction = any(patcher_io(doc.get("patcher", {})))
    return check_document(doc, table, ctx, presentation=not is_abstraction)


# --- OSC addresses -----------------------------------------------------------------------------

ADDRESS = re.compile(r"/bridge/[A-Za-z0-9_/]+")


def box_texts(doc: dict[str, Any]) -> list[str]:
    """Every box text (object boxes, message boxes) at every level of a patch."""
    texts = []
    for _, patcher in walk_patchers(doc["patcher"]):
        for entry in patcher.get("boxes", []):
            box = entry["box"]
            if box.get("maxclass") in ("newobj", "message"):
                texts.append(box.get("text", ""))
    return texts


def addresses_in(doc: dict[str, Any]) -> set[str]:
    """Every OSC address of the bridge protocol a patch names (sends or routes)."""
    found: set[str] = set()
    for text in box_texts(doc):
        found.update(ADDRESS.findall(text))
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "check":
        print("usage: python tools/maxpat.py check FILE...", file=sys.stderr)
        return 2
    table, bad = load_objects(), 0
    for name in argv[1:]:
        problems = check_file(Path(name), table)
        bad += bool(problems)
        print(f"{name}: {'ok' if not problems else ''}")
        for p in problems:
            print(f"  {p}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
