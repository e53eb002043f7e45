//! A group's purpose: the current version and its history, each version
//! with what changed, amendments with their objections and conversation,
//! and the forms to propose, object and withdraw (core's `purposes`).
pub mod amend;
pub mod amendment;
pub mod object;
pub mod show;
pub mod version;
pub mod withdraw;
pub mod withdraw_objection;

use meetinghouse_core::purposes::Piece;

use crate::page::{date, datetime};

/// A word difference as the templates draw it: each run of words with its
/// kind (`same`, `removed`, `added`), and how many words went and came.
pub struct Diff {
    pub parts: Vec<Part>,
    pub removed: usize,
    pub added: usize,
}

pub struct Part {
    pub kind: &'static str,
    pub words: String,
}

impl Diff {
    pub fn new(pieces: &[Piece]) -> Diff {
        let count = |w: &str| w.split(' ').count();
        let (mut removed, mut added) = (0, 0);
        let parts = pieces
            .iter()
            .map(|p| match p {
                Piece::Same(w) => Part { kind: "same", words: w.clone() },
                Piece::Removed(w) => {
                    removed += count(w);
                    Part { kind: "removed", words: w.clone() }
                }
                Piece::Added(w) => {
                    added += count(w);
                    Part { kind: "added", words: w.clone() }
                }
            })
            .collect();
        Diff { parts, removed, added }
    }

    /// "3 words removed, 5 added", or "No words changed".
    pub fn summary(&self) -> String {
        let words = |n: usize| if n == 1 { "1 word".to_string() } else { format!("{n} words") };
        match (self.removed, self.added) {
            (0, 0) => "No words changed.".into(),
            (r, 0) => format!("{} removed.", words(r)),
            (0, a) => format!("{} added.", words(a)),
            (r, a) => format!("{} removed, {} added.", words(r), words(a)),
        }
    }
}

/// A day for templates ("3 March 2026"), on the meeting house's clock.
pub fn day(ts: &i64) -> String {
    date(ts)
}

/// A day and time for templates ("3 Mar 2026 14:05 GMT"), on the meeting house's clock.
pub fn when(ts: &i64) -> String {
    datetime(ts)
}

/// The plain words for an amendment's state.
pub fn state_words(state: &str) -> &'static str {
    meetinghouse_core::purposes::state_words(state)
}
