//! k-means on 2-D points with Pol.is's warm start (`clean-start-clusters`),
//! and the silhouette used to choose the number of groups.

use std::collections::HashSet;

pub(crate) type P2 = [f64; 2];

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cluster {
    /// Lineage id: stays with the cluster across updates.
    pub id: u32,
    pub center: P2,
    /// Indices into the point list, ascending.
    pub members: Vec<u32>,
}

#[inline]
pub(crate) fn dist2(a: &P2, b: &P2) -> f64 {
    let dx = a[0] - b[0];
    let dy = a[1] - b[1];
    dx * dx + dy * dy
}

fn weight(w: Option<&[f64]>, i: usize) -> f64 {
    w.map_or(1.0, |w| w[i])
}

fn mean_of(points: &[P2], w: Option<&[f64]>, members: &[u32]) -> Option<P2> {
    let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
    for &m in members {
        let wi = weight(w, m as usize);
        sx += wi * points[m as usize][0];
        sy += wi * points[m as usize][1];
        sw += wi;
    }
    if sw > 0.0 {
        Some([sx / sw, sy / sw])
    } else if let Some(&m) = members.first() {
        Some(points[m as usize])
    } else {
        None
    }
}

fn key(p: &P2) -> (u64, u64) {
    // +0.0 and −0.0 are the same point.
    ((p[0] + 0.0).to_bits(), (p[1] + 0.0).to_bits())
}

pub(crate) fn count_distinct(points: &[P2]) -> usize {
    points.iter().map(key).collect::<HashSet<_>>().len()
}

/// min(cap, number of distinct points), stopping as soon as `cap` are seen.
fn count_distinct_upto(points: &[P2], cap: usize) -> usize {
    let mut seen = HashSet::new();
    for p in points {
        if seen.len() >= cap {
            break;
        }
        seen.insert(key(p));
    }
    seen.len().min(cap)
}

/// Nearest-centre lookup: centres sorted by x, search outwards from the
/// point's x and stop once |dx| alone exceeds the best distance. Ties go to
/// the smaller cluster id.
pub(crate) struct Nearest {
    /// (x, y, slot) sorted by x.
    sorted: Vec<(f64, f64, usize, u32)>,
}

impl Nearest {
    pub fn new(clusters: &[Cluster]) -> Self {
        let mut sorted: Vec<_> = clusters.iter().enumerate().map(|(i, c)| (c.center[0], c.center[1], i, c.id)).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.3.cmp(&b.3)));
        Self { sorted }
    }

    /// (slot, squared distance).
    pub fn find(&self, p: &P2) -> (usize, f64) {
        let s = &self.sorted;
        if s.is_empty() {
            return (usize::MAX, f64::INFINITY);
        }
        let mut best = (usize::MAX, f64::INFINITY, u32::MAX);
        sweep(s, p[0], &mut best, |best| best.1, |best, c| {
            let d = (c.0 - p[0]).powi(2) + (c.1 - p[1]).powi(2);
            if d < best.1 || (d == best.1 && c.3 < best.2) {
                *best = (c.2, d, c.3);
            }
        });
        (best.0, best.1)
    }
}

/// Cold start: the first `k` distinct points in order, ids 0..k−1.
pub(crate) fn cold_start(points: &[P2], k: usize) -> Vec<Cluster> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, p) in points.iter().enumerate() {
        if out.len() >= k {
            break;
        }
        if seen.insert(key(p)) {
            out.push(Cluster { id: out.len() as u32, center: *p, members: vec![i as u32] });
        }
    }
    out
}

/// k-means++ seeding (Arthur & Vassilvitskii 2007), weighted: the first centre
/// drawn by weight, each next one with probability ∝ weight × squared distance
/// to the nearest centre so far. Distinct points only; ids 0..k−1.
pub(crate) fn plus_plus_start(points: &[P2], w: Option<&[f64]>, k: usize, rng: &mut crate::prng::SplitMix64) -> Vec<Cluster> {
    let n = points.len();
    let mut out: Vec<Cluster> = Vec::new();
    if n == 0 || k == 0 {
        return out;
    }
    let mut d2: Vec<f64> = vec![f64::INFINITY; n];
    while out.len() < k {
        let score: Vec<f64> = (0..n).map(|i| weight(w, i).max(0.0) * if out.is_empty() { 1.0 } else { d2[i] }).collect();
        let total: f64 = score.iter().sum();
        if total.is_nan() || total <= 0.0 || !total.is_finite() {
            break;
        }
        let mut r = rng.next_f64() * total;
        let mut pick = n - 1;
        for (i, &x) in score.iter().enumerate() {
            if r < x {
                pick = i;
                break;
            }
            r -= x;
        }
        if score[pick] <= 0.0 {
            break;
        }
        let c = points[pick];
        out.push(Cluster { id: out.len() as u32, center: c, members: vec![pick as u32] });
        for (i, p) in points.iter().enumerate() {
            d2[i] = d2[i].min(dist2(p, &c));
        }
    }
    out
}

/// Weighted within-cluster sum of squares.
pub(crate) fn inertia(points: &[P2], w: Option<&[f64]>, clusters: &[Cluster]) -> f64 {
    clusters.iter().flat_map(|c| c.members.iter().map(move |&m| weight(w, m as usize) * dist2(&points[m as usize], &c.center))).sum()
}

/// Pol.is `clean-start-clusters`: keep previous clusters' surviving members
/// (centres recomputed from current positions), merge identical centres, then
/// split off the most distal points until there are min(k, #distinct) clusters.
/// `prev` holds (id, members as point indices; indices ≥ points.len() are gone).
pub(crate) fn clean_start(
    points: &[P2],
    w: Option<&[f64]>,
    prev: &[(u32, Vec<u32>)],
    k: usize,
) -> Vec<Cluster> {
    let n = points.len();
    let mut clusters: Vec<Cluster> = Vec::new();
    let mut owner = vec![usize::MAX; n];
    for (id, members) in prev {
        let mut ms: Vec<u32> = members.iter().copied().filter(|&m| (m as usize) < n && owner[m as usize] == usize::MAX).collect();
        ms.sort_unstable();
        ms.dedup();
        if let Some(center) = mean_of(points, w, &ms) {
            for &m in &ms {
                owner[m as usize] = clusters.len();
            }
            clusters.push(Cluster { id: *id, center, members: ms });
        }
    }
    if clusters.is_empty() {
        if n == 0 {
            return clusters;
        }
        let all: Vec<u32> = (0..n as u32).collect();
        let center = mean_of(points, w, &all).unwrap_or([0.0, 0.0]);
        clusters.push(Cluster { id: 0, center, members: all });
    }
    // Merge clusters with identical centres; the larger keeps its id.
    clusters.sort_by(|a, b| b.members.len().cmp(&a.members.len()).then(a.id.cmp(&b.id)));
    let mut merged: Vec<Cluster> = Vec::new();
    for c in clusters {
        if let Some(t) = merged.iter_mut().find(|t| key(&t.center) == key(&c.center)) {
            t.members.extend(c.members);
            t.members.sort_unstable();
            t.center = mean_of(points, w, &t.members).unwrap_or(t.center);
        } else {
            merged.push(c);
        }
    }
    let mut clusters = merged;
    clusters.sort_by_key(|c| c.id);
    let possible = count_distinct_upto(points, k);
    if clusters.len() >= possible {
        return clusters;
    }
    // Most-distal splitting. Keep each point's nearest centre and distance;
    // after a change only the affected points are re-examined.
    let mut owner = vec![usize::MAX; n];
    for (ci, c) in clusters.iter().enumerate() {
        for &m in &c.members {
            owner[m as usize] = ci;
        }
    }
    let nearest = Nearest::new(&clusters);
    let mut near: Vec<(usize, f64)> = points.iter().map(|p| nearest.find(p)).collect();
    // New ids count up from the largest; should that reach u32::MAX (never
    // handed out: a saved state reserves it), the smallest unused id is
    // taken instead.
    let bump = |x: u32| x.checked_add(1).filter(|&y| y < u32::MAX);
    let mut next_id = clusters.iter().map(|c| c.id).max().map_or(Some(0), bump);
    while clusters.len() < possible {
        let mut far = (usize::MAX, 0.0f64);
        for (i, &(_, d)) in near.iter().enumerate() {
            if d > far.1 {
                far = (i, d);
            }
        }
        if far.0 == usize::MAX {
            break;
        }
        let pt = far.0;
        let mut changed = usize::MAX;
        if owner[pt] != usize::MAX {
            let ci = owner[pt];
            clusters[ci].members.retain(|&m| m as usize != pt);
            changed = ci;
            if let Some(c) = mean_of(points, w, &clusters[ci].members) {
                clusters[ci].center = c;
            }
        }
        let new_slot = clusters.len();
        let id = next_id.unwrap_or_else(|| smallest_unused_id(&clusters));
        next_id = next_id.and_then(bump);
        clusters.push(Cluster { id, center: points[pt], members: vec![pt as u32] });
        owner[pt] = new_slot;
        let empty_changed = changed != usize::MAX && clusters[changed].members.is_empty();
        if empty_changed {
            // Cannot happen for a positive distance (a singleton's point is its
            // own centre), but never loop on it.
            break;
        }
        let nearest = Nearest::new(&clusters);
        for (i, p) in points.iter().enumerate() {
            if changed != usize::MAX && near[i].0 == changed {
                // That centre moved: look again.
                near[i] = nearest.find(p);
            } else {
                let d_new = dist2(p, &points[pt]);
                if d_new < near[i].1 {
                    near[i] = (new_slot, d_new);
                }
            }
        }
    }
    clusters.retain(|c| !c.members.is_empty());
    clusters.sort_by_key(|c| c.id);
    clusters
}

fn smallest_unused_id(clusters: &[Cluster]) -> u32 {
    let mut used: Vec<u32> = clusters.iter().map(|c| c.id).collect();
    used.sort_unstable();
    let mut id = 0;
    for u in used {
        if u == id {
            id += 1;
        } else if u > id {
            break;
        }
    }
    id
}

/// Visits centres sorted by x outwards from `x`, alternating right and left,
/// and stops on each side once |dx|² alone exceeds `bound(state)`: nothing
/// further that way can be closer.
#[inline]
fn sweep<S>(
    sorted: &[(f64, f64, usize, u32)],
    x: f64,
    state: &mut S,
    bound: impl Fn(&S) -> f64,
    mut visit: impl FnMut(&mut S, &(f64, f64, usize, u32)),
) {
    let start = sorted.partition_point(|c| c.0 < x);
    let (mut lo, mut hi) = (start, start);
    loop {
        let mut progressed = false;
        if hi < sorted.len() {
            let dx = sorted[hi].0 - x;
            if dx * dx <= bound(state) {
                visit(state, &sorted[hi]);
                hi += 1;
                progressed = true;
            } else {
                hi = sorted.len();
            }
        }
        if lo > 0 {
            let dx = x - sorted[lo - 1].0;
            if dx * dx <= bound(state) {
                visit(state, &sorted[lo - 1]);
                lo -= 1;
                progressed = true;
            } else {
                lo = 0;
            }
        }
        if !progressed {
            break;
        }
    }
}

/// Best and second-best squared distance from `p` to the centres sorted by x
/// (same order and tie rule as [`Nearest::find`]): (slot, best d², second d²).
fn find2(sorted: &[(f64, f64, usize, u32)], p: &P2) -> (usize, f64, f64) {
    // (slot, best d², best id, second d²)
    let mut st = (usize::MAX, f64::INFINITY, u32::MAX, f64::INFINITY);
    sweep(sorted, p[0], &mut st, |st| st.3, |st, c| {
        let d = (c.0 - p[0]).powi(2) + (c.1 - p[1]).powi(2);
        if d < st.1 || (d == st.1 && c.3 < st.2) {
            st.3 = st.3.min(st.1);
            st.0 = c.2;
            st.1 = d;
            st.2 = c.3;
        } else {
            st.3 = st.3.min(d);
        }
    });
    (st.0, st.1, st.3)
}

/// Per-range partial sums (x·w, y·w, w) and member counts per centre.
type Partial = (Vec<[f64; 3]>, Vec<usize>);

/// Per point: assigned slot, an upper bound on the distance to its centre and
/// a lower bound on the distance to every other centre (Hamerly 2010).
#[derive(Clone, Copy)]
struct Bound {
    slot: u32,
    upper: f64,
    lower: f64,
}

/// Relative slack on the bounds: a point is only skipped when its centre is
/// nearer than every other by more than rounding could blur, so the
/// assignment is exactly the full search's (including the tie rule).
const SLACK: f64 = 1e-9;

/// One assignment + update step on centres only (members are built once at
/// the end). Points whose bounds prove their centre is still strictly the
/// nearest are not searched. Returns the new centres (None = emptied, dropped).
fn step(points: &[P2], w: Option<&[f64]>, centers: &[(u32, P2)], bounds: &mut [Vec<Bound>], ranges: &[std::ops::Range<usize>], threads: usize) -> Vec<Option<P2>> {
    let k = centers.len();
    let mut sorted: Vec<(f64, f64, usize, u32)> = centers.iter().enumerate().map(|(i, &(id, c))| (c[0], c[1], i, id)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.3.cmp(&b.3)));
    // Half the distance from each centre to its nearest other centre.
    let half_gap: Vec<f64> = (0..k)
        .map(|i| {
            let (_, _, d2) = find2(&sorted, &centers[i].1);
            // find2 counts the centre itself as the best (distance 0).
            0.5 * d2.sqrt()
        })
        .collect();
    let work = |r: std::ops::Range<usize>, b: &mut Vec<Bound>| {
        let mut sums = vec![[0.0f64; 3]; k];
        let mut counts = vec![0usize; k];
        for (j, i) in r.enumerate() {
            let p = &points[i];
            let bd = &mut b[j];
            let mut fresh = bd.slot == u32::MAX;
            if !fresh {
                let a = bd.slot as usize;
                let m = half_gap[a].max(bd.lower) * (1.0 - SLACK);
                if bd.upper * (1.0 + SLACK) >= m {
                    bd.upper = dist2(p, &centers[a].1).sqrt();
                    fresh = bd.upper * (1.0 + SLACK) >= m;
                }
            }
            if fresh {
                let (slot, d1, d2) = find2(&sorted, p);
                *bd = Bound { slot: slot as u32, upper: d1.sqrt(), lower: d2.sqrt() };
            }
            let slot = bd.slot as usize;
            let wi = weight(w, i);
            let e = &mut sums[slot];
            e[0] += wi * p[0];
            e[1] += wi * p[1];
            e[2] += wi;
            counts[slot] += 1;
        }
        (sums, counts)
    };
    let parts: Vec<Partial> = if threads > 1 && ranges.len() > 1 {
        let threads = threads.min(ranges.len());
        let work = &work;
        let mut slots: Vec<Option<Partial>> = (0..ranges.len()).map(|_| None).collect();
        std::thread::scope(|scope| {
            let mut per_thread: Vec<Vec<(usize, &mut Vec<Bound>)>> = (0..threads).map(|_| Vec::new()).collect();
            for (ri, b) in bounds.iter_mut().enumerate() {
                per_thread[ri % threads].push((ri, b));
            }
            let handles: Vec<_> = per_thread
                .into_iter()
                .map(|jobs| scope.spawn(move || jobs.into_iter().map(|(ri, b)| (ri, work(ranges[ri].clone(), b))).collect::<Vec<_>>()))
                .collect();
            for h in handles {
                for (ri, r) in h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)) {
                    slots[ri] = Some(r);
                }
            }
        });
        slots.into_iter().flatten().collect()
    } else {
        ranges.iter().zip(bounds.iter_mut()).map(|(r, b)| work(r.clone(), b)).collect()
    };
    let mut sums = vec![[0.0f64; 3]; k];
    let mut counts = vec![0usize; k];
    for (s, c) in parts {
        for (t, x) in sums.iter_mut().zip(s) {
            t[0] += x[0];
            t[1] += x[1];
            t[2] += x[2];
        }
        for (t, x) in counts.iter_mut().zip(c) {
            *t += x;
        }
    }
    (0..k)
        .map(|c| {
            if counts[c] == 0 {
                None
            } else if sums[c][2] > 0.0 {
                Some([sums[c][0] / sums[c][2], sums[c][1] / sums[c][2]])
            } else {
                Some(centers[c].1)
            }
        })
        .collect()
}

fn same_clustering(a: &[(u32, P2)], b: &[(u32, P2)]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let sorted = |c: &[(u32, P2)]| {
        let mut v: Vec<P2> = c.iter().map(|c| c.1).collect();
        v.sort_by(|x, y| x[0].total_cmp(&y[0]).then(x[1].total_cmp(&y[1])));
        v
    };
    sorted(a).iter().zip(sorted(b).iter()).all(|(x, y)| dist2(x, y).sqrt() < 0.01)
}

/// Lloyd iterations from `init` until the sorted centres move < 0.01 or
/// `max_iters` steps. Returns clusters sorted by id, with at least one step run.
pub(crate) fn kmeans(points: &[P2], w: Option<&[f64]>, init: Vec<Cluster>, max_iters: usize, threads: usize) -> Vec<Cluster> {
    if points.is_empty() || init.is_empty() {
        return Vec::new();
    }
    let n = points.len();
    // Fixed ranges: the summation order depends on them, and they depend on
    // the number of points only, never on the threads.
    let ranges: Vec<std::ops::Range<usize>> = if n > 20_000 {
        let per = n.div_ceil(8);
        (0..8).map(|i| (i * per).min(n)..((i + 1) * per).min(n)).collect()
    } else {
        std::iter::once(0..n).collect()
    };
    let mut bounds: Vec<Vec<Bound>> = ranges.iter().map(|r| vec![Bound { slot: u32::MAX, upper: 0.0, lower: 0.0 }; r.len()]).collect();
    // The start's members (a warm start knows most points' previous cluster)
    // seed the bounds: the distance to that centre is an upper bound, and the
    // half-gap test alone then spares the search for points deep inside it.
    let per = ranges[0].len().max(1);
    for (slot, c) in init.iter().enumerate() {
        for &m in &c.members {
            let m = m as usize;
            if m < n {
                bounds[m / per][m % per] = Bound { slot: slot as u32, upper: dist2(&points[m], &c.center).sqrt(), lower: 0.0 };
            }
        }
    }
    let mut cur: Vec<(u32, P2)> = init.iter().map(|c| (c.id, c.center)).collect();
    let mut iter = 0;
    loop {
        let new = step(points, w, &cur, &mut bounds, &ranges, threads);
        iter += 1;
        // Surviving clusters, how far each centre moved, and the remap.
        let mut remap = vec![u32::MAX; cur.len()];
        let mut next = Vec::with_capacity(cur.len());
        let mut moved = Vec::with_capacity(cur.len());
        for (slot, c) in new.iter().enumerate() {
            if let Some(c) = c {
                remap[slot] = next.len() as u32;
                moved.push(dist2(&cur[slot].1, c).sqrt());
                next.push((cur[slot].0, *c));
            }
        }
        let max_moved = moved.iter().copied().fold(0.0, f64::max);
        for b in bounds.iter_mut().flatten() {
            let s = remap[b.slot as usize];
            b.slot = s;
            b.upper += moved[s as usize];
            b.lower -= max_moved;
        }
        let done = same_clustering(&cur, &next);
        cur = next;
        if done || iter >= max_iters.max(1) {
            break;
        }
    }
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); cur.len()];
    for (i, b) in bounds.iter().flatten().enumerate() {
        members[b.slot as usize].push(i as u32);
    }
    let mut out: Vec<Cluster> = cur.into_iter().zip(members).map(|((id, center), members)| Cluster { id, center, members }).collect();
    out.sort_by_key(|c| c.id);
    out
}

/// Mean silhouette over points (unweighted), with s = 0 for singletons.
pub(crate) fn silhouette(points: &[P2], labels: &[usize], k: usize) -> f64 {
    let n = points.len();
    if n == 0 || k < 2 {
        return 0.0;
    }
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    let mut total = 0.0;
    let mut sums = vec![0.0; k];
    for i in 0..n {
        sums.iter_mut().for_each(|s| *s = 0.0);
        for j in 0..n {
            if i != j {
                sums[labels[j]] += dist2(&points[i], &points[j]).sqrt();
            }
        }
        let own = labels[i];
        if sizes[own] <= 1 {
            continue;
        }
        let a = sums[own] / (sizes[own] - 1) as f64;
        let mut b = f64::INFINITY;
        for g in 0..k {
            if g != own && sizes[g] > 0 {
                b = b.min(sums[g] / sizes[g] as f64);
            }
        }
        if !b.is_finite() {
            continue;
        }
        let m = a.max(b);
        if m > 0.0 {
            total += (b - a) / m;
        }
    }
    total / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prng::SplitMix64;

    // The plain Lloyd implementation (every point searched every step), kept
    // as the reference the bounded one must reproduce exactly.
    /// One assignment + update step on centres only (members are built once at
    /// the end). Returns the new centres (None = emptied, dropped) and the
    /// assignment.
    fn ref_step(points: &[P2], w: Option<&[f64]>, centers: &[(u32, P2)], threads: usize) -> (Vec<Option<P2>>, Vec<u32>) {
        let clusters: Vec<Cluster> = centers.iter().map(|&(id, center)| Cluster { id, center, members: Vec::new() }).collect();
        let nearest = Nearest::new(&clusters);
        let k = centers.len();
        let work = |r: std::ops::Range<usize>| {
            let mut sums = vec![[0.0f64; 3]; k];
            let mut assign = Vec::with_capacity(r.len());
            for i in r {
                let (slot, _) = nearest.find(&points[i]);
                let wi = weight(w, i);
                let e = &mut sums[slot];
                e[0] += wi * points[i][0];
                e[1] += wi * points[i][1];
                e[2] += wi;
                assign.push(slot as u32);
            }
            (sums, assign)
        };
        let n = points.len();
        let parts = if n > 20_000 {
            let per = n.div_ceil(8);
            let ranges: Vec<std::ops::Range<usize>> = (0..8).map(|i| (i * per).min(n)..((i + 1) * per).min(n)).collect();
            crate::pca::par_chunks(&ranges, threads, work)
        } else {
            vec![work(0..n)]
        };
        let mut sums = vec![[0.0f64; 3]; k];
        let mut assign = Vec::with_capacity(n);
        for (s, a) in parts {
            for (t, x) in sums.iter_mut().zip(s) {
                t[0] += x[0];
                t[1] += x[1];
                t[2] += x[2];
            }
            assign.extend(a);
        }
        let mut counts = vec![0usize; k];
        for &a in &assign {
            counts[a as usize] += 1;
        }
        let new = (0..k)
            .map(|c| {
                if counts[c] == 0 {
                    None
                } else if sums[c][2] > 0.0 {
                    Some([sums[c][0] / sums[c][2], sums[c][1] / sums[c][2]])
                } else {
                    Some(centers[c].1)
                }
            })
            .collect();
        (new, assign)
    }

    fn ref_same_clustering(a: &[Cluster], b: &[Cluster]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let sorted = |c: &[Cluster]| {
            let mut v: Vec<P2> = c.iter().map(|c| c.center).collect();
            v.sort_by(|x, y| x[0].total_cmp(&y[0]).then(x[1].total_cmp(&y[1])));
            v
        };
        sorted(a).iter().zip(sorted(b).iter()).all(|(x, y)| dist2(x, y).sqrt() < 0.01)
    }

    /// Lloyd iterations from `init` until the sorted centres move < 0.01 or
    /// `max_iters` steps. Returns clusters sorted by id, with at least one step run.
    fn ref_kmeans(points: &[P2], w: Option<&[f64]>, init: Vec<Cluster>, max_iters: usize, threads: usize) -> Vec<Cluster> {
        if points.is_empty() || init.is_empty() {
            return Vec::new();
        }
        let mut cur: Vec<(u32, P2)> = init.iter().map(|c| (c.id, c.center)).collect();
        let mut assign;
        let mut iter = 0;
        loop {
            let (new, a) = ref_step(points, w, &cur, threads);
            iter += 1;
            // Remap the assignment to the surviving clusters.
            let mut remap = vec![u32::MAX; cur.len()];
            let mut next = Vec::with_capacity(cur.len());
            for (slot, c) in new.iter().enumerate() {
                if let Some(c) = c {
                    remap[slot] = next.len() as u32;
                    next.push((cur[slot].0, *c));
                }
            }
            assign = a.into_iter().map(|s| remap[s as usize]).collect::<Vec<u32>>();
            let old: Vec<Cluster> = cur.iter().map(|&(id, center)| Cluster { id, center, members: Vec::new() }).collect();
            let nxt: Vec<Cluster> = next.iter().map(|&(id, center)| Cluster { id, center, members: Vec::new() }).collect();
            let done = ref_same_clustering(&old, &nxt);
            cur = next;
            if done || iter >= max_iters.max(1) {
                break;
            }
        }
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); cur.len()];
        for (i, &a) in assign.iter().enumerate() {
            members[a as usize].push(i as u32);
        }
        let mut out: Vec<Cluster> = cur.into_iter().zip(members).map(|((id, center), members)| Cluster { id, center, members }).collect();
        out.sort_by_key(|c| c.id);
        out
    }


    /// A previous cluster id at u32::MAX (a corrupt saved state) used to
    /// overflow when a new cluster was split off; new ids then are the
    /// smallest unused ones, and u32::MAX itself is never handed out.
    #[test]
    fn new_cluster_ids_do_not_overflow() {
        let points: Vec<P2> = (0..6).map(|i| [i as f64, 0.0]).collect();
        let prev = vec![(u32::MAX, (0..6).collect::<Vec<u32>>()), (0, vec![])];
        let out = clean_start(&points, None, &prev, 3);
        let mut ids: Vec<u32> = out.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![0, 1, u32::MAX]);
        let prev = vec![(u32::MAX - 1, (0..6).collect::<Vec<u32>>())];
        let ids: Vec<u32> = clean_start(&points, None, &prev, 3).iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![0, 1, u32::MAX - 1]);
    }

    /// Above 20,000 points the sums run in fixed ranges whatever the number
    /// of threads, so the result is the same for 1, 2 and 3 threads.
    #[test]
    fn kmeans_does_not_depend_on_the_threads() {
        let mut rng = SplitMix64::new(7);
        let points: Vec<P2> = (0..25_000).map(|i| [(i % 3) as f64 + rng.normal() * 0.8, rng.normal()]).collect();
        let init = cold_start(&points, 100);
        let one = kmeans(&points, None, init.clone(), 100, 1);
        for threads in [2, 3] {
            assert_eq!(kmeans(&points, None, init.clone(), 100, threads), one, "threads={threads}");
        }
    }

    #[test]
    fn bounded_kmeans_matches_plain_lloyd() {
        let mut rng = SplitMix64::new(11);
        for (n, k, grid) in [(50, 5, false), (500, 20, false), (3000, 100, false), (25_000, 100, false), (400, 30, true), (30_000, 100, true)] {
            // Clumps; on a grid, many exact ties and duplicate points.
            let points: Vec<P2> = (0..n)
                .map(|i| {
                    if grid {
                        [(rng.below(7) as f64) * 0.5, (rng.below(5) as f64) * 0.5]
                    } else {
                        let c = (i % 3) as f64;
                        [c * 2.0 + rng.normal() * 0.7, c - rng.normal() * 0.9]
                    }
                })
                .collect();
            let w: Vec<f64> = (0..n).map(|_| 1.0 + rng.below(4) as f64).collect();
            for weights in [None, Some(&w[..])] {
                for threads in [1, 2] {
                    let init = cold_start(&points, k);
                    let a = kmeans(&points, weights, init.clone(), 100, threads);
                    let b = ref_kmeans(&points, weights, init, 100, threads);
                    assert_eq!(a, b, "n={n} k={k} grid={grid} threads={threads}");
                    let prev: Vec<(u32, Vec<u32>)> = a.iter().map(|c| (c.id, c.members.clone())).collect();
                    let init = clean_start(&points, weights, &prev, k);
                    assert_eq!(kmeans(&points, weights, init.clone(), 100, threads), ref_kmeans(&points, weights, init, 100, threads));
                }
            }
        }
    }
}
