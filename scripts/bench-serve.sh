#!/usr/bin/env bash
# bench-serve.sh — the foundation benchmark harness (issue 2, "Benchmarks").
#
# Measures the release binary on SQLite, next to nginx serving the same HTML
# bytes from files (the ceiling):
#   1. time from process start to the first 200 from /healthz (median of N starts);
#   2. idle RSS after start and after 10,000 requests (VmRSS);
#   3. requests/s and p99 latency of / and /@HANDLE at 64 and 256 connections
#      (wrk --latency, 2 threads), for the app and for nginx, and the app's
#      requests/s as a percentage of nginx's.
# Targets: start <= 1 s, idle RSS <= 40 MiB, >= 30 % of nginx's requests/s.
#
# Usage: scripts/bench-serve.sh [--build] [--nginx-only] [--duration S] [--strict]
#   --build       run `cargo build --release -p meetinghouse` first (done anyway
#                 when the binary is missing)
#   --nginx-only  self-test of the harness: nginx serving a generated dummy page,
#                 no app (checks wrk, nginx and the output parsing)
#   --duration S  seconds per measured wrk run (default 10)
#   --strict      exit 1 when a target is missed (default: report only)
#
# Environment (all optional):
#   BENCH_HANDLE=sam            profile page measured: /@$BENCH_HANDLE
#   BENCH_DURATION=10           seconds per measured wrk run (--duration wins)
#   BENCH_WARMUP=2              seconds of unmeasured wrk warm-up before each run
#   BENCH_CONNECTIONS="64 256"  wrk connection counts
#   BENCH_THREADS=2             wrk threads
#   BENCH_STARTS=5              starts timed for the start-up median
#   BENCH_NGINX_WORKERS=auto    nginx worker_processes (see below for why auto)
#   BENCH_BIN=...               binary (default ${CARGO_TARGET_DIR:-target}/release/meetinghouse)
#   BENCH_OUT=bench-out         output folder: serve.txt (the table), serve-wrk/ (raw wrk output)
#   MEETINGHOUSE_LOG            passed through to the app (its log goes to a temp file)
#
# Everything listens on 127.0.0.1 only (free ports picked at run time); every
# process started here is stopped on exit; every step has a time limit. With
# the defaults a run takes about 2-3 minutes (8 wrk runs of 2+10 s, plus the
# demo seeding and the starts). wrk and nginx are installed with apt-get when
# missing. The figures are only as quiet as the machine: the load average at
# the start is printed with them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BUILD=0
NGINX_ONLY=0
STRICT=0
DURATION="${BENCH_DURATION:-10}"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) BUILD=1 ;;
        --nginx-only) NGINX_ONLY=1 ;;
        --strict) STRICT=1 ;;
        --duration) DURATION="${2:?--duration needs a number of seconds}"; shift ;;
        --duration=*) DURATION="${1#*=}" ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

HANDLE="${BENCH_HANDLE:-sam}"
WARMUP="${BENCH_WARMUP:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64 256}"
THREADS="${BENCH_THREADS:-2}"
STARTS="${BENCH_STARTS:-5}"
NGINX_WORKERS="${BENCH_NGINX_WORKERS:-auto}"
BIN="${BENCH_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/meetinghouse}"
OUT="${BENCH_OUT:-$ROOT/bench-out}"
HAMMER_REQUESTS=10000
TARGET_START_MS=1000
TARGET_RSS_MIB=40
TARGET_PCT=30

[[ "$HANDLE" =~ ^[a-z0-9_]{1,30}$ ]] || { echo "BENCH_HANDLE must be 1-30 of [a-z0-9_]: '$HANDLE'" >&2; exit 2; }
for n in "$DURATION" "$WARMUP" "$THREADS" "$STARTS" $CONNECTIONS; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a whole number: '$n'" >&2; exit 2; }
done
[[ "$DURATION" -ge 1 && "$STARTS" -ge 1 ]] || { echo "duration and starts must be >= 1" >&2; exit 2; }

# The app must see only the settings given here: SQLite in a temp data dir.
for v in $(compgen -e | grep '^MEETINGHOUSE_' || true); do
    case "$v" in MEETINGHOUSE_LOG|MEETINGHOUSE_LOG_FORMAT|MEETINGHOUSE_PAGE_CACHE_MS) ;; *) unset "$v" ;; esac
done

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- tools -----------------------------------------------------------------

NGINX="$(command -v nginx || true)"
if [[ -z "$NGINX" && -x /usr/sbin/nginx ]]; then NGINX=/usr/sbin/nginx; fi
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[[ -n "$NGINX" ]] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
if [[ ${#missing[@]} -gt 0 ]]; then
    [[ $EUID -eq 0 ]] || die "missing ${missing[*]}: install them (apt-get install ${missing[*]})"
    log "installing ${missing[*]} from Debian's packages"
    # (Where the init system starts services, Debian's nginx package also
    # starts its default site on port 80; this script never uses it.)
    timeout 600 apt-get update -qq </dev/null
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
    NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
fi

# --- temp dir, cleanup -----------------------------------------------------

WORK="$(mktemp -d -t meetinghouse-bench.XXXXXX)"
APP_PID=""
NGINX_PID=""

stop_pid() { # PID: TERM, wait up to 10 s, then KILL
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    set +e
    stop_pid "$APP_PID"
    stop_pid "$NGINX_PID"
    if [[ $status -ne 0 ]]; then
        mkdir -p "$OUT/serve-logs"
        cp "$WORK"/*.log "$WORK"/nginx/*.log "$OUT/serve-logs/" 2>/dev/null
        log "failed (exit $status); logs copied to $OUT/serve-logs/"
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'log "error: a command failed at line $LINENO"' ERR

rm -rf "$OUT/serve-wrk" "$OUT/serve-logs" "$OUT/serve.txt"
mkdir -p "$OUT/serve-wrk" "$WORK/www" "$WORK/nginx"
# nginx workers run as an unprivileged user when we are root: let them read.
chmod 755 "$WORK" "$WORK/www" "$WORK/nginx"

# --- helper (python3): free ports, start-up timing, 10,000 requests, RSS -----

cat >"$WORK/helper.py" <<'PY'
import os, signal, socket, statistics, subprocess, sys, threading, time, http.client

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise SystemExit(f"no {field} for pid {pid}")

def healthz_status(port):
    """Status code of GET /healthz, or None if nothing listens yet."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None
    try:
        s.settimeout(5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        parts = data.split(b" ", 2)
        return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
    except OSError:
        return 0
    finally:
        s.close()

def wait_healthy(port, deadline, proc=None):
    while time.perf_counter() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode} before /healthz answered 200")
        if healthz_status(port) == 200:
            return time.perf_counter()
        time.sleep(0.002)
    raise SystemExit("/healthz did not answer 200 within the time limit")

def startup(binary, data_dir, runs, logfile):
    """Start `serve` RUNS times; print the start-to-first-200 times in ms."""
    times, stops = [], []
    with open(logfile, "ab") as log:
        for _ in range(int(runs)):
            port = free_port()
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            try:
                t1 = wait_healthy(port, t0 + 30, proc)
            except BaseException:
                proc.kill(); proc.wait()
                raise
            times.append((t1 - t0) * 1000)
            t2 = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
                stops.append((time.perf_counter() - t2) * 1000)
            except subprocess.TimeoutExpired:
                proc.kill(); proc.wait()
                stops.append(float("nan"))
    print(f"{statistics.median(times):.0f} {min(times):.0f} {max(times):.0f} "
          f"{statistics.median(stops):.0f} " + ",".join(f"{t:.0f}" for t in times))

def hammer(port, total, conns, *paths):
    """TOTAL keep-alive GETs over CONNS connections, cycling through PATHS."""
    port, total, conns = int(port), int(total), int(conns)
    counts = {"ok": 0, "bad": 0, "err": 0}
    lock = threading.Lock()
    def worker(n, offset):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        ok = bad = err = 0
        for i in range(n):
            try:
                c.request("GET", paths[(i + offset) % len(paths)])
                r = c.getresponse()
                r.read()
                if r.status == 200:
                    ok += 1
                else:
                    bad += 1
            except (OSError, http.client.HTTPException):
                err += 1
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.close()
        with lock:
            counts["ok"] += ok; counts["bad"] += bad; counts["err"] += err
    threads = [threading.Thread(target=worker, args=(total // conns + (1 if k < total % conns else 0), k))
               for k in range(conns)]
    t0 = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    print(f"{counts['ok']} {counts['bad']} {counts['err']} {time.perf_counter() - t0:.1f}")

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "free-port":
        print(free_port())
    elif cmd == "rss":
        print(rss_kib(int(args[0]), args[1] if len(args) > 1 else "VmRSS"))
    elif cmd == "wait-healthy":
        wait_healthy(int(args[0]), time.perf_counter() + float(args[1]))
    elif cmd == "startup":
        startup(*args)
    elif cmd == "hammer":
        hammer(*args)
    else:
        raise SystemExit(f"unknown helper command {cmd}")
PY
helper() { timeout 300 python3 "$WORK/helper.py" "$@"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# --- wrk -----------------------------------------------------------------------

# run_wrk NAME URL CONNS -> prints "rps p99_ms requests non2xx socket_errors"
run_wrk() {
    local url="$2" conns="$3" raw="$OUT/serve-wrk/$1.txt"
    if [[ "$WARMUP" -gt 0 ]]; then
        timeout $((WARMUP + 30)) wrk -t "$THREADS" -c "$conns" -d "${WARMUP}s" "$url" >/dev/null 2>&1 || true
    fi
    timeout $((DURATION + 60)) wrk -t "$THREADS" -c "$conns" -d "${DURATION}s" --timeout 10s --latency "$url" >"$raw" 2>&1 \
        || die "wrk failed on $url; its output: $(cat "$raw")"
    parse_wrk "$raw" || true
}

# parse_wrk FILE -> "rps p99_ms requests non2xx socket_errors"
parse_wrk() {
    awk '
        function ms(v,   n, u) {
            n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n / 1000
            if (u == "ms") return n
            if (u == "s")  return n * 1000
            if (u == "m")  return n * 60000
            if (u == "h")  return n * 3600000
            return -1
        }
        /^ *Latency Distribution/ { dist = 1 }
        dist && $1 == "99%" { p99 = ms($2) }
        / requests in / { reqs = $1 }
        /^ *Non-2xx or 3xx responses:/ { bad = $NF }
        /^ *Socket errors:/ { gsub(/,/, ""); errs = $4 + $6 + $8 + $10 }
        /^Requests\/sec:/ { rps = $2 }
        END {
            if (rps == "" || p99 == "") { print "PARSE_ERROR"; exit 1 }
            printf "%.0f %.2f %d %d %d\n", rps, p99, reqs, bad + 0, errs + 0
        }' "$1"
}

# --- nginx -------------------------------------------------------------------

start_nginx() {
    NGINX_PORT="$(helper free-port)"
    cat >"$WORK/nginx/nginx.conf" <<EOF
# worker_processes $NGINX_WORKERS: tokio's multi-threaded runtime uses one worker
# thread per core by default, so the ceiling may use every core too.
worker_processes $NGINX_WORKERS;
daemon off;
master_process on;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/client_body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    default_type text/html;
    charset utf-8;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    open_file_cache max=16;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
        location = / { try_files /home.html =404; }
        location = /@$HANDLE { try_files /profile.html =404; }
        location / { return 404; }
    }
}
EOF
    "$NGINX" -t -q -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" \
        || die "nginx rejected its configuration"
    "$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" \
        </dev/null >"$WORK/nginx/stdout.log" 2>&1 &
    NGINX_PID=$!
    local i
    for i in $(seq 1 100); do
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$NGINX_PORT/" 2>/dev/null && break
        kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited: $(cat "$WORK/nginx/error.log")"
        sleep 0.1
    done
    # nginx must serve exactly the bytes saved from the app.
    curl -fsS --max-time 10 -o "$WORK/check-home.html" "http://127.0.0.1:$NGINX_PORT/"
    curl -fsS --max-time 10 -o "$WORK/check-profile.html" "http://127.0.0.1:$NGINX_PORT/@$HANDLE"
    cmp -s "$WORK/check-home.html" "$WORK/www/home.html" || die "nginx's / differs from the saved page"
    cmp -s "$WORK/check-profile.html" "$WORK/www/profile.html" || die "nginx's /@$HANDLE differs from the saved page"
}

# --- the app -------------------------------------------------------------------

START_MEDIAN="" START_ALL="" STOP_MEDIAN="" EMPTY_START=""
IDLE_RSS="" AFTER_RSS="" PEAK_RSS="" DEMO_SECONDS="" HAMMER_RESULT=""
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"

if [[ $NGINX_ONLY -eq 0 ]]; then
    if [[ $BUILD -eq 1 || ! -x "$BIN" ]]; then
        log "building: cargo build --release -p meetinghouse"
        cargo build --release -p meetinghouse
    fi
    [[ -x "$BIN" ]] || die "no binary at $BIN"

    DATA="$WORK/data"
    log "seeding the demo town: meetinghouse demo --data-dir $DATA"
    t0=$(date +%s%N)
    timeout 600 "$BIN" demo --data-dir "$DATA" </dev/null >"$WORK/demo.log" 2>&1 \
        || die "meetinghouse demo failed: $(tail -20 "$WORK/demo.log")"
    DEMO_SECONDS=$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')

    log "timing one start on an empty data dir (migrations) and $STARTS on the demo town"
    out="$(helper startup "$BIN" "$WORK/empty-data" 1 "$WORK/startup.log")" \
        || die "start on an empty data dir failed: $(tail -20 "$WORK/startup.log")"
    read -r EMPTY_START _ <<<"$out"
    out="$(helper startup "$BIN" "$DATA" "$STARTS" "$WORK/startup.log")" \
        || die "start-up timing failed: $(tail -20 "$WORK/startup.log")"
    read -r START_MEDIAN _ _ STOP_MEDIAN START_ALL <<<"$out"

    APP_PORT="$(helper free-port)"
    "$BIN" serve --listen "127.0.0.1:$APP_PORT" --data-dir "$DATA" </dev/null >"$WORK/serve.log" 2>&1 &
    APP_PID=$!
    helper wait-healthy "$APP_PORT" 30 || die "the server did not become healthy: $(tail -20 "$WORK/serve.log")"
    sleep 1
    IDLE_RSS="$(helper rss "$APP_PID")"

    code="$(curl -sS --max-time 10 -o "$WORK/www/home.html" -w '%{http_code}' "http://127.0.0.1:$APP_PORT/")"
    [[ "$code" == 200 ]] || die "GET / answered $code"
    code="$(curl -sS --max-time 10 -o "$WORK/www/profile.html" -w '%{http_code}' "http://127.0.0.1:$APP_PORT/@$HANDLE")"
    [[ "$code" == 200 ]] || die "GET /@$HANDLE answered $code (set BENCH_HANDLE to a handle of the demo town)"

    log "sending $HAMMER_REQUESTS requests (/ and /@$HANDLE, 8 keep-alive connections)"
    HAMMER_RESULT="$(helper hammer "$APP_PORT" "$HAMMER_REQUESTS" 8 / "/@$HANDLE")" || die "the $HAMMER_REQUESTS requests failed"
    read -r h_ok h_bad h_err h_secs <<<"$HAMMER_RESULT"
    [[ "$h_ok" -eq "$HAMMER_REQUESTS" ]] || log "warning: of $HAMMER_REQUESTS requests, $h_bad non-200 and $h_err failed"
    sleep 1
    AFTER_RSS="$(helper rss "$APP_PID")"
else
    log "--nginx-only: serving a generated dummy page (no app)"
    python3 - "$WORK/www" <<'PY'
import sys
items = "".join(f'<li><a href="/@person{i}">Person {i}</a> · arts, heritage · a short bio line {i}</li>\n' for i in range(80))
page = f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Dummy</title></head>\n<body><main><h1>Dummy page</h1>\n<ul>\n{items}</ul></main></body></html>\n'
open(sys.argv[1] + "/home.html", "w").write(page)
open(sys.argv[1] + "/profile.html", "w").write(page.replace("Dummy page", "Dummy profile"))
PY
fi
chmod 644 "$WORK/www/"*.html
start_nginx

# --- load ----------------------------------------------------------------------

declare -A R
pages=("/" "/@$HANDLE")
page_names=(home profile)
for i in "${!pages[@]}"; do
    for c in $CONNECTIONS; do
        for target in app nginx; do
            [[ $target == app && $NGINX_ONLY -eq 1 ]] && continue
            if [[ $target == app ]]; then port=$APP_PORT; else port=$NGINX_PORT; fi
            log "wrk $target ${pages[$i]} c=$c (${WARMUP}+${DURATION} s)"
            R[$target,$i,$c]="$(run_wrk "$target-${page_names[$i]}-c$c" "http://127.0.0.1:$port${pages[$i]}" "$c")"
            [[ "${R[$target,$i,$c]}" != PARSE_ERROR* ]] || die "could not parse wrk output $OUT/serve-wrk/$target-${page_names[$i]}-c$c.txt"
        done
    done
done
if [[ $NGINX_ONLY -eq 0 ]]; then
    PEAK_RSS="$(helper rss "$APP_PID" VmHWM)"
    AFTER_LOAD_RSS="$(helper rss "$APP_PID")"
fi

# --- report --------------------------------------------------------------------

# check FLAG: sets VERDICT (no subshell, so that MISSED counts)
check() { if [[ "$1" == 1 ]]; then VERDICT="ok"; else MISSED=$((MISSED + 1)); VERDICT="MISSED"; fi; }
MISSED=0
nginx_version="$("$NGINX" -v 2>&1 | sed 's/^nginx version: nginx\///')"
wrk_version="$({ wrk -v 2>&1 || true; } | awk 'NR == 1 { print $2 }')"
commit="$(git describe --always --dirty 2>/dev/null || echo 'no commit')"
workers_note="$NGINX_WORKERS"
[[ "$NGINX_WORKERS" == auto ]] && workers_note="auto (= $(nproc) here)"

{
    echo "Meetinghouse serve benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    if [[ $NGINX_ONLY -eq 1 ]]; then
        echo "HARNESS SELF-TEST (--nginx-only): nginx serving a generated dummy page, no app"
    fi
    echo "commit $commit · $(nproc) cores · load average at start $LOAD_AT_START"
    echo "wrk $wrk_version: $THREADS threads, --latency, ${DURATION} s per run after ${WARMUP} s warm-up"
    echo "nginx $nginx_version: worker_processes $workers_note, access_log off, same HTML bytes from files"
    echo "  (auto: tokio's runtime uses one worker thread per core by default, so the ceiling gets every core too)"
    if [[ $NGINX_ONLY -eq 0 ]]; then
        echo "app log filter: MEETINGHOUSE_LOG=${MEETINGHOUSE_LOG:-unset (the default filter)}"
        echo "page micro-cache: MEETINGHOUSE_PAGE_CACHE_MS=${MEETINGHOUSE_PAGE_CACHE_MS:-unset (the default, 2000 ms)}"
        echo "binary ${BIN#"$ROOT"/} on SQLite; demo town seeded in ${DEMO_SECONDS} s; pages / ($(stat -c %s "$WORK/www/home.html") bytes) and /@$HANDLE ($(stat -c %s "$WORK/www/profile.html") bytes)"
        echo
        printf '%-52s %12s   %-16s %s\n' "figure" "value" "target" ""
        check "$((START_MEDIAN <= TARGET_START_MS))"
        printf '%-52s %9s ms   %-16s %s\n' "start to first 200 on /healthz (median of $STARTS)" "$START_MEDIAN" "<= $TARGET_START_MS ms" "$VERDICT"
        printf '%-52s %s\n' "  each start (ms)" "$START_ALL; stop after SIGTERM: median $STOP_MEDIAN ms"
        printf '%-52s %9s ms\n' "  first start on an empty data dir (migrations)" "$EMPTY_START"
        idle_ok=$(awk -v k="$IDLE_RSS" -v t="$TARGET_RSS_MIB" 'BEGIN { print (k / 1024 <= t) }')
        after_ok=$(awk -v k="$AFTER_RSS" -v t="$TARGET_RSS_MIB" 'BEGIN { print (k / 1024 <= t) }')
        check "$idle_ok"
        printf '%-52s %8s MiB   %-16s %s\n' "idle RSS after start" "$(mib "$IDLE_RSS")" "<= $TARGET_RSS_MIB MiB" "$VERDICT"
        check "$after_ok"
        printf '%-52s %8s MiB   %-16s %s\n' "idle RSS after 10,000 requests" "$(mib "$AFTER_RSS")" "<= $TARGET_RSS_MIB MiB" "$VERDICT"
        printf '%-52s %8s MiB\n' "RSS after the wrk runs" "$(mib "$AFTER_LOAD_RSS")"
        printf '%-52s %8s MiB\n' "peak RSS (VmHWM)" "$(mib "$PEAK_RSS")"
        read -r h_ok h_bad h_err h_secs <<<"$HAMMER_RESULT"
        printf '%-52s %s\n' "  the 10,000 requests" "$h_ok ok, $h_bad non-200, $h_err failed, in $h_secs s"
    fi
    echo
    printf '%-14s %6s %11s %10s %12s %10s %10s  %s\n' "page" "conns" "app req/s" "app p99" "nginx req/s" "nginx p99" "app/nginx" "(target >= $TARGET_PCT %)"
    notes=()
    for i in "${!pages[@]}"; do
        for c in $CONNECTIONS; do
            read -r n_rps n_p99 _ n_bad n_err <<<"${R[nginx,$i,$c]}"
            [[ "$n_bad" -eq 0 && "$n_err" -eq 0 ]] || notes+=("nginx ${pages[$i]} c=$c: $n_bad non-2xx/3xx, $n_err socket errors")
            if [[ $NGINX_ONLY -eq 0 ]]; then
                read -r a_rps a_p99 _ a_bad a_err <<<"${R[app,$i,$c]}"
                [[ "$a_bad" -eq 0 && "$a_err" -eq 0 ]] || notes+=("app ${pages[$i]} c=$c: $a_bad non-2xx/3xx, $a_err socket errors")
                pct=$(awk -v a="$a_rps" -v n="$n_rps" 'BEGIN { printf "%.1f", (n > 0 ? 100 * a / n : 0) }')
                ok=$(awk -v p="$pct" -v t="$TARGET_PCT" 'BEGIN { print (p >= t) }')
                check "$ok"
                printf '%-14s %6s %11s %7s ms %12s %7s ms %8s %%  %s\n' "${pages[$i]}" "$c" "$a_rps" "$a_p99" "$n_rps" "$n_p99" "$pct" "$VERDICT"
            else
                printf '%-14s %6s %11s %10s %12s %7s ms %10s\n' "${pages[$i]}" "$c" "-" "-" "$n_rps" "$n_p99" "-"
            fi
        done
    done
    for note in "${notes[@]}"; do echo "note: $note"; done
    echo
    if [[ $NGINX_ONLY -eq 0 ]]; then
        if [[ $MISSED -eq 0 ]]; then echo "all targets met"; else echo "$MISSED target(s) missed"; fi
    fi
    echo "raw wrk output: ${OUT#"$ROOT"/}/serve-wrk/ · command: scripts/bench-serve.sh$([[ $NGINX_ONLY -eq 1 ]] && echo ' --nginx-only')"
} >"$WORK/report.txt"

cp "$WORK/report.txt" "$OUT/serve.txt"
echo
cat "$OUT/serve.txt"
if [[ $STRICT -eq 1 && $MISSED -gt 0 ]]; then
    exit 1
fi
