//! Seeded force-directed layout (Fruchterman & Reingold 1991) with a grid
//! for the repulsive forces, so a few thousand nodes lay out in well under
//! a second. Positions are in the unit square.

use crate::graph::Csr;
use crate::rng::Rng;

/// Lay out an undirected graph; `iterations` ≈ 150–300 is plenty.
pub fn force_layout(g: &Csr, iterations: usize, seed: u64) -> Vec<(f64, f64)> {
    let n = g.node_count();
    let mut rng = Rng::new(seed);
    let mut pos: Vec<(f64, f64)> = (0..n).map(|_| (rng.unit(), rng.unit())).collect();
    if n <= 1 {
        return pos.iter().map(|_| (0.5, 0.5)).collect();
    }
    let k = (1.0 / n as f64).sqrt();
    let cell = 2.0 * k;
    let mut disp = vec![(0.0f64, 0.0f64); n];
    let mut temp = 0.1;
    let cool = temp / (iterations as f64 + 1.0);
    for _ in 0..iterations {
        disp.iter_mut().for_each(|d| *d = (0.0, 0.0));
        // grid of cells of side 2k over the bounding box
        let (minx, maxx, miny, maxy) = bounds(&pos);
        let gw = (((maxx - minx) / cell).ceil() as usize).clamp(1, 2048);
        let gh = (((maxy - miny) / cell).ceil() as usize).clamp(1, 2048);
        let cx = |x: f64| (((x - minx) / cell) as usize).min(gw - 1);
        let cy = |y: f64| (((y - miny) / cell) as usize).min(gh - 1);
        let mut head = vec![u32::MAX; gw * gh];
        let mut next = vec![u32::MAX; n];
        for v in 0..n {
            let c = cy(pos[v].1) * gw + cx(pos[v].0);
            next[v] = head[c];
            head[c] = v as u32;
        }
        for v in 0..n {
            let (x, y) = pos[v];
            let (gx, gy) = (cx(x) as isize, cy(y) as isize);
            for dy in -1..=1isize {
                for dx in -1..=1isize {
                    let (nx, ny) = (gx + dx, gy + dy);
                    if nx < 0 || ny < 0 || nx >= gw as isize || ny >= gh as isize {
                        continue;
                    }
                    let mut u = head[ny as usize * gw + nx as usize];
                    while u != u32::MAX {
                        let uu = u as usize;
                        if uu != v {
                            let (ddx, ddy) = (x - pos[uu].0, y - pos[uu].1);
                            let d2 = (ddx * ddx + ddy * ddy).max(1e-12);
                            if d2 < cell * cell {
                                let f = k * k / d2; // (k²/d) / d
                                disp[v].0 += ddx * f;
                                disp[v].1 += ddy * f;
                            }
                        }
                        u = next[uu];
                    }
                }
            }
        }
        for v in 0..n {
            for &u in g.neighbours(v) {
                let u = u as usize;
                let (ddx, ddy) = (pos[v].0 - pos[u].0, pos[v].1 - pos[u].1);
                let d = (ddx * ddx + ddy * ddy).sqrt();
                let f = d / k; // (d²/k) / d
                disp[v].0 -= ddx * f;
                disp[v].1 -= ddy * f;
            }
            // gentle gravity keeps separate components in view
            disp[v].0 -= (pos[v].0 - 0.5) * 0.05 / k;
            disp[v].1 -= (pos[v].1 - 0.5) * 0.05 / k;
        }
        for v in 0..n {
            let (dx, dy) = disp[v];
            let len = (dx * dx + dy * dy).sqrt();
            if len > 0.0 {
                let step = len.min(temp);
                pos[v].0 += dx / len * step;
                pos[v].1 += dy / len * step;
            }
        }
        temp -= cool;
    }
    // normalise into the unit square
    let (minx, maxx, miny, maxy) = bounds(&pos);
    let (w, h) = ((maxx - minx).max(1e-9), (maxy - miny).max(1e-9));
    pos.iter()
        .map(|&(x, y)| ((x - minx) / w, (y - miny) / h))
        .collect()
}

fn bounds(pos: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    pos.iter().fold(
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
        |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_and_seeded() {
        let g = Csr {
            offsets: vec![0, 1, 3, 4, 4],
            nbrs: vec![1, 0, 2, 1],
            wts: vec![1.0; 4],
        };
        let a = force_layout(&g, 50, 1);
        assert_eq!(a, force_layout(&g, 50, 1));
        assert!(a.iter().all(|p| p.0.is_finite() && p.1.is_finite()));
    }
}
