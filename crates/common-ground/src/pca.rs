//! Two-component PCA of the mean-imputed vote matrix, computed sparsely.
//!
//! With every missing vote replaced by its column mean, the centred matrix
//! X₀ = mat − c is zero wherever a participant did not vote, so X₀ is exactly
//! as sparse as the votes: cell (i, j) holds v_ij − c_j (and 0 for mod-out
//! statements). We never fill a dense matrix. The covariance product
//! X₀ᵀX₀·V = Σ_rows (row·V)·row is one pass over the non-zeros.
//!
//! Instead of Pol.is's 2 × 100 deflated power iterations we grow a search
//! subspace (block Davidson / block Krylov with Rayleigh–Ritz): each pass
//! multiplies the newest basis vectors by A = X₀ᵀX₀, the Ritz pairs of the
//! whole basis are computed from the stored products (no extra pass), and the
//! residuals of the leading Ritz pairs, orthogonalised against the basis,
//! become the next vectors. We stop when the residual ‖Av − λv‖ of both
//! leading Ritz pairs is below `tolerance · λ₁`. It converges to the same
//! eigenvectors as Pol.is's (converged) power iterations, at a Krylov
//! (Chebyshev-like) rate instead of the power-iteration rate λ₃/λ₂, and it
//! warm-starts from the previous update's Ritz vectors.

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
        return std::iter::once(0..rows.len()).collect();
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


/// A component follows the previous update's sign when the cosine between
/// them exceeds this; below it the dot product may be rounding noise.
const SIGN_FOLLOW: f64 = 1e-8;

/// Largest basis before a thick restart, and the Ritz vectors kept then.
const MAX_BASIS: usize = 24;
const KEEP: usize = 8;
/// Vectors added per pass (a pass on two vectors costs little more than on
/// one; four cost twice as much and do not halve the number of passes).
const EXPAND: usize = 2;

/// For the basis columns `q`: W = X₀ᵀ X₀ Q (per column, length n) and
/// U = X₀ Q (per column, one value per row), in one pass over the non-zeros.
fn apply(p: &PcaProblem<'_>, chunks: &[Range<usize>], q: &[&[f64]]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    match q.len() {
        1 => apply_n::<1>(p, chunks, q),
        2 => apply_n::<2>(p, chunks, q),
        3 => apply_n::<3>(p, chunks, q),
        4 => apply_n::<4>(p, chunks, q),
        _ => {
            // Not used (blocks are ≤ EXPAND), but correct: split.
            let (a, b) = q.split_at(4);
            let (mut w, mut u) = apply(p, chunks, a);
            let (w2, u2) = apply(p, chunks, b);
            w.extend(w2);
            u.extend(u2);
            (w, u)
        }
    }
}

/// Σ over the row's cells of dv[cell] (two partial sums: halves the chain of
/// dependent additions). `mask` = table length − 1 (a power of two), so the
/// masked index needs no bounds check.
#[inline(always)]
fn gather<const B: usize>(row: &[u32], dv: &[[f64; B]], mask: usize) -> [f64; B] {
    let dv = &dv[..=mask];
    let mut a = [0.0; B];
    let mut b = [0.0; B];
    let mut pairs = row.chunks_exact(2);
    for pair in &mut pairs {
        let xa = dv[pair[0] as usize & mask];
        let xb = dv[pair[1] as usize & mask];
        for k in 0..B {
            a[k] += xa[k];
            b[k] += xb[k];
        }
    }
    if let [c] = pairs.remainder() {
        let x = dv[*c as usize & mask];
        for k in 0..B {
            a[k] += x[k];
        }
    }
    for k in 0..B {
        a[k] += b[k];
    }
    a
}

/// wc[cell] += u for every cell of the row.
#[inline(always)]
fn scatter<const B: usize>(row: &[u32], wc: &mut [[f64; B]], mask: usize, u: [f64; B]) {
    let wc = &mut wc[..=mask];
    for &c in row {
        let ws = &mut wc[c as usize & mask];
        for k in 0..B {
            ws[k] += u[k];
        }
    }
}

fn apply_n<const B: usize>(p: &PcaProblem<'_>, chunks: &[Range<usize>], q: &[&[f64]]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let n = p.active.len();
    // Per packed cell c = s<<2|code: dv[c] = dev[c]·Q[s]. A row's U = Σ dv[c];
    // the scatter accumulates U per cell (wc[c] += U) and the multiplication
    // by dev happens once per cell kind after the pass:
    // W[s] = Σ_code dev[s,code]·wc[s,code]. Pure gathers and adds per vote, on
    // tables of exactly B values per cell (small enough to stay in cache).
    let dv: Vec<[f64; B]> = (0..n * 4)
        .map(|c| {
            let d = p.dev[c];
            let mut x = [0.0; B];
            if d != 0.0 {
                for (k, xk) in x.iter_mut().enumerate() {
                    *xk = d * q[k][c >> 2];
                }
            }
            x
        })
        .collect();
    // Tables padded to a power of two so that a masked index needs no bounds
    // check (cells are < n·4 anyway).
    let size = (n * 4).next_power_of_two();
    let mask = size - 1;
    let mut dv = dv;
    dv.resize(size, [0.0; B]);
    let dv = &dv[..];
    let parts = par_chunks(chunks, p.threads, |range| {
        let mut wc = vec![[0.0f64; B]; size];
        let mut us: Vec<[f64; B]> = Vec::with_capacity(range.len());
        for i in range {
            if p.skip[i] {
                us.push([0.0; B]);
                continue;
            }
            let row = &p.rows[i][..];
            let u = gather(row, dv, mask);
            scatter(row, &mut wc, mask, u);
            us.push(u);
        }
        (wc, us)
    });
    let mut w = vec![vec![0.0; n]; B];
    let mut u = vec![Vec::with_capacity(p.rows.len()); B];
    for (wc, us) in parts {
        for (k, uk) in u.iter_mut().enumerate() {
            uk.extend(us.iter().map(|x| x[k]));
        }
        for s in 0..n {
            for code in 1..4 {
                let d = p.dev[s * 4 + code];
                if d != 0.0 {
                    let x = &wc[s * 4 + code];
                    for k in 0..B {
                        w[k][s] += d * x[k];
                    }
                }
            }
        }
    }
    (w, u)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Orthonormalises `v` against the columns of `basis` (classical Gram–Schmidt,
/// twice). Returns false (and leaves garbage) when `v` is numerically inside
/// span(basis).
fn orthonormalise_against(v: &mut [f64], basis: &[Vec<f64>]) -> bool {
    let before = dot(v, v).sqrt();
    if !before.is_finite() || before <= 1e-300 {
        return false;
    }
    for _ in 0..2 {
        let rs: Vec<f64> = basis.iter().map(|b| dot(b, v)).collect();
        for (b, r) in basis.iter().zip(rs) {
            axpy(v, -r, b);
        }
    }
    let norm = dot(v, v).sqrt();
    if !norm.is_finite() || norm <= 1e-10 * before || norm <= 1e-200 {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    true
}

fn random_active(active: &[bool], rng: &mut SplitMix64) -> Vec<f64> {
    active.iter().map(|&a| if a { rng.next_f64() - 0.5 } else { 0.0 }).collect()
}

/// Eigen-decomposition of a small dense symmetric matrix (row-major m×m):
/// Householder reduction to tridiagonal form, then implicit QR steps with a
/// Wilkinson shift. Returns eigenvalues (descending) and the eigenvectors as
/// columns, `vecs[row * m + col]`.
pub(crate) fn sym_eigen(a: &[f64], m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut t = a.to_vec();
    let mut z = vec![0.0; m * m];
    for i in 0..m {
        z[i * m + i] = 1.0;
    }
    // Householder: zero column k below the sub-diagonal, A ← P A P, Z ← Z P.
    for k in 0..m.saturating_sub(2) {
        let len = m - k - 1;
        let xnorm = (k + 1..m).map(|i| t[i * m + k] * t[i * m + k]).sum::<f64>().sqrt();
        if xnorm <= 1e-300 {
            continue;
        }
        let x0 = t[(k + 1) * m + k];
        let alpha = if x0 > 0.0 { -xnorm } else { xnorm };
        let mut v: Vec<f64> = (k + 1..m).map(|i| t[i * m + k]).collect();
        v[0] -= alpha;
        let vn = dot(&v, &v).sqrt();
        if vn <= 1e-300 {
            continue;
        }
        v.iter_mut().for_each(|x| *x /= vn);
        // p = A_sub v over the trailing block (rows/cols k+1..m).
        let mut pv = vec![0.0; len];
        for (r, pr) in pv.iter_mut().enumerate() {
            let row = &t[(k + 1 + r) * m + k + 1..(k + 1 + r) * m + m];
            *pr = dot(row, &v);
        }
        let vp = dot(&v, &pv);
        let w: Vec<f64> = pv.iter().zip(&v).map(|(p, v)| p - vp * v).collect();
        for r in 0..len {
            for c in 0..len {
                t[(k + 1 + r) * m + k + 1 + c] -= 2.0 * (v[r] * w[c] + w[r] * v[c]);
            }
        }
        for i in k + 1..m {
            t[i * m + k] = 0.0;
            t[k * m + i] = 0.0;
        }
        t[(k + 1) * m + k] = alpha;
        t[k * m + k + 1] = alpha;
        for r in 0..m {
            let zr = &mut z[r * m + k + 1..r * m + m];
            let s = 2.0 * dot(zr, &v);
            for (zc, vc) in zr.iter_mut().zip(&v) {
                *zc -= s * vc;
            }
        }
    }
    // Implicit symmetric QR on the tridiagonal T (kept dense; m is small).
    let eps = f64::EPSILON;
    let rotate = |t: &mut [f64], z: &mut [f64], k: usize, c: f64, s: f64| {
        for j in 0..m {
            let (a, b) = (t[k * m + j], t[(k + 1) * m + j]);
            t[k * m + j] = c * a + s * b;
            t[(k + 1) * m + j] = -s * a + c * b;
        }
        for j in 0..m {
            let (a, b) = (t[j * m + k], t[j * m + k + 1]);
            t[j * m + k] = c * a + s * b;
            t[j * m + k + 1] = -s * a + c * b;
        }
        for j in 0..m {
            let (a, b) = (z[j * m + k], z[j * m + k + 1]);
            z[j * m + k] = c * a + s * b;
            z[j * m + k + 1] = -s * a + c * b;
        }
    };
    let mut h = m.saturating_sub(1);
    let mut steps = 0;
    while h > 0 && steps < 50 * m {
        let small = |t: &[f64], i: usize| t[i * m + i - 1].abs() <= eps * (t[i * m + i].abs() + t[(i - 1) * m + i - 1].abs()) || t[i * m + i - 1].abs() < 1e-300;
        if small(&t, h) {
            t[h * m + h - 1] = 0.0;
            t[(h - 1) * m + h] = 0.0;
            h -= 1;
            continue;
        }
        let mut l = h - 1;
        while l > 0 && !small(&t, l) {
            l -= 1;
        }
        if l > 0 {
            t[l * m + l - 1] = 0.0;
            t[(l - 1) * m + l] = 0.0;
        }
        // Wilkinson shift from the trailing 2×2 block.
        let (a, b, c) = (t[(h - 1) * m + h - 1], t[h * m + h - 1], t[h * m + h]);
        let delta = 0.5 * (a - c);
        let sgn = if delta >= 0.0 { 1.0 } else { -1.0 };
        let mu = c - b * b / (delta + sgn * delta.hypot(b));
        let (mut x, mut y) = (t[l * m + l] - mu, t[(l + 1) * m + l]);
        for k in l..h {
            if k > l {
                x = t[k * m + k - 1];
                y = t[(k + 1) * m + k - 1];
            }
            let r = x.hypot(y);
            let (cs, sn) = if r > 0.0 { (x / r, y / r) } else { (1.0, 0.0) };
            rotate(&mut t, &mut z, k, cs, sn);
            if k > l {
                t[(k + 1) * m + k - 1] = 0.0;
                t[(k - 1) * m + k + 1] = 0.0;
            }
        }
        steps += 1;
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&x, &y| t[y * m + y].total_cmp(&t[x * m + x]));
    let vals = order.iter().map(|&i| t[i * m + i]).collect();
    let mut vecs = vec![0.0; m * m];
    for (new, &old) in order.iter().enumerate() {
        for r in 0..m {
            vecs[r * m + new] = z[r * m + old];
        }
    }
    (vals, vecs)
}

/// Σ_i coef[i]·cols[i].
fn combine(cols: &[Vec<f64>], coef: impl Fn(usize) -> f64, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    for (i, c) in cols.iter().enumerate() {
        let a = coef(i);
        if a != 0.0 {
            axpy(&mut out, a, c);
        }
    }
    out
}

pub(crate) fn pca(
    p: &PcaProblem<'_>,
    warm: Option<&[Vec4]>,
    max_iters: usize,
    tolerance: f64,
    rng: &mut SplitMix64,
) -> PcaResult {
    let n_stmt = p.active.len();
    let n_rows_all = p.rows.len();
    let n_active = p.active.iter().filter(|&&a| a).count();
    let n_rows = p.skip.iter().filter(|&&s| !s).count();
    let zero = || PcaResult {
        comps: [vec![0.0; n_stmt], vec![0.0; n_stmt]],
        eigenvalues: [0.0, 0.0],
        block: vec![[0.0; BLOCK]; n_stmt],
        iterations: 0,
        converged: true,
        row_scores: vec![[0.0; 2]; n_rows_all],
    };
    if n_active == 0 || n_rows == 0 {
        return zero();
    }
    let chunks = chunks(p.rows);
    let warm = warm.filter(|w| w.len() == n_stmt);
    let prev: Option<[Vec<f64>; 2]> = warm.map(|w| [w.iter().map(|x| x[0]).collect(), w.iter().map(|x| x[1]).collect()]);

    // Start: the previous update's two leading Ritz vectors (a warm start is
    // usually within a few passes of the answer), else random vectors.
    let mut q: Vec<Vec<f64>> = Vec::new();
    let mut starts: Vec<Vec<f64>> = Vec::new();
    if let Some(w) = warm {
        for k in 0..2 {
            starts.push(w.iter().zip(p.active).map(|(x, &a)| if a { x[k] } else { 0.0 }).collect());
        }
    }
    let want_start = EXPAND;
    for mut v in starts {
        if orthonormalise_against(&mut v, &q) {
            q.push(v);
        }
    }
    let mut attempts = 0;
    while q.len() < want_start.min(n_active) && attempts < 8 {
        let mut v = random_active(p.active, rng);
        if orthonormalise_against(&mut v, &q) {
            q.push(v);
        }
        attempts += 1;
    }
    let mut w: Vec<Vec<f64>> = Vec::new();
    let mut u: Vec<Vec<f64>> = Vec::new();
    // H = Qᵀ A Q, kept for the columns computed so far (row-major, MAX_BASIS²).
    let mut h: Vec<Vec<f64>> = Vec::new();

    let mut iterations = 0;
    let mut converged = false;
    let (mut vals, mut vecs);
    let mut m;
    loop {
        // One pass on the columns without products yet.
        let first_new = w.len();
        let new: Vec<&[f64]> = q[first_new..].iter().map(Vec::as_slice).collect();
        let (wn, un) = apply(p, &chunks, &new);
        iterations += 1;
        w.extend(wn);
        u.extend(un);
        m = q.len();
        for row in h.iter_mut() {
            row.resize(m, 0.0);
        }
        h.resize_with(m, || vec![0.0; m]);
        for j in first_new..m {
            for i in 0..m {
                let x = 0.5 * (dot(&q[i], &w[j]) + dot(&q[j], &w[i]));
                h[i][j] = x;
                h[j][i] = x;
            }
        }
        let flat: Vec<f64> = h.iter().flatten().copied().collect();
        (vals, vecs) = sym_eigen(&flat, m);
        let scale = vals[0].abs();
        if !scale.is_finite() {
            return zero();
        }
        if scale <= 1e-300 {
            converged = true;
            break;
        }
        // Residuals of the leading Ritz pairs.
        let t = (EXPAND + 2).min(m);
        let mut res: Vec<(f64, Vec<f64>)> = Vec::with_capacity(t);
        let mut worst: f64 = 0.0;
        for k in 0..t {
            let y = combine(&q, |i| vecs[i * m + k], n_stmt);
            let mut r = combine(&w, |i| vecs[i * m + k], n_stmt);
            axpy(&mut r, -vals[k], &y);
            let rn = dot(&r, &r).sqrt() / scale;
            if k < 2 {
                worst = worst.max(rn);
            }
            res.push((rn, r));
        }
        if worst <= tolerance {
            converged = true;
            break;
        }
        if iterations >= max_iters.max(1) {
            break;
        }
        if m >= n_active {
            // The basis spans every active direction: Rayleigh–Ritz is exact.
            converged = true;
            break;
        }
        // Expand with the residuals of the unconverged leading pairs (and of
        // pairs 3–4, which widen the space the leading pairs converge in).
        // A pass costs about the same for one vector as for two, so when a
        // leading pair has converged the next pair's residual takes its place.
        let before = q.len();
        for (k, (rn, mut r)) in res.into_iter().enumerate() {
            if k < 2 && rn <= tolerance {
                continue;
            }
            if q.len() >= n_active || q.len() - before >= EXPAND {
                break;
            }
            if orthonormalise_against(&mut r, &q) {
                q.push(r);
            }
        }
        let mut attempts = 0;
        while q.len() == before && q.len() < n_active && attempts < 4 {
            let mut v = random_active(p.active, rng);
            if orthonormalise_against(&mut v, &q) {
                q.push(v);
            }
            attempts += 1;
        }
        if q.len() == before {
            converged = true;
            break;
        }
        if q.len() > MAX_BASIS {
            // Thick restart: keep the leading Ritz vectors (and their
            // products); the new vectors are orthogonal to the whole old basis,
            // so to the kept part too.
            let fresh = q.split_off(m);
            let keep = KEEP.min(m);
            let rot = |cols: &[Vec<f64>], len: usize| (0..keep).map(|k| combine(cols, |i| vecs[i * m + k], len)).collect::<Vec<_>>();
            let nq = rot(&q, n_stmt);
            let nw = rot(&w, n_stmt);
            let nu = rot(&u, n_rows_all);
            q = nq;
            q.extend(fresh);
            w = nw;
            u = nu;
            h = (0..keep).map(|i| (0..keep).map(|j| if i == j { vals[i] } else { 0.0 }).collect()).collect();
        }
    }
    let m = w.len();
    let ritz = |k: usize| if k < m { combine(&q[..m], |i| vecs[i * m + k], n_stmt) } else { vec![0.0; n_stmt] };
    let mut comps = [ritz(0), ritz(1)];
    let mut block: Vec<Vec4> = vec![[0.0; BLOCK]; n_stmt];
    for k in 0..BLOCK.min(m) {
        let y = if k < 2 { comps[k].clone() } else { ritz(k) };
        for (b, x) in block.iter_mut().zip(y) {
            b[k] = x;
        }
    }
    // Sign: follow the previous update where the component still points
    // somewhere near it; otherwise (a cold start, or a component orthogonal
    // to the previous one, whose dot product is rounding noise) the largest
    // entry is positive.
    let mut flips = [1.0; 2];
    for (k, comp) in comps.iter_mut().enumerate() {
        let follows = prev.as_ref().map(|pc| (dot(comp, &pc[k]), dot(comp, comp).sqrt() * dot(&pc[k], &pc[k]).sqrt()));
        let flip = match follows {
            Some((d, scale)) if scale > 0.0 && d.abs() > SIGN_FOLLOW * scale => d < 0.0,
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
            for b in block.iter_mut() {
                b[k] = -b[k];
            }
        }
    }
    // X·(Q S) = (X Q) S: the projections come from the stored passes.
    let mut row_scores = vec![[0.0; 2]; n_rows_all];
    for k in 0..2.min(m) {
        let s = combine(&u[..m], |i| vecs[i * m + k] * flips[k], n_rows_all);
        for (r, x) in row_scores.iter_mut().zip(s) {
            r[k] = x;
        }
    }
    let eig = [vals[0].max(0.0), if m >= 2 { vals[1].max(0.0) } else { 0.0 }];
    PcaResult { comps, eigenvalues: eig, block, iterations, converged, row_scores }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sym_eigen_decomposes() {
        let mut rng = SplitMix64::new(3);
        for m in [1, 2, 3, 5, 8, 17, 24] {
            let mut a = vec![0.0; m * m];
            for i in 0..m {
                for j in 0..=i {
                    let x = rng.next_f64() - 0.5;
                    a[i * m + j] = x;
                    a[j * m + i] = x;
                }
            }
            // A repeated eigenvalue too.
            if m == 8 {
                a.iter_mut().for_each(|x| *x = 0.0);
                for i in 0..m {
                    a[i * m + i] = if i < 3 { 2.0 } else { i as f64 };
                }
            }
            let (vals, vecs) = sym_eigen(&a, m);
            for k in 0..m {
                if k > 0 {
                    assert!(vals[k] <= vals[k - 1]);
                }
                for i in 0..m {
                    let av: f64 = (0..m).map(|j| a[i * m + j] * vecs[j * m + k]).sum();
                    assert!((av - vals[k] * vecs[i * m + k]).abs() < 1e-10, "m={m} k={k}");
                }
                for l in 0..m {
                    let d: f64 = (0..m).map(|i| vecs[i * m + k] * vecs[i * m + l]).sum();
                    assert!((d - if k == l { 1.0 } else { 0.0 }).abs() < 1e-10);
                }
            }
        }
    }
}
