//! Group measures (mixing matrix, E-I index, assortativity, isolated groups,
//! participation), modularity, partition comparison (NMI, ARI) and simple
//! structure (components, isolates, reciprocity).
//!
//! Undefined values (0/0, e.g. the E-I index of a graph with no labelled
//! ties) are returned as `None`, never NaN.

use crate::graph::{Csr, Graph};

/// Tie counts (or weights) between groups, kept sparse: only the non-zero
/// cells are stored, with each group's diagonal and off-diagonal row and
/// column sums, so every measure below costs `O(k + cells)` and nothing is
/// `k × k` when there are thousands of groups.
///
/// Undirected: `m[a][a]` is the number of ties inside `a`; for `a ≠ b`,
/// `m[a][b] = m[b][a]` is the number of ties between `a` and `b` (each tie
/// appears once in each of the two cells). Directed: `m[a][b]` counts arcs
/// from `a` to `b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixing {
    pub k: usize,
    pub directed: bool,
    /// Non-zero cells `(a, b, m[a][b])`, sorted by `(a, b)`.
    cells: Vec<(u32, u32, f64)>,
    /// `m[a][a]`.
    diag: Vec<f64>,
    /// `Σ_{b≠a} m[a][b]`: ties from `a` to other groups.
    row_out: Vec<f64>,
    /// `Σ_{b≠a} m[b][a]`: ties from other groups to `a` (undirected: equal to `row_out`).
    col_in: Vec<f64>,
    /// Weight of ties with at least one unlabelled end (left out of every group measure).
    pub unlabelled: f64,
}

/// Up to this many groups the matrix is counted in a dense `k × k` array (one
/// pass over the edges, no per-row work); above, row by row over the nodes of
/// each group, in `O(n + m + k)` memory and time.
const DENSE_MIXING_GROUPS: usize = 1024;

impl Mixing {
    pub fn compute(g: &Graph, groups: &[Option<u32>], k: usize) -> Mixing {
        if k <= DENSE_MIXING_GROUPS {
            Self::compute_dense(g, groups, k)
        } else {
            Self::compute_by_rows(g, groups, k)
        }
    }

    fn compute_dense(g: &Graph, groups: &[Option<u32>], k: usize) -> Mixing {
        let mut m = vec![0.0; k * k];
        let mut unlabelled = 0.0;
        g.for_each_edge(|u, v, w| {
            match (
                groups.get(u).copied().flatten(),
                groups.get(v).copied().flatten(),
            ) {
                (Some(a), Some(b)) => {
                    let (a, b) = (a as usize, b as usize);
                    m[a * k + b] += w;
                    if !g.directed && a != b {
                        m[b * k + a] += w;
                    }
                }
                _ => unlabelled += w,
            }
        });
        let mut cells = Vec::with_capacity(m.iter().filter(|&&x| x != 0.0).count());
        for (i, &x) in m.iter().enumerate() {
            if x != 0.0 {
                cells.push(((i / k) as u32, (i % k) as u32, x));
            }
        }
        drop(m);
        Self::from_cells(k, g.directed, cells, unlabelled)
    }

    /// Row by row: the nodes of each group in turn, their ties summed per
    /// group of the other end in a scratch row of `k` (undirected: a tie
    /// inside a group is met from both ends, so the diagonal is halved).
    fn compute_by_rows(g: &Graph, groups: &[Option<u32>], k: usize) -> Mixing {
        let n = g.n;
        let group = |v: usize| groups.get(v).copied().flatten();
        // nodes ordered by group (counting sort), the unlabelled last
        let mut start = vec![0usize; k + 2];
        for v in 0..n {
            start[group(v).map_or(k, |x| x as usize) + 1] += 1;
        }
        for i in 0..=k {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut order = vec![0u32; n];
        for v in 0..n {
            let b = group(v).map_or(k, |x| x as usize);
            order[fill[b]] = v as u32;
            fill[b] += 1;
        }
        let mut acc = vec![0.0; k];
        let mut marked = vec![false; k];
        let mut touched: Vec<u32> = Vec::new();
        let mut cells = Vec::new();
        let mut unlabelled = 0.0;
        for a in 0..=k {
            for &u in &order[start[a]..start[a + 1]] {
                let u = u as usize;
                for (&v, &w) in g.out.neighbours(u).iter().zip(g.out.weights(u)) {
                    match (a < k, group(v as usize)) {
                        (true, Some(b)) => {
                            if !marked[b as usize] {
                                marked[b as usize] = true;
                                touched.push(b);
                            }
                            acc[b as usize] += w;
                        }
                        _ => {
                            if g.directed || (u as u32) < v {
                                unlabelled += w;
                            }
                        }
                    }
                }
            }
            touched.sort_unstable();
            for &b in &touched {
                let b = b as usize;
                let x = if !g.directed && b == a { acc[b] / 2.0 } else { acc[b] };
                if x != 0.0 {
                    cells.push((a as u32, b as u32, x));
                }
                acc[b] = 0.0;
                marked[b] = false;
            }
            touched.clear();
        }
        Self::from_cells(k, g.directed, cells, unlabelled)
    }

    fn from_cells(k: usize, directed: bool, cells: Vec<(u32, u32, f64)>, unlabelled: f64) -> Mixing {
        let mut diag = vec![0.0; k];
        let mut row_out = vec![0.0; k];
        let mut col_in = vec![0.0; k];
        for &(a, b, x) in &cells {
            let (a, b) = (a as usize, b as usize);
            if a == b {
                diag[a] = x;
            } else {
                row_out[a] += x;
                col_in[b] += x;
            }
        }
        Mixing {
            k,
            directed,
            cells,
            diag,
            row_out,
            col_in,
            unlabelled,
        }
    }

    /// `m[a][b]` (`O(log cells)`).
    pub fn get(&self, a: usize, b: usize) -> f64 {
        self.cells
            .binary_search_by(|c| (c.0 as usize, c.1 as usize).cmp(&(a, b)))
            .map_or(0.0, |i| self.cells[i].2)
    }

    /// The non-zero cells `(a, b, m[a][b])`, row by row.
    pub fn cells(&self) -> &[(u32, u32, f64)] {
        &self.cells
    }

    /// The non-zero cells of row `a`.
    pub fn row(&self, a: usize) -> &[(u32, u32, f64)] {
        let lo = self.cells.partition_point(|c| (c.0 as usize) < a);
        let hi = self.cells.partition_point(|c| (c.0 as usize) <= a);
        &self.cells[lo..hi]
    }

    /// `Σ_b m[a][b]`: every tie of group `a` (directed: every arc from it).
    pub fn row_total(&self, a: usize) -> f64 {
        self.diag[a] + self.row_out[a]
    }

    /// Ties inside groups.
    pub fn internal(&self) -> f64 {
        self.diag.iter().sum()
    }

    /// Ties between different groups (each tie once).
    pub fn external(&self) -> f64 {
        self.cells
            .iter()
            .filter(|&&(a, b, _)| if self.directed { a != b } else { a < b })
            .map(|c| c.2)
            .sum()
    }

    /// Krackhardt & Stern E-I index: (external − internal) / (external + internal).
    pub fn ei_index(&self) -> Option<f64> {
        ratio(
            self.external() - self.internal(),
            self.external() + self.internal(),
        )
    }

    /// Ties inside group `a` and ties crossing its boundary (directed: out + in).
    pub fn group_ties(&self, a: usize) -> (f64, f64) {
        let external = if self.directed {
            self.row_out[a] + self.col_in[a]
        } else {
            self.row_out[a]
        };
        (self.diag[a], external)
    }

    /// E-I index of each group.
    pub fn ei_by_group(&self) -> Vec<Option<f64>> {
        (0..self.k)
            .map(|a| {
                let (i, e) = self.group_ties(a);
                ratio(e - i, e + i)
            })
            .collect()
    }

    /// Share of each group's ties that cross its boundary.
    pub fn external_share(&self) -> Vec<Option<f64>> {
        (0..self.k)
            .map(|a| {
                let (i, e) = self.group_ties(a);
                ratio(e, e + i)
            })
            .collect()
    }

    /// Groups whose share of external ties is below `threshold` (groups without ties are not listed).
    pub fn isolated_groups(&self, threshold: f64) -> Vec<usize> {
        self.external_share()
            .iter()
            .enumerate()
            .filter_map(|(a, s)| match s {
                Some(s) if *s < threshold => Some(a),
                _ => None,
            })
            .collect()
    }

    /// Newman's attribute assortativity coefficient
    /// r = (Σ e_ii − Σ a_i b_i) / (1 − Σ a_i b_i), with `e` the
    /// normalised mixing matrix (undirected: each tie counted in both
    /// directions, so the diagonal counts twice). Needs only the diagonal
    /// and the row and column sums.
    pub fn assortativity(&self) -> Option<f64> {
        let inside = if self.directed { 1.0 } else { 2.0 };
        let total: f64 = (0..self.k)
            .map(|a| inside * self.diag[a] + self.row_out[a])
            .sum();
        if total <= 0.0 {
            return None;
        }
        let mut tr = 0.0;
        let mut ab = 0.0;
        for a in 0..self.k {
            let d = inside * self.diag[a];
            tr += d / total;
            ab += ((d + self.row_out[a]) / total) * ((d + self.col_in[a]) / total);
        }
        ratio(tr - ab, 1.0 - ab)
    }
}

/// `num / den`, or `None` when the denominator is zero or the result is not
/// finite. Only an exact zero counts: a tiny denominator (ties weighing
/// 10⁻³⁰⁵) is a real one, and the ratio of two tiny numbers a real ratio.
pub fn ratio(num: f64, den: f64) -> Option<f64> {
    if den == 0.0 {
        return None;
    }
    let r = num / den;
    r.is_finite().then_some(r)
}

/// Newman–Girvan modularity of `membership` on an undirected CSR, with resolution γ:
/// Q = Σ_c [ L_c / m − γ (d_c / 2m)² ]. `None` for a graph without edges.
pub fn modularity(g: &Csr, membership: &[u32], resolution: f64) -> Option<f64> {
    let n = g.node_count();
    let k = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut internal = vec![0.0; k];
    let mut degree = vec![0.0; k];
    let mut two_m = 0.0;
    for v in 0..n {
        let c = membership[v] as usize;
        for (&u, &w) in g.neighbours(v).iter().zip(g.weights(v)) {
            two_m += w;
            degree[c] += w;
            if membership[u as usize] as usize == c {
                internal[c] += w;
            }
        }
    }
    if two_m <= 0.0 {
        return None;
    }
    let mut q = 0.0;
    for c in 0..k {
        q += internal[c] / two_m - resolution * (degree[c] / two_m).powi(2);
    }
    Some(q)
}

/// Membership vector for a labelling in which unlabelled nodes become singletons.
pub fn labels_to_membership(groups: &[Option<u32>], k: usize) -> Vec<u32> {
    let mut next = k as u32;
    groups
        .iter()
        .map(|g| match g {
            Some(x) => *x,
            None => {
                next += 1;
                next - 1
            }
        })
        .collect()
}

/// Contingency counts between two partitions over the same items.
struct Contingency {
    /// Items in each part of `a`, indexed by part id.
    rows: Vec<f64>,
    /// Items in each part of `b`.
    cols: Vec<f64>,
    /// Items in each non-empty (part of `a`, part of `b`) pair.
    joint: std::collections::BTreeMap<(u32, u32), f64>,
    /// Items in all.
    n: f64,
}

fn contingency(a: &[u32], b: &[u32]) -> Contingency {
    let ka = a.iter().map(|&x| x as usize + 1).max().unwrap_or(0);
    let kb = b.iter().map(|&x| x as usize + 1).max().unwrap_or(0);
    let mut ra = vec![0.0; ka];
    let mut rb = vec![0.0; kb];
    let mut joint = std::collections::BTreeMap::new();
    for (&x, &y) in a.iter().zip(b) {
        ra[x as usize] += 1.0;
        rb[y as usize] += 1.0;
        *joint.entry((x, y)).or_insert(0.0) += 1.0;
    }
    Contingency {
        rows: ra,
        cols: rb,
        joint,
        n: a.len() as f64,
    }
}

/// Normalised mutual information 2·I(A;B) / (H(A) + H(B)) (as igraph's `compare_communities(method="nmi")`).
/// 1.0 when both partitions are trivial and equal; `None` for no items.
pub fn nmi(a: &[u32], b: &[u32]) -> Option<f64> {
    if a.is_empty() || a.len() != b.len() {
        return None;
    }
    let Contingency {
        rows: ra,
        cols: rb,
        joint,
        n,
    } = contingency(a, b);
    let h = |v: &[f64]| -> f64 {
        v.iter()
            .filter(|&&x| x > 0.0)
            .map(|&x| -(x / n) * (x / n).ln())
            .sum()
    };
    let (ha, hb) = (h(&ra), h(&rb));
    if ha + hb <= 0.0 {
        return Some(1.0);
    }
    let mut i = 0.0;
    for (&(x, y), &c) in &joint {
        let p = c / n;
        i += p * (p / ((ra[x as usize] / n) * (rb[y as usize] / n))).ln();
    }
    Some((2.0 * i / (ha + hb)).clamp(0.0, 1.0))
}

/// Adjusted Rand index (Hubert & Arabie). 1.0 when both partitions are identical; `None` for fewer than two items.
pub fn ari(a: &[u32], b: &[u32]) -> Option<f64> {
    if a.len() < 2 || a.len() != b.len() {
        return None;
    }
    let Contingency {
        rows: ra,
        cols: rb,
        joint,
        n,
    } = contingency(a, b);
    let c2 = |x: f64| x * (x - 1.0) / 2.0;
    let index: f64 = joint.values().map(|&x| c2(x)).sum();
    let sa: f64 = ra.iter().map(|&x| c2(x)).sum();
    let sb: f64 = rb.iter().map(|&x| c2(x)).sum();
    let expected = sa * sb / c2(n);
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return Some(if (index - expected).abs() < 1e-12 {
            1.0
        } else {
            0.0
        });
    }
    Some((index - expected) / (max - expected))
}

/// Connected components of an undirected CSR (weak components for a
/// directed graph's projection). Returns the component of each node and the
/// component sizes, largest first (component 0 is the largest).
pub fn components(g: &Csr) -> (Vec<u32>, Vec<usize>) {
    let n = g.node_count();
    let mut comp = vec![u32::MAX; n];
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for s in 0..n {
        if comp[s] != u32::MAX {
            continue;
        }
        let id = sizes.len() as u32;
        comp[s] = id;
        stack.push(s as u32);
        let mut size = 0;
        while let Some(v) = stack.pop() {
            size += 1;
            for &u in g.neighbours(v as usize) {
                if comp[u as usize] == u32::MAX {
                    comp[u as usize] = id;
                    stack.push(u);
                }
            }
        }
        sizes.push(size);
    }
    // relabel largest first (stable by first appearance)
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let mut rank = vec![0u32; sizes.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r as u32;
    }
    let comp = comp.into_iter().map(|c| rank[c as usize]).collect();
    let sizes = order.iter().map(|&c| sizes[c]).collect();
    (comp, sizes)
}

/// Nodes without any tie.
pub fn isolates(g: &Graph) -> Vec<usize> {
    (0..g.n).filter(|&v| g.degree(v) == 0).collect()
}

/// Share of arcs whose reverse arc also exists (igraph's default reciprocity).
/// Undirected graphs: 1.0 when there are edges. `None` without edges.
pub fn reciprocity(g: &Graph) -> Option<f64> {
    if g.m == 0 {
        return None;
    }
    if !g.directed {
        return Some(1.0);
    }
    let mut rec = 0usize;
    for u in 0..g.n {
        for &v in g.out.neighbours(u) {
            if g.out.has_edge(v as usize, u as u32) {
                rec += 1;
            }
        }
    }
    Some(rec as f64 / g.m as f64)
}

/// Guimerà & Amaral participation coefficient P_i = 1 − Σ_s (k_is / k_i)²
/// over the groups of a node's neighbours (undirected view, weights used).
/// Neighbours without a label are left out; nodes without labelled neighbours get 0.
pub fn participation(g: &Csr, groups: &[Option<u32>], k: usize) -> Vec<f64> {
    let n = g.node_count();
    let mut acc = vec![0.0; k];
    let mut touched: Vec<usize> = Vec::new();
    let mut out = vec![0.0; n];
    for (v, out_v) in out.iter_mut().enumerate() {
        let mut total = 0.0;
        for (&u, &w) in g.neighbours(v).iter().zip(g.weights(v)) {
            if let Some(s) = groups[u as usize] {
                let s = s as usize;
                if acc[s] == 0.0 {
                    touched.push(s);
                }
                acc[s] += w;
                total += w;
            }
        }
        if total > 0.0 {
            let mut sum = 0.0;
            for &s in &touched {
                sum += (acc[s] / total).powi(2);
            }
            *out_v = (1.0 - sum).max(0.0);
        }
        for &s in &touched {
            acc[s] = 0.0;
        }
        touched.clear();
    }
    out
}

/// Ties (weights) of node `v` to each group (undirected view): sparse list `(group, weight)`.
pub fn ties_to_groups(g: &Csr, groups: &[Option<u32>], v: usize) -> Vec<(u32, f64)> {
    let mut out: Vec<(u32, f64)> = Vec::new();
    for (&u, &w) in g.neighbours(v).iter().zip(g.weights(v)) {
        if let Some(s) = groups[u as usize] {
            match out.iter_mut().find(|p| p.0 == s) {
                Some(p) => p.1 += w,
                None => out.push((s, w)),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphOptions;
    use crate::network::Network;
    use crate::rng::Rng;

    #[test]
    fn mixing_by_rows_equals_dense() {
        for directed in [false, true] {
            let mut rng = Rng::new(7);
            let mut net = Network::with_numbered_nodes(300);
            for _ in 0..3000 {
                let (u, v) = (rng.below(300) as u32, rng.below(300) as u32);
                net.add_edge_ids(u, v, Some((1 + rng.below(4)) as f64), None);
            }
            let k = 40;
            // every seventh node unlabelled
            let groups: Vec<Option<u32>> = (0..300u64)
                .map(|v| (v % 7 != 0).then(|| (v * 31 % k) as u32))
                .collect();
            let (g, _) = Graph::build(&net, GraphOptions { directed, weighted: true });
            let a = Mixing::compute_dense(&g, &groups, k as usize);
            let b = Mixing::compute_by_rows(&g, &groups, k as usize);
            assert_eq!(a, b, "directed {directed}");
            assert!(a.unlabelled > 0.0);
        }
    }

    #[test]
    fn nmi_ari_identical_and_permuted() {
        let a = [0, 0, 1, 1, 2, 2];
        let b = [2, 2, 0, 0, 1, 1];
        assert!((nmi(&a, &b).unwrap() - 1.0).abs() < 1e-12);
        assert!((ari(&a, &b).unwrap() - 1.0).abs() < 1e-12);
        let c = [0, 1, 0, 1, 0, 1];
        assert!(nmi(&a, &c).unwrap() < 0.5);
        assert!(ari(&a, &c).unwrap() < 0.1);
    }
}
