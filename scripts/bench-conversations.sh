#!/usr/bin/env bash
# bench-conversations.sh — issue 4's conversation benchmarks on SQLite, over
# real HTTP against the release binary on 127.0.0.1:
#   - the story page with the first page of a 10,000-reply conversation (target p99 < 50 ms);
#   - posting a reply with 64 concurrent writers (target p99 < 30 ms);
#   - the notifications page of a person with 10,000 notifications (target p99 < 20 ms).
# Seeding and load come from the Rust example `bench_conversations`
# (crates/meetinghouse/examples/bench_conversations.rs).
#
# Usage: scripts/bench-conversations.sh [--build]
# Environment: BENCH_DATA (default: a fresh temporary directory), BENCH_OUT (default bench-out).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${BENCH_OUT:-bench-out}"
mkdir -p "$OUT"
if [[ "${1:-}" == "--build" || ! -x target/release/meetinghouse || ! -x target/release/examples/bench_conversations ]]; then
    nice cargo build --release -p meetinghouse --bin meetinghouse --example bench_conversations
fi
TMP="$(mktemp -d)"
DATA="${BENCH_DATA:-$TMP/data}"
mkdir -p "$DATA"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

target/release/examples/bench_conversations seed "$DATA"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MEETINGHOUSE_LOG=warn target/release/meetinghouse serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" > "$TMP/app.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
{
    echo "bench-conversations $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    target/release/examples/bench_conversations load "http://127.0.0.1:$PORT" "$DATA"
} | tee "$OUT/conversations.txt"
