//! Betweenness centrality (Brandes 2001) on hop-count shortest paths, exact
//! or estimated from a uniform sample of source nodes (Brandes & Pich 2007).
//!
//! Weights mean tie *strength* in interaction data, not distance, so
//! shortest paths count hops. Directed graphs follow arcs.
//!
//! Values are normalised to [0, 1]: BC(v) / ((n−1)(n−2)) summing over
//! ordered pairs (for undirected graphs this equals networkx's
//! `betweenness_centrality(normalized=True)`).
//!
//! **Error bound of the sampled estimate.** With k sources drawn uniformly
//! with replacement, the estimate of normalised betweenness is
//! (n/(n−1)) · mean of k independent variables δ_s(v)/(n−2) ∈ [0, 1]. By
//! Hoeffding's inequality and a union bound over the n nodes, with
//! probability at least 1 − δ every node's estimate is within
//! ε = (n/(n−1)) · sqrt(ln(2n/δ) / (2k)) of its exact value.

use crate::graph::Csr;
use crate::rng::Rng;

/// Betweenness values and, for estimates, the guarantee that goes with them.
#[derive(Debug, Clone, PartialEq)]
pub struct Betweenness {
    /// Normalised betweenness of each node.
    pub values: Vec<f64>,
    /// Whether the values are exact.
    pub exact: bool,
    /// Number of source nodes used.
    pub sources: usize,
    /// Absolute error bound ε (0 when exact).
    pub epsilon: f64,
    /// Failure probability δ of the bound (0 when exact).
    pub delta: f64,
}

/// Number of fixed work chunks (independent of the number of cores, so results are bit-identical everywhere).
const CHUNKS: usize = 8;

/// Exact betweenness.
pub fn exact(g: &Csr, directed: bool) -> Betweenness {
    let n = g.node_count();
    let sources: Vec<u32> = (0..n as u32).collect();
    let values = accumulate(g, &sources, directed, 1.0);
    Betweenness {
        values,
        exact: true,
        sources: n,
        epsilon: 0.0,
        delta: 0.0,
    }
}

/// Number of sources needed for error ε with failure probability δ.
pub fn samples_for(n: usize, epsilon: f64, delta: f64) -> usize {
    if n < 3 {
        return n;
    }
    let c = n as f64 / (n as f64 - 1.0);
    let e = epsilon / c;
    ((2.0 * n as f64 / delta).ln() / (2.0 * e * e)).ceil() as usize
}

/// The error bound ε for `k` sampled sources.
pub fn epsilon_for(n: usize, k: usize, delta: f64) -> f64 {
    if n < 3 || k == 0 {
        return if n < 3 { 0.0 } else { 1.0 };
    }
    (n as f64 / (n as f64 - 1.0)) * ((2.0 * n as f64 / delta).ln() / (2.0 * k as f64)).sqrt()
}

/// Estimated betweenness from `k` uniformly sampled sources (with
/// replacement); falls back to exact when `k ≥ n`.
pub fn sampled(g: &Csr, directed: bool, k: usize, delta: f64, seed: u64) -> Betweenness {
    let n = g.node_count();
    if k >= n {
        return exact(g, directed);
    }
    let mut rng = Rng::new(seed);
    let sources: Vec<u32> = (0..k).map(|_| rng.below(n as u64) as u32).collect();
    let values = accumulate(g, &sources, directed, n as f64 / k as f64);
    Betweenness {
        values,
        exact: false,
        sources: k,
        epsilon: epsilon_for(n, k, delta),
        delta,
    }
}

/// Sum of dependencies over `sources`, scaled and normalised.
fn accumulate(g: &Csr, sources: &[u32], directed: bool, scale: f64) -> Vec<f64> {
    let n = g.node_count();
    if n < 3 || sources.is_empty() {
        return vec![0.0; n];
    }
    let chunks: Vec<&[u32]> = sources.chunks(sources.len().div_ceil(CHUNKS)).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |x| x.get())
        .min(chunks.len());
    let mut partial: Vec<Option<Vec<f64>>> = vec![None; chunks.len()];
    if threads <= 1 {
        for (i, c) in chunks.iter().enumerate() {
            partial[i] = Some(brandes_chunk(g, c));
        }
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results = std::sync::Mutex::new(&mut partial);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= chunks.len() {
                            break;
                        }
                        let r = brandes_chunk(g, chunks[i]);
                        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                    }
                });
            }
        });
    }
    let mut total = vec![0.0; n];
    for p in partial.into_iter().flatten() {
        for (t, x) in total.iter_mut().zip(p) {
            *t += x;
        }
    }
    // ordered-pair sums: an undirected BFS already counts each unordered pair from both ends
    let _ = directed;
    let norm = scale / ((n as f64 - 1.0) * (n as f64 - 2.0));
    total.iter_mut().for_each(|x| *x *= norm);
    total
}

/// Brandes' dependency accumulation from each source in `sources` (BFS).
fn brandes_chunk(g: &Csr, sources: &[u32]) -> Vec<f64> {
    let n = g.node_count();
    let mut bc = vec![0.0; n];
    let mut sigma = vec![0.0f64; n];
    let mut dist = vec![-1i32; n];
    let mut delta = vec![0.0f64; n];
    let mut order: Vec<u32> = Vec::with_capacity(n);
    for &s in sources {
        let s = s as usize;
        order.clear();
        sigma[s] = 1.0;
        dist[s] = 0;
        order.push(s as u32);
        let mut head = 0;
        while head < order.len() {
            let v = order[head] as usize;
            head += 1;
            let dv = dist[v];
            let sv = sigma[v];
            for &u in g.neighbours(v) {
                let u = u as usize;
                if dist[u] < 0 {
                    dist[u] = dv + 1;
                    order.push(u as u32);
                }
                if dist[u] == dv + 1 {
                    sigma[u] += sv;
                }
            }
        }
        // back-propagation: predecessors of w are neighbours at distance d(w) − 1
        // (for directed graphs we need in-neighbours; we instead push from v to its successors)
        for &v in order.iter().rev() {
            let v = v as usize;
            let dv = dist[v];
            let mut d = 0.0;
            for &u in g.neighbours(v) {
                let u = u as usize;
                if dist[u] == dv + 1 {
                    d += sigma[v] / sigma[u] * (1.0 + delta[u]);
                }
            }
            delta[v] = d;
            if v != s {
                bc[v] += d;
            }
        }
        for &v in &order {
            let v = v as usize;
            sigma[v] = 0.0;
            dist[v] = -1;
            delta[v] = 0.0;
        }
    }
    bc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Graph, GraphOptions};
    use crate::network::Network;

    #[test]
    fn path_graph() {
        // a - b - c : b lies on the only a–c path
        let mut net = Network::new();
        net.add_edge("a", "b", None, None);
        net.add_edge("b", "c", None, None);
        let (g, _) = Graph::build(&net, GraphOptions::default());
        let b = exact(&g.out, false);
        assert_eq!(b.values, vec![0.0, 1.0, 0.0]);
        let (g, _) = Graph::build(
            &net,
            GraphOptions {
                directed: true,
                weighted: false,
            },
        );
        let b = exact(&g.out, true);
        assert_eq!(b.values, vec![0.0, 0.5, 0.0]);
    }

    #[test]
    fn bound_shrinks() {
        assert!(epsilon_for(1000, 4000, 0.1) < epsilon_for(1000, 100, 0.1));
        let k = samples_for(1000, 0.05, 0.1);
        assert!(epsilon_for(1000, k, 0.1) <= 0.05 + 1e-12);
    }
}
