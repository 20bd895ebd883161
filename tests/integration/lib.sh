# Shared helpers for the integration tests: temp dirs, assertions, starting
# and always stopping what a test started, waiting with deadlines.
set -eu

: "${SYNTH:?SYNTH must point at the synth binary}"
: "${SYNTH_SOURCE_DIR:?}"
SRC="$SYNTH_SOURCE_DIR"
T=$(mktemp -d "${TMPDIR:-/tmp}/synth-it.XXXXXX")
PIDS=""

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# assert_json FILE JQ-EXPR DESCRIPTION: the expression must yield true.
assert_json() {
    v=$(jq -e "$2" "$1" 2>/dev/null) || fail "$3 ($2 on $1 gave: ${v:-error}; $(jq -c . "$1" | head -c 600))"
    ok "$3"
}

# A free TCP+UDP port on loopback, drawn from 10000-19999: below the lab's
# media ranges (20000-32767 for synth, 49152-57500 for the UM) and below the
# kernel's ephemeral ports (32768-60999), so that no connection or media
# socket of another test takes it between this check and the bind.
free_port() {
    python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(10000, 19999)
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
            s.close()
        print(p)
        break
    except OSError:
        continue
PY
}

# wait_for_line FILE PATTERN SECONDS
wait_for_line() {
    for _ in $(seq $(( $3 * 10 ))); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "'$2' did not appear in $1 within $3 s: $(tail -5 "$1" 2>/dev/null)"
}

# lab_start NAME [ARGS...]: `synth lab` in its own process, its state in
# $T/NAME, its target file $T/NAME.yaml and its output $T/NAME.out, ARGS
# passed on (--config FILE, --fault K=V); waits for "lab ready". Sets
# LABPID; the trap stops it.
lab_start() {
    local name=$1
    shift
    "$SYNTH" lab --state-dir "$T/$name" --write-target "$T/$name.yaml" "$@" >"$T/$name.out" 2>&1 &
    LABPID=$!
    PIDS="$PIDS $LABPID"
    wait_for_line "$T/$name.out" "lab ready" 10
}

# wait_for_port PROTO PORT SECONDS (proto tcp or udp)
wait_for_port() {
    for _ in $(seq $(( $3 * 10 ))); do
        if [ "$1" = tcp ]; then ss -ltnH "sport = :$2" | grep -q . && return 0
        else ss -lunH "sport = :$2" | grep -q . && return 0; fi
        sleep 0.1
    done
    fail "nothing listens on $1 port $2 after $3 s"
}
