#!/usr/bin/env bash
# bench-stories.sh — issue 3's search and story-page benchmarks at scale.
#
#   1. seeds N generated public stories (default 1,000,000) with their search
#      index into a SQLite data directory (kept and reused between runs);
#   2. search latency: 1,000 queries of 1–2 words from the same vocabulary
#      (Zipf-distributed), first page with snippets: p50/p95/p99 (target p99 < 10 ms);
#   3. story page requests/s and p99 with wrk at 64 connections:
#      - one story page, app vs nginx serving the same bytes (target >= 30 %);
#      - random story pages across all N stories (no page repeats to speak of,
#        so the micro-cache does not help: the honest uncached figure).
#
# Usage: scripts/bench-stories.sh            (N from BENCH_STORIES, default 1000000)
# Environment: BENCH_STORIES, BENCH_DATA (default target/bench-stories),
#              BENCH_DURATION (seconds per wrk run, default 10), BENCH_CONNECTIONS (64).
# Everything listens on 127.0.0.1; processes are stopped on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N="${BENCH_STORIES:-1000000}"
DATA="${BENCH_DATA:-target/bench-stories}"
DUR="${BENCH_DURATION:-10}"
CONN="${BENCH_CONNECTIONS:-64}"
OUT="${BENCH_OUT:-bench-out}"
mkdir -p "$OUT" "$DATA"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light || apt-get install -y -qq nginx; }
# Always (a no-op when fresh): a stale binary would seed and search with old migrations.
cargo build --release -p meetinghouse -p xtask

TMP="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

have=0
if [[ -f "$DATA/meetinghouse.db" ]]; then
    have="$(python3 -c "import sqlite3,sys; c=sqlite3.connect('file:$DATA/meetinghouse.db?mode=ro', uri=True); print(c.execute('select count(*) from stories').fetchone()[0])")"
fi
if (( have < N )); then
    echo "seeding $((N - have)) stories into $DATA (about 15 minutes per million on 2 cores)…"
    target/release/xtask seed-stories --data-dir "$DATA" --count "$((N - have))"
fi

echo "search benchmark…"
SEARCH="$(target/release/xtask search-bench --data-dir "$DATA" --queries 1000)"
echo "$SEARCH"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
APP_PORT="$(free_port)"
MEETINGHOUSE_LOG=warn target/release/meetinghouse serve --data-dir "$DATA" --listen "127.0.0.1:$APP_PORT" > "$TMP/app.out" 2>&1 &
PIDS+=($!)
# The first start on a data directory seeded by an older binary applies the
# newer migrations (a minute or so at a million stories) before it listens.
for _ in $(seq 1200); do curl -sf "http://127.0.0.1:$APP_PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$APP_PORT/healthz" >/dev/null || { echo "the app did not start:"; cat "$TMP/app.out"; exit 1; }
ID="$(python3 -c "import sqlite3; c=sqlite3.connect('file:$DATA/meetinghouse.db?mode=ro', uri=True); print(c.execute('select max(id)/2 from stories').fetchone()[0])")"
MAX="$(python3 -c "import sqlite3; c=sqlite3.connect('file:$DATA/meetinghouse.db?mode=ro', uri=True); print(c.execute('select max(id) from stories').fetchone()[0])")"
mkdir -p "$TMP/www/stories"
curl -sf "http://127.0.0.1:$APP_PORT/stories/$ID" -o "$TMP/www/stories/$ID"
# nginx's workers run as an unprivileged user: let them read the page.
chmod -R a+rX "$TMP"
NGINX_PORT="$(free_port)"
cat > "$TMP/nginx.conf" <<CONF
worker_processes auto;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/html;
  server { listen 127.0.0.1:$NGINX_PORT; root $TMP/www; }
}
CONF
nginx -p "$TMP" -c "$TMP/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
sleep 0.5
cat > "$TMP/random.lua" <<LUA
math.randomseed(42)
request = function() return wrk.format("GET", "/stories/" .. math.random(1, $MAX)) end
LUA

run() { # label url [script]
    local extra=()
    [[ -n "${3:-}" ]] && extra=(-s "$3")
    wrk -t 2 -c "$CONN" -d "${DUR}s" --latency "${extra[@]}" "$2" > "$TMP/wrk.txt" 2>&1 || true
    local rps p99
    rps="$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.txt")"
    p99="$(awk '$1=="99%" {print $2}' "$TMP/wrk.txt")"
    local non2xx; non2xx="$(awk '/Non-2xx/ {print $NF}' "$TMP/wrk.txt")"
    printf '%-44s %12s req/s   p99 %-10s %s\n' "$1" "$rps" "$p99" "${non2xx:+($non2xx non-2xx)}"
    echo "$rps"  > "$TMP/last_rps"
}
echo
echo "story pages with $(python3 -c "print(f'{$MAX:,}')") stories stored, wrk -t2 -c$CONN -d${DUR}s, load $(cut -d' ' -f1-3 /proc/loadavg):"
wrk -t 2 -c "$CONN" -d 2s "http://127.0.0.1:$APP_PORT/stories/$ID" >/dev/null 2>&1 || true
run "app: one story page (/stories/$ID)" "http://127.0.0.1:$APP_PORT/stories/$ID"; APP_RPS="$(cat "$TMP/last_rps")"
run "nginx: the same bytes from a file" "http://127.0.0.1:$NGINX_PORT/stories/$ID"; NGINX_RPS="$(cat "$TMP/last_rps")"
run "app: random story pages (1..$MAX)" "http://127.0.0.1:$APP_PORT/" "$TMP/random.lua"
python3 -c "print(f'app / nginx for one story page: {100*$APP_RPS/$NGINX_RPS:.1f} % (target >= 30 %)')"
echo "$SEARCH" > "$OUT/stories.txt"
