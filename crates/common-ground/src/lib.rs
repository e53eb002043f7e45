//! # common-ground: a Pol.is-compatible opinion-mapping engine
//!
//! Pure and deterministic. Feed it statements and votes, call
//! [`Engine::update`], get the opinion map: PCA, participant projections,
//! base clusters, opinion groups, representative statements, consensus,
//! group-aware consensus and routing priorities. The algorithm follows the
//! Pol.is math worker (see `docs/design/0002-common-ground.md` for the choices
//! made where Pol.is has quirks). Votes are stored sparsely (4 bytes each) and
//! every update costs O(non-zeros × iterations); the state that makes updates
//! warm-started ([`PersistedState`]) is serialisable.
//!
//! Sign convention: agree = +1, disagree = −1, pass = 0 (openData export
//! sign; Pol.is's database uses the opposite).

mod engine;
pub mod io;
mod kmeans;
pub mod metrics;
mod pca;
pub mod prng;
pub mod replay;
pub mod stats;
mod store;
pub mod table;
mod types;

pub use engine::{Analysis, BaseCluster, Consensus, Engine, Group, PcaOut, PersistedCluster, PersistedState, STATE_VERSION, Smoother};
pub use stats::{ConsensusItem, Direction, RepItem, Tally};
pub use types::{Config, Diagnostic, DiagnosticCode, Moderation, StatementMeta, Vote, VoteEvent};
