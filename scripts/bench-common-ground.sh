#!/usr/bin/env bash
# Side-by-side benchmark of the common-ground engine and red-dwarf (PyPI
# `red-dwarf`, a Python reimplementation of the Pol.is pipeline) on every
# shared openData conversation, then the 100k × 2k × 10M scale run.
#
#   scripts/bench-common-ground.sh            # both parts
#   SKIP_SCALE=1 scripts/bench-common-ground.sh
#
# Environment: MEETINGHOUSE_SHARED_DATA (default ../shared/data),
# CARGO_TARGET_DIR (default target), VENV (default .venv-bench-cg),
# META_FILE (default crates/common-ground/data/opendata-meta.csv: the
# metadata statements the older exports lost, see that folder's README; both
# engines get the same list; META_FILE= runs without it).
# Both sides run single-threaded (one BLAS thread for red-dwarf; Config.threads
# = 1 for us), each conversation in its own process so peak memory is per run.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${MEETINGHOUSE_SHARED_DATA:-../shared/data}/polis-opendata"
VENV="${VENV:-.venv-bench-cg}"
META_FILE="${META_FILE-crates/common-ground/data/opendata-meta.csv}"
[ -z "$META_FILE" ] || META_FILE="$(realpath "$META_FILE")"
export META_FILE
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1 VECLIB_MAXIMUM_THREADS=1
[ -d "$DATA" ] || { echo "no openData conversations at $DATA (set MEETINGHOUSE_SHARED_DATA)" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet red-dwarf
fi

cargo build --release --quiet -p common-ground --examples
BIN="${CARGO_TARGET_DIR:-target}/release/examples"

RD_SCRIPT="$(mktemp -t rd-bench-XXXX.py)"
trap 'rm -f "$RD_SCRIPT"' EXIT
cat > "$RD_SCRIPT" <<'PY'
import csv, json, os, resource, sys, time
from collections import defaultdict
d = sys.argv[1]
t0 = time.perf_counter()
from reddwarf.implementations.polis import run_pipeline
from sklearn.metrics import adjusted_rand_score
import_s = time.perf_counter() - t0
csv.field_size_limit(1 << 30)
mod_out, meta = [], []
extra_meta = set()
if os.environ.get("META_FILE"):
    with open(os.environ["META_FILE"], newline="") as f:
        for r in csv.DictReader(f):
            if r["conversation"] == os.path.basename(os.path.normpath(d)):
                extra_meta |= {int(x) for x in r["meta-statements"].split()}
with open(os.path.join(d, "comments.csv"), newline="") as f:
    for r in csv.DictReader(f):
        cid = int(r["comment-id"])
        if int(r.get("moderated") or 0) < 0:
            mod_out.append(cid)
        if (r.get("is-meta") or "").lower() == "true" or cid in extra_meta:
            meta.append(cid)
votes, groups = [], {}
with open(os.path.join(d, "participants-votes.csv"), newline="") as f:
    rd = csv.reader(f)
    head = next(rd)
    fixed = {"participant", "xid", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"}
    cols = [(i, int(h)) for i, h in enumerate(head) if h not in fixed]
    gi = head.index("group-id")
    for row in rd:
        p = int(row[0])
        if row[gi] != "":
            groups[p] = row[gi]
        if not os.path.exists(os.path.join(d, "votes.csv")):
            for i, c in cols:
                if row[i] != "":
                    votes.append({"participant_id": p, "statement_id": c, "vote": int(float(row[i])), "modified": 0})
vp = os.path.join(d, "votes.csv")
if os.path.exists(vp):
    latest = {}
    with open(vp, newline="") as f:
        for r in csv.DictReader(f):
            k = (int(r["voter-id"]), int(r["comment-id"]))
            t = int(r["timestamp"])
            if k not in latest or t >= latest[k][0]:
                latest[k] = (t, int(float(r["vote"])))
    votes = [{"participant_id": p, "statement_id": c, "vote": v, "modified": t} for (p, c), (t, v) in latest.items()]
def run(mod_out_ids):
    t = time.perf_counter()
    res = run_pipeline(votes=votes, mod_out_statement_ids=mod_out_ids, meta_statement_ids=meta, random_state=0)
    ms = (time.perf_counter() - t) * 1e3
    import pandas as pd
    labels = {int(p): int(c) for p, c in res.participants_df["cluster_id"].items() if not pd.isna(c)}
    common = [p for p in groups if p in labels]
    ari = adjusted_rand_score([groups[p] for p in common], [labels[p] for p in common]) if common else float("nan")
    return ms, ari, len(common), len(set(labels.values()))
# As red-dwarf's API intends: meta ids passed as meta (it does not zero them).
pipe_ms, ari, compared, k = run(mod_out)
# As Pol.is treats them: meta zeroed in the PCA like rejected statements.
ari_zeroed = run(sorted(set(mod_out) | set(meta)))[1] if meta else ari
print(json.dumps({"pipeline_ms": pipe_ms, "import_ms": import_s * 1e3, "ari": ari, "ari_meta_zeroed": ari_zeroed, "compared": compared,
                  "k": k, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
PY

printf '\n%-40s %7s %8s | %10s %12s %8s | %7s %7s %7s %7s %7s %5s | %8s %8s\n' conversation ptpts votes "ours ms" "red-dwarf ms" ratio "ARI us" "(replay)" "(+wr)" "ARI rd" "(rd-z)" "!in" "MB us" "MB rd"
for dir in "$DATA"/*/; do
  name="$(basename "$dir")"
  ours="$(CG_META_FILE="$META_FILE" "$BIN/opendata" "$dir" --replay)"
  rd="$("$VENV/bin/python" "$RD_SCRIPT" "$dir" 2>/dev/null || echo '{"pipeline_ms": null, "ari": null, "peak_mb": null}')"
  python3 - "$name" "$ours" "$rd" <<'PY'
import json, sys
name, o, r = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
def f(x, fmt):
    return "—" if x is None or x != x else fmt.format(x)
ratio = (r["pipeline_ms"] / o["update_ms"]) if r.get("pipeline_ms") else None
print(f'{name:<40} {o["participants"]:>7} {o["votes"]:>8} | {f(o["update_ms"], "{:.2f}"):>10} {f(r.get("pipeline_ms"), "{:.0f}"):>12} {f(ratio, "{:.0f}x"):>8} | '
      f'{f(o["ari"], "{:.3f}"):>7} {f(o.get("ari_replay"), "{:.3f}"):>7} {f(o.get("ari_replay_restarts"), "{:.3f}"):>7} {f(r.get("ari"), "{:.3f}"):>7} {f(r.get("ari_meta_zeroed"), "{:.3f}"):>7} {f(o.get("polis_grouped_never_in_conv"), "{}"):>5} | {f(o["peak_mb"], "{:.0f}"):>8} {f(r.get("peak_mb"), "{:.0f}"):>8}')
PY
done
echo "(ours: median of 5 cold updates, 1 thread, engine only; red-dwarf: run_pipeline wall time, 1 BLAS thread, excluding Python imports;"
echo " ARI against Pol.is group-id over participants both put in a group; replay = the vote history in <= 300 updates;"
echo " +wr = the same replay with a restart of Pol.is's math worker in every pause over 24 h (group clusterings and k smoother"
echo " start afresh, as Pol.is did not persist them); rd-z = red-dwarf with the metadata statements zeroed"
echo " as Pol.is zeroes them; !in = participants Pol.is put in a group although the spec's in-conv rule admits them at"
echo " no update, whatever the cadence: non-zero means the export's groups came from other math than the spec's;"
echo " metadata statements from ${META_FILE:-nowhere (META_FILE empty)}; MB = process peak RSS)"

if [ -z "${SKIP_SCALE:-}" ]; then
  echo
  "$BIN/scale"

  # The command line at the same scale: `meetinghouse common-ground analyse`
  # on a generated openData folder of 10,000,000 votes (100,000 participants
  # x 100 of 200 statements, three planted camps), its peak memory measured
  # as a whole process (design 0002, "Memory of the command line": the loader
  # holds 16 bytes a vote besides the engine's 4). Refused above 1 GB.
  cargo build --release --quiet -p meetinghouse
  CLI_DIR="$(mktemp -d -t cg-cli-XXXX)"
  trap 'rm -f "$RD_SCRIPT"; rm -rf "$CLI_DIR"' EXIT
  python3 - "$CLI_DIR" <<'PY'
import random, sys
out = sys.argv[1]
random.seed(1)
n_p, per, n_s = 100_000, 100, 200
with open(f"{out}/comments.csv", "w") as f:
    f.write("timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,is-meta,comment-body\n")
    for s in range(n_s):
        f.write(f"{1000 + s},x,{s},0,0,0,1,false,Statement {s}\n")
with open(f"{out}/votes.csv", "w") as f:
    f.write("timestamp,datetime,comment-id,voter-id,vote\n")
    t = 1_600_000_000_000
    for p in range(n_p):
        for s in random.sample(range(n_s), per):
            t += 7
            v = 1 if s % 3 == p % 3 else (-1 if random.random() < 0.6 else random.choice((0, 1)))
            f.write(f"{t},x,{s},{p},{v}\n")
PY
  # Peak memory of the child as the kernel counts it (getrusage), so no
  # `time` package is needed.
  peak_kb="$(python3 - "${CARGO_TARGET_DIR:-target}/release/meetinghouse" "$CLI_DIR" <<'PY'
import resource, subprocess, sys
with open(f"{sys.argv[2]}/out.json", "w") as out:
    subprocess.run([sys.argv[1], "common-ground", "analyse", sys.argv[2], "--json"], stdout=out, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)"
  python3 - "$CLI_DIR/out.json" "$peak_kb" <<'PY'
import json, sys
o, peak_mb = json.load(open(sys.argv[1])), int(sys.argv[2]) / 1024
print(f"command line, 10M votes: {o['votes']} votes, k = {o['k']}, load {o['timings_ms']['load']:.0f} ms, "
      f"update {o['timings_ms']['update']:.0f} ms, peak RSS {peak_mb:.0f} MB")
if peak_mb > 1024:
    sys.exit(f"peak RSS {peak_mb:.0f} MB is over the 1 GB target")
PY
fi
