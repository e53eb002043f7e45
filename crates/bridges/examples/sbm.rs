//! Generate a planted-partition graph (a stochastic block model with equal
//! blocks) for benchmarks: `cargo run --release -p bridges --example sbm --
//! NODES EDGES GROUPS P_IN SEED OUT_PREFIX` writes `OUT_PREFIX-edges.csv`
//! (`source,target`) and `OUT_PREFIX-groups.csv` (`node,group`).
//!
//! Each edge picks a uniform random endpoint u; with probability P_IN the
//! other endpoint is uniform in u's block, otherwise uniform over all nodes.
//! Self-loops and repeated pairs are rare and removed when the graph is read.

use bridges::rng::Rng;
use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 7 {
        eprintln!("usage: sbm NODES EDGES GROUPS P_IN SEED OUT_PREFIX");
        std::process::exit(2);
    }
    let n: u64 = a[1].parse().expect("NODES");
    let m: u64 = a[2].parse().expect("EDGES");
    let k: u64 = a[3].parse().expect("GROUPS");
    let p_in: f64 = a[4].parse().expect("P_IN");
    let seed: u64 = a[5].parse().expect("SEED");
    let prefix = &a[6];
    let block = n.div_ceil(k);
    let mut rng = Rng::new(seed);
    let mut e = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(format!("{prefix}-edges.csv"))?,
    );
    writeln!(e, "source,target")?;
    for _ in 0..m {
        let u = rng.below(n);
        let v = if rng.unit() < p_in {
            let b = u / block;
            let lo = b * block;
            let hi = ((b + 1) * block).min(n);
            lo + rng.below(hi - lo)
        } else {
            rng.below(n)
        };
        writeln!(e, "{u},{v}")?;
    }
    e.flush()?;
    let mut g = BufWriter::new(std::fs::File::create(format!("{prefix}-groups.csv"))?);
    writeln!(g, "node,group")?;
    for v in 0..n {
        writeln!(g, "{v},g{}", v / block)?;
    }
    g.flush()?;
    Ok(())
}
