//! Public input types, configuration and diagnostics.

use serde::{Deserialize, Serialize};

/// A vote. The engine uses the openData / red-dwarf sign: agree = +1,
/// disagree = −1, pass = 0 (Pol.is stores the opposite sign internally).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vote {
    Agree,
    Disagree,
    Pass,
}

impl Vote {
    /// From the export sign (+1 agree, −1 disagree, 0 pass).
    pub fn from_export_sign(v: i64) -> Option<Vote> {
        match v {
            1 => Some(Vote::Agree),
            -1 => Some(Vote::Disagree),
            0 => Some(Vote::Pass),
            _ => None,
        }
    }

    /// From the Pol.is database sign (−1 agree, +1 disagree, 0 pass).
    pub fn from_db_sign(v: i64) -> Option<Vote> {
        Self::from_export_sign(-v)
    }

    pub fn export_sign(self) -> i8 {
        match self {
            Vote::Agree => 1,
            Vote::Disagree => -1,
            Vote::Pass => 0,
        }
    }

    pub(crate) fn code(self) -> u32 {
        match self {
            Vote::Agree => CODE_AGREE,
            Vote::Disagree => CODE_DISAGREE,
            Vote::Pass => CODE_PASS,
        }
    }
}

pub(crate) const CODE_AGREE: u32 = 1;
pub(crate) const CODE_DISAGREE: u32 = 2;
pub(crate) const CODE_PASS: u32 = 3;

/// Value of a packed code in the +1-agree encoding (index 0 is unused).
pub(crate) const CODE_VALUE: [f64; 4] = [0.0, 1.0, -1.0, 0.0];

/// Moderation state of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Moderation {
    /// Accepted by a host (openData `moderated = 1`).
    Accepted,
    /// Not (yet) moderated (openData `0`). Counts like accepted in the math.
    #[default]
    Unmoderated,
    /// Rejected (openData `-1`): "mod-out", zeroed in the math.
    Rejected,
}

impl Moderation {
    pub fn from_polis(v: i64) -> Moderation {
        match v {
            v if v < 0 => Moderation::Rejected,
            0 => Moderation::Unmoderated,
            _ => Moderation::Accepted,
        }
    }
    pub fn polis_value(self) -> i8 {
        match self {
            Moderation::Accepted => 1,
            Moderation::Unmoderated => 0,
            Moderation::Rejected => -1,
        }
    }
}

/// What the engine needs to know about a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StatementMeta {
    pub moderation: Moderation,
    /// A meta statement (about the conversation itself): excluded from the
    /// math like a rejected one, fixed routing priority 49.
    pub is_meta: bool,
}

impl StatementMeta {
    pub fn accepted() -> Self {
        Self { moderation: Moderation::Accepted, is_meta: false }
    }
    /// "mod-out": rejected or meta.
    pub fn is_mod_out(&self) -> bool {
        self.moderation == Moderation::Rejected || self.is_meta
    }
}

/// One vote event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteEvent {
    pub participant: String,
    pub statement: String,
    pub vote: Vote,
    /// Unix time in milliseconds, if known. Within one batch, votes are
    /// applied in time order (stable), so the latest vote wins.
    pub time: Option<i64>,
}

/// Engine configuration. Defaults are Pol.is's (`conversation.clj` opts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Seed of the PRNG used for cold-start PCA vectors.
    pub seed: u64,
    /// Number of base clusters (Pol.is `base-k`).
    pub base_k: usize,
    /// Iteration cap of the base k-means (Pol.is `base-iters`).
    pub base_iters: usize,
    /// Largest number of opinion groups (Pol.is `max-k`).
    pub max_k: usize,
    /// Iteration cap of the group k-means (Pol.is effectively uses 20, quirk Q3).
    pub group_iters: usize,
    /// Ticks a new k must win in a row before it is shown (`group-k-buffer`).
    pub k_buffer: u32,
    /// Votes needed to count as "in the conversation" (capped at #statements).
    pub min_votes: usize,
    /// If fewer qualify, the top voters are added up to this many.
    pub min_in_conv: usize,
    /// Cap on PCA passes over the votes (per update).
    pub pca_max_iters: usize,
    /// Relative residual ‖Av − λv‖/λ₁ at which the PCA stops.
    pub pca_tolerance: f64,
    /// On a cold start (no state at all), extra seeded k-means++ starts tried
    /// for each candidate number of groups; the lowest weighted inertia wins
    /// (Pol.is's own start, the first k distinct points, is always tried).
    /// 0 = Pol.is's start only.
    pub cold_restarts: usize,
    /// Worker threads for the O(non-zeros) passes (0 = available cores, max 8).
    /// Results do not depend on this number.
    pub threads: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            seed: 0x5EED_C0DE,
            base_k: 100,
            base_iters: 100,
            max_k: 5,
            group_iters: 20,
            k_buffer: 4,
            min_votes: 7,
            min_in_conv: 15,
            pca_max_iters: 500,
            pca_tolerance: 5e-6,
            cold_restarts: 0,
            threads: 0,
        }
    }
}

/// Something the engine noticed about its input or its own result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub code: DiagnosticCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticCode {
    UnknownStatement,
    VotesOnModeratedOut,
    BannedParticipant,
    NoVotes,
    TooFewParticipants,
    TooFewStatements,
    PcaRankDeficient,
    PcaNotConverged,
    NonFiniteReplaced,
    StateMismatch,
    /// A `Config` value outside its range; the engine says what it used.
    InvalidConfig,
}

impl Diagnostic {
    pub fn new(code: DiagnosticCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}
