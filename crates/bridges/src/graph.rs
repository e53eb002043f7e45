//! Cleaned graphs in compressed sparse row (CSR) form.
//!
//! Cleaning rules (each reported as a [`Diagnostic`]): self-loops are
//! dropped; duplicate edges are merged (weights summed when weighted, else
//! collapsed to one tie); edges with a weight that is not a positive finite
//! number are dropped; weights so large that their sum could overflow
//! (above [`MAX_TOTAL_WEIGHT`] in all) are divided by one power of two, and
//! weights so small that their products vanish (all under
//! [`MIN_LARGEST_WEIGHT`]) are multiplied by one.
//! Undirected graphs store each edge in both adjacency lists; adjacency
//! lists are sorted by neighbour id.

use crate::network::{Diagnostic, Network};

/// Compressed sparse row adjacency.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    /// `offsets[v]..offsets[v+1]` indexes `nbrs`/`wts` for node `v`.
    pub offsets: Vec<usize>,
    pub nbrs: Vec<u32>,
    pub wts: Vec<f64>,
}

impl Csr {
    pub fn node_count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    #[inline]
    pub fn neighbours(&self, v: usize) -> &[u32] {
        &self.nbrs[self.offsets[v]..self.offsets[v + 1]]
    }
    #[inline]
    pub fn weights(&self, v: usize) -> &[f64] {
        &self.wts[self.offsets[v]..self.offsets[v + 1]]
    }
    #[inline]
    pub fn degree(&self, v: usize) -> usize {
        self.offsets[v + 1] - self.offsets[v]
    }
    pub fn strength(&self, v: usize) -> f64 {
        self.weights(v).iter().sum()
    }
    /// Whether `u → v` is present (adjacency lists are sorted).
    pub fn has_edge(&self, u: usize, v: u32) -> bool {
        self.neighbours(u).binary_search(&v).is_ok()
    }

    /// Build from arcs `(s, t, w)`; `both` stores each arc in both directions.
    /// Duplicate arcs are merged (weights summed). Returns the CSR and the number merged.
    fn from_arcs(
        n: usize,
        src: &[u32],
        dst: &[u32],
        w: &[f64],
        keep: &[bool],
        both: bool,
    ) -> (Csr, u64) {
        let mut counts = vec![0usize; n + 1];
        for i in 0..src.len() {
            if !keep[i] {
                continue;
            }
            counts[src[i] as usize + 1] += 1;
            if both {
                counts[dst[i] as usize + 1] += 1;
            }
        }
        for v in 0..n {
            counts[v + 1] += counts[v];
        }
        let total = counts[n];
        let mut fill = counts.clone();
        let mut nbrs = vec![0u32; total];
        let mut wts = vec![0f64; total];
        for i in 0..src.len() {
            if !keep[i] {
                continue;
            }
            let (s, t) = (src[i] as usize, dst[i] as usize);
            nbrs[fill[s]] = t as u32;
            wts[fill[s]] = w[i];
            fill[s] += 1;
            if both {
                nbrs[fill[t]] = s as u32;
                wts[fill[t]] = w[i];
                fill[t] += 1;
            }
        }
        // sort each list and merge duplicates, compacting in place
        let mut out_off = vec![0usize; n + 1];
        let mut write = 0usize;
        let mut merged = 0u64;
        let mut pairs: Vec<(u32, f64)> = Vec::new();
        for v in 0..n {
            let (a, b) = (counts[v], counts[v + 1]);
            pairs.clear();
            pairs.extend(nbrs[a..b].iter().copied().zip(wts[a..b].iter().copied()));
            pairs.sort_unstable_by_key(|p| p.0);
            let start = write;
            for &(u, x) in &pairs {
                if write > start && nbrs[write - 1] == u {
                    wts[write - 1] += x;
                    merged += 1;
                } else {
                    nbrs[write] = u;
                    wts[write] = x;
                    write += 1;
                }
            }
            out_off[v + 1] = write;
        }
        nbrs.truncate(write);
        wts.truncate(write);
        nbrs.shrink_to_fit();
        wts.shrink_to_fit();
        (
            Csr {
                offsets: out_off,
                nbrs,
                wts,
            },
            if both { merged / 2 } else { merged },
        )
    }

    /// Total weight of all adjacency entries (2m for an undirected graph).
    pub fn total_weight(&self) -> f64 {
        self.wts.iter().sum()
    }
}

/// Largest total edge weight analysed as given: 2³³² ≈ 8.7·10⁹⁹. Sums of
/// weights (strengths, 2m, merged duplicates) and the squares community
/// detection takes of them (W_c²) then stay far below f64's limit
/// (≈ 1.8·10³⁰⁸). Heavier inputs are scaled down by a power of two, which is
/// exact and leaves every ratio (E-I, assortativity, modularity,
/// participation, communities) unchanged.
pub const MAX_TOTAL_WEIGHT: f64 = 8.749_002_899_132_048e99;

/// `2^-shift` for `0 <= shift <= 1022`, exactly.
fn inverse_power_of_two(shift: i32) -> f64 {
    f64::from_bits(((1023 - shift.clamp(0, 1022)) as u64) << 52)
}

/// When the kept weights could add up to more than [`MAX_TOTAL_WEIGHT`],
/// divide them all by the smallest power of two that prevents it. Returns
/// the power used and how many weights became zero (they are no longer kept).
fn rescale_weights(w: &mut [f64], keep: &mut [bool]) -> Option<(i32, u64)> {
    let (mut max, mut kept) = (0.0f64, 0usize);
    for (x, &k) in w.iter().zip(keep.iter()) {
        if k {
            max = max.max(*x);
            kept += 1;
        }
    }
    // kept · max bounds every sum of weights (it may itself be infinite)
    if kept == 0 || max * kept as f64 <= MAX_TOTAL_WEIGHT {
        return None;
    }
    let shift = (max.log2() + (kept as f64).log2() - MAX_TOTAL_WEIGHT.log2()).ceil() as i32;
    let shift = shift.clamp(1, 1022);
    let f = inverse_power_of_two(shift);
    let mut zeroed = 0u64;
    for (x, k) in w.iter_mut().zip(keep.iter_mut()) {
        if *k {
            *x *= f;
            if *x <= 0.0 {
                *k = false;
                zeroed += 1;
            }
        }
    }
    Some((shift, zeroed))
}

/// Smallest largest-weight analysed as given: 2⁻³³² ≈ 1.1·10⁻¹⁰⁰. Below it
/// products of weights (W_c², the community gains) and ratios of sums round
/// towards zero (weights of 10⁻³⁰⁵ made the E-I index "n/a"), so such
/// inputs are scaled up by a power of two, exact as scaling down is.
pub const MIN_LARGEST_WEIGHT: f64 = 1.0 / 8.749_002_899_132_048e99;

/// When the largest kept weight is below [`MIN_LARGEST_WEIGHT`], multiply
/// every weight by the power of two that brings the largest to between ½
/// and 1. Returns the power used.
fn rescale_tiny_weights(w: &mut [f64], keep: &[bool]) -> Option<i32> {
    let max = w.iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| *x).fold(0.0f64, f64::max);
    if max <= 0.0 || max >= MIN_LARGEST_WEIGHT {
        return None;
    }
    // max = f · 2^e with ½ ≤ f < 1 (subnormals included): multiply by 2^-e
    let shift = (-max.log2().floor() - 1.0) as i32;
    let shift = shift.clamp(1, 1074);
    // 2^shift in two exact steps (2^1074 is not an f64)
    let (a, b) = (shift / 2, shift - shift / 2);
    let (fa, fb) = (power_of_two(a), power_of_two(b));
    for (x, &k) in w.iter_mut().zip(keep) {
        if k {
            *x = *x * fa * fb;
        }
    }
    Some(shift)
}

/// `2^shift` for `0 <= shift <= 1023`, exactly.
fn power_of_two(shift: i32) -> f64 {
    f64::from_bits(((1023 + shift.clamp(0, 1023)) as u64) << 52)
}

/// How to read the edges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphOptions {
    pub directed: bool,
    pub weighted: bool,
}

/// A cleaned graph.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub n: usize,
    pub directed: bool,
    pub weighted: bool,
    /// Out-adjacency (undirected: the symmetric adjacency).
    pub out: Csr,
    /// In-adjacency (directed graphs only).
    pub inc: Option<Csr>,
    /// Undirected projection (directed graphs only; weights of `u→v` and `v→u` summed).
    pub und_proj: Option<Csr>,
    /// Number of distinct edges (arcs when directed).
    pub m: usize,
    /// Total edge weight (each edge once).
    pub total_weight: f64,
}

impl Graph {
    /// Clean a network into a graph, returning diagnostics about what was changed.
    pub fn build(net: &Network, opts: GraphOptions) -> (Graph, Vec<Diagnostic>) {
        let n = net.node_count();
        let e = net.raw_edge_count();
        let mut diags = Vec::new();
        let mut keep = vec![true; e];
        let mut w: Vec<f64> = vec![1.0; e];
        let mut loops = 0u64;
        let mut bad_w = 0u64;
        for i in 0..e {
            if net.src[i] == net.dst[i] {
                keep[i] = false;
                loops += 1;
                continue;
            }
            if opts.weighted
                && let Some(ws) = &net.weight
            {
                let x = ws[i];
                if !(x.is_finite() && x > 0.0) {
                    keep[i] = false;
                    bad_w += 1;
                    continue;
                }
                w[i] = x;
            }
        }
        if opts.weighted
            && net.weight.is_some()
            && let Some((shift, zeroed)) = rescale_weights(&mut w, &mut keep)
        {
            let lost = if zeroed > 0 {
                format!(" {zeroed} edge(s) whose weight became zero beside the others were ignored.")
            } else {
                String::new()
            };
            diags.push(Diagnostic::new(
                "weights_rescaled",
                shift as u64,
                format!("The weights are too large to add up safely (more than {MAX_TOTAL_WEIGHT:.1e} in all), so every weight was divided by 2^{shift}. Ratios (E-I index, assortativity, modularity, participation) are unchanged; tie totals (mixing matrix, ties between groups) are in these smaller units.{lost}"),
            ));
        }
        if opts.weighted
            && net.weight.is_some()
            && let Some(shift) = rescale_tiny_weights(&mut w, &keep)
        {
            diags.push(Diagnostic::new(
                "weights_rescaled",
                shift as u64,
                format!("The weights are so small (all under {MIN_LARGEST_WEIGHT:.1e}) that products and ratios of them would round to zero, so every weight was multiplied by 2^{shift}. Ratios (E-I index, assortativity, modularity, participation) are unchanged; tie totals (mixing matrix, ties between groups) are in these larger units."),
            ));
        }
        if loops > 0 {
            diags.push(Diagnostic::new(
                "self_loops",
                loops,
                format!("{loops} self-loop(s) (a node tied to itself) were ignored."),
            ));
        }
        if bad_w > 0 {
            diags.push(Diagnostic::new(
                "bad_weights",
                bad_w,
                format!(
                    "{bad_w} edge(s) with a weight that is not a positive number were ignored."
                ),
            ));
        }
        if opts.weighted && net.weight.is_none() && e > 0 {
            diags.push(Diagnostic::new("no_weight_column", 0, "--weighted was asked for but the edges have no weight column; every edge counts 1."));
        }
        let g = if opts.directed {
            let (out, merged) = Csr::from_arcs(n, &net.src, &net.dst, &w, &keep, false);
            let (mut inc, _) = Csr::from_arcs(n, &net.dst, &net.src, &w, &keep, false);
            let (mut und, _) = Csr::from_arcs(n, &net.src, &net.dst, &w, &keep, true);
            let mut out = out;
            if !opts.weighted {
                out.wts.iter_mut().for_each(|x| *x = 1.0);
                inc.wts.iter_mut().for_each(|x| *x = 1.0);
                // undirected projection of an unweighted digraph: a reciprocated pair is one tie
                und.wts.iter_mut().for_each(|x| *x = 1.0);
            }
            if merged > 0 {
                diags.push(dup_diag(merged, opts.weighted));
            }
            let m = out.nbrs.len();
            let total_weight = out.total_weight();
            Graph {
                n,
                directed: true,
                weighted: opts.weighted,
                out,
                inc: Some(inc),
                und_proj: Some(und),
                m,
                total_weight,
            }
        } else {
            let (mut out, merged) = Csr::from_arcs(n, &net.src, &net.dst, &w, &keep, true);
            if !opts.weighted {
                out.wts.iter_mut().for_each(|x| *x = 1.0);
            }
            if merged > 0 {
                diags.push(dup_diag(merged, opts.weighted));
            }
            let m = out.nbrs.len() / 2;
            let total_weight = out.total_weight() / 2.0;
            Graph {
                n,
                directed: false,
                weighted: opts.weighted,
                out,
                inc: None,
                und_proj: None,
                m,
                total_weight,
            }
        };
        (g, diags)
    }

    /// The undirected view used by community detection, modularity and components.
    pub fn und(&self) -> &Csr {
        self.und_proj.as_ref().unwrap_or(&self.out)
    }

    /// Edges once each: `(u, v, w)`; for undirected graphs `u < v`.
    pub fn for_each_edge(&self, mut f: impl FnMut(usize, usize, f64)) {
        for u in 0..self.n {
            let (nb, ws) = (self.out.neighbours(u), self.out.weights(u));
            for (k, &v) in nb.iter().enumerate() {
                if self.directed || (u as u32) < v {
                    f(u, v as usize, ws[k]);
                }
            }
        }
    }

    /// Total degree (undirected: degree; directed: in + out).
    pub fn degree(&self, v: usize) -> usize {
        self.out.degree(v) + self.inc.as_ref().map_or(0, |c| c.degree(v))
    }

    /// Total strength (sum of tie weights).
    pub fn strength(&self, v: usize) -> f64 {
        self.out.strength(v) + self.inc.as_ref().map_or(0.0, |c| c.strength(v))
    }
}

fn dup_diag(merged: u64, weighted: bool) -> Diagnostic {
    let how = if weighted {
        "merged, their weights added"
    } else {
        "counted once"
    };
    Diagnostic::new(
        "duplicate_edges",
        merged,
        format!("{merged} duplicate edge(s) were {how}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning() {
        let mut net = Network::new();
        net.add_edge("a", "b", None, None);
        net.add_edge("b", "a", None, None);
        net.add_edge("a", "a", None, None);
        net.add_edge("b", "c", None, None);
        let (g, d) = Graph::build(&net, GraphOptions::default());
        assert_eq!(g.m, 2);
        assert_eq!(d.len(), 2);
        let (g, _) = Graph::build(
            &net,
            GraphOptions {
                directed: true,
                weighted: false,
            },
        );
        assert_eq!(g.m, 3);
        assert_eq!(g.und().nbrs.len(), 4);
    }
}
