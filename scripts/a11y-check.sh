#!/usr/bin/env bash
# a11y-check.sh — accessibility check of the server-rendered pages in a real
# browser: axe-core (WCAG 2.0/2.1/2.2 A and AA rules) in Debian's Chromium,
# driven by playwright-core, against a demo town on 127.0.0.1.
#
#   1. installs Debian's `chromium` when missing (apt-get; needs root), and
#      axe-core + playwright-core with `npm ci` into target/a11y-node/ from
#      scripts/a11y/package.json + package-lock.json (no browser is ever
#      downloaded: playwright-core uses /usr/bin/chromium);
#   2. builds the binary (`cargo build -p meetinghouse`, debug);
#   3. seeds a demo town into a temp data dir and starts `meetinghouse serve`
#      on 127.0.0.1 (a free port, read from its first stdout line);
#   4. runs scripts/a11y/check.mjs: axe on the signed-out pages, a 404 page,
#      the sign-up form re-rendered with errors, and the signed-in pages of
#      the demo admin (signed in through the /login form: a group's host view,
#      an organisation's admin view, the moderation queue and log among them); on every page also
#      a reflow check at 320px (WCAG 1.4.10) and a Tab-through focus-visible
#      check (WCAG 2.4.7); screenshots of / and /groups/tiverton-together at
#      desktop and 320px width.
#
# Output: a per-page table (rule id, impact, count) on stdout, then the
# elements of each violation; target/a11y/results.json and target/a11y/*.png.
# Exit status: 0 clean (or only minor/moderate), 1 when any violation is
# serious or critical, 2 when a page could not be checked (unexpected HTTP
# status, failed sign-in), 3 on a setup error (install, build, server).
#
# Usage: scripts/a11y-check.sh [--no-build]
#   --no-build   use the existing target/debug/meetinghouse as it is
# Environment (optional): A11Y_OUT (default target/a11y), A11Y_NODE_DIR
#   (default target/a11y-node), A11Y_CHROMIUM (default /usr/bin/chromium),
#   A11Y_TAGS (axe tags, comma separated), A11Y_PORT (default 0 = any free
#   port), A11Y_EXTRA_PAGES / A11Y_EXTRA_PAGES_SIGNED_IN (more paths to check,
#   space separated), A11Y_SERVER_LOG (server log level, default warn),
#   CARGO_TARGET_DIR. The server is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BUILD=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 64 ;;
    esac
    shift
done

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/debug/meetinghouse"
OUT="${A11Y_OUT:-$ROOT/target/a11y}"
NODE_DIR="${A11Y_NODE_DIR:-$ROOT/target/a11y-node}"
CHROMIUM="${A11Y_CHROMIUM:-/usr/bin/chromium}"
PORT="${A11Y_PORT:-0}"
export A11Y_CHROMIUM="$CHROMIUM"

# The app must see only the settings given here.
for v in $(compgen -e | grep '^MEETINGHOUSE_' || true); do unset "$v"; done
export MEETINGHOUSE_LOG="${A11Y_SERVER_LOG:-warn}"

T0=$(date +%s)
log() { printf '[a11y %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 3; }

# --- tools -----------------------------------------------------------------

if [[ ! -x "$CHROMIUM" ]]; then
    [[ "$CHROMIUM" == /usr/bin/chromium ]] || die "no browser at A11Y_CHROMIUM=$CHROMIUM"
    [[ $EUID -eq 0 ]] || die "Chromium is missing: install it (apt-get install chromium)"
    log "installing Debian's chromium"
    timeout 600 apt-get update -qq </dev/null
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core </dev/null
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then die "node and npm are needed (apt-get install nodejs npm)"; fi

# npm ci only when the lockfile changed since the last install.
mkdir -p "$NODE_DIR"
if ! cmp -s scripts/a11y/package-lock.json "$NODE_DIR/package-lock.json" \
   || [[ ! -f "$NODE_DIR/node_modules/axe-core/axe.min.js" || ! -d "$NODE_DIR/node_modules/playwright-core" ]]; then
    log "installing axe-core and playwright-core into $NODE_DIR (npm ci)"
    cp scripts/a11y/package.json scripts/a11y/package-lock.json "$NODE_DIR/"
    (cd "$NODE_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 600 nice npm ci --no-audit --no-fund --loglevel=error) \
        || die "npm ci failed"
fi
# check.mjs runs from the node dir so that its imports resolve there.
cp scripts/a11y/check.mjs "$NODE_DIR/check.mjs"

# --- build -------------------------------------------------------------------

if [[ $BUILD -eq 1 ]]; then
    log "building: cargo build -p meetinghouse"
    nice cargo build -q -p meetinghouse || die "cargo build failed"
fi
[[ -x "$BIN" ]] || die "no binary at $BIN (run without --no-build)"

# --- server, cleanup --------------------------------------------------------------

WORK="$(mktemp -d -t meetinghouse-a11y.XXXXXX)"
SERVER_PID=""
# shellcheck disable=SC2317  # called through the trap
cleanup() {
    local status=$?
    set +e
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    exec 3<&- 2>/dev/null
    if [[ $status -ge 2 && -s "$WORK/serve.err" ]]; then
        log "server log (last lines):"; tail -20 "$WORK/serve.err" >&2
    fi
    rm -rf "$WORK"
    log "done in $(( $(date +%s) - T0 )) s, exit $status"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "seeding the demo town into $WORK/data"
timeout 300 "$BIN" demo --data-dir "$WORK/data" </dev/null >"$WORK/demo.log" 2>&1 \
    || die "meetinghouse demo failed: $(tail -20 "$WORK/demo.log")"

mkfifo "$WORK/serve.out"
"$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" </dev/null >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
exec 3<"$WORK/serve.out"
# Keep reading its stdout (so it never blocks on a full pipe) after the first line.
line=""
read -r -t 60 line <&3 || die "the server printed no first line within 60 s: $(tail -20 "$WORK/serve.err")"
cat <&3 >/dev/null &
BASE="${line#meetinghouse listening on }"
[[ "$BASE" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || die "unexpected first line from the server: $line"
log "server at $BASE (pid $SERVER_PID)"

# --- the check ------------------------------------------------------------------

rm -rf "$OUT"
mkdir -p "$OUT"
log "checking pages in Chromium ($("$CHROMIUM" --version 2>/dev/null | head -1))"
status=0
(cd "$NODE_DIR" && timeout 900 node check.mjs "$BASE" "$OUT") || status=$?
log "results: $OUT/results.json; screenshots: $OUT/*.png"
exit "$status"
