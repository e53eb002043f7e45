//! Scale benchmark: planted opinion groups, 100,000 participants × 2,000
//! statements, 10,000,000 votes. Measures the full (cold) update, an
//! incremental update after 1,000 new votes, peak memory, and the ARI of the
//! groups against the planted ones.
//!
//!     cargo run --release -p common-ground --example scale [-- PARTICIPANTS STATEMENTS VOTES]

use std::time::Instant;

use common_ground::metrics::adjusted_rand_index;
use common_ground::prng::SplitMix64;
use common_ground::{Config, Engine, StatementMeta, Vote};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Planted groups: shares of the population.
const GROUPS: [f64; 3] = [0.45, 0.35, 0.20];

struct Planted {
    /// stance[g][s]: true = the group leans agree.
    stance: Vec<Vec<bool>>,
}

impl Planted {
    fn vote(&self, rng: &mut SplitMix64, g: usize, s: usize) -> Vote {
        let r = rng.next_f64();
        let lean = self.stance[g][s];
        if r < 0.10 {
            Vote::Pass
        } else if r < 0.85 {
            if lean { Vote::Agree } else { Vote::Disagree }
        } else if lean {
            Vote::Disagree
        } else {
            Vote::Agree
        }
    }
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.replace('_', "").parse().ok()).collect();
    let n_p = args.first().copied().unwrap_or(100_000);
    let n_s = args.get(1).copied().unwrap_or(2_000);
    let n_v = args.get(2).copied().unwrap_or(10_000_000);
    let per = n_v / n_p;
    let mut rng = SplitMix64::new(42);
    let planted = Planted { stance: (0..GROUPS.len()).map(|_| (0..n_s).map(|_| rng.next_f64() < 0.5).collect()).collect() };
    let mut group = Vec::with_capacity(n_p);
    for _ in 0..n_p {
        let r = rng.next_f64();
        let mut acc = 0.0;
        let mut g = GROUPS.len() - 1;
        for (i, share) in GROUPS.iter().enumerate() {
            acc += share;
            if r < acc {
                g = i;
                break;
            }
        }
        group.push(g);
    }

    let t = Instant::now();
    let mut e = Engine::new(Config::default());
    for s in 0..n_s {
        e.upsert_statement(&s.to_string(), StatementMeta::accepted());
    }
    let sids: Vec<String> = (0..n_s).map(|s| s.to_string()).collect();
    let mut seen = vec![u32::MAX; n_s];
    for (p, &gp) in group.iter().enumerate() {
        let pid = format!("p{p}");
        let mut k = 0;
        while k < per.min(n_s) {
            let s = rng.below(n_s as u64) as usize;
            if seen[s] == p as u32 {
                continue;
            }
            seen[s] = p as u32;
            e.vote(&pid, &sids[s], planted.vote(&mut rng, gp, s));
            k += 1;
        }
    }
    println!("generated {} participants × {} statements, {} votes in {:.1} s", n_p, n_s, e.n_votes(), t.elapsed().as_secs_f64());

    let t = Instant::now();
    let a = e.update();
    let full_ms = t.elapsed().as_secs_f64() * 1e3;
    println!("  stages (ms): {:?}", e.last_profile());
    let ari = |a: &common_ground::Analysis| {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (i, g) in a.group_of.iter().enumerate() {
            if let Some(g) = g {
                x.push(*g);
                let p: usize = a.participants[i][1..].parse().unwrap();
                y.push(group[p]);
            }
        }
        (adjusted_rand_index(&x, &y), x.len())
    };
    let (ari_full, n_cmp) = ari(&a);
    println!(
        "full update: {full_ms:.0} ms (PCA {} iterations, converged {}), k = {}, in-conv {}, ARI vs planted {ari_full:.4} over {n_cmp}",
        a.pca.iterations, a.pca.converged, a.k, a.in_conv.len()
    );

    // Incremental: 1,000 new votes (new and changed), warm-started update.
    let mut incs = Vec::new();
    let mut last = a;
    for round in 0..3 {
        for _ in 0..1000 {
            let p = rng.below(n_p as u64) as usize;
            let s = rng.below(n_s as u64) as usize;
            e.vote(&format!("p{p}"), &sids[s], planted.vote(&mut rng, group[p], s));
        }
        let t = Instant::now();
        last = e.update();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        println!("incremental update {} after 1,000 new votes: {ms:.0} ms (PCA {} iterations)", round + 1, last.pca.iterations);
        println!("  stages (ms): {:?}", e.last_profile());
        incs.push(ms);
    }
    let (ari_inc, _) = ari(&last);
    incs.sort_by(f64::total_cmp);
    let peak = peak_rss_mb();
    println!("peak memory (VmHWM, whole process incl. generator): {peak:.0} MB");
    println!(
        "RESULT full_ms={full_ms:.0} incremental_ms_median={:.0} peak_mb={peak:.0} ari_full={ari_full:.4} ari_after_increments={ari_inc:.4} k={}",
        incs[incs.len() / 2],
        last.k
    );
}
