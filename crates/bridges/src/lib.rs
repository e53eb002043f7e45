//! # bridges: silo and bridging analytics for interaction networks
//!
//! A pure, deterministic engine (seeded; no dependency on the rest of the
//! workspace): E-I index, mixing matrix, attribute assortativity, modularity,
//! Leiden and Louvain, NMI and ARI, reciprocity, components, betweenness
//! (exact and sampled with an error bound), participation coefficient and
//! brokers, isolated groups and per-month windows; readers for CSV and GML;
//! and a self-contained HTML report.
//!
//! See `docs/design/0003-bridges.md` for the choices made.

pub mod analysis;
pub mod centrality;
pub mod community;
mod csv_input;
pub mod graph;
pub mod layout;
pub mod load;
pub mod measures;
pub mod network;
pub mod report;
pub mod rng;

pub use analysis::{Analysis, AnalysisOptions, BetweennessMode, Window, analyse};
pub use community::{Algorithm, Communities, CommunityOptions, Objective};
pub use graph::{Csr, Graph, GraphOptions};
pub use network::{Diagnostic, Network};
