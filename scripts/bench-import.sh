#!/usr/bin/env bash
# bench-import.sh — issue 3's import benchmark: records/s importing a
# generated 1,000,000-row collection CSV (target >= 50,000/s on SQLite).
#
#   1. writes the CSV with scripts/gen-collection-csv.py (seeded; BOM, quoted
#      newlines, non-ASCII names, empty and 0 years);
#   2. seeds the demo town into a fresh SQLite data directory and imports the
#      CSV into the museum with the release binary (first run: all created);
#   3. imports it again (all unchanged: the idempotent re-run);
#   4. with BENCH_DATABASE_URL=postgres://…/DB (an empty database), does the
#      same on PostgreSQL.
#
# Usage: scripts/bench-import.sh        Environment: BENCH_ROWS (default 1000000),
#        BENCH_DATABASE_URL (optional), BENCH_BIN (default target/release/meetinghouse).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROWS="${BENCH_ROWS:-1000000}"
BIN="${BENCH_BIN:-target/release/meetinghouse}"
[[ -x "$BIN" ]] || cargo build --release -p meetinghouse
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
CSV="$TMP/collection.csv"
echo "generating $ROWS rows…"
python3 scripts/gen-collection-csv.py "$ROWS" "$CSV"
ls -la "$CSV" | awk '{printf "CSV: %.1f MB\n", $5/1e6}'

run() { # label, then global args
    local label="$1"; shift
    MEETINGHOUSE_LOG=warn "$BIN" "$@" demo >/dev/null
    for pass in first re-run; do
        local t0 t1
        t0=$(date +%s.%N)
        MEETINGHOUSE_LOG=warn "$BIN" "$@" import objects --org tiverton-museum --json "$CSV" > "$TMP/report.json"
        t1=$(date +%s.%N)
        python3 - "$label" "$pass" "$t0" "$t1" "$ROWS" "$TMP/report.json" <<'PY'
import json, sys
label, pas, t0, t1, rows, path = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
r = json.load(open(path))
secs = t1 - t0
print(f"{label:10} {pas:7} {rows} rows in {secs:6.1f} s = {rows / secs:9.0f} records/s "
      f"(created {r['created']}, updated {r['updated']}, unchanged {r['unchanged']}, skipped {r['skipped']})")
PY
    done
}
run sqlite --data-dir "$TMP/data"
if [[ -n "${BENCH_DATABASE_URL:-}" ]]; then
    MEETINGHOUSE_LOG=warn "$BIN" --database-url "$BENCH_DATABASE_URL" migrate >/dev/null
    run postgres --database-url "$BENCH_DATABASE_URL"
fi
