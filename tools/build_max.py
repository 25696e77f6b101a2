"""Generate the bridge's Max patches and Max for Live devices.

    .venv/bin/python tools/build_max.py          # writes max_patches/*.maxpat, ableton/*.amxd

Every file is written from the definitions in max_client.py, max_performer.py, max_devices.py,
max_generate.py and max_poly.py through patcher.py, which takes each object's inlet and outlet
counts from max_patches/objects.json and refuses a cord to an outlet or inlet that does not
exist; the addresses, keys and ranges they send come from the bridge's own table (maxtable.py). The
generated files are committed; run this after editing the definitions (a test compares them).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # bridge, engines: the address table

from max_client import LIVE_DIR, MAX_DIR, bridge_client  # noqa: E402
from max_devices import (  # noqa: E402
    bars_device,
    continue_device,
    interpolate_device,
    stream_device,
)
from max_generate import generate_device  # noqa: E402
from max_performer import bars_patch, continue_patch, interpolate_patch, stream_patch  # noqa: E402
from max_poly import harmonize_device, harmonize_patch, perform_device, perform_patch  # noqa: E402
from maxpat import ROOT, write_amxd, write_maxpat  # noqa: E402

PATCHES = {
    "bridge.maxpat": bridge_client,
    "bridge.continue.maxpat": continue_patch,
    "bridge.stream.maxpat": stream_patch,
    "bridge.interpolate.maxpat": interpolate_patch,
    "bridge.bars.maxpat": bars_patch,
    "bridge.harmonize.maxpat": harmonize_patch,
    "bridge.perform.maxpat": perform_patch,
}
DEVICES = {
    "bridge Continue.amxd": continue_device,
    "bridge Interpolate.amxd": interpolate_device,
    "bridge Bars.amxd": bars_device,
    "bridge Stream.amxd": stream_device,
    "bridge Generate.amxd": generate_device,
    "bridge Harmonize.amxd": harmonize_device,
    "bridge Perform.amxd": perform_device,
}


def build(out_max: Path = MAX_DIR, out_live: Path = LIVE_DIR) -> list[Path]:
    """Write every patch and device; returns the paths written."""
    written = []
    for name, make in PATCHES.items():
        write_maxpat(out_max / name, make().layout().document())
        written.append(out_max / name)
    for name, make in DEVICES.items():
        write_amxd(out_live / name, make().layout().document(device=True), "midi")
        written.append(out_live / name)
    return written


if __name__ == "__main__":
    for path in build():
        print(path.relative_to(ROOT))
