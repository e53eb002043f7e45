#!/usr/bin/env bash
# Benchmarks for the `bridges` engine, side by side with python-igraph,
# leidenalg and networkx, on the shared networks and on generated graphs with
# planted groups (stochastic block model).
#
#   scripts/bench-bridges.sh            # shared networks + SBM 100k nodes / 1M edges
#   BIG=1 scripts/bench-bridges.sh      # also SBM 1M nodes / 10M edges (igraph only; networkx skipped
#                                       # there for memory; LEIDENALG_BIG=1 adds leidenalg, slow)
#
# Environment: BENCH_DIR (work folder, default target/bench-bridges),
# SHARED_DATA (default ../shared/data), BC_SOURCES (sampled betweenness sources, default 500),
# BC_EXACT_SOURCES (sources timed to extrapolate exact betweenness, default 100),
# LEIDEN_ITERATIONS (default 2, igraph's default; -1 = until stable).
#
# Every tool runs in its own process; "peak MB" is that process's peak
# resident memory (loading included). Times exclude loading.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-$ROOT/target/bench-bridges}
SHARED_DATA=${SHARED_DATA:-${MEETINGHOUSE_SHARED_DATA:-$ROOT/../shared/data}}
NET=$SHARED_DATA/networks
BC_SOURCES=${BC_SOURCES:-500}
BC_EXACT_SOURCES=${BC_EXACT_SOURCES:-100}
ITER=${LEIDEN_ITERATIONS:-2}
mkdir -p "$BENCH_DIR"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

echo "== building (release)" >&2
cargo build --release -q -p bridges --examples
EX=$CARGO_TARGET_DIR/release/examples

echo "== python venv (python-igraph, leidenalg, networkx)" >&2
VENV=$BENCH_DIR/venv
if ! "$VENV/bin/python" -c "import igraph, leidenalg, networkx, numpy" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q python-igraph leidenalg networkx numpy
fi
PY=$VENV/bin/python

cat > "$BENCH_DIR/theirs.py" <<'PY'
"""One tool per process: igraph | leidenalg | networkx. Prints one JSON line."""
import csv, json, random, resource, sys, time

tool, path, groups_arg, iters, exact_sources = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
import igraph as ig

def load():
    if path.endswith(".gml"):
        g = ig.Graph.Read_GML(path)
        groups = [str(x) for x in g.vs[groups_arg]]
    else:
        ids, edges = {}, []
        with open(path, newline="") as f:
            r = csv.reader(f)
            h = [x.strip().lower() for x in next(r)]
            si, ti = h.index("source"), h.index("target")
            for row in r:
                a = ids.setdefault(row[si], len(ids)); b = ids.setdefault(row[ti], len(ids))
                edges.append((a, b))
        gl = {}
        if groups_arg != "-":
            with open(groups_arg, newline="") as f:
                r = csv.reader(f); next(r)
                for row in r:
                    ids.setdefault(row[0], len(ids)); gl[row[0]] = row[1]
        g = ig.Graph(n=len(ids), edges=edges)
        inv = [None] * len(ids)
        for k, v in ids.items(): inv[v] = k
        groups = [gl.get(inv[v], "") for v in range(len(ids))]
    g.to_undirected(); g.simplify()
    return g, groups

t = time.perf_counter(); g, groups = load(); load_s = time.perf_counter() - t
out = {"tool": tool, "nodes": g.vcount(), "edges": g.ecount(), "load_s": load_s}
if tool == "igraph":
    random.seed(42)
    t = time.perf_counter(); c = g.community_leiden(objective_function="modularity", n_iterations=iters); out["leiden_s"] = time.perf_counter() - t
    out["leiden_Q"] = g.modularity(c.membership); out["leiden_k"] = len(c); out["leiden_iterations"] = iters
    random.seed(42)
    t = time.perf_counter(); c = g.community_multilevel(); out["multilevel_s"] = time.perf_counter() - t
    out["multilevel_Q"] = g.modularity(c.membership); out["multilevel_k"] = len(c)
    n = g.vcount()
    if n <= 5000:
        t = time.perf_counter(); g.betweenness(directed=False); out["bc_exact_s"] = time.perf_counter() - t
    else:
        src = list(range(0, n, max(1, n // exact_sources)))[:exact_sources]
        t = time.perf_counter(); g.betweenness(directed=False, sources=src); el = time.perf_counter() - t
        out["bc_exact_extrapolated_s"] = el * n / len(src)
elif tool == "leidenalg":
    import leidenalg as la
    t = time.perf_counter(); p = la.find_partition(g, la.ModularityVertexPartition, seed=42, n_iterations=iters); out["leiden_s"] = time.perf_counter() - t
    out["leiden_Q"] = g.modularity(p.membership); out["leiden_k"] = len(p)
elif tool == "networkx":
    import networkx as nx
    G = nx.Graph(); G.add_nodes_from(range(g.vcount())); G.add_edges_from(g.get_edgelist())
    nx.set_node_attributes(G, dict(enumerate(groups)), "group")
    t = time.perf_counter()
    grp = nx.get_node_attributes(G, "group")
    internal = sum(1 for u, v in G.edges() if grp[u] == grp[v]); external = G.number_of_edges() - internal
    ei = (external - internal) / (external + internal)
    r = nx.attribute_assortativity_coefficient(G, "group")
    out["ei_assortativity_s"] = time.perf_counter() - t
    out["ei_index"] = ei; out["assortativity"] = r
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
PY

RESULTS=$BENCH_DIR/results.jsonl
: > "$RESULTS"
run() { # name edges groups|attr bc_sources python_tools...
  local name=$1 edges=$2 groups=$3 bcs=$4; shift 4
  echo "== $name" >&2
  local ours
  if [[ $edges == *.gml ]]; then
    ours=$("$EX/bench" "$edges" "$groups" --leiden-iterations "$ITER" --bc-sources "$bcs" --bc-exact-sources "$BC_EXACT_SOURCES")
  elif [[ $groups == - ]]; then
    ours=$("$EX/bench" "$edges" --leiden-iterations "$ITER" --bc-sources "$bcs" --bc-exact-sources "$BC_EXACT_SOURCES")
  else
    ours=$("$EX/bench" "$edges" "$groups" --leiden-iterations "$ITER" --bc-sources "$bcs" --bc-exact-sources "$BC_EXACT_SOURCES")
  fi
  echo "{\"dataset\":\"$name\",\"r\":$ours}" >> "$RESULTS"
  for tool in "$@"; do
    local theirs
    theirs=$("$PY" "$BENCH_DIR/theirs.py" "$tool" "$edges" "$groups" "$ITER" "$BC_EXACT_SOURCES")
    echo "{\"dataset\":\"$name\",\"r\":$theirs}" >> "$RESULTS"
  done
}

run karate "$NET/karate/karate-edges.csv" "$NET/karate/karate-nodes.csv" 20 igraph leidenalg networkx
run polbooks "$NET/polbooks/polbooks.gml" value 50 igraph leidenalg networkx
run football "$NET/football/football.gml" value 50 igraph leidenalg networkx

SBM1=$BENCH_DIR/sbm-100k
[ -f "$SBM1-edges.csv" ] || "$EX/sbm" 100000 1000000 50 0.8 1 "$SBM1"
run "sbm 100k/1M" "$SBM1-edges.csv" "$SBM1-groups.csv" "$BC_SOURCES" igraph leidenalg networkx

if [ "${BIG:-0}" = 1 ]; then
  SBM2=$BENCH_DIR/sbm-1m
  [ -f "$SBM2-edges.csv" ] || "$EX/sbm" 1000000 10000000 500 0.8 2 "$SBM2"
  BIG_TOOLS="igraph"; [ "${LEIDENALG_BIG:-0}" = 1 ] && BIG_TOOLS="igraph leidenalg"
  # shellcheck disable=SC2086
  run "sbm 1M/10M" "$SBM2-edges.csv" "$SBM2-groups.csv" 100 $BIG_TOOLS
fi

"$PY" - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def f(x, d=None):
    if x is None: return "-"
    if not isinstance(x, float): return str(x)
    return f"{x:.3g}" if d is None else f"{x:.{d}f}"
print(f"{'dataset':14} {'tool':16} {'nodes':>8} {'edges':>9} {'leiden s':>9} {'leiden Q':>9} {'k':>4} {'E-I+r s':>9} {'E-I':>8} {'r':>7} {'bc sampled s':>12} {'eps':>6} {'bc exact s':>11} {'peak MB':>8}")
for row in rows:
    r = row["r"]
    exact = r.get("bc_exact_s") or r.get("bc_exact_extrapolated_s")
    ex = (f(exact) + ("*" if "bc_exact_extrapolated_s" in r else "")) if exact is not None else "-"
    print(f"{row['dataset']:14} {r['tool']:16} {r['nodes']:>8} {r['edges']:>9} {f(r.get('leiden_s')):>9} {f(r.get('leiden_Q'),4):>9} {f(r.get('leiden_k')):>4} "
          f"{f(r.get('ei_assortativity_s'),4):>9} {f(r.get('ei_index'),4):>8} {f(r.get('assortativity'),4):>7} {f(r.get('bc_sampled_s')):>12} {f(r.get('bc_sampled_epsilon'),3):>6} {ex:>11} {f(r.get('peak_rss_mb'),0):>8}")
print("* exact betweenness extrapolated linearly from a run over a subset of sources (Brandes' cost is linear in sources).")
print("Louvain (ours) / multilevel (igraph):")
for row in rows:
    r = row["r"]
    if "louvain_s" in r: print(f"  {row['dataset']:14} ours    {f(r['louvain_s'])} s  Q {f(r['louvain_Q'],4)}  k {r['louvain_k']}")
    if "multilevel_s" in r: print(f"  {row['dataset']:14} igraph  {f(r['multilevel_s'])} s  Q {f(r['multilevel_Q'],4)}  k {r['multilevel_k']}")
PY
