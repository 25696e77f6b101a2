"""The patch builder: boxes, patch cords, presentation, and a layout that follows the cords.

`Patcher` fills every box's inlet and outlet counts from max_patches/objects.json (through
maxpat.expected_io) and refuses a cord from an outlet or into an inlet the object does not have,
so whatever the generator writes agrees with the table the checker uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from maxpat import APPVERSION, Context, _name, expected_io, load_objects

CHAR_W = 7.0  # Arial 12 in a Max box: about 7 px per character, plus padding
BOX_H = 22.0


def text_width(text: str) -> float:
    return max(32.0, round(CHAR_W * len(text) + 14.0))


class Patcher:
    """A Max patcher under construction: boxes, patch cords and presentation layout."""

    def __init__(
        self,
        rect: tuple[float, float, float, float] = (60.0, 80.0, 1100.0, 760.0),
        *,
        presentation: bool = False,
        devicewidth: float = 0.0,
        table: dict[str, Any] | None = None,
        folders: list[Path] | None = None,
    ) -> None:
        self.rect = rect
        self.presentation = presentation
        self.devicewidth = devicewidth
        self.table = table or load_objects()
        self.ctx = Context(folders or [])
        self.boxes: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.dependencies: list[str] = []
        self.anchors: dict[str, str] = {}  # comment id -> the box it labels
        self._next = 1

    # boxes

    def _add(self, box: dict[str, Any]) -> dict[str, Any]:
        box["id"] = f"obj-{self._next}"
        self._next += 1
        io = expected_io(box, self.table, self.ctx)
        if isinstance(io, str):
            raise ValueError(f"{box.get('text', box['maxclass'])}: {io}")
        box["numinlets"], box["numoutlets"] = io
        if io[1]:
            box.setdefault("outlettype", [""] * io[1])
        self.boxes.append(box)
        return box

    def obj(
        self, text: str, x: float, y: float, width: float | None = None, **attrs: Any
    ) -> dict[str, Any]:
        """An object box: [text]."""
        box = {"maxclass": "newobj", "text": text}
        box["patching_rect"] = [x, y, width or text_width(text), BOX_H]
        box.update(attrs)
        return self._add(box)

    def msg(self, text: str, x: float, y: float, width: float | None = None, **attrs: Any):
        """A message box."""
        box = {"maxclass": "message", "text": text}
        box["patching_rect"] = [x, y, width or text_width(text), BOX_H]
        box.update(attrs)
        return self._add(box)

    def comment(
        self,
        text: str,
        x: float,
        y: float,
        width: float | None = None,
        height: float = 20.0,
        present: tuple[float, float, float, float] | None = None,
        near: dict[str, Any] | None = None,
        **attrs: Any,
    ) -> dict[str, Any]:
        """A comment; `near` keeps it beside that box when the patch is laid out."""
        box = {"maxclass": "comment", "text": text}
        box["patching_rect"] = [x, y, width or text_width(text), height]
        box.update(attrs)
        if present:
            box["presentation"] = 1
            box["presentation_rect"] = list(present)
        box = self._add(box)
        if near is not None:
            self.anchors[box["id"]] = near["id"]
        return box

    def ui(
        self,
        maxclass: str,
        x: float,
        y: float,
        w: float,
        h: float,
        present: tuple[float, float, float, float] | None = None,
        **attrs: Any,
    ) -> dict[str, Any]:
        """A UI object (number, flonum, toggle, live.dial...); `present` places it on stage."""
        box = {"maxclass": maxclass, "patching_rect": [x, y, w, h], "parameter_enable": 0}
        if maxclass.startswith("live."):
            box["parameter_enable"] = 1
        box.update(attrs)
        if present:
            box["presentation"] = 1
            box["presentation_rect"] = list(present)
        return self._add(box)

    def live_param(
        self,
        maxclass: str,
        x: float,
        y: float,
        w: float,
        h: float,
        present: tuple[float, float, float, float],
        *,
        longname: str,
        shortname: str,
        kind: str = "float",
        lo: float = 0.0,
        hi: float = 1.0,
        initial: float | None = None,
        enum: list[str] | None = None,
        **attrs: Any,
    ) -> dict[str, Any]:
        """A live.* control that is a Live parameter (saved, automatable, named)."""
        types = {"float": 0, "int": 1, "enum": 2}
        value: dict[str, Any] = {
            "parameter_longname": longname,
            "parameter_shortname": shortname,
            "parameter_type": types[kind],
        }
        if kind == "enum":
            value["parameter_enum"] = enum or ["off", "on"]
            value["parameter_mmax"] = len(value["parameter_enum"]) - 1
        else:
            value["parameter_mmin"] = lo
            value["parameter_mmax"] = hi
            value["parameter_unitstyle"] = 1 if kind == "float" else 0
        if initial is not None:
            value["parameter_initial_enable"] = 1
            value["parameter_initial"] = [initial]
        return self.ui(
            maxclass,
            x,
            y,
            w,
            h,
            present,
            varname=longname,
            saved_attribute_attributes={"valueof": value},
            **attrs,
        )

    def inlet(self, x: float, y: float, comment: str) -> dict[str, Any]:
        index = sum(1 for b in self.boxes if b["maxclass"] == "inlet")
        box = {"maxclass": "inlet", "comment": comment, "index": index}
        box["patching_rect"] = [x, y, 30.0, 30.0]
        return self._add(box)

    def outlet(self, x: float, y: float, comment: str) -> dict[str, Any]:
        index = sum(1 for b in self.boxes if b["maxclass"] == "outlet")
        box = {"maxclass": "outlet", "comment": comment, "index": index}
        box["patching_rect"] = [x, y, 30.0, 30.0]
        return self._add(box)

    def js(self, script: str, x: float, y: float, width: float | None = None):
        """A [js script] box; the script must sit in one of the patch's folders."""
        box = self.obj(
            f"js {script}",
            x,
            y,
            width,
            saved_object_attributes={"filename": script, "parameter_enable": 0},
        )
        self.dependencies.append(script)
        return box

    def subpatcher(self, name: str, inner: Patcher, x: float, y: float) -> dict[str, Any]:
        """A [p name] box holding `inner` (embedded: nothing to find on disk)."""
        box = {"maxclass": "newobj", "text": f"p {name}", "patcher": inner.patcher_dict()}
        box["patching_rect"] = [x, y, text_width(f"p {name}"), BOX_H]
        return self._add(box)

    # cords

    def connect(self, src: dict[str, Any], outlet: int, dst: dict[str, Any], inlet: int) -> None:
        """A patch cord from src's outlet to dst's inlet (0-based, as Max stores them)."""
        if not 0 <= outlet < src["numoutlets"]:
            raise ValueError(f"{_name(src)} has no outlet {outlet}")
        if not 0 <= inlet < dst["numinlets"]:
            raise ValueError(f"{_name(dst)} has no inlet {inlet}")
        self.lines.append(
            {"patchline": {"source": [src["id"], outlet], "destination": [dst["id"], inlet]}}
        )

    def chain(self, *boxes: dict[str, Any]) -> None:
        """Cords from each box's left outlet to the next box's left inlet."""
        for a, b in zip(boxes, boxes[1:], strict=False):
            self.connect(a, 0, b, 0)

    # layout

    def layout(self, top: float = 45.0, left: float = 20.0, row: float = 40.0, gap: float = 16.0):
        """Place the boxes of the patching view in rows that follow the cords, top to bottom.

        Each box goes one row below the lowest box that feeds it (cords that close a loop are
        not followed); within a row, boxes sit under the boxes that feed them, and boxes fed by
        none pack from the left in the order of the x they were given. Comments stay beside the
        box they label; comments above `top` (titles) stay where they are.
        """
        byid = {b["id"]: b for b in self.boxes}
        order = {b["id"]: (b["patching_rect"][0], i) for i, b in enumerate(self.boxes)}
        nodes = [
            b["id"]
            for b in self.boxes
            if b["id"] not in self.anchors
            and not (b["maxclass"] == "comment" and b["patching_rect"][1] < top)
        ]
        succ: dict[str, list[str]] = {n: [] for n in nodes}
        for ln in self.lines:
            s, d = ln["patchline"]["source"][0], ln["patchline"]["destination"][0]
            if s in succ and d in succ:
                succ[s].append(d)
        # drop the cords that close loops (depth-first, in the given order)
        state: dict[str, int] = {}
        forward: dict[str, list[str]] = {n: [] for n in nodes}

        def visit(n: str) -> None:
            state[n] = 1
            for d in sorted(succ[n], key=lambda k: order[k]):
                if state.get(d) == 1:
                    continue
                forward[n].append(d)
                if d not in state:
                    visit(d)
            state[n] = 2

        indeg = {n: 0 for n in nodes}
        for n in nodes:
            for d in succ[n]:
                indeg[d] += 1
        for n in sorted(nodes, key=lambda k: (indeg[k] > 0, order[k])):
            if n not in state:
                visit(n)
        preds: dict[str, list[str]] = {n: [] for n in nodes}
        for n, ds in forward.items():
            for d in ds:
                preds[d].append(n)
        layer: dict[str, int] = {}

        def depth(n: str) -> int:
            if n not in layer:
                layer[n] = 1 + max((depth(p) for p in preds[n]), default=-1)
            return layer[n]

        for n in nodes:
            depth(n)
        rows: dict[int, list[str]] = {}
        for n in nodes:
            rows.setdefault(layer[n], []).append(n)
        xpos: dict[str, float] = {}
        for r in sorted(rows):

            def want(n: str) -> float:
                ps = [xpos[p] for p in preds[n] if p in xpos]
                return sum(ps) / len(ps) if ps else left  # unfed boxes pack from the left

            cursor = left
            for n in sorted(rows[r], key=lambda k: (want(k), order[k])):
                b = byid[n]
                x = max(want(n), cursor)
                b["patching_rect"][0], b["patching_rect"][1] = x, top + r * row
                xpos[n] = x
                cursor = x + b["patching_rect"][2] + gap
                for cid, target in self.anchors.items():
                    if target == n:
                        c = byid[cid]
                        c["patching_rect"][0], c["patching_rect"][1] = (
                            cursor - gap + 4,
                            top + r * row,
                        )
                        cursor += c["patching_rect"][2] + 4
        self._order_ports(top + (max(rows, default=0) + 1) * row, gap)
        return self

    def _order_ports(self, bottom: float, gap: float) -> None:
        """Max numbers a patcher's inlets and outlets left to right by x: keep each near where
        the layout put it, but left to right in index order (outlets on a row of their own at
        the bottom, so moving them covers no box)."""
        for kind in ("inlet", "outlet"):
            ports = sorted(
                (b for b in self.boxes if b["maxclass"] == kind), key=lambda b: b["index"]
            )
            edge = -gap
            for b in ports:
                rect = b["patching_rect"]
                rect[0] = max(rect[0], edge + gap)
                edge = rect[0] + rect[2]
                if kind == "outlet":
                    rect[1] = bottom

    # output

    def patcher_dict(self) -> dict[str, Any]:
        return {
            "fileversion": 1,
            "appversion": dict(APPVERSION),
            "classnamespace": "box",
            "rect": list(self.rect),
            "bglocked": 0,
            "openinpresentation": 1 if self.presentation else 0,
            "default_fontsize": 12.0,
            "default_fontface": 0,
            "default_fontname": "Arial",
            "gridonopen": 1,
            "gridsize": [15.0, 15.0],
            "gridsnaponopen": 1,
            "objectsnaponopen": 1,
            "statusbarvisible": 2,
            "toolbarvisible": 1,
            "boxanimatetime": 200,
            "enablehscroll": 1,
            "enablevscroll": 1,
            "devicewidth": self.devicewidth,
            "description": "",
            "digest": "",
            "tags": "",
            "style": "",
            "subpatcher_template": "",
            "assistshowspatchername": 0,
            "boxes": [{"box": b} for b in self.boxes],
            "lines": list(self.lines),
            "dependency_cache": [
                {"name": d, "patcherrelativepath": ".", "type": "TEXT", "implicit": 1}
                for d in self.dependencies
            ],
            "autosave": 0,
        }

    def document(self, device: bool = False) -> dict[str, Any]:
        """The whole file: {"patcher": {...}}, with Live's parameter list for devices."""
        patcher = self.patcher_dict()
        if device:
            params: dict[str, Any] = {}
            for b in self.boxes:
                value = b.get("saved_attribute_attributes", {}).get("valueof")
                if value:
                    params[b["id"]] = [value["parameter_longname"], value["parameter_shortname"], 0]
            params["parameterbanks"] = {}
            params["inherited_shortname"] = 1
            patcher["parameters"] = params
        return {"patcher": patcher}
