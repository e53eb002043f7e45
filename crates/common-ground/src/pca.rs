//! Two-component PCA of the mean-imputed vote matrix, computed sparsely.
//!
//! With every missing vote replaced by its column mean, the centred matrix
//! X₀ = mat − c is zero wherever a participant did not vote, so X₀ is exactly
//! as sparse as the votes: cell (i, j) holds v_ij − c_j (and 0 for mod-out
//! statements). We never fill a dense matrix. The covariance product
//! X₀ᵀX₀·V = Σ_rows (row·V)·row is one pass over the non-zeros.
//!
//! Instead of Pol.is's 2 × 100 deflated power iterations we run block subspace
//! iteration (block of 4, Rayleigh–Ritz each pass) until the residual
//! ‖Av − λv‖ of both leading Ritz pairs is below `tolerance · λ₁`. It converges
//! to the same eigenvectors (Pol.is's iterations are warm-started over
//! thousands of ticks, i.e. converged too), at a rate set by λ₅/λ₂ instead of
//! λ₂/λ₁ and λ₃/λ₂, and it warm-starts from the previous update's block.

use std::ops::Range;

use crate::prng::SplitMix64;

pub(crate) const BLOCK: usize = 4;
pub(crate) type Vec4 = [f64; BLOCK];

pub(crate) struct PcaProblem<'a> {
    pub rows: &'a [Vec<u32>],
    pub skip: &'a [bool],
    /// Centred value of each packed cell: `dev[s << 2 | code]`.
    pub dev: &'a [f64],
    /// Statements that can carry weight (≥1 vote, not mod-out).
    pub active: &'a [bool],
    pub threads: usize,
}

pub(crate) struct PcaResult {
    pub comps: [Vec<f64>; 2],
    pub eigenvalues: [f64; 2],
    /// The full Ritz block, kept as the next update's warm start.
    pub block: Vec<Vec4>,
    pub iterations: usize,
    pub converged: bool,
    /// Per row: Σ_cells dev · comp_k (the unscaled projection), k = 0, 1.
    pub row_scores: Vec<[f64; 2]>,
}

/// Row ranges of roughly equal non-zeros. Depends only on the data, so the
/// floating-point summation order (and the result) does not depend on the
/// number of threads.
pub(crate) fn chunks(rows: &[Vec<u32>]) -> Vec<Range<usize>> {
    let nnz: usize = rows.iter().map(Vec::len).sum();
    const MIN_PER_CHUNK: usize = 100_000;
    let n_chunks = (nnz / MIN_PER_CHUNK).clamp(1, 16);
    if n_chunks == 1 {
        return vec![0..rows.len()];
    }
    let target = nnz.div_ceil(n_chunks);
    let mut out = Vec::with_capacity(n_chunks);
    let (mut start, mut acc) = (0, 0);
    for (i, r) in rows.iter().enumerate() {
        acc += r.len();
        if acc >= target {
            out.push(start..i + 1);
            start = i + 1;
            acc = 0;
        }
    }
    if start < rows.len() {
        out.push(start..rows.len());
    }
    out
}

/// Runs `f` on every chunk (in parallel when asked) and returns the results in
/// chunk order.
pub(crate) fn par_chunks<T: Send>(
    chunks: &[Range<usize>],
    threads: usize,
    f: impl Fn(Range<usize>) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, chunks.len().max(1));
    if threads == 1 {
        return chunks.iter().map(|c| f(c.clone())).collect();
    }
    let f = &f;
    let mut results: Vec<Option<T>> = (0..chunks.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..chunks.len())
                        .step_by(threads)
                        .map(|i| (i, f(chunks[i].clone())))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            // A panic in a worker is a bug; re-raise it rather than hide it.
            for (i, r) in h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)) {
                results[i] = Some(r);
            }
        }
    });
    results.into_iter().flatten().collect()
}

/// W = X₀ᵀ X₀ V, one pass over the non-zeros; also returns U = X₀ V (per row).
/// Only the first `b` columns of V are used.
fn apply(p: &PcaProblem<'_>, chunks: &[Range<usize>], v: &[Vec4], b: usize) -> (Vec<Vec4>, Vec<Vec4>) {
    if b <= 2 { apply_n::<2>(p, chunks, v) } else { apply_n::<BLOCK>(p, chunks, v) }
}

fn apply_n<const B: usize>(p: &PcaProblem<'_>, chunks: &[Range<usize>], v: &[Vec4]) -> (Vec<Vec4>, Vec<Vec4>) {
    let n = v.len();
    // Per packed cell c = s<<2|code: dv[c] = dev[c]·V[s]. Then a row's
    // U = Σ dv[c] and the scatter accumulates U per cell (wc[c] += U); the
    // multiplication by dev happens once per cell *kind* after the pass:
    // W[s] = Σ_code dev[s,code]·wc[s,code]. Pure gathers and adds per vote.
    let dv: Vec<Vec4> = (0..n * 4)
        .map(|c| {
            let d = p.dev[c];
            let mut x = [0.0; BLOCK];
            for k in 0..B {
                x[k] = d * v[c >> 2][k];
            }
            x
        })
        .collect();
    let parts = par_chunks(chunks, p.threads, |range| {
        let mut wc = vec![[0.0; BLOCK]; n * 4];
        let mut us = Vec::with_capacity(range.len());
        for i in range {
            if p.skip[i] {
                us.push([0.0; BLOCK]);
                continue;
            }
            let row = &p.rows[i];
            let mut u = [0.0; BLOCK];
            for &c in row {
                let x = &dv[c as usize];
                for k in 0..B {
                    u[k] += x[k];
                }
            }
            for &c in row {
                let ws = &mut wc[c as usize];
                for k in 0..B {
                    ws[k] += u[k];
                }
            }
            us.push(u);
        }
        (wc, us)
    });
    let mut w = vec![[0.0; BLOCK]; n];
    let mut all_u = Vec::with_capacity(p.rows.len());
    for (wc, us) in parts {
        all_u.extend(us);
        for (s, ws) in w.iter_mut().enumerate() {
            for code in 1..4 {
                let d = p.dev[s * 4 + code];
                if d != 0.0 {
                    let x = &wc[s * 4 + code];
                    for k in 0..B {
                        ws[k] += d * x[k];
                    }
                }
            }
        }
    }
    (w, all_u)
}

fn dot(v: &[Vec4], a: usize, b: usize) -> f64 {
    v.iter().map(|x| x[a] * x[b]).sum()
}

/// Modified Gram–Schmidt on the first `b` columns; a column that vanishes is
/// replaced by a random vector on the active statements. Returns false when the
/// active space is exhausted (fewer than `b` independent directions).
fn orthonormalise(v: &mut [Vec4], b: usize, active: &[bool], rng: &mut SplitMix64) -> bool {
    let mut ok = true;
    for k in 0..b {
        let mut attempts = 0;
        loop {
            let before = dot(v, k, k).sqrt();
            for j in 0..k {
                let r = dot(v, j, k);
                for x in v.iter_mut() {
                    x[k] -= r * x[j];
                }
            }
            // Second pass for numerical orthogonality.
            for j in 0..k {
                let r = dot(v, j, k);
                for x in v.iter_mut() {
                    x[k] -= r * x[j];
                }
            }
            let norm = dot(v, k, k).sqrt();
            if norm.is_finite() && norm > 1e-10 * before.max(1e-300) && norm > 1e-200 {
                for x in v.iter_mut() {
                    x[k] /= norm;
                }
                break;
            }
            attempts += 1;
            if attempts > 3 {
                for x in v.iter_mut() {
                    x[k] = 0.0;
                }
                ok = false;
                break;
            }
            for (x, &a) in v.iter_mut().zip(active) {
                x[k] = if a { rng.next_f64() - 0.5 } else { 0.0 };
            }
        }
    }
    ok
}

/// Eigen-decomposition of a small symmetric matrix by cyclic Jacobi.
/// Returns eigenvalues (descending) and eigenvectors as columns `u[row][col]`.
pub(crate) fn sym_eigen(h: [[f64; BLOCK]; BLOCK], b: usize) -> ([f64; BLOCK], [[f64; BLOCK]; BLOCK]) {
    let mut a = h;
    let mut u = [[0.0; BLOCK]; BLOCK];
    for (i, row) in u.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..60 {
        let mut off = 0.0;
        for i in 0..b {
            for j in i + 1..b {
                off += a[i][j] * a[i][j];
            }
        }
        if off < 1e-30 {
            break;
        }
        for p in 0..b {
            for q in p + 1..b {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..b {
                    let akp = a[k][p];
                    let akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..b {
                    let apk = a[p][k];
                    let aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in u.iter_mut().take(b) {
                    let ukp = row[p];
                    let ukq = row[q];
                    row[p] = c * ukp - s * ukq;
                    row[q] = s * ukp + c * ukq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..b).collect();
    order.sort_by(|&x, &y| a[y][y].total_cmp(&a[x][x]));
    let mut vals = [0.0; BLOCK];
    let mut vecs = [[0.0; BLOCK]; BLOCK];
    for (new, &old) in order.iter().enumerate() {
        vals[new] = a[old][old];
        for r in 0..b {
            vecs[r][new] = u[r][old];
        }
    }
    (vals, vecs)
}

fn rotate(v: &[Vec4], u: &[[f64; BLOCK]; BLOCK], b: usize) -> Vec<Vec4> {
    v.iter()
        .map(|x| {
            let mut y = [0.0; BLOCK];
            for (c, yc) in y.iter_mut().enumerate().take(b) {
                *yc = (0..b).map(|r| x[r] * u[r][c]).sum();
            }
            y
        })
        .collect()
}

pub(crate) fn pca(
    p: &PcaProblem<'_>,
    warm: Option<&[Vec4]>,
    max_iters: usize,
    tolerance: f64,
    rng: &mut SplitMix64,
) -> PcaResult {
    let n_stmt = p.active.len();
    let n_active = p.active.iter().filter(|&&a| a).count();
    let n_rows = p.skip.iter().filter(|&&s| !s).count();
    let b_full = BLOCK.min(n_active).min(n_rows.max(1));
    let b = b_full;
    let zero = || PcaResult {
        comps: [vec![0.0; n_stmt], vec![0.0; n_stmt]],
        eigenvalues: [0.0, 0.0],
        block: vec![[0.0; BLOCK]; n_stmt],
        iterations: 0,
        converged: true,
        row_scores: vec![[0.0; 2]; p.rows.len()],
    };
    if b == 0 {
        return zero();
    }
    let chunks = chunks(p.rows);
    let mut v: Vec<Vec4> = match warm {
        Some(w) if w.len() == n_stmt => w
            .iter()
            .zip(p.active)
            .map(|(x, &a)| if a { *x } else { [0.0; BLOCK] })
            .collect(),
        _ => vec![[0.0; BLOCK]; n_stmt],
    };
    for x in v.iter_mut() {
        for k in b..BLOCK {
            x[k] = 0.0;
        }
    }
    let prev: Option<[Vec<f64>; 2]> =
        warm.filter(|w| w.len() == n_stmt).map(|w| [w.iter().map(|x| x[0]).collect(), w.iter().map(|x| x[1]).collect()]);
    // A warm start is usually within a few iterations of the answer: iterate
    // on the two leading vectors only (half the work per pass) and widen to the
    // full block if that has not converged after a few passes.
    let warm_ok = warm.is_some_and(|w| w.len() == n_stmt && w.iter().any(|x| x[0] != 0.0) && w.iter().any(|x| x[1] != 0.0));
    let mut b = if warm_ok && b_full > 2 { 2 } else { b_full };
    let save_extra: Vec<[f64; 2]> = v.iter().map(|x| [x[2], x[3]]).collect();
    for x in v.iter_mut() {
        for k in b..BLOCK {
            x[k] = 0.0;
        }
    }
    orthonormalise(&mut v, b, p.active, rng);

    let mut iterations = 0;
    let mut converged = false;
    let mut vals;
    let mut ritz: Vec<Vec4>;
    let mut u_rows: Vec<Vec4>;
    let mut u_rot;
    loop {
        if b < b_full && iterations >= 4 {
            // Widen: bring back the stored extra vectors (or random ones).
            for (x, e) in v.iter_mut().zip(&save_extra) {
                x[2] = e[0];
                x[3] = e[1];
            }
            b = b_full;
            orthonormalise(&mut v, b, p.active, rng);
        }
        let (w, us) = apply(p, &chunks, &v, b);
        u_rows = us;
        iterations += 1;
        // Rayleigh–Ritz on span(V).
        let mut h = [[0.0; BLOCK]; BLOCK];
        for i in 0..b {
            for j in 0..b {
                h[i][j] = v.iter().zip(&w).map(|(x, y)| x[i] * y[j]).sum();
            }
        }
        for i in 0..b {
            for j in i + 1..b {
                let m = 0.5 * (h[i][j] + h[j][i]);
                h[i][j] = m;
                h[j][i] = m;
            }
        }
        let (lam, u) = sym_eigen(h, b);
        vals = lam;
        u_rot = u;
        ritz = rotate(&v, &u, b);
        let aw = rotate(&w, &u, b);
        let scale = lam[0].abs();
        if !scale.is_finite() {
            return zero();
        }
        if scale <= 1e-300 {
            converged = true;
            break;
        }
        let mut worst: f64 = 0.0;
        for k in 0..b.min(2) {
            let r: f64 = ritz.iter().zip(&aw).map(|(y, ay)| (ay[k] - lam[k] * y[k]).powi(2)).sum::<f64>().sqrt();
            worst = worst.max(r / scale);
        }
        if worst <= tolerance {
            converged = true;
            break;
        }
        if iterations >= max_iters.max(1) {
            break;
        }
        v = aw;
        orthonormalise(&mut v, b, p.active, rng);
    }
    if b < b_full {
        // Keep the stale extra vectors for a later widening.
        for (x, e) in ritz.iter_mut().zip(&save_extra) {
            x[2] = e[0];
            x[3] = e[1];
        }
    }
    let mut comps = [
        ritz.iter().map(|x| x[0]).collect::<Vec<f64>>(),
        if b >= 2 { ritz.iter().map(|x| x[1]).collect() } else { vec![0.0; n_stmt] },
    ];
    // Sign: follow the previous update; on a cold start, largest entry positive.
    let mut flips = [1.0; 2];
    for (k, comp) in comps.iter_mut().enumerate() {
        let flip = match &prev {
            Some(pc) if pc[k].iter().any(|&x| x != 0.0) => {
                comp.iter().zip(&pc[k]).map(|(a, b)| a * b).sum::<f64>() < 0.0
            }
            _ => {
                let mut best = 0.0f64;
                for &x in comp.iter() {
                    if x.abs() > best.abs() + 1e-12 {
                        best = x;
                    }
                }
                best < 0.0
            }
        };
        if flip {
            flips[k] = -1.0;
            comp.iter_mut().for_each(|x| *x = -*x);
            for x in ritz.iter_mut() {
                x[k] = -x[k];
            }
        }
    }
    // X·(V U) = (X V) U: the projections come from the last pass for free.
    let row_scores = u_rows
        .iter()
        .map(|u| {
            let mut out = [0.0; 2];
            for (k, o) in out.iter_mut().enumerate().take(b.min(2)) {
                *o = (0..b).map(|r| u[r] * u_rot[r][k]).sum::<f64>() * flips[k];
            }
            out
        })
        .collect();
    let eig = [vals[0].max(0.0), if b >= 2 { vals[1].max(0.0) } else { 0.0 }];
    PcaResult { comps, eigenvalues: eig, block: ritz, iterations, converged, row_scores }
}
