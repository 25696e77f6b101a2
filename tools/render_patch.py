"""Draw a Max patch from its file: boxes, inlets, outlets and patch cords, to a PNG.

    .venv/bin/python tools/render_patch.py                 # every patch and device -> docs/img/
    .venv/bin/python tools/render_patch.py FILE OUT.png [--presentation]

The patching view shows every box where the file puts it and every cord between the outlet and
inlet it names, so the picture is the file (nothing is laid out again). The presentation view
shows what the performer sees. Needs matplotlib.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from maxpat import ROOT, read_document  # noqa: E402

FILL = {
    "newobj": "#f2f2f2",
    "message": "#dfe6ee",
    "comment": "none",
    "inlet": "#9fc5e8",
    "outlet": "#9fc5e8",
    "live.dial": "#ffe7a8",
    "live.text": "#ffe7a8",
    "live.numbox": "#ffe7a8",
}
CONTROL_FILL = "#c9e7c1"  # number boxes, toggles, buttons, sliders, text fields
PORT_W, PORT_H = 7.0, 2.5


def port_x(rect: list[float], index: int, count: int) -> float:
    """Where Max draws inlet/outlet `index` of `count` along a box of this rect."""
    x, _, w, _ = rect
    if count <= 1:
        return x + PORT_W / 2
    return x + PORT_W / 2 + index * (w - PORT_W) / (count - 1)


def label(box: dict) -> str:
    cls = box.get("maxclass")
    if cls in ("newobj", "message", "comment"):
        return box.get("text", "")
    if cls in ("inlet", "outlet"):
        return ""
    if cls == "live.text":
        return box.get("text", "")
    if cls in ("live.dial", "live.numbox"):
        value = box.get("saved_attribute_attributes", {}).get("valueof", {})
        initial = value.get("parameter_initial", [""])[0]
        return f"{value.get('parameter_shortname', cls)} {initial}"
    if cls == "textedit":
        return box.get("text", "")
    return {"toggle": "x", "button": "o", "number": "0", "flonum": "0.00"}.get(cls, cls)


def render(doc: dict, out: Path, presentation: bool = False, title: str = "") -> None:
    patcher = doc["patcher"]
    boxes = [b["box"] for b in patcher["boxes"]]
    key = "presentation_rect" if presentation else "patching_rect"
    if presentation:
        boxes = [b for b in boxes if b.get("presentation")]
    rects = {b["id"]: b[key] for b in boxes if key in b}
    if not rects:
        raise ValueError("nothing to draw")
    right = max(r[0] + r[2] for r in rects.values()) + 15
    bottom = max(r[1] + r[3] for r in rects.values()) + 15
    if presentation and patcher.get("devicewidth"):
        right, bottom = patcher["devicewidth"], 169.0
    scale = 1 / 72  # points to inches at 72 dpi, then saved at a higher dpi
    zoom = 1.4 if presentation else 1.0
    fig = plt.figure(figsize=(max(right, 200) * scale * zoom, max(bottom, 120) * scale * zoom))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, right)
    ax.set_ylim(bottom, 0)
    ax.axis("off")
    bg = "#3a3a3a" if presentation and patcher.get("devicewidth") else "white"
    fig.patch.set_facecolor(bg)
    text_color = "#eeeeee" if bg != "white" else "black"

    if not presentation:
        for entry in patcher["lines"]:
            line = entry["patchline"]
            (sid, o), (did, i) = line["source"], line["destination"]
            src = next(b for b in boxes if b["id"] == sid)
            dst = next(b for b in boxes if b["id"] == did)
            sr, dr = rects[sid], rects[did]
            x0 = port_x(sr, o, src["numoutlets"])
            x1 = port_x(dr, i, dst["numinlets"])
            ax.plot([x0, x1], [sr[1] + sr[3], dr[1]], color="#555555", lw=0.6, zorder=1)

    for b in boxes:
        r = rects.get(b["id"])
        if r is None:
            continue
        cls = b.get("maxclass")
        fill = FILL.get(cls, CONTROL_FILL)
        edge = "none" if cls == "comment" else "#444444"
        ax.add_patch(
            Rectangle((r[0], r[1]), r[2], r[3], facecolor=fill, edgecolor=edge, lw=0.6, zorder=2)
        )
        size = float(b.get("fontsize", 12.0)) * 0.62
        weight = "bold" if b.get("fontface") == 1 else "normal"
        color = text_color if cls == "comment" else "black"
        if b.get("textcolor") and cls == "comment":
            color = tuple(b["textcolor"])
        text = label(b).replace("$", r"\$")  # a $1 in a message box is not TeX
        if text:
            ax.text(
                r[0] + 3,
                r[1] + min(r[3], 22) / 2,
                text,
                fontsize=size,
                va="center",
                ha="left",
                color=color,
                weight=weight,
                zorder=3,
                clip_on=True,
                family="DejaVu Sans",
            )
        if not presentation:
            for k in range(b.get("numinlets", 0)):
                x = port_x(r, k, b["numinlets"]) - PORT_W / 2
                ax.add_patch(Rectangle((x, r[1]), PORT_W, PORT_H, color="#222222", zorder=4))
            for k in range(b.get("numoutlets", 0)):
                x = port_x(r, k, b["numoutlets"]) - PORT_W / 2
                ax.add_patch(
                    Rectangle((x, r[1] + r[3] - PORT_H), PORT_W, PORT_H, color="#222222", zorder=4)
                )
    if title:
        ax.text(right - 5, bottom - 5, title, fontsize=6, ha="right", va="bottom", color="#888888")
    fig.savefig(out, dpi=144 if presentation else 100, facecolor=bg)
    plt.close(fig)


def render_all(out_dir: Path = ROOT / "docs" / "img") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted((ROOT / "max_patches").glob("*.maxpat")):
        doc = read_document(path)
        out = out_dir / (path.stem + ".png")
        render(doc, out, title=path.name)
        written.append(out)
        if doc["patcher"].get("openinpresentation"):
            out = out_dir / (path.stem + ".presentation.png")
            render(doc, out, presentation=True)
            written.append(out)
    for path in sorted((ROOT / "ableton").glob("*.amxd")):
        out = out_dir / (path.stem.replace(" ", "_") + ".png")
        render(read_document(path), out, presentation=True)
        written.append(out)
    return written


if __name__ == "__main__":
    if len(sys.argv) >= 3:
        render(
            read_document(Path(sys.argv[1])),
            Path(sys.argv[2]),
            presentation="--presentation" in sys.argv,
        )
    else:
        for p in render_all():
            print(p.relative_to(ROOT))
