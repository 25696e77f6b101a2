#!/usr/bin/env bash
# The test command: install everything (scripts/setup.sh --test, idempotent) and run pytest.
#
#   scripts/test.sh                      the whole suite
#   scripts/test.sh -k liblo -x          extra arguments go to pytest
#
# A real client (oscsend, oscdump, sclang, ...) that is missing fails its tests here instead
# of skipping them (BRIDGE_REQUIRE_CLIENTS=1); set BRIDGE_REQUIRE_CLIENTS=0 to skip instead.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --test
scripts/rtmidi-jack.sh  # the live MIDI tests use JACK virtual ports (jackd -d dummy)

export BRIDGE_REQUIRE_CLIENTS="${BRIDGE_REQUIRE_CLIENTS:-1}"
status=0
.venv/bin/python -m pytest -ra "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
