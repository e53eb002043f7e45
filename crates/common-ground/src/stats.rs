//! Representativeness, consensus and priority statistics (`repness.clj`,
//! `stats.clj`, `conversation.clj`).

use serde::{Deserialize, Serialize};

/// One-tailed 90 % (Pol.is `z-sig-90`).
pub const Z_90: f64 = 1.2816;

/// One-proportion z-test against 0.5 with +1 pseudocounts.
pub fn prop_test(s: f64, n: f64) -> f64 {
    2.0 * (n + 1.0).sqrt() * ((s + 1.0) / (n + 1.0) - 0.5)
}

/// Two-proportion z-test with +1 pseudocounts on every count.
pub fn two_prop_test(s1: f64, s2: f64, n1: f64, n2: f64) -> f64 {
    let (s1, s2, n1, n2) = (s1 + 1.0, s2 + 1.0, n1 + 1.0, n2 + 1.0);
    let p1 = s1 / n1;
    let p2 = s2 / n2;
    let p = (s1 + s2) / (n1 + n2);
    if p == 1.0 {
        return 0.0;
    }
    let denom = (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if denom > 0.0 { (p1 - p2) / denom } else { 0.0 }
}

/// Agree / disagree / seen tallies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    #[serde(rename = "A")]
    pub agree: u32,
    #[serde(rename = "D")]
    pub disagree: u32,
    #[serde(rename = "S")]
    pub seen: u32,
}

impl Tally {
    pub(crate) fn minus(self, o: Tally) -> Tally {
        Tally {
            agree: self.agree.saturating_sub(o.agree),
            disagree: self.disagree.saturating_sub(o.disagree),
            seen: self.seen.saturating_sub(o.seen),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Agree,
    Disagree,
}

/// A representative statement of a group (Pol.is `repness` entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepItem {
    pub statement: String,
    pub direction: Direction,
    pub n_success: u32,
    pub n_trials: u32,
    pub p_success: f64,
    pub p_test: f64,
    pub repness: f64,
    pub repness_test: f64,
    /// The group's "best agree" head item.
    pub best_agree: bool,
    /// Agrees in the group (set on the best-agree item).
    pub n_agree: Option<u32>,
}

/// A consensus statement (over all participants).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsensusItem {
    pub statement: String,
    pub n_success: u32,
    pub n_trials: u32,
    pub p_success: f64,
    pub p_test: f64,
}

#[derive(Debug, Clone, Copy)]
struct CStats {
    na: f64,
    nd: f64,
    ns: f64,
    pa: f64,
    pd: f64,
    pat: f64,
    pdt: f64,
    ra: f64,
    rd: f64,
    rat: f64,
    rdt: f64,
}

fn cstats(g: Tally, rest: Tally) -> CStats {
    let (na, nd, ns) = (g.agree as f64, g.disagree as f64, g.seen as f64);
    let (ra_, rd_, rs_) = (rest.agree as f64, rest.disagree as f64, rest.seen as f64);
    let pa = (na + 1.0) / (ns + 2.0);
    let pd = (nd + 1.0) / (ns + 2.0);
    CStats {
        na,
        nd,
        ns,
        pa,
        pd,
        pat: prop_test(na, ns),
        pdt: prop_test(nd, ns),
        ra: pa / ((1.0 + ra_) / (2.0 + rs_)),
        rd: pd / ((1.0 + rd_) / (2.0 + rs_)),
        rat: two_prop_test(na, ra_, ns, rs_),
        rdt: two_prop_test(nd, rd_, ns, rs_),
    }
}

fn finalize(id: &str, s: &CStats) -> RepItem {
    if s.rat > s.rdt {
        RepItem {
            statement: id.to_owned(),
            direction: Direction::Agree,
            n_success: s.na as u32,
            n_trials: s.ns as u32,
            p_success: s.pa,
            p_test: s.pat,
            repness: s.ra,
            repness_test: s.rat,
            best_agree: false,
            n_agree: None,
        }
    } else {
        RepItem {
            statement: id.to_owned(),
            direction: Direction::Disagree,
            n_success: s.nd as u32,
            n_trials: s.ns as u32,
            p_success: s.pd,
            p_test: s.pdt,
            repness: s.rd,
            repness_test: s.rdt,
            best_agree: false,
            n_agree: None,
        }
    }
}

fn metric(r: &RepItem) -> f64 {
    r.repness * r.repness_test * r.p_success * r.p_test
}

/// `select-rep-comments` for one group. `cols` = (statement id, group tally,
/// rest tally) in column order, mod-out statements already removed.
pub(crate) fn select_repness(cols: &[(&str, Tally, Tally)], pick_max: usize) -> Vec<RepItem> {
    let mut sufficient: Vec<(usize, RepItem)> = Vec::new();
    let mut best: Option<(f64, RepItem)> = None;
    let mut best_agree: Option<(usize, CStats)> = None;
    for (ci, (id, g, rest)) in cols.iter().enumerate() {
        let s = cstats(*g, *rest);
        let passes = (s.rat > Z_90 && s.pat > Z_90) || (s.rdt > Z_90 && s.pdt > Z_90);
        if passes {
            sufficient.push((ci, finalize(id, &s)));
        }
        if sufficient.is_empty() {
            let t = s.rat.max(s.rdt);
            if best.as_ref().is_none_or(|(bt, _)| t > *bt) {
                best = Some((t, finalize(id, &s)));
            }
        }
        let beats = if s.na == 0.0 && s.nd == 0.0 {
            false
        } else if let Some((_, cur)) = &best_agree {
            if cur.ra > 1.0 {
                s.ra * s.rat * s.pa * s.pat > cur.ra * cur.rat * cur.pa * cur.pat
            } else {
                s.pa * s.pat > cur.pa * cur.pat
            }
        } else {
            s.pat > Z_90 || (s.ra > 1.0 && s.pa > 0.5)
        };
        if beats {
            best_agree = Some((ci, s));
        }
    }
    let ba = best_agree.map(|(ci, s)| {
        let mut item = finalize(cols[ci].0, &s);
        item.best_agree = true;
        item.n_agree = Some(s.na as u32);
        (ci, item)
    });
    if sufficient.is_empty() {
        return match (ba, best) {
            (Some((_, item)), _) => vec![item],
            (None, Some((_, item))) => vec![item],
            _ => Vec::new(),
        };
    }
    let ba_col = ba.as_ref().map(|(ci, _)| *ci);
    let mut rest: Vec<(usize, RepItem)> = sufficient.into_iter().filter(|(ci, _)| Some(*ci) != ba_col).collect();
    rest.sort_by(|a, b| metric(&b.1).total_cmp(&metric(&a.1)));
    let mut out: Vec<RepItem> = ba.into_iter().map(|(_, i)| i).chain(rest.into_iter().map(|(_, i)| i)).take(pick_max).collect();
    // Stable partition: agree first.
    out.sort_by_key(|r| r.direction == Direction::Disagree);
    out
}

/// Classic consensus over everyone: (agree, disagree) lists.
pub(crate) fn select_consensus(cols: &[(&str, Tally)], pick_max: usize) -> (Vec<ConsensusItem>, Vec<ConsensusItem>) {
    let mut agree = Vec::new();
    let mut disagree = Vec::new();
    for (id, t) in cols {
        let (na, nd, ns) = (t.agree as f64, t.disagree as f64, t.seen as f64);
        let pa = (na + 1.0) / (ns + 2.0);
        let pd = (nd + 1.0) / (ns + 2.0);
        let pat = prop_test(na, ns);
        let pdt = prop_test(nd, ns);
        if pa > 0.5 && pat > Z_90 {
            agree.push((pa * pat, ConsensusItem { statement: id.to_string(), n_success: t.agree, n_trials: t.seen, p_success: pa, p_test: pat }));
        }
        if pd > 0.5 && pdt > Z_90 {
            disagree.push((pd * pdt, ConsensusItem { statement: id.to_string(), n_success: t.disagree, n_trials: t.seen, p_success: pd, p_test: pdt }));
        }
    }
    let finish = |mut v: Vec<(f64, ConsensusItem)>| {
        v.sort_by(|a, b| b.0.total_cmp(&a.0));
        v.into_iter().take(pick_max).map(|(_, i)| i).collect::<Vec<_>>()
    };
    (finish(agree), finish(disagree))
}

/// Routing priority of one statement (`priority-metric`).
pub fn priority(t: Tally, extremity: f64, is_meta: bool) -> f64 {
    if is_meta {
        return 49.0;
    }
    let (a, d, s) = (t.agree as f64, t.disagree as f64, t.seen as f64);
    let p = s - (a + d);
    let importance = (1.0 - (p + 1.0) / (s + 2.0)) * (extremity + 1.0) * (a + 1.0) / (s + 2.0);
    let boost = 1.0 + 8.0 * 2f64.powf(-s / 5.0);
    (importance * boost).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn spec_example() {
        // below-100-ptpts tid 13: 6/6 agree → p-success 0.875, p-test 2.6458.
        assert!((prop_test(6.0, 6.0) - 2.6457513110645907).abs() < 1e-12);
        assert_eq!(two_prop_test(0.0, 0.0, 0.0, 0.0), 0.0);
        assert!((priority(Tally::default(), 0.0, false) - (0.25f64 * 9.0).powi(2)).abs() < 1e-12);
        assert_eq!(priority(Tally::default(), 0.0, true), 49.0);
    }
}
