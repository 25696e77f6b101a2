#!/usr/bin/env bash
# Check the install by pip alone: build bridge's wheel, install it (with torch 2.13.0 and no
# extras) into a fresh venv outside the checkout, and from outside the checkout serve the
# shipped models from the installed package. Fails if the wheel lacks a shipped checkpoint,
# if a shipped engine is not served, or if ping, /bridge/engines or /bridge/rnn/continue are
# not answered. CI runs it (.ci/run); it takes a few minutes (mostly installing torch).
#
#   scripts/check-wheel.sh       PYTHON (default python3, >= 3.10) makes the venv
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH=torch==2.13.0
STARTUP_S=300  # loading torch and four engines on two busy cores
root="$PWD"
work="$(mktemp -d "${TMPDIR:-/tmp}/bridge-wheel.XXXXXX")"
venv="$work/venv"
py="$venv/bin/python"
pid=""

log() { echo "check-wheel: $*"; }
fail() {
    echo "check-wheel: FAIL: $*" >&2
    exit 1
}
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The source as a clean clone has it (tracked and new files, not ignored ones): a stale
# build/ folder in the checkout never reaches the wheel.
log "copying the source to $work/src"
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do if [ -f "$f" ]; then printf '%s\0' "$f"; fi; done \
    | xargs -0 cp --parents -t "$work/src"

log "creating a venv with ${PYTHON:-python3}"
"${PYTHON:-python3}" -m venv "$venv"
# torch first, as scripts/setup.sh does: a CPU wheel of 2.13.0 on this disk if there is one.
log "pip install $TORCH"
"$py" -m pip install -q --no-index --no-deps "$TORCH" 2>/dev/null || true
"$py" -m pip install -q "$TORCH"

log "building the wheel"
"$py" -m pip wheel -q --no-deps -w "$work/dist" "$work/src"
wheels=("$work"/dist/bridge-*.whl)
[ ${#wheels[@]} -eq 1 ] && [ -f "${wheels[0]}" ] || fail "expected one wheel, got: ${wheels[*]}"
wheel="${wheels[0]}"
log "built $(basename "$wheel") ($(du -h "$wheel" | cut -f1))"

# Every shipped checkpoint file is in the wheel.
shipped="$(cd "$root" && git ls-files engines/checkpoints | sort)"
[ -n "$shipped" ] || fail "no shipped checkpoints in the checkout"
packed="$("$py" -c 'import sys, zipfile
for n in zipfile.ZipFile(sys.argv[1]).namelist():
    if n.startswith("engines/checkpoints/"):
        print(n)' "$wheel" | sort)"
missing="$(comm -23 <(echo "$shipped") <(echo "$packed"))"
[ -z "$missing" ] || fail "the wheel lacks: $(echo "$missing" | tr '\n' ' ')"
log "the wheel holds all $(echo "$shipped" | wc -l) shipped checkpoint files"

log "pip install the wheel"
"$py" -m pip install -q "$wheel"

# From here on nothing may come from the checkout: run in the work folder, no PYTHONPATH.
cd "$work"
unset PYTHONPATH
location="$("$py" -c 'import bridge, engines; print(engines.__file__)')"
case "$location" in
    "$venv"/*) log "engines imported from $location" ;;
    *) fail "engines imported from $location, not from the venv" ;;
esac
if "$py" -c 'import music21' 2>/dev/null; then
    fail "music21 came with the wheel; it belongs to the [train] extra"
fi
"$py" -m bridge --version

engines="$(cd "$root/engines/checkpoints" && ls -d -- */ | tr -d / | sort | xargs)"
log "bridge serve --port 0 (expecting engines: $engines)"
"$venv/bin/bridge" serve --port 0 --device cpu >"$work/serve.log" 2>&1 </dev/null &
pid=$!
port=""
for _ in $(seq $((STARTUP_S * 2))); do
    port="$(sed -n 's/^bridge listening on 127\.0\.0\.1:\([0-9]*\)\( with .*\)\{0,1\}$/\1/p' "$work/serve.log")"
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
if [ -z "$port" ]; then
    tail -n 30 "$work/serve.log" >&2
    fail "no listening line within $STARTUP_S s"
fi
log "listening on port $port"

# The requests, by the installed bridge's own OSC client: each waits for its reply and no
# longer. Then `bridge send` once, the command line musicians use.
"$py" - "$port" "$engines" <<'EOF'
import sys

from bridge.server.osc import OscClient

port, expected = int(sys.argv[1]), sys.argv[2].split()


def ask(client, address, *args):
    client.send(address, *args)
    reply = client.receive(60.0)
    if reply is None:
        sys.exit(f"check-wheel: FAIL: no reply to {address}")
    print(f"check-wheel: {address} -> {reply.address} {reply.args[:8]}")
    return reply


with OscClient("127.0.0.1", port) as client:
    pong = ask(client, "/bridge/ping", 1)
    if pong.address != "/bridge/pong" or pong.args[:2] != [1, 1]:
        sys.exit(f"check-wheel: FAIL: ping answered {pong}")
    served = ask(client, "/bridge/engines", 2)
    if sorted(served.args[1:]) != sorted(expected):
        sys.exit(f"check-wheel: FAIL: serving {served.args[1:]}, shipped {expected}")
    notes = ask(client, "/bridge/rnn/continue", 3, "steps", 32, "seed", 7)
    body = notes.args[1:]
    if notes.address != "/bridge/reply/rnn/continue" or not body or len(body) % 4:
        sys.exit(f"check-wheel: FAIL: rnn/continue answered {notes}")
EOF
"$venv/bin/bridge" send --port "$port" --timeout 5 /bridge/ping 4 | grep -q '^/bridge/pong 4 1 ' \
    || fail "bridge send /bridge/ping got no pong"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 0 ] || { tail -n 30 "$work/serve.log" >&2; fail "bridge serve exited $status on SIGTERM"; }
if grep -q "Traceback" "$work/serve.log"; then
    cat "$work/serve.log" >&2
    fail "bridge serve logged a traceback"
fi
log "OK: the installed wheel serves $engines"
