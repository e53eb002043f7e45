//! The engine: votes in, opinion map out, state carried between updates.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::kmeans::{self, Cluster, P2};
use crate::pca::{self, BLOCK, PcaProblem, Vec4};
use crate::prng::SplitMix64;
use crate::stats::{self, ConsensusItem, RepItem, Tally};
use crate::store::VoteStore;
use crate::types::{CODE_VALUE, Config, Diagnostic, DiagnosticCode, StatementMeta, Vote, VoteEvent};

/// The k smoother (`group-k-smoother`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Smoother {
    pub last_k: Option<usize>,
    pub last_k_count: u32,
    pub smoothed_k: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct State {
    tick: u64,
    pca_block: Option<Vec<Vec4>>,
    in_conv: Vec<bool>,
    /// (id, participant indices)
    base: Vec<(u32, Vec<u32>)>,
    /// k → (group id, base-cluster ids)
    group_clusterings: BTreeMap<usize, Vec<(u32, Vec<u32>)>>,
    smoother: Smoother,
    /// Group tallies of the last update, kept in memory only (not persisted).
    tally_cache: Option<TallyCache>,
}

/// Per-cell vote counts per group, and the group (by id) each participant was
/// counted in. The next update applies the store's change log and moves the
/// rows of participants whose group changed, instead of recounting every vote.
#[derive(Debug, Clone, Default)]
struct TallyCache {
    group_of: Vec<Option<u32>>,
    /// group id → count per packed cell (`s << 2 | code`).
    counts: BTreeMap<u32, Vec<u32>>,
}

/// The version [`Engine::state`] writes. Version 1 had no `rng`; both are read.
pub const STATE_VERSION: u32 = 2;

/// Everything carried from one update to the next, with external ids, so it
/// survives a restart (JSON via serde). Restoring it into an engine holding
/// the same statements and votes continues exactly as the engine that saved
/// it would have (the floats survive a JSON round trip exactly: the crate
/// turns on serde_json's `float_roundtrip`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersistedState {
    pub version: u32,
    pub tick: u64,
    /// PCA warm start: the Ritz block (4 vectors) by statement id.
    pub pca_block: Vec<(String, [f64; BLOCK])>,
    pub in_conv: Vec<String>,
    /// Cluster ids are unique and below `u32::MAX` (reserved).
    pub base_clusters: Vec<PersistedCluster<String>>,
    /// (k, clusters whose members are base-cluster ids), k in 2..=max_k.
    pub group_clusterings: Vec<(usize, Vec<PersistedCluster<u32>>)>,
    pub smoother: Smoother,
    /// State of the engine's random generator (PCA start vectors), so that a
    /// restored engine draws what the saving one would have drawn next.
    /// Absent in version 1: the restoring engine keeps its own (seeded from
    /// `Config.seed`), as before.
    #[serde(default)]
    pub rng: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersistedCluster<M> {
    pub id: u32,
    pub members: Vec<M>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaOut {
    /// Column means (+1 = agree); 0 for mod-out statements.
    pub center: Vec<f64>,
    pub comps: [Vec<f64>; 2],
    pub eigenvalues: [f64; 2],
    pub comment_projection: Vec<[f64; 2]>,
    pub comment_extremity: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseCluster {
    pub id: u32,
    /// Participant indices (into `Analysis::participants`).
    pub members: Vec<usize>,
    pub center: [f64; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: u32,
    pub base_clusters: Vec<u32>,
    /// Participant indices (into `Analysis::participants`).
    pub members: Vec<usize>,
    pub center: [f64; 2],
    /// Tallies of the group's members, aligned with `Analysis::statements`.
    pub votes: Vec<Tally>,
    pub repness: Vec<RepItem>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Consensus {
    pub agree: Vec<ConsensusItem>,
    pub disagree: Vec<ConsensusItem>,
}

/// The result of one update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub tick: u64,
    /// All participants, in order of first appearance.
    pub participants: Vec<String>,
    /// Statements with at least one vote ("columns"), in statement order.
    pub statements: Vec<String>,
    /// Mod-out flag per column (rejected or meta).
    pub mod_out: Vec<bool>,
    /// Unique (latest) votes held.
    pub n_votes: usize,
    pub pca: PcaOut,
    /// Sparsity-aware projection per participant ([0,0] for banned).
    pub projections: Vec<[f64; 2]>,
    /// Participant indices counted in the conversation, ascending.
    pub in_conv: Vec<usize>,
    pub base_clusters: Vec<BaseCluster>,
    /// Number of groups shown (after the k smoother).
    pub k: usize,
    /// Silhouette on base-cluster centres per candidate k.
    pub silhouette: Vec<(usize, f64)>,
    pub groups: Vec<Group>,
    /// Index into `groups` per participant (None: not in conversation).
    pub group_of: Vec<Option<usize>>,
    pub consensus: Consensus,
    /// Π_g (A_g+1)/(S_g+2), aligned with `statements`.
    pub group_aware_consensus: Vec<f64>,
    /// Routing priority, aligned with `statements`.
    pub priorities: Vec<f64>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The opinion-mapping engine for one conversation.
#[derive(Debug, Clone)]
pub struct Engine {
    config: Config,
    store: VoteStore,
    state: State,
    rng: SplitMix64,
    unknown_statement_votes: u64,
    unknown_examples: Vec<String>,
    profile: Vec<(&'static str, f64)>,
}

impl Engine {
    pub fn new(config: Config) -> Self {
        let rng = SplitMix64::new(config.seed);
        Self { config, store: VoteStore::default(), state: State::default(), rng, unknown_statement_votes: 0, unknown_examples: Vec::new(), profile: Vec::new() }
    }

    /// Wall-clock milliseconds of each stage of the last update (for
    /// benchmarks; not part of the deterministic output).
    pub fn last_profile(&self) -> &[(&'static str, f64)] {
        &self.profile
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Registers a statement or changes its moderation / meta flag.
    pub fn upsert_statement(&mut self, id: &str, meta: StatementMeta) {
        self.store.upsert_statement(id, meta);
    }

    pub fn n_participants(&self) -> usize {
        self.store.pids.len()
    }

    pub fn n_statements(&self) -> usize {
        self.store.sids.len()
    }

    pub fn n_votes(&self) -> usize {
        self.store.n_votes
    }

    /// Records a vote (latest wins). A vote on an unknown statement is
    /// dropped and reported in the next update's diagnostics; returns false.
    pub fn vote(&mut self, participant: &str, statement: &str, vote: Vote) -> bool {
        let Some(s) = self.store.statement_index(statement) else {
            self.unknown_statement_votes += 1;
            if self.unknown_examples.len() < 5 && !self.unknown_examples.iter().any(|x| x == statement) {
                self.unknown_examples.push(statement.to_owned());
            }
            return false;
        };
        let p = self.store.participant(participant);
        self.store.set_vote(p, s, vote);
        true
    }

    /// Applies a batch of votes in time order (stable; votes without a time
    /// keep their place after the timed ones), so the latest vote wins.
    pub fn add_votes(&mut self, votes: &[VoteEvent]) -> usize {
        let mut order: Vec<usize> = (0..votes.len()).collect();
        order.sort_by_key(|&i| votes[i].time.unwrap_or(i64::MAX));
        let mut applied = 0;
        for i in order {
            let v = &votes[i];
            if self.vote(&v.participant, &v.statement, v.vote) {
                applied += 1;
            }
        }
        applied
    }

    /// Excludes a participant from all math (Pol.is never honours bans, Q1).
    pub fn set_banned(&mut self, participant: &str, banned: bool) {
        let p = self.store.participant(participant);
        self.store.set_banned(p, banned);
    }

    /// The state to persist between updates.
    pub fn state(&self) -> PersistedState {
        let st = &self.state;
        let pid = |p: u32| self.store.pids[p as usize].clone();
        PersistedState {
            version: STATE_VERSION,
            tick: st.tick,
            pca_block: st
                .pca_block
                .as_ref()
                .map(|b| b.iter().enumerate().filter(|(_, x)| x.iter().any(|&v| v != 0.0)).map(|(s, x)| (self.store.sids[s].clone(), *x)).collect())
                .unwrap_or_default(),
            in_conv: st.in_conv.iter().enumerate().filter(|(_, x)| **x).map(|(p, _)| pid(p as u32)).collect(),
            base_clusters: st.base.iter().map(|(id, m)| PersistedCluster { id: *id, members: m.iter().map(|&p| pid(p)).collect() }).collect(),
            group_clusterings: st
                .group_clusterings
                .iter()
                .map(|(k, cs)| (*k, cs.iter().map(|(id, m)| PersistedCluster { id: *id, members: m.clone() }).collect()))
                .collect(),
            smoother: st.smoother,
            rng: Some(self.rng.state()),
        }
    }

    /// Restores a persisted state, after the statements and votes it was
    /// saved with have been given to the engine. Nothing is registered: a
    /// statement or participant the engine does not know (or a participant
    /// without votes) is left out. A state that is not consistent is repaired
    /// rather than trusted, and every repair is reported (`StateMismatch`):
    /// duplicate cluster ids (the first cluster keeps it), the reserved id
    /// `u32::MAX`, a participant in two base clusters (the first keeps them),
    /// group members that name no base cluster or are in two groups, group
    /// clusterings for a k outside 2..=max_k or listed twice, more than k
    /// clusters for k, a smoother k outside 2..=max_k, non-finite PCA
    /// entries. A version this engine does not read is ignored whole: the
    /// engine starts fresh.
    pub fn restore_state<'s>(&mut self, s: &'s PersistedState) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        if !(1..=STATE_VERSION).contains(&s.version) {
            self.state = State::default();
            self.rng = SplitMix64::new(self.config.seed);
            diags.push(Diagnostic::new(
                DiagnosticCode::StateMismatch,
                format!("saved state has version {}, this engine reads 1 to {STATE_VERSION}: it is ignored and the analysis starts fresh", s.version),
            ));
            return diags;
        }
        let mut report = |n: usize, what: &str| {
            if n > 0 {
                diags.push(Diagnostic::new(DiagnosticCode::StateMismatch, format!("saved state: {n} {what}")));
            }
        };
        let store = &self.store;
        let n_s = store.sids.len();
        let mut block = vec![[0.0; BLOCK]; n_s];
        let mut placed = vec![false; n_s];
        let (mut missing, mut twice, mut non_finite) = (0, 0, 0);
        for (sid, v) in &s.pca_block {
            match store.statement_index(sid) {
                _ if !v.iter().all(|x| x.is_finite()) => non_finite += 1,
                Some(i) if placed[i as usize] => twice += 1,
                Some(i) => {
                    block[i as usize] = *v;
                    placed[i as usize] = true;
                }
                None => missing += 1,
            }
        }
        report(missing, "statements in the PCA block are unknown; they start fresh");
        report(twice, "statements are listed twice in the PCA block; the first entry is kept");
        report(non_finite, "PCA block entries are not finite numbers; they start fresh");

        // Participants: looked up, never registered. One without votes here
        // (gone since the state was saved) is left out.
        let mut gone: BTreeSet<&str> = BTreeSet::new();
        let mut lookup = |p: &'s str| match store.participant_index(p) {
            Some(i) if !store.rows[i as usize].is_empty() => Some(i),
            _ => {
                gone.insert(p);
                None
            }
        };
        let mut in_conv = Vec::new();
        for p in &s.in_conv {
            if let Some(i) = lookup(p) {
                let i = i as usize;
                if in_conv.len() <= i {
                    in_conv.resize(i + 1, false);
                }
                in_conv[i] = true;
            }
        }
        let (mut bad_ids, mut members_twice) = (0, 0);
        let mut base: Vec<(u32, Vec<u32>)> = Vec::with_capacity(s.base_clusters.len());
        let mut base_ids = HashSet::new();
        let mut in_base = HashSet::new();
        for c in &s.base_clusters {
            if c.id == u32::MAX || !base_ids.insert(c.id) {
                bad_ids += 1;
                continue;
            }
            let mut members = Vec::with_capacity(c.members.len());
            for p in &c.members {
                if let Some(i) = lookup(p) {
                    if in_base.insert(i) {
                        members.push(i);
                    } else {
                        members_twice += 1;
                    }
                }
            }
            base.push((c.id, members));
        }
        if !gone.is_empty() {
            let e: Vec<&str> = gone.iter().take(5).copied().collect();
            report(gone.len(), &format!("participants have no votes here (e.g. {}); they are left out", e.join(", ")));
        }
        report(members_twice, "base-cluster memberships repeat a participant; the first is kept");

        let max_k = self.config.max_k.max(2);
        let (mut bad_k, mut extra, mut bad_members) = (0, 0, 0);
        let mut group_clusterings: BTreeMap<usize, Vec<(u32, Vec<u32>)>> = BTreeMap::new();
        for (k, cs) in &s.group_clusterings {
            if !(2..=max_k).contains(k) || group_clusterings.contains_key(k) {
                bad_k += 1;
                continue;
            }
            let (mut ids, mut used) = (HashSet::new(), HashSet::new());
            let mut out = Vec::with_capacity(cs.len());
            for c in cs {
                if c.id == u32::MAX || !ids.insert(c.id) {
                    bad_ids += 1;
                    continue;
                }
                if out.len() >= *k {
                    extra += 1;
                    continue;
                }
                let members: Vec<u32> = c.members.iter().copied().filter(|b| base_ids.contains(b) && used.insert(*b)).collect();
                bad_members += c.members.len() - members.len();
                out.push((c.id, members));
            }
            group_clusterings.insert(*k, out);
        }
        report(bad_ids, "clusters have a duplicate or reserved id; they are dropped");
        report(bad_k, &format!("group clusterings are for a k outside 2..={max_k} or repeat a k; they are dropped"));
        report(extra, "group clusters exceed their clustering's k; they are dropped");
        report(bad_members, "group members name no base cluster or repeat one; they are dropped");

        let mut smoother = s.smoother;
        let fits = |k: Option<usize>| k.is_none_or(|k| (2..=max_k).contains(&k));
        if !fits(smoother.last_k) {
            smoother.last_k = None;
            smoother.last_k_count = 0;
            report(1, "k smoother's last k is out of range; it is reset");
        }
        if !fits(smoother.smoothed_k) {
            smoother.smoothed_k = smoother.smoothed_k.map(|k| k.clamp(2, max_k));
            report(1, &format!("k smoother's shown k is out of range; clamped into 2..={max_k}"));
        }

        self.state = State {
            tick: s.tick,
            pca_block: (!s.pca_block.is_empty()).then_some(block),
            in_conv,
            base,
            group_clusterings,
            smoother,
            tally_cache: None,
        };
        if let Some(r) = s.rng {
            self.rng = SplitMix64::from_state(r);
        }
        diags
    }

    /// Drops what Pol.is's math worker does not persist (spec §3): the group
    /// clusterings for each k and the k smoother. Replaying a history with a
    /// restart in it calls this; the meeting house itself persists both.
    pub fn forget_unpersisted_polis_state(&mut self) {
        self.state.group_clusterings.clear();
        self.state.smoother = Smoother::default();
        self.state.tally_cache = None;
    }

    /// One update ("tick"): the whole pipeline, warm-started from the state.
    pub fn update(&mut self) -> Analysis {
        let cfg = self.config.clone();
        let threads = if cfg.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
        } else {
            cfg.threads.min(64)
        };
        let mut prof: Vec<(&'static str, f64)> = Vec::new();
        let mut clock = std::time::Instant::now();
        let mut mark = |name: &'static str, prof: &mut Vec<(&'static str, f64)>| {
            prof.push((name, clock.elapsed().as_secs_f64() * 1e3));
            clock = std::time::Instant::now();
        };
        let mut diags: Vec<Diagnostic> = Vec::new();
        if self.unknown_statement_votes > 0 {
            diags.push(Diagnostic::new(
                DiagnosticCode::UnknownStatement,
                format!(
                    "{} on unknown statements {} ignored (e.g. {})",
                    if self.unknown_statement_votes == 1 { "1 vote".to_string() } else { format!("{} votes", self.unknown_statement_votes) },
                    if self.unknown_statement_votes == 1 { "was" } else { "were" },
                    self.unknown_examples.join(", ")
                ),
            ));
            // Reported once: the next update counts only what arrives after.
            self.unknown_statement_votes = 0;
            self.unknown_examples.clear();
        }
        if cfg.max_k < 2 {
            diags.push(Diagnostic::new(DiagnosticCode::InvalidConfig, format!("max_k = {} is below 2: up to 2 groups are tried", cfg.max_k)));
        }
        if cfg.base_k < 2 {
            diags.push(Diagnostic::new(DiagnosticCode::InvalidConfig, format!("base_k = {} allows one base cluster only, so there are no opinion groups", cfg.base_k)));
        }
        let changes = std::mem::take(&mut self.store.changes);
        let changes_overflow = std::mem::replace(&mut self.store.changes_overflow, false);
        let store = &self.store;
        let n_p = store.pids.len();
        let n_s = store.sids.len();
        self.state.tick = self.state.tick.saturating_add(1);

        // Columns, centre and centred cell values.
        let has_col: Vec<bool> = store.col_count.iter().map(|&c| c > 0).collect();
        let mod_out_s: Vec<bool> = store.meta.iter().map(StatementMeta::is_mod_out).collect();
        let active: Vec<bool> = (0..n_s).map(|s| has_col[s] && !mod_out_s[s]).collect();
        let n_cols = has_col.iter().filter(|&&x| x).count();
        let n_modout_cols = (0..n_s).filter(|&s| has_col[s] && mod_out_s[s]).count();
        let modout_votes: u64 = (0..n_s).filter(|&s| mod_out_s[s]).map(|s| store.col_count[s] as u64).sum();
        if modout_votes > 0 {
            diags.push(Diagnostic::new(
                DiagnosticCode::VotesOnModeratedOut,
                format!("{modout_votes} votes are on rejected or meta statements: they count for participation but not for the opinion map"),
            ));
        }
        let center: Vec<f64> = (0..n_s)
            .map(|s| if active[s] { (store.col_agree[s] as f64 - store.col_disagree[s] as f64) / store.col_count[s] as f64 } else { 0.0 })
            .collect();
        let mut dev = vec![0.0; n_s * 4];
        for s in 0..n_s {
            if active[s] {
                for code in 1..4 {
                    dev[s * 4 + code] = CODE_VALUE[code] - center[s];
                }
            }
        }
        let skip = &store.banned;
        let n_rows = skip.iter().filter(|&&b| !b).count();
        if store.n_votes == 0 {
            diags.push(Diagnostic::new(DiagnosticCode::NoVotes, "no votes yet"));
        }

        // PCA.
        let warm = self.state.pca_block.as_ref().map(|b| {
            let mut b = b.clone();
            b.resize(n_s, [0.0; BLOCK]);
            b
        });
        let problem = PcaProblem { rows: &store.rows, skip, dev: &dev, active: &active, threads };
        mark("prepare", &mut prof);
        let pca_res = pca::pca(&problem, warm.as_deref(), cfg.pca_max_iters, cfg.pca_tolerance, &mut self.rng);
        mark("pca", &mut prof);
        if !pca_res.converged {
            diags.push(Diagnostic::new(
                DiagnosticCode::PcaNotConverged,
                format!("PCA stopped after {} iterations without reaching the tolerance (eigenvalues too close)", pca_res.iterations),
            ));
        }
        let mut comps = pca_res.comps.clone();
        let [l1, l2] = pca_res.eigenvalues;
        if l1 <= 1e-12 {
            if n_rows >= 2 && n_cols >= 1 {
                diags.push(Diagnostic::new(DiagnosticCode::PcaRankDeficient, "the votes show no variation: every projection is 0"));
            }
            comps = [vec![0.0; n_s], vec![0.0; n_s]];
        } else if l2 <= 1e-10 * l1 {
            diags.push(Diagnostic::new(DiagnosticCode::PcaRankDeficient, "the votes vary along one direction only: the second component is 0"));
            comps[1] = vec![0.0; n_s];
        }
        self.state.pca_block = Some(pca_res.block.clone());

        // Sparsity-aware projections: the last PCA pass already computed
        // Σ_cells (x − c)·pc per row; only the scale √(C / |V_i|) is left.
        // |V_i| counts mod-out columns as voted (Pol.is zeroes them for all).
        let c_f = n_cols as f64;
        let zero_all = l1 <= 1e-12;
        let zero_y = l2 <= 1e-10 * l1;
        let any_modout_votes = modout_votes > 0;
        let projections: Vec<P2> = (0..n_p)
            .map(|i| {
                if skip[i] || zero_all {
                    return [0.0, 0.0];
                }
                let row = &store.rows[i];
                let n_mod = if any_modout_votes { row.iter().filter(|&&c| mod_out_s[(c >> 2) as usize]).count() } else { 0 };
                let nv = (row.len() - n_mod + n_modout_cols).max(1) as f64;
                let scale = (c_f / nv).sqrt();
                let r = pca_res.row_scores[i];
                [r[0] * scale, if zero_y { 0.0 } else { r[1] * scale }]
            })
            .collect();
        mark("projection", &mut prof);
        // Columns in statement order.
        let cols: Vec<usize> = (0..n_s).filter(|&s| has_col[s]).collect();
        let comment_projection: Vec<[f64; 2]> = cols.iter().map(|&s| {
            let f = c_f.sqrt() * (1.0 - center[s]);
            if active[s] { [f * comps[0][s], f * comps[1][s]] } else { [0.0, 0.0] }
        }).collect();
        let comment_extremity: Vec<f64> = comment_projection.iter().map(|p| (p[0] * p[0] + p[1] * p[1]).sqrt()).collect();

        // In-conversation participants (monotone).
        let counts: Vec<usize> = (0..n_p).map(|i| if skip[i] { 0 } else { store.rows[i].len() }).collect();
        let in_conv = &mut self.state.in_conv;
        in_conv.resize(n_p, false);
        let threshold = cfg.min_votes.min(n_cols).max(1);
        for i in 0..n_p {
            if skip[i] {
                in_conv[i] = false;
            } else if counts[i] >= threshold {
                in_conv[i] = true;
            }
        }
        let mut n_in = in_conv.iter().filter(|&&x| x).count();
        if n_in < cfg.min_in_conv {
            let mut rest: Vec<usize> = (0..n_p).filter(|&i| !in_conv[i] && counts[i] > 0).collect();
            rest.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
            for i in rest {
                if n_in >= cfg.min_in_conv {
                    break;
                }
                in_conv[i] = true;
                n_in += 1;
            }
        }
        let in_conv_idx: Vec<usize> = (0..n_p).filter(|&i| in_conv[i]).collect();

        mark("in-conv", &mut prof);
        // Base clusters over in-conv participants.
        let fully_cold = self.state.base.is_empty() && self.state.group_clusterings.is_empty();
        let points: Vec<P2> = in_conv_idx.iter().map(|&i| projections[i]).collect();
        let mut point_of = vec![u32::MAX; n_p];
        for (pi, &i) in in_conv_idx.iter().enumerate() {
            point_of[i] = pi as u32;
        }
        let init = if points.is_empty() {
            Vec::new()
        } else if self.state.base.is_empty() {
            kmeans::cold_start(&points, cfg.base_k.max(1))
        } else {
            let prev: Vec<(u32, Vec<u32>)> = self
                .state
                .base
                .iter()
                .map(|(id, ms)| (*id, ms.iter().map(|&p| point_of.get(p as usize).copied().unwrap_or(u32::MAX)).filter(|&x| x != u32::MAX).collect()))
                .collect();
            kmeans::clean_start(&points, None, &prev, cfg.base_k.max(1))
        };
        mark("base-init", &mut prof);
        let base: Vec<Cluster> = kmeans::kmeans(&points, None, init, cfg.base_iters, threads);
        self.state.base = base.iter().map(|c| (c.id, c.members.iter().map(|&m| in_conv_idx[m as usize] as u32).collect())).collect();

        mark("base-clusters", &mut prof);
        // Group clusters over base-cluster centres.
        let centers: Vec<P2> = base.iter().map(|c| c.center).collect();
        let weights: Vec<f64> = base.iter().map(|c| c.members.len() as f64).collect();
        let n_base = base.len();
        let distinct = kmeans::count_distinct(&centers);
        let max_k = cfg.max_k.min(2 + n_base / 12).max(2);
        let mut silhouettes = Vec::new();
        let mut chosen: Vec<Cluster>;
        let k_shown;
        if distinct < 2 {
            // With base_k < 2 the configuration, not the participants, is
            // why (reported above).
            if n_rows > 0 && (cfg.base_k >= 2 || kmeans::count_distinct(&points) < 2) {
                diags.push(Diagnostic::new(
                    DiagnosticCode::TooFewParticipants,
                    format!(
                        "{} in the conversation with {}: no opinion groups yet",
                        if in_conv_idx.len() == 1 { "1 participant".to_string() } else { format!("{} participants", in_conv_idx.len()) },
                        if distinct == 1 { "1 distinct position".to_string() } else { format!("{distinct} distinct positions") }
                    ),
                ));
            }
            chosen = if n_base > 0 {
                vec![Cluster { id: 0, center: centers_mean(&centers, &weights), members: (0..n_base as u32).collect() }]
            } else {
                Vec::new()
            };
            k_shown = chosen.len();
            self.state.group_clusterings.clear();
        } else {
            let base_slot: HashMap<u32, u32> = base.iter().enumerate().map(|(i, c)| (c.id, i as u32)).collect();
            let mut clusterings: BTreeMap<usize, Vec<Cluster>> = BTreeMap::new();
            for k in 2..=max_k {
                let init = match self.state.group_clusterings.get(&k) {
                    Some(prev) if !prev.is_empty() => {
                        let prev: Vec<(u32, Vec<u32>)> = prev.iter().map(|(id, ms)| (*id, ms.iter().filter_map(|b| base_slot.get(b).copied()).collect())).collect();
                        kmeans::clean_start(&centers, Some(&weights), &prev, k)
                    }
                    _ => kmeans::cold_start(&centers, k),
                };
                let mut cl = kmeans::kmeans(&centers, Some(&weights), init, cfg.group_iters, 1);
                if fully_cold && cfg.cold_restarts > 0 {
                    // No history at all: Pol.is's "first k distinct points"
                    // start is one arbitrary local optimum among many; also try
                    // seeded k-means++ starts and keep the lowest inertia.
                    let mut rng = SplitMix64::new(cfg.seed ^ 0x6B6D_6561_6E73 ^ k as u64);
                    let mut best = kmeans::inertia(&centers, Some(&weights), &cl);
                    for _ in 0..cfg.cold_restarts {
                        let init = kmeans::plus_plus_start(&centers, Some(&weights), k, &mut rng);
                        let alt = kmeans::kmeans(&centers, Some(&weights), init, cfg.group_iters, 1);
                        let e = kmeans::inertia(&centers, Some(&weights), &alt);
                        if alt.len() == cl.len() && e < best * (1.0 - 1e-12) {
                            best = e;
                            cl = alt;
                        }
                    }
                }
                let mut labels = vec![0usize; n_base];
                for (gi, c) in cl.iter().enumerate() {
                    for &m in &c.members {
                        labels[m as usize] = gi;
                    }
                }
                let s = kmeans::silhouette(&centers, &labels, cl.len());
                silhouettes.push((k, if s.is_finite() { s } else { 0.0 }));
                clusterings.insert(k, cl);
            }
            let mut this_k = 2;
            let mut best = f64::NEG_INFINITY;
            for &(k, s) in &silhouettes {
                if s >= best {
                    best = s;
                    this_k = k;
                }
            }
            let sm = &mut self.state.smoother;
            let count = if sm.last_k == Some(this_k) { sm.last_k_count.saturating_add(1) } else { 1 };
            let smoothed = if count >= cfg.k_buffer { this_k } else { sm.smoothed_k.unwrap_or(this_k) };
            let smoothed = smoothed.clamp(2, max_k);
            *sm = Smoother { last_k: Some(this_k), last_k_count: count, smoothed_k: Some(smoothed) };
            chosen = clusterings.get(&smoothed).cloned().unwrap_or_default();
            k_shown = chosen.len();
            self.state.group_clusterings = clusterings
                .iter()
                .map(|(k, cs)| (*k, cs.iter().map(|c| (c.id, c.members.iter().map(|&m| base[m as usize].id).collect())).collect()))
                .collect();
        }
        chosen.sort_by_key(|c| c.id);

        mark("groups", &mut prof);
        // Group membership and tallies (raw votes, in-conv members).
        let mut group_of: Vec<Option<usize>> = vec![None; n_p];
        for (gi, g) in chosen.iter().enumerate() {
            for &b in &g.members {
                for &m in &base[b as usize].members {
                    group_of[in_conv_idx[m as usize]] = Some(gi);
                }
            }
        }
        let n_g = chosen.len();
        let gid_of: Vec<Option<u32>> = group_of.iter().map(|g| g.map(|gi| chosen[gi].id)).collect();
        let cells = n_s * 4;
        // Incremental when the cache exists and the work is a small part of a
        // recount: the logged changes plus the rows of participants who moved.
        let mut cache = self.state.tally_cache.take().filter(|_| !changes_overflow);
        if let Some(c) = &cache {
            let nnz = store.n_votes.max(1);
            let mut work = changes.len();
            for (i, row) in store.rows.iter().enumerate() {
                if c.group_of.get(i).copied().flatten() != gid_of[i] {
                    work += 2 * row.len();
                    if work > nnz / 4 {
                        break;
                    }
                }
            }
            if work > nnz / 4 {
                cache = None;
            }
        }
        let cache = match cache {
            Some(mut c) => {
                for v in c.counts.values_mut() {
                    v.resize(cells, 0);
                }
                c.group_of.resize(n_p, None);
                for &(p, s, old, new) in &changes {
                    if let Some(g) = c.group_of[p as usize] {
                        let t = c.counts.get_mut(&g).expect("cached group");
                        let o = (s as usize) << 2;
                        if old != 0 {
                            t[o | old as usize] -= 1;
                        }
                        t[o | new as usize] += 1;
                    }
                }
                for (i, row) in store.rows.iter().enumerate() {
                    let (was, now) = (c.group_of[i], gid_of[i]);
                    if was == now {
                        continue;
                    }
                    if let Some(g) = was {
                        let t = c.counts.get_mut(&g).expect("cached group");
                        for &cell in row {
                            t[cell as usize] -= 1;
                        }
                    }
                    if let Some(g) = now {
                        let t = c.counts.entry(g).or_insert_with(|| vec![0; cells]);
                        for &cell in row {
                            t[cell as usize] += 1;
                        }
                    }
                }
                c.counts.retain(|g, _| chosen.iter().any(|x| x.id == *g));
                for g in &chosen {
                    c.counts.entry(g.id).or_insert_with(|| vec![0; cells]);
                }
                c.group_of = gid_of;
                c
            }
            None => {
                // One counter per (group, packed cell): a branch-free increment per vote.
                let tally_parts = pca::par_chunks(&pca::chunks(&store.rows), threads, |range| {
                    let mut t = vec![0u32; n_g * cells];
                    for i in range {
                        let Some(g) = group_of[i] else { continue };
                        let t = &mut t[g * cells..(g + 1) * cells];
                        for &c in &store.rows[i] {
                            t[c as usize] += 1;
                        }
                    }
                    t
                });
                let mut counts = vec![0u32; n_g * cells];
                for part in tally_parts {
                    for (a, b) in counts.iter_mut().zip(part) {
                        *a += b;
                    }
                }
                let counts = chosen.iter().enumerate().map(|(gi, g)| (g.id, counts[gi * cells..(gi + 1) * cells].to_vec())).collect();
                TallyCache { group_of: gid_of, counts }
            }
        };
        let tallies: Vec<Vec<Tally>> = chosen
            .iter()
            .map(|g| {
                let counts = &cache.counts[&g.id];
                (0..n_s)
                    .map(|s| {
                        let o = s * 4;
                        Tally { agree: counts[o + 1], disagree: counts[o + 2], seen: counts[o + 1] + counts[o + 2] + counts[o + 3] }
                    })
                    .collect()
            })
            .collect();
        self.state.tally_cache = Some(cache);
        let mut total = vec![Tally::default(); n_s];
        for t in &tallies {
            for (a, b) in total.iter_mut().zip(t) {
                a.agree += b.agree;
                a.disagree += b.disagree;
                a.seen += b.seen;
            }
        }

        mark("tallies", &mut prof);
        // Repness per group.
        let sel_cols: Vec<usize> = cols.iter().copied().filter(|&s| !mod_out_s[s]).collect();
        let groups: Vec<Group> = chosen
            .iter()
            .enumerate()
            .map(|(gi, g)| {
                let items: Vec<(&str, Tally, Tally)> = sel_cols.iter().map(|&s| (store.sids[s].as_str(), tallies[gi][s], total[s].minus(tallies[gi][s]))).collect();
                let mut members: Vec<usize> = g.members.iter().flat_map(|&b| base[b as usize].members.iter().map(|&m| in_conv_idx[m as usize])).collect();
                members.sort_unstable();
                Group {
                    id: g.id,
                    base_clusters: g.members.iter().map(|&b| base[b as usize].id).collect(),
                    members,
                    center: g.center,
                    votes: cols.iter().map(|&s| tallies[gi][s]).collect(),
                    repness: stats::select_repness(&items, 5),
                }
            })
            .collect();

        // Consensus over everyone.
        let cons_cols: Vec<(&str, Tally)> = sel_cols
            .iter()
            .map(|&s| (store.sids[s].as_str(), Tally { agree: store.col_agree[s], disagree: store.col_disagree[s], seen: store.col_count[s] }))
            .collect();
        let (agree, disagree) = stats::select_consensus(&cons_cols, 5);

        let gac: Vec<f64> = cols
            .iter()
            .map(|&s| if n_g == 0 { 0.0 } else { tallies.iter().map(|t| (t[s].agree as f64 + 1.0) / (t[s].seen as f64 + 2.0)).product() })
            .collect();
        let priorities: Vec<f64> = cols.iter().enumerate().map(|(ci, &s)| stats::priority(total[s], comment_extremity[ci], store.meta[s].is_meta)).collect();

        let base_out: Vec<BaseCluster> = base
            .iter()
            .map(|c| {
                let mut members: Vec<usize> = c.members.iter().map(|&m| in_conv_idx[m as usize]).collect();
                members.sort_unstable();
                BaseCluster { id: c.id, members, center: c.center }
            })
            .collect();

        let mut out = Analysis {
            tick: self.state.tick,
            participants: store.pids.clone(),
            statements: cols.iter().map(|&s| store.sids[s].clone()).collect(),
            mod_out: cols.iter().map(|&s| mod_out_s[s]).collect(),
            n_votes: store.n_votes,
            pca: PcaOut {
                center: cols.iter().map(|&s| center[s]).collect(),
                comps: [cols.iter().map(|&s| comps[0][s]).collect(), cols.iter().map(|&s| comps[1][s]).collect()],
                eigenvalues: pca_res.eigenvalues,
                comment_projection,
                comment_extremity,
                iterations: pca_res.iterations,
                converged: pca_res.converged,
            },
            projections,
            in_conv: in_conv_idx,
            base_clusters: base_out,
            k: k_shown,
            silhouette: silhouettes,
            groups,
            group_of,
            consensus: Consensus { agree, disagree },
            group_aware_consensus: gac,
            priorities,
            diagnostics: diags,
        };
        sanitize(&mut out);
        mark("repness+output", &mut prof);
        self.profile = prof;
        out
    }
}

fn centers_mean(c: &[P2], w: &[f64]) -> P2 {
    let sw: f64 = w.iter().sum();
    if sw <= 0.0 {
        return [0.0, 0.0];
    }
    let x = c.iter().zip(w).map(|(p, w)| p[0] * w).sum::<f64>() / sw;
    let y = c.iter().zip(w).map(|(p, w)| p[1] * w).sum::<f64>() / sw;
    [x, y]
}

/// Replaces any non-finite number by 0 and says so: the output never holds NaN.
fn sanitize(a: &mut Analysis) {
    let mut bad = 0usize;
    let mut fix = |x: &mut f64| {
        if !x.is_finite() {
            *x = 0.0;
            bad += 1;
        }
    };
    a.pca.center.iter_mut().for_each(&mut fix);
    a.pca.comps.iter_mut().flatten().for_each(&mut fix);
    a.pca.eigenvalues.iter_mut().for_each(&mut fix);
    a.pca.comment_projection.iter_mut().flatten().for_each(&mut fix);
    a.pca.comment_extremity.iter_mut().for_each(&mut fix);
    a.projections.iter_mut().flatten().for_each(&mut fix);
    a.base_clusters.iter_mut().flat_map(|b| b.center.iter_mut()).for_each(&mut fix);
    for g in &mut a.groups {
        g.center.iter_mut().for_each(&mut fix);
        for r in &mut g.repness {
            for x in [&mut r.p_success, &mut r.p_test, &mut r.repness, &mut r.repness_test] {
                fix(x);
            }
        }
    }
    for c in a.consensus.agree.iter_mut().chain(a.consensus.disagree.iter_mut()) {
        fix(&mut c.p_success);
        fix(&mut c.p_test);
    }
    a.silhouette.iter_mut().for_each(|(_, s)| fix(s));
    a.group_aware_consensus.iter_mut().for_each(&mut fix);
    a.priorities.iter_mut().for_each(&mut fix);
    if bad > 0 {
        a.diagnostics.push(Diagnostic::new(DiagnosticCode::NonFiniteReplaced, format!("{bad} non-finite numbers were replaced by 0")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Vote;

    /// The incrementally kept group tallies equal a recount from the votes,
    /// through new votes, changed votes, new statements, bans and group moves.
    #[test]
    fn incremental_tallies_match_a_recount() {
        let mut rng = SplitMix64::new(5);
        let mut e = Engine::new(Config { threads: 2, ..Config::default() });
        let mut n_s = 30;
        for s in 0..n_s {
            e.upsert_statement(&s.to_string(), StatementMeta::accepted());
        }
        let stance: Vec<Vec<bool>> = (0..3).map(|_| (0..200).map(|_| rng.next_f64() < 0.5).collect()).collect();
        let vote = |rng: &mut SplitMix64, p: usize, s: usize| {
            let r = rng.next_f64();
            let lean = stance[p % 3][s];
            if r < 0.1 { Vote::Pass } else if (r < 0.8) == lean { Vote::Agree } else { Vote::Disagree }
        };
        for round in 0..12 {
            let n_new = if round == 0 { 3000 } else { 150 };
            for _ in 0..n_new {
                let p = rng.below(300) as usize;
                let s = rng.below(n_s as u64) as usize;
                e.vote(&format!("p{p}"), &s.to_string(), vote(&mut rng, p, s));
            }
            if round == 4 {
                for p in 0..20 {
                    e.set_banned(&format!("p{p}"), true);
                }
            }
            if round == 7 {
                e.set_banned("p3", false);
                for s in n_s..n_s + 5 {
                    e.upsert_statement(&s.to_string(), StatementMeta::accepted());
                }
                n_s += 5;
            }
            let a = e.update();
            assert!(!a.groups.is_empty());
            for g in &a.groups {
                let mut want = vec![Tally::default(); e.store.sids.len()];
                for &i in &g.members {
                    for &c in &e.store.rows[i] {
                        let t = &mut want[(c >> 2) as usize];
                        t.seen += 1;
                        match c & 3 {
                            1 => t.agree += 1,
                            2 => t.disagree += 1,
                            _ => {}
                        }
                    }
                }
                let cols: Vec<usize> = a.statements.iter().map(|s| e.store.statement_index(s).unwrap() as usize).collect();
                let want: Vec<Tally> = cols.iter().map(|&s| want[s]).collect();
                assert_eq!(g.votes, want, "round {round}, group {}", g.id);
            }
        }
    }
}
