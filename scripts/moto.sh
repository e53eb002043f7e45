#!/usr/bin/env bash
# moto.sh — a real S3-compatible server (moto) for the media store's S3 test.
#
#   eval "$(scripts/moto.sh)"        install if needed, start moto_server on a
#                                    free port in the background, and print
#                                      export TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#                                      export MEETINGHOUSE_MOTO_PID=PID
#                                    (stop it later with: kill "$MEETINGHOUSE_MOTO_PID")
#   eval "$(scripts/moto.sh --install-only)"
#                                    install if needed and print only
#                                      export MEETINGHOUSE_MOTO=/abs/path/bin/moto_server
#                                    (the S3 test then starts and stops its own server)
#
# moto[server] goes into a virtual environment at ${MEETINGHOUSE_VENV:-.venv-moto}
# (relative paths are taken from the repository root), made with `python3 -m venv`.
# On Debian that needs the python3-venv package: installed with apt-get when
# missing and this is root. Only the export lines go to standard output;
# progress and errors go to standard error, so `eval "$(…)"` is safe.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MEETINGHOUSE_VENV:-.venv-moto}"
[[ "$VENV" = /* ]] || VENV="$ROOT/$VENV"
MODE="${1:-start}"
case "$MODE" in
    start | --install-only) ;;
    *) echo "usage: scripts/moto.sh [--install-only]" >&2; exit 2 ;;
esac

say() { printf 'moto.sh: %s\n' "$*" >&2; }

if [[ ! -x "$VENV/bin/moto_server" ]]; then
    command -v python3 >/dev/null || { say "python3 is missing: install Debian's python3 and python3-venv"; exit 1; }
    if ! python3 -m venv "$VENV" >&2 2>/dev/null || [[ ! -x "$VENV/bin/pip" ]]; then
        rm -rf "$VENV"
        if [[ $EUID -ne 0 ]]; then
            say "python3 -m venv failed: install Debian's python3-venv (apt-get install python3-venv) and run again"
            exit 1
        fi
        say "python3 -m venv failed: installing Debian's python3-venv"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends python3-venv </dev/null >&2
        python3 -m venv "$VENV" >&2
    fi
    say "installing moto[server] into $VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]' >&2
fi
MOTO="$VENV/bin/moto_server"
[[ -x "$MOTO" ]] || { say "$MOTO is missing after installing moto[server]"; exit 1; }

if [[ "$MODE" == --install-only ]]; then
    printf 'export MEETINGHOUSE_MOTO=%q\n' "$MOTO"
    exit 0
fi

# A free port: bind to port 0 and read what the kernel chose.
PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
LOG="${TMPDIR:-/tmp}/meetinghouse-moto-$PORT.log"
# Detached from this script's standard output, so `$(scripts/moto.sh)` returns.
nohup "$MOTO" -H 127.0.0.1 -p "$PORT" </dev/null >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 200); do
    if "$VENV/bin/python" -c "import socket, sys; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; then
        say "moto_server (pid $PID) listening on 127.0.0.1:$PORT; log: $LOG"
        printf 'export TEST_S3_ENDPOINT=http://127.0.0.1:%s\n' "$PORT"
        printf 'export MEETINGHOUSE_MOTO_PID=%s\n' "$PID"
        exit 0
    fi
    if ! kill -0 "$PID" 2>/dev/null; then
        say "moto_server exited at start; its log ($LOG):"
        cat "$LOG" >&2
        exit 1
    fi
    sleep 0.1
done
say "moto_server did not listen on port $PORT within 20 s; stopping it"
kill "$PID" 2>/dev/null || true
exit 1
