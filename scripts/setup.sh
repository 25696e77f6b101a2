#!/usr/bin/env bash
# Install what bridge needs, idempotently: a second run only checks, in a second or two.
#
#   scripts/setup.sh          the venv .venv with torch 2.13.0 (CPU) and bridge with its
#                             [train] extra (music21: serve, train, eval)
#   scripts/setup.sh --test   also the test extras and the real OSC/MIDI clients from Debian
#                             (liblo-tools, sclang and scsynth, jackd2, fluidsynth, Pure
#                             Data), installed with apt-get when any is missing
#   scripts/setup.sh --test --force-apt   apt-get update + install even when none is (CI)
#
# Environment: PYTHON (default python3, >= 3.10) makes the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
force_apt=0
for arg in "$@"; do
    case "$arg" in
        --test) with_tests=1 ;;
        --force-apt) force_apt=1 ;;
        *) echo "usage: scripts/setup.sh [--test [--force-apt]]" >&2; exit 2 ;;
    esac
done

APT_PACKAGES=(liblo-tools supercollider-language supercollider-server jackd2 fluidsynth
    fluid-soundfont-gm puredata-core)
TORCH=torch==2.13.0
VENV=.venv

log() { echo "setup: $*"; }

retry() {  # a network step gets three tries
    local n
    for n in 1 2 3; do
        "$@" && return 0
        log "failed (try $n of 3): $*"
        sleep $((n * 5))
    done
    return 1
}

install_apt() {
    local missing=() p sudo=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ] && [ "$force_apt" = 0 ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            log "not root and no sudo: install ${missing[*]} by hand" >&2
            return 1
        fi
        sudo=(sudo)
    fi
    log "apt-get install ${APT_PACKAGES[*]}"
    # jackd2 asks whether to give the audio group realtime priority; answer before it asks.
    echo "jackd2 jackd/tweak_rt_limits boolean false" | "${sudo[@]}" debconf-set-selections
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600)
    retry "${apt[@]}" update
    retry "${apt[@]}" install -y --no-install-recommends "${APT_PACKAGES[@]}"
}

install_venv() {
    local py="$VENV/bin/python" extras hash stamp
    if [ ! -x "$py" ]; then
        log "creating $VENV"
        "${PYTHON:-python3}" -m venv "$VENV"
    fi
    # torch first, so nothing later can pull another build: where a CPU wheel of 2.13.0 lies
    # on this disk (pip's find-links, no index), that one, then its small dependencies;
    # elsewhere the registry's normal build of 2.13.0.
    if ! "$py" -c "import importlib.metadata as m, sys
sys.exit(m.version('torch').split('+')[0] != '2.13.0')" 2>/dev/null; then
        log "pip install $TORCH"
        "$py" -m pip install -q --no-index --no-deps "$TORCH" 2>/dev/null || true
        retry "$py" -m pip install -q "$TORCH"
    fi
    # [train]: music21, the corpora of bridge train and eval (and of the tests' tiny models).
    extras="[train]"
    if [ "$with_tests" = 1 ]; then
        extras="[test,train]"
    fi
    # Editable, so code changes need no reinstall; only a changed pyproject.toml does. The
    # stamp is the hash of the pyproject.toml installed and the extras installed with it.
    hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    stamp="$(cat "$VENV/.bridge-installed" 2>/dev/null || true)"
    if [ ! -x "$VENV/bin/bridge" ] || { [ "$stamp" != "$hash [test,train]" ] && [ "$stamp" != "$hash $extras" ]; }; then
        log "pip install -e .$extras"
        retry "$py" -m pip install -q -e ".$extras"
        echo "$hash $extras" >"$VENV/.bridge-installed"
    fi
}

if [ "$with_tests" = 1 ]; then
    install_apt
fi
install_venv
