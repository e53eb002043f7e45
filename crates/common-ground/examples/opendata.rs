//! One openData conversation through the engine, for the side-by-side
//! benchmark: prints one JSON line with the update time (median of 5 cold
//! runs, one thread), ARI against Pol.is's groups, peak memory, and how many
//! participants Pol.is grouped although the spec's in-conv rule admits them
//! at no update ("polis_grouped_never_in_conv", see `replay::never_in_conv`;
//! null without vote times).
//!
//!     cargo run --release -p common-ground --example opendata -- DIR [--replay]
//!
//! `CG_RUNS=N` changes the number of cold runs (default 5); `CG_PROFILE=1`
//! prints the stage times and the silhouette for each k of each run on
//! stderr (`CG_TRACE=2`: k, group sizes and ARI after every replay tick);
//! `CG_RESTARTS=N` sets `Config.cold_restarts`; `CG_MAX_K=K` caps k (to see
//! how much of a gap to Pol.is's groups is the choice of k);
//! `CG_MIN_VOTES=N` sets `Config.min_votes`, the in-conv vote threshold;
//! `CG_BASE_K=N` sets `Config.base_k`, the number of base clusters;
//! `CG_TICKS=N` and `CG_TICK_MS=MS` set the replay's `ReplayOptions` (at
//! most N updates, none shorter than MS); `CG_CLOCK_MS=MS` and
//! `CG_CLOCK_OFFSET_MS=MS` replay on a fixed clock instead (Pol.is's poller:
//! 1000). With `--replay` the history is replayed twice: as one unbroken run
//! ("ari_replay") and with a restart of Pol.is's worker in every pause over
//! `CG_RESTART_GAP_MS` (default 24 h; "ari_replay_restarts").
//! `CG_META_FILE=F` flags the metadata statements F lists for this folder
//! (`crates/common-ground/data/opendata-meta.csv`).

use std::collections::HashMap;
use std::time::Instant;

use common_ground::io::{load_opendata, read_meta_annotations};
use common_ground::metrics::adjusted_rand_index;
use common_ground::replay::{POLIS_RESTART_GAP_MS, ReplayOptions, never_in_conv, replay};
use common_ground::{Analysis, Config};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// An environment variable parsed as `T`; unset or unparsable is `None`.
fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn ari(a: &Analysis, polis: &[(String, Option<String>)]) -> (f64, usize) {
    let ours: HashMap<&str, usize> = a.participants.iter().enumerate().filter_map(|(i, p)| a.group_of[i].map(|g| (p.as_str(), g))).collect();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (p, g) in polis {
        if let (Some(g), Some(&o)) = (g, ours.get(p.as_str())) {
            x.push(o);
            y.push(g.clone());
        }
    }
    (adjusted_rand_index(&x, &y), x.len())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: opendata DIR [--replay]");
        std::process::exit(2);
    };
    let want_replay = args.iter().any(|a| a == "--replay");
    let t = Instant::now();
    let mut ds = match load_opendata(std::path::Path::new(dir)) {
        Ok(ds) => ds,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let mut n_meta = 0;
    if let Some(file) = std::env::var_os("CG_META_FILE") {
        let name = std::path::Path::new(dir).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let annotations = read_meta_annotations(std::path::Path::new(&file)).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1);
        });
        let ids = annotations.get(&name).map_or(&[][..], Vec::as_slice);
        let unknown = ds.mark_meta(ids);
        if !unknown.is_empty() {
            eprintln!("{name}: the metadata annotation names statements that do not exist: {}", unknown.join(", "));
            std::process::exit(1);
        }
        n_meta = ids.len();
    }
    let mut config = Config { threads: 1, ..Config::default() };
    config.cold_restarts = env("CG_RESTARTS").unwrap_or(config.cold_restarts);
    config.min_votes = env("CG_MIN_VOTES").unwrap_or(config.min_votes);
    config.max_k = env("CG_MAX_K").unwrap_or(config.max_k);
    config.base_k = env("CG_BASE_K").unwrap_or(config.base_k);
    let mut times = Vec::new();
    let mut result = None;
    let runs = env("CG_RUNS").unwrap_or(5usize).max(1);
    for _ in 0..runs {
        let mut e = ds.engine(config.clone());
        e.add_votes(&ds.votes);
        let t = Instant::now();
        let a = e.update();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if std::env::var_os("CG_PROFILE").is_some() {
            eprintln!("stages (ms): {:?}", e.last_profile());
            eprintln!("silhouette by k: {:?}", a.silhouette);
        }
        result = Some(a);
    }
    times.sort_by(f64::total_cmp);
    let a = result.expect("ran");
    let (ari_final, n) = ari(&a, &ds.polis_groups);
    let (ari_replay, ari_replay_restarts, replay_ms) = if want_replay && ds.has_times() {
        let mut opts = ReplayOptions::default();
        opts.max_ticks = env("CG_TICKS").unwrap_or(opts.max_ticks);
        opts.min_tick_ms = env("CG_TICK_MS").unwrap_or(opts.min_tick_ms);
        opts.clock_ms = env("CG_CLOCK_MS").unwrap_or(opts.clock_ms);
        opts.clock_offset_ms = env("CG_CLOCK_OFFSET_MS").unwrap_or(opts.clock_offset_ms);
        let restart_gap_ms = env("CG_RESTART_GAP_MS").unwrap_or(POLIS_RESTART_GAP_MS);
        let tick_trace = std::env::var("CG_TRACE").is_ok_and(|v| v == "2");
        let polis = &ds.polis_groups;
        let run = |opts: ReplayOptions| {
            let mut e = ds.engine(config.clone());
            let t = Instant::now();
            let r = replay(&mut e, &ds.votes, opts, |a| {
                if tick_trace {
                    let best = a.silhouette.iter().max_by(|x, y| x.1.total_cmp(&y.1)).map(|x| x.0);
                    let sizes: Vec<usize> = a.groups.iter().map(|g| g.members.len()).collect();
                    eprintln!("tick {} in_conv={} k={} best_k={best:?} sizes={sizes:?} ari={:.3}", a.tick, a.in_conv.len(), a.k, ari(a, polis).0);
                }
            })
            .expect("votes");
            (ari(&r, polis).0, t.elapsed().as_secs_f64() * 1e3)
        };
        let (unbroken, ms) = run(ReplayOptions { restart_gap_ms: 0, ..opts });
        let (restarted, _) = run(ReplayOptions { restart_gap_ms, ..opts });
        (Some(unbroken), Some(restarted), Some(ms))
    } else {
        (None, None, None)
    };
    let peak_mb = peak_rss_mb();
    // Pol.is-grouped participants whom the spec's in-conv rule admits at no
    // update: a sign that the export's groups came from other math.
    let grouped_never_in_conv = never_in_conv(&ds.votes, &config).map(|never| ds.polis_groups.iter().filter(|(p, g)| g.is_some() && never.contains(p)).count());
    println!(
        "{}",
        serde_json::json!({
            "participants": a.participants.len(), "votes": a.n_votes, "k": a.k,
            "load_ms": load_ms, "update_ms": times[times.len() / 2],
            "ari": ari_final, "compared": n, "ari_replay": ari_replay, "ari_replay_restarts": ari_replay_restarts, "replay_ms": replay_ms,
            "peak_mb": peak_mb, "meta_marked": n_meta, "polis_grouped_never_in_conv": grouped_never_in_conv,
        })
    );
}
