//! Community detection: Leiden (Traag, Waltman & van Eck 2019: fast local
//! moving, refinement, aggregation on the refined partition) and Louvain
//! (Blondel et al. 2008), both seeded and deterministic.
//!
//! Both optimise a quality of the form H = Σ_c [ e_c − γ' · W_c² / 2 ]
//! (moving node v into community C gains k_{v,C} − γ' · w_v · W_C):
//! - modularity: w_v = strength of v, γ' = γ / 2m;
//! - CPM (constant Potts model): w_v = number of original nodes in v, γ' = γ.
//!
//! Gains are in edge-weight units, as in igraph's implementation, and the
//! refinement's randomness θ defaults to 0.01.

use crate::graph::Csr;
use crate::measures::modularity;
use crate::rng::Rng;
use std::collections::VecDeque;

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Objective {
    /// Newman–Girvan modularity with resolution γ (1.0 is standard).
    Modularity { resolution: f64 },
    /// Constant Potts model with resolution γ (a density threshold).
    Cpm { resolution: f64 },
}

/// Which algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Leiden,
    Louvain,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Leiden => "leiden",
            Algorithm::Louvain => "louvain",
        }
    }
}

/// Options for [`detect`].
#[derive(Debug, Clone, Copy)]
pub struct CommunityOptions {
    pub algorithm: Algorithm,
    pub objective: Objective,
    pub seed: u64,
    /// Number of full iterations; a negative number repeats until the partition no longer changes.
    pub iterations: i32,
    /// Randomness θ of the Leiden refinement.
    pub theta: f64,
}

impl Default for CommunityOptions {
    fn default() -> Self {
        CommunityOptions {
            algorithm: Algorithm::Leiden,
            objective: Objective::Modularity { resolution: 1.0 },
            seed: 42,
            iterations: -1,
            theta: 0.01,
        }
    }
}

/// A partition found by [`detect`].
#[derive(Debug, Clone, PartialEq)]
pub struct Communities {
    /// Community of each node; ids are `0..count`, largest community first.
    pub membership: Vec<u32>,
    pub count: usize,
    /// Standard modularity (resolution 1, whatever the objective's) on the
    /// input graph; `None` without edges.
    pub modularity: Option<f64>,
    /// The optimised objective's own value: modularity at the requested
    /// resolution γ, or the CPM quality Σ_c [ e_c − γ n_c (n_c − 1) / 2 ].
    pub quality: f64,
    /// Full iterations run.
    pub iterations: usize,
}

/// One level of the (aggregated) graph.
struct Level {
    adj: Csr,
    /// Node weight (strength for modularity, size for CPM).
    node_w: Vec<f64>,
}

/// Largest resolution γ the command accepts (`--resolution`): above it
/// modularity leaves every person alone, and CPM asks for denser ties than
/// any weights of interaction data have; γ = 1e308 printed a 300-digit quality.
pub const MAX_RESOLUTION: f64 = 1000.0;

impl Objective {
    /// The resolution γ.
    pub fn resolution(self) -> f64 {
        match self {
            Objective::Modularity { resolution } | Objective::Cpm { resolution } => resolution,
        }
    }

    /// `"modularity"` or `"cpm"`, as the JSON names it.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Modularity { .. } => "modularity",
            Objective::Cpm { .. } => "cpm",
        }
    }
}

/// Detect communities in an undirected graph.
pub fn detect(g: &Csr, opts: &CommunityOptions) -> Communities {
    detect_with_progress(g, opts, &mut |_| {})
}

/// As [`detect`], calling `round` with the number of each full iteration
/// as it starts (a run "until stable" on a large graph without community
/// structure can take hundreds).
pub fn detect_with_progress(g: &Csr, opts: &CommunityOptions, round: &mut dyn FnMut(usize)) -> Communities {
    let n = g.node_count();
    let (node_w, gamma) = match opts.objective {
        Objective::Modularity { resolution } => {
            let w: Vec<f64> = (0..n).map(|v| g.strength(v)).collect();
            let two_m: f64 = w.iter().sum();
            let gamma = if two_m > 0.0 { resolution / two_m } else { 0.0 };
            (w, gamma)
        }
        Objective::Cpm { resolution } => (vec![1.0; n], resolution),
    };
    let mut rng = Rng::new(opts.seed);
    let mut membership: Vec<u32> = (0..n as u32).collect();
    let mut iterations = 0usize;
    loop {
        round(iterations + 1);
        let (next, changed) = match opts.algorithm {
            Algorithm::Leiden => leiden_once(g, &node_w, gamma, &membership, opts.theta, &mut rng),
            Algorithm::Louvain => louvain_once(g, &node_w, gamma, &membership, &mut rng),
        };
        membership = next;
        iterations += 1;
        if !changed || (opts.iterations >= 0 && iterations >= opts.iterations as usize) || n == 0 {
            break;
        }
    }
    let count = renumber_by_size(&mut membership);
    let q = modularity(g, &membership, 1.0);
    let quality = match opts.objective {
        Objective::Modularity { resolution } => modularity(g, &membership, resolution).unwrap_or(0.0),
        Objective::Cpm { resolution } => cpm_quality(g, &membership, resolution),
    };
    Communities {
        membership,
        count,
        modularity: q,
        quality,
        iterations,
    }
}

/// CPM quality Σ_c [ e_c − γ · n_c (n_c − 1) / 2 ].
pub fn cpm_quality(g: &Csr, membership: &[u32], resolution: f64) -> f64 {
    let k = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut e = vec![0.0; k];
    let mut size = vec![0.0; k];
    for v in 0..g.node_count() {
        let c = membership[v] as usize;
        size[c] += 1.0;
        for (&u, &w) in g.neighbours(v).iter().zip(g.weights(v)) {
            if membership[u as usize] as usize == c {
                e[c] += w / 2.0;
            }
        }
    }
    (0..k)
        .map(|c| e[c] - resolution * size[c] * (size[c] - 1.0) / 2.0)
        .sum()
}

/// Renumber communities `0..k`, largest first (ties: smallest first member). Returns k.
pub fn renumber_by_size(membership: &mut [u32]) -> usize {
    let k = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut size = vec![0usize; k];
    let mut first = vec![usize::MAX; k];
    for (v, &c) in membership.iter().enumerate() {
        size[c as usize] += 1;
        if first[c as usize] == usize::MAX {
            first[c as usize] = v;
        }
    }
    let mut order: Vec<usize> = (0..k).filter(|&c| size[c] > 0).collect();
    order.sort_by(|&a, &b| size[b].cmp(&size[a]).then(first[a].cmp(&first[b])));
    let mut rank = vec![0u32; k];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r as u32;
    }
    for c in membership.iter_mut() {
        *c = rank[*c as usize];
    }
    order.len()
}

/// Renumber to `0..k` in order of first appearance. Returns k.
fn compact(membership: &mut [u32], scratch: &mut Vec<u32>) -> usize {
    let k = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    scratch.clear();
    scratch.resize(k, u32::MAX);
    let mut next = 0u32;
    for c in membership.iter_mut() {
        let s = &mut scratch[*c as usize];
        if *s == u32::MAX {
            *s = next;
            next += 1;
        }
        *c = *s;
    }
    next as usize
}

/// Scratch space for accumulating weights towards neighbouring communities.
struct Accum {
    w: Vec<f64>,
    seen: Vec<bool>,
    touched: Vec<u32>,
}

impl Accum {
    fn new(n: usize) -> Self {
        Accum {
            w: vec![0.0; n],
            seen: vec![false; n],
            touched: Vec::new(),
        }
    }
    #[inline]
    fn add(&mut self, c: u32, x: f64) {
        let i = c as usize;
        if !self.seen[i] {
            self.seen[i] = true;
            self.touched.push(c);
        }
        self.w[i] += x;
    }
    #[inline]
    fn clear(&mut self) {
        for &c in &self.touched {
            self.w[c as usize] = 0.0;
            self.seen[c as usize] = false;
        }
        self.touched.clear();
    }
}

/// Community bookkeeping for local moving.
struct State {
    membership: Vec<u32>,
    comm_w: Vec<f64>,
    comm_n: Vec<u32>,
    empty: Vec<u32>,
}

impl State {
    fn new(level: &Level, membership: Vec<u32>) -> State {
        let n = level.adj.node_count();
        let mut comm_w = vec![0.0; n.max(1)];
        let mut comm_n = vec![0u32; n.max(1)];
        for v in 0..n {
            comm_w[membership[v] as usize] += level.node_w[v];
            comm_n[membership[v] as usize] += 1;
        }
        let empty = (0..n as u32)
            .rev()
            .filter(|&c| comm_n[c as usize] == 0)
            .collect();
        State {
            membership,
            comm_w,
            comm_n,
            empty,
        }
    }

    /// Move `v` to its best community; returns whether it moved.
    #[inline]
    fn move_node(&mut self, level: &Level, gamma: f64, v: usize, acc: &mut Accum) -> bool {
        let cur = self.membership[v];
        let wv = level.node_w[v];
        acc.add(cur, 0.0);
        for (&u, &w) in level.adj.neighbours(v).iter().zip(level.adj.weights(v)) {
            acc.add(self.membership[u as usize], w);
        }
        self.comm_w[cur as usize] -= wv;
        self.comm_n[cur as usize] -= 1;
        let mut best = cur;
        let mut best_gain = acc.w[cur as usize] - gamma * wv * self.comm_w[cur as usize];
        for &c in &acc.touched {
            let gain = acc.w[c as usize] - gamma * wv * self.comm_w[c as usize];
            if gain > best_gain {
                best_gain = gain;
                best = c;
            }
        }
        acc.clear();
        if best_gain < 0.0 {
            // an empty community (gain 0) is better
            best = if self.comm_n[cur as usize] == 0 {
                cur
            } else {
                self.empty.pop().unwrap_or(cur)
            };
        }
        self.comm_w[best as usize] += wv;
        self.comm_n[best as usize] += 1;
        if best != cur {
            if self.comm_n[cur as usize] == 0 {
                self.empty.push(cur);
            }
            self.membership[v] = best;
            true
        } else {
            false
        }
    }
}

/// Leiden's fast local moving: a queue of nodes; when a node moves, its
/// neighbours outside its new community are queued again.
fn fast_move(level: &Level, gamma: f64, st: &mut State, rng: &mut Rng) -> bool {
    let n = level.adj.node_count();
    let mut order: Vec<u32> = (0..n as u32).collect();
    rng.shuffle(&mut order);
    let mut queue: VecDeque<u32> = order.into();
    let mut in_queue = vec![true; n];
    let mut acc = Accum::new(n);
    let mut changed = false;
    while let Some(v) = queue.pop_front() {
        let v = v as usize;
        in_queue[v] = false;
        if st.move_node(level, gamma, v, &mut acc) {
            changed = true;
            let c = st.membership[v];
            for &u in level.adj.neighbours(v) {
                let u = u as usize;
                if !in_queue[u] && st.membership[u] != c {
                    in_queue[u] = true;
                    queue.push_back(u as u32);
                }
            }
        }
    }
    changed
}

/// Louvain's local moving: sweeps over all nodes (random order) until a sweep moves nothing.
fn sweep_move(level: &Level, gamma: f64, st: &mut State, rng: &mut Rng) -> bool {
    let n = level.adj.node_count();
    let mut order: Vec<u32> = (0..n as u32).collect();
    rng.shuffle(&mut order);
    let mut acc = Accum::new(n);
    let mut changed = false;
    for _ in 0..1000 {
        let mut moved = 0usize;
        for &v in &order {
            if st.move_node(level, gamma, v as usize, &mut acc) {
                moved += 1;
            }
        }
        if moved == 0 {
            break;
        }
        changed = true;
    }
    changed
}

/// Leiden refinement: within each community of `part`, start from singletons
/// and merge well-connected singleton nodes into well-connected clusters,
/// choosing randomly among non-negative gains with probability ∝ exp(gain/θ).
fn refine(level: &Level, gamma: f64, part: &[u32], theta: f64, rng: &mut Rng) -> Vec<u32> {
    let n = level.adj.node_count();
    let adj = &level.adj;
    let mut refined: Vec<u32> = (0..n as u32).collect();
    let mut r_w = level.node_w.clone();
    let mut r_n = vec![1u32; n];
    // total weight of each community of `part`
    let mut part_w = vec![0.0; n];
    for v in 0..n {
        part_w[part[v] as usize] += level.node_w[v];
    }
    // weight of ties from v to the rest of its community; for clusters: ties to the rest of the community
    let mut ext_in = vec![0.0; n];
    for v in 0..n {
        let mut s = 0.0;
        for (&u, &w) in adj.neighbours(v).iter().zip(adj.weights(v)) {
            if part[u as usize] == part[v] {
                s += w;
            }
        }
        ext_in[v] = s;
    }
    let mut cluster_ext = ext_in.clone();
    let mut order: Vec<u32> = (0..n as u32).collect();
    rng.shuffle(&mut order);
    let mut acc = Accum::new(n);
    let mut cand: Vec<(u32, f64)> = Vec::new();
    for &v in &order {
        let v = v as usize;
        if r_n[refined[v] as usize] != 1 {
            continue;
        }
        let s = part[v] as usize;
        let wv = level.node_w[v];
        if ext_in[v] < gamma * wv * (part_w[s] - wv) {
            continue;
        }
        for (&u, &w) in adj.neighbours(v).iter().zip(adj.weights(v)) {
            if part[u as usize] as usize == s {
                acc.add(refined[u as usize], w);
            }
        }
        let own = refined[v];
        // take v out of its singleton
        r_w[own as usize] -= wv;
        r_n[own as usize] -= 1;
        cand.clear();
        cand.push((own, 0.0));
        let mut max_gain = 0.0f64;
        for &c in &acc.touched {
            let ci = c as usize;
            if c == own {
                continue;
            }
            if cluster_ext[ci] < gamma * r_w[ci] * (part_w[s] - r_w[ci]) {
                continue;
            }
            let gain = acc.w[ci] - gamma * wv * r_w[ci];
            if gain >= 0.0 {
                cand.push((c, gain));
                max_gain = max_gain.max(gain);
            }
        }
        let chosen = if cand.len() == 1 {
            own
        } else {
            let total: f64 = cand
                .iter()
                .map(|&(_, g)| ((g - max_gain) / theta).exp())
                .sum();
            let mut r = rng.unit() * total;
            let mut pick = cand[cand.len() - 1].0;
            for &(c, g) in &cand {
                r -= ((g - max_gain) / theta).exp();
                if r <= 0.0 {
                    pick = c;
                    break;
                }
            }
            pick
        };
        let ci = chosen as usize;
        if chosen != own {
            cluster_ext[ci] += ext_in[v] - 2.0 * acc.w[ci];
            refined[v] = chosen;
        }
        r_w[ci] += wv;
        r_n[ci] += 1;
        acc.clear();
    }
    refined
}

/// Aggregate `level` by `clusters` (ids `0..k`).
fn aggregate(level: &Level, clusters: &[u32], k: usize) -> Level {
    let n = level.adj.node_count();
    let mut node_w = vec![0.0; k];
    let mut start = vec![0usize; k + 1];
    for v in 0..n {
        node_w[clusters[v] as usize] += level.node_w[v];
        start[clusters[v] as usize + 1] += 1;
    }
    for c in 0..k {
        start[c + 1] += start[c];
    }
    let mut members = vec![0u32; n];
    let mut fill = start.clone();
    for (v, &c) in clusters[..n].iter().enumerate() {
        let c = c as usize;
        members[fill[c]] = v as u32;
        fill[c] += 1;
    }
    let mut acc = Accum::new(k);
    let mut offsets = Vec::with_capacity(k + 1);
    offsets.push(0);
    let mut nbrs = Vec::new();
    let mut wts = Vec::new();
    for c in 0..k {
        for &v in &members[start[c]..start[c + 1]] {
            let v = v as usize;
            for (&u, &w) in level.adj.neighbours(v).iter().zip(level.adj.weights(v)) {
                let d = clusters[u as usize];
                if d as usize != c {
                    acc.add(d, w);
                }
            }
        }
        acc.touched.sort_unstable();
        for &d in &acc.touched {
            nbrs.push(d);
            wts.push(acc.w[d as usize]);
        }
        acc.clear();
        offsets.push(nbrs.len());
    }
    Level {
        adj: Csr { offsets, nbrs, wts },
        node_w,
    }
}

/// One full Leiden run starting from `initial` (on the original graph).
fn leiden_once(
    g: &Csr,
    node_w: &[f64],
    gamma: f64,
    initial: &[u32],
    theta: f64,
    rng: &mut Rng,
) -> (Vec<u32>, bool) {
    let n = g.node_count();
    let mut scratch = Vec::new();
    let mut level = Level {
        adj: g.clone(),
        node_w: node_w.to_vec(),
    };
    let mut part = initial.to_vec();
    compact(&mut part, &mut scratch);
    // node of the current level that each original node belongs to
    let mut orig_to_level: Vec<u32> = (0..n as u32).collect();
    let mut changed_any = false;
    loop {
        let mut st = State::new(&level, part);
        let changed = fast_move(&level, gamma, &mut st, rng);
        changed_any |= changed;
        part = st.membership;
        let k = compact(&mut part, &mut scratch);
        if k == level.adj.node_count() {
            break;
        }
        let mut refined = refine(&level, gamma, &part, theta, rng);
        let kr = compact(&mut refined, &mut scratch);
        // initial partition of the aggregate: the community (in `part`) of each refined cluster
        let mut next_part = vec![0u32; kr];
        for v in 0..level.adj.node_count() {
            next_part[refined[v] as usize] = part[v];
        }
        let next = if kr == level.adj.node_count() {
            // refinement merged nothing: aggregate on the unrefined partition (as Louvain would) to make progress
            let nodes = level.adj.node_count();
            refined[..nodes].copy_from_slice(&part[..nodes]);
            next_part = (0..k as u32).collect();
            aggregate(&level, &refined, k)
        } else {
            aggregate(&level, &refined, kr)
        };
        for x in orig_to_level.iter_mut() {
            *x = refined[*x as usize];
        }
        level = next;
        part = next_part;
    }
    let membership: Vec<u32> = orig_to_level.iter().map(|&x| part[x as usize]).collect();
    let changed = changed_any && !same_partition(&membership, initial);
    (membership, changed)
}

/// One full Louvain run starting from `initial`.
fn louvain_once(
    g: &Csr,
    node_w: &[f64],
    gamma: f64,
    initial: &[u32],
    rng: &mut Rng,
) -> (Vec<u32>, bool) {
    let n = g.node_count();
    let mut scratch = Vec::new();
    let mut level = Level {
        adj: g.clone(),
        node_w: node_w.to_vec(),
    };
    let mut part = initial.to_vec();
    compact(&mut part, &mut scratch);
    let mut orig_to_level: Vec<u32> = (0..n as u32).collect();
    loop {
        let mut st = State::new(&level, part);
        let changed = sweep_move(&level, gamma, &mut st, rng);
        part = st.membership;
        let k = compact(&mut part, &mut scratch);
        if !changed || k == level.adj.node_count() {
            break;
        }
        let next = aggregate(&level, &part, k);
        for x in orig_to_level.iter_mut() {
            *x = part[*x as usize];
        }
        level = next;
        part = (0..k as u32).collect();
    }
    let membership: Vec<u32> = orig_to_level.iter().map(|&x| part[x as usize]).collect();
    let changed = !same_partition(&membership, initial);
    (membership, changed)
}

/// Whether two membership vectors describe the same partition (up to relabelling).
pub fn same_partition(a: &[u32], b: &[u32]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let k = a
        .iter()
        .chain(b)
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut ab = vec![u32::MAX; k];
    let mut ba = vec![u32::MAX; k];
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as usize, y as usize);
        if ab[x] == u32::MAX && ba[y] == u32::MAX {
            ab[x] = y as u32;
            ba[y] = x as u32;
        } else if ab[x] != y as u32 || ba[y] != x as u32 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Graph, GraphOptions};
    use crate::network::Network;

    fn two_cliques() -> Graph {
        let mut net = Network::new();
        for base in [0, 5] {
            for i in 0..5 {
                for j in (i + 1)..5 {
                    net.add_edge(&(base + i).to_string(), &(base + j).to_string(), None, None);
                }
            }
        }
        net.add_edge("0", "5", None, None);
        Graph::build(&net, GraphOptions::default()).0
    }

    #[test]
    fn finds_two_cliques() {
        let g = two_cliques();
        for algorithm in [Algorithm::Leiden, Algorithm::Louvain] {
            let c = detect(
                g.und(),
                &CommunityOptions {
                    algorithm,
                    ..Default::default()
                },
            );
            assert_eq!(c.count, 2, "{algorithm:?}");
            assert!(c.modularity.unwrap() > 0.4);
        }
        let c = detect(
            g.und(),
            &CommunityOptions {
                objective: Objective::Cpm { resolution: 0.5 },
                ..Default::default()
            },
        );
        assert_eq!(c.count, 2);
    }

    #[test]
    fn empty_graph() {
        let g = Csr {
            offsets: vec![0],
            nbrs: vec![],
            wts: vec![],
        };
        let c = detect(&g, &CommunityOptions::default());
        assert_eq!(c.count, 0);
        assert_eq!(c.modularity, None);
    }
}
