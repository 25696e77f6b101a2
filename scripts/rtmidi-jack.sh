#!/usr/bin/env bash
# Make sure the venv's python-rtmidi can talk to JACK (virtual MIDI ports where there is no
# ALSA sequencer, as in containers and CI). PyPI's Linux wheels have JACK support; a
# python-rtmidi built from source on a machine without libjack's headers does not. Then
# rebuild it from its sdist against libjack (Debian libjack-jackd2-dev). Idempotent: a second
# run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python

has_jack() {
    "$py" -c 'import rtmidi, sys; sys.exit(rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api())'
}

if has_jack; then
    exit 0
fi
echo "rtmidi-jack: python-rtmidi has no JACK support; building it against libjack" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 \
    install -y --no-install-recommends libjack-jackd2-dev pkg-config g++
version="$("$py" -c 'import importlib.metadata as m; print(m.version("python-rtmidi"))')"
"$py" -m pip install -q --force-reinstall --no-deps --no-binary python-rtmidi \
    "python-rtmidi==$version"
has_jack || { echo "rtmidi-jack: still no JACK support after the build" >&2; exit 1; }
