//! Time the engine's measures one by one on an edge list (for
//! `scripts/bench-bridges.sh`). Prints one JSON line.
//!
//! `bench EDGES [GROUPS|GML_ATTR] [--leiden-iterations N] [--bc-sources K] [--bc-exact-sources S]`
//! EDGES: CSV or `.gml`; for GML the second argument is the group attribute.

use bridges::centrality;
use bridges::community::{self, Algorithm, CommunityOptions};
use bridges::load::{read_edges_csv, read_gml, read_groups_csv};
use bridges::measures::Mixing;
use bridges::{Graph, GraphOptions, Network};
use serde_json::json;
use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|x| x.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut pos = Vec::new();
    let (mut iters, mut bc_sources, mut bc_exact_sources) = (2i32, 0usize, 0usize);
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--leiden-iterations" => {
                iters = args[i + 1].parse().unwrap();
                i += 1;
            }
            "--bc-sources" => {
                bc_sources = args[i + 1].parse().unwrap();
                i += 1;
            }
            "--bc-exact-sources" => {
                bc_exact_sources = args[i + 1].parse().unwrap();
                i += 1;
            }
            x => pos.push(x.to_owned()),
        }
        i += 1;
    }
    let t = Instant::now();
    let mut net = Network::new();
    if pos[0].ends_with(".gml") {
        read_gml(
            File::open(&pos[0]).unwrap(),
            pos.get(1).map(String::as_str),
            &mut net,
        )
        .unwrap();
    } else {
        read_edges_csv(
            BufReader::with_capacity(1 << 20, File::open(&pos[0]).unwrap()),
            &mut net,
        )
        .unwrap();
        if let Some(g) = pos.get(1) {
            read_groups_csv(File::open(g).unwrap(), &mut net).unwrap();
        }
    }
    let load = secs(t);
    let t = Instant::now();
    let (g, _) = Graph::build(&net, GraphOptions::default());
    let build = secs(t);
    let k = net.group_names.len();

    let t = Instant::now();
    let mix = Mixing::compute(&g, &net.group_of, k);
    let ei = mix.ei_index();
    let r = mix.assortativity();
    let ei_assort = secs(t);

    let t = Instant::now();
    let lei = community::detect(
        g.und(),
        &CommunityOptions {
            iterations: iters,
            seed: 42,
            ..Default::default()
        },
    );
    let leiden = secs(t);
    let t = Instant::now();
    let lou = community::detect(
        g.und(),
        &CommunityOptions {
            algorithm: Algorithm::Louvain,
            iterations: 1,
            seed: 42,
            ..Default::default()
        },
    );
    let louvain = secs(t);

    let mut out = json!({
        "tool": "bridges (Rust)", "nodes": g.n, "edges": g.m,
        "load_s": load, "build_s": build,
        "ei_assortativity_s": ei_assort, "ei_index": ei, "assortativity": r,
        "leiden_s": leiden, "leiden_iterations": iters, "leiden_Q": lei.modularity, "leiden_k": lei.count,
        "louvain_s": louvain, "louvain_Q": lou.modularity, "louvain_k": lou.count,
    });
    if bc_sources > 0 {
        let t = Instant::now();
        let b = centrality::sampled(&g.out, false, bc_sources, 0.1, 42);
        out["bc_sampled_s"] = json!(secs(t));
        out["bc_sampled_sources"] = json!(b.sources);
        out["bc_sampled_epsilon"] = json!(b.epsilon);
        out["bc_sampled_delta"] = json!(b.delta);
    }
    if g.n <= 5000 {
        let t = Instant::now();
        let _ = centrality::exact(&g.out, false);
        out["bc_exact_s"] = json!(secs(t));
    } else if bc_exact_sources > 0 {
        // exact betweenness extrapolated from a run over `bc_exact_sources` sources (Brandes is linear in the number of sources)
        let t = Instant::now();
        let _ = centrality::sampled(&g.out, false, bc_exact_sources, 0.1, 7);
        out["bc_exact_extrapolated_s"] = json!(secs(t) * g.n as f64 / bc_exact_sources as f64);
    }
    out["peak_rss_mb"] = json!(peak_rss_mb());
    println!("{out}");
}
