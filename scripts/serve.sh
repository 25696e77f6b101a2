#!/usr/bin/env bash
# Install bridge (scripts/setup.sh, idempotent) and serve the shipped models over OSC on
# 127.0.0.1:57120 (BRIDGE_PORT to change it). Extra arguments go to `bridge serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# The venv's bridge by path: iproute2's unrelated `bridge` is on root's PATH.
exec .venv/bin/bridge serve --port "${BRIDGE_PORT:-57120}" "$@"
