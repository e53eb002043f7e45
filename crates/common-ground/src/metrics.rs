//! Agreement between two clusterings.

use std::collections::HashMap;
use std::hash::Hash;

fn c2(n: u64) -> f64 {
    (n as f64) * (n as f64 - 1.0) / 2.0
}

/// Adjusted Rand index (Hubert & Arabie) of two labelings of the same items.
/// 1 = identical partitions, ≈0 = chance. Two single-cluster (or all-singleton)
/// partitions that coincide give 1.
pub fn adjusted_rand_index<A: Eq + Hash, B: Eq + Hash>(a: &[A], b: &[B]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 1.0;
    }
    let mut joint: HashMap<(&A, &B), u64> = HashMap::new();
    let mut ca: HashMap<&A, u64> = HashMap::new();
    let mut cb: HashMap<&B, u64> = HashMap::new();
    for i in 0..n {
        *joint.entry((&a[i], &b[i])).or_default() += 1;
        *ca.entry(&a[i]).or_default() += 1;
        *cb.entry(&b[i]).or_default() += 1;
    }
    let index: f64 = joint.values().map(|&x| c2(x)).sum();
    let sa: f64 = ca.values().map(|&x| c2(x)).sum();
    let sb: f64 = cb.values().map(|&x| c2(x)).sum();
    let expected = sa * sb / c2(n as u64);
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return if (index - expected).abs() < 1e-12 { 1.0 } else { 0.0 };
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ari_basics() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 7, 7]), 1.0);
        assert!(adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) < 0.0);
        // sklearn: adjusted_rand_score([0,0,1,2],[0,0,1,1]) = 0.5714285714
        assert!((adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1]) - 0.5714285714285714).abs() < 1e-12);
    }
}
