//! Votes held compactly while a conversation is loaded: each distinct
//! participant and statement id is held in the table, not once per vote
//! (its text twice: in the list of ids and as the key of their index), and
//! a vote is 16 bytes (its time, the participant's number and the
//! statement's number with the vote), where a list of [`VoteEvent`]s holds
//! two strings per vote (about 150 bytes).
//!
//! [`VoteTable::add_to`] gives an [`Engine`] exactly the votes, in exactly
//! the order, that [`Engine::add_votes`] would have applied from the same
//! events, so the analysis is the same; [`VoteTable::tick_ranges`] splits a
//! history as [`crate::replay::tick_batches`] does.

use std::collections::HashMap;
use std::ops::Range;

use crate::replay::{ReplayOptions, tick_sizes};
use crate::{Engine, Vote, VoteEvent};

/// Where a loader puts the votes it reads: a `Vec<VoteEvent>`, or a
/// [`VoteTable`].
pub trait VoteSink: Default {
    /// Adds one vote. Returns false (and adds nothing) when the sink is full.
    fn push_vote(&mut self, participant: &str, statement: &str, vote: Vote, time: Option<i64>) -> bool;
    /// How many votes it holds.
    fn vote_count(&self) -> usize;
    /// Every statement id voted on (each at least once; in any order).
    fn voted_statements(&self) -> Vec<&str>;
    /// Turns every agree into a disagree and every disagree into an agree
    /// (votes read with the Pol.is database sign, agree = −1, as if they
    /// had the export sign).
    fn flip_agree_disagree(&mut self);
}

impl VoteSink for Vec<VoteEvent> {
    fn push_vote(&mut self, participant: &str, statement: &str, vote: Vote, time: Option<i64>) -> bool {
        self.push(VoteEvent { participant: participant.to_owned(), statement: statement.to_owned(), vote, time });
        true
    }

    fn vote_count(&self) -> usize {
        self.len()
    }

    fn voted_statements(&self) -> Vec<&str> {
        self.iter().map(|v| v.statement.as_str()).collect()
    }

    fn flip_agree_disagree(&mut self) {
        for v in self.iter_mut() {
            v.vote = flipped(v.vote);
        }
    }
}

/// Agree for disagree and disagree for agree; a pass stays a pass.
fn flipped(vote: Vote) -> Vote {
    match vote {
        Vote::Agree => Vote::Disagree,
        Vote::Disagree => Vote::Agree,
        Vote::Pass => Vote::Pass,
    }
}

/// Distinct ids, numbered in the order they first came. Each id's text is
/// held twice, in `names` (number to id) and as a key of `index` (id to
/// number): about twice its length plus 80 bytes an id, against 16 bytes a
/// vote, so small beside the votes (100 statements and 100,000
/// participants for 10 million votes).
#[derive(Debug, Clone, Default)]
struct Ids {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Ids {
    /// The number of `id`, given one if it is new (None past `limit` ids).
    fn intern(&mut self, id: &str, limit: usize) -> Option<u32> {
        if let Some(&n) = self.index.get(id) {
            return Some(n);
        }
        if self.names.len() >= limit {
            return None;
        }
        let n = self.names.len() as u32;
        self.names.push(id.to_owned());
        self.index.insert(id.to_owned(), n);
        Some(n)
    }
}

/// One vote: its time (when `cell & TIMED`), the participant's number, and
/// `statement << 3 | TIMED | vote code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed {
    time: i64,
    participant: u32,
    cell: u32,
}

const TIMED: u32 = 4;
/// Statement numbers fit in the 29 bits above the flag and the code.
const MAX_STATEMENT_IDS: usize = 1 << 29;
const MAX_PARTICIPANT_IDS: usize = u32::MAX as usize;

impl Packed {
    /// The key votes are applied by: time, untimed votes last (as
    /// [`Engine::add_votes`] orders them).
    fn order(&self) -> i64 {
        if self.cell & TIMED != 0 { self.time } else { i64::MAX }
    }

    fn vote(&self) -> Vote {
        match self.cell & 3 {
            1 => Vote::Agree,
            2 => Vote::Disagree,
            _ => Vote::Pass,
        }
    }

    fn time(&self) -> Option<i64> {
        (self.cell & TIMED != 0).then_some(self.time)
    }
}

/// A conversation's votes, compactly: see the module's documentation.
#[derive(Debug, Clone, Default)]
pub struct VoteTable {
    participants: Ids,
    statements: Ids,
    votes: Vec<Packed>,
    /// Whether `votes` is in the order they are applied.
    sorted: bool,
}

impl VoteSink for VoteTable {
    fn push_vote(&mut self, participant: &str, statement: &str, vote: Vote, time: Option<i64>) -> bool {
        let Some(s) = self.statements.intern(statement, MAX_STATEMENT_IDS) else { return false };
        let Some(p) = self.participants.intern(participant, MAX_PARTICIPANT_IDS) else { return false };
        let timed = if time.is_some() { TIMED } else { 0 };
        let v = Packed { time: time.unwrap_or(0), participant: p, cell: (s << 3) | timed | vote.code() };
        self.sorted = self.votes.last().is_none_or(|last| last.order() <= v.order()) && (self.sorted || self.votes.is_empty());
        self.votes.push(v);
        true
    }

    fn vote_count(&self) -> usize {
        self.votes.len()
    }

    fn voted_statements(&self) -> Vec<&str> {
        self.statements.names.iter().map(String::as_str).collect()
    }

    fn flip_agree_disagree(&mut self) {
        for v in &mut self.votes {
            let code = flipped(v.vote()).code();
            v.cell = (v.cell & !3) | code;
        }
    }
}

impl VoteTable {
    /// The votes of a list of events, in the same order.
    pub fn from_events(events: &[VoteEvent]) -> VoteTable {
        let mut t = VoteTable::default();
        for v in events {
            t.push_vote(&v.participant, &v.statement, v.vote, v.time);
        }
        t
    }

    pub fn len(&self) -> usize {
        self.votes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.votes.is_empty()
    }

    /// Distinct participants who voted.
    pub fn n_participants(&self) -> usize {
        self.participants.names.len()
    }

    /// How many votes have no time.
    pub fn untimed(&self) -> usize {
        self.votes.iter().filter(|v| v.cell & TIMED == 0).count()
    }

    /// The votes as (participant, statement, vote, time), in the order
    /// they are held.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, Vote, Option<i64>)> + '_ {
        self.votes.iter().map(|v| {
            (self.participants.names[v.participant as usize].as_str(), self.statements.names[(v.cell >> 3) as usize].as_str(), v.vote(), v.time())
        })
    }

    /// Puts the votes in the order they are applied: by time, untimed votes
    /// last, votes of the same time in the order they came (a stable sort,
    /// as [`Engine::add_votes`] makes).
    fn sort(&mut self) {
        if !self.sorted {
            self.votes.sort_by_key(Packed::order);
            self.sorted = true;
        }
    }

    /// Applies every vote to `engine`, as `engine.add_votes(&events)` would
    /// have with the events they were read from; returns how many were
    /// applied (a vote on a statement the engine does not know is not).
    pub fn add_to(&mut self, engine: &mut Engine) -> usize {
        self.sort();
        self.apply(engine, 0..self.votes.len())
    }

    /// The history split into updates, as ranges of the votes in the order
    /// they are applied: the same split as [`crate::replay::tick_batches`]
    /// makes of the events. Apply each with [`VoteTable::apply`].
    pub fn tick_ranges(&mut self, opts: ReplayOptions) -> Vec<Range<usize>> {
        self.sort();
        let mut start = 0;
        tick_sizes(self.votes.iter().map(Packed::time), opts)
            .into_iter()
            .map(|n| {
                start += n;
                start - n..start
            })
            .collect()
    }

    /// Applies the votes in `range` (of the order [`VoteTable::tick_ranges`]
    /// put them in) to `engine`; returns how many were applied.
    pub fn apply(&self, engine: &mut Engine, range: Range<usize>) -> usize {
        let mut applied = 0;
        for v in &self.votes[range] {
            let p = &self.participants.names[v.participant as usize];
            let s = &self.statements.names[(v.cell >> 3) as usize];
            if engine.vote(p, s, v.vote()) {
                applied += 1;
            }
        }
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vote_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Packed>(), 16);
    }

    #[test]
    fn votes_keep_their_values_and_times() {
        let events = vec![
            VoteEvent { participant: "a".into(), statement: "7".into(), vote: Vote::Agree, time: Some(-5) },
            VoteEvent { participant: "b".into(), statement: "7".into(), vote: Vote::Disagree, time: None },
            VoteEvent { participant: "a".into(), statement: "8".into(), vote: Vote::Pass, time: Some(i64::MAX) },
        ];
        let t = VoteTable::from_events(&events);
        let back: Vec<VoteEvent> = t.iter().map(|(p, s, vote, time)| VoteEvent { participant: p.into(), statement: s.into(), vote, time }).collect();
        assert_eq!(back, events);
        assert_eq!((t.len(), t.n_participants(), t.untimed()), (3, 2, 1));
    }

    #[test]
    fn flipping_swaps_agree_and_disagree_only() {
        let events = vec![
            VoteEvent { participant: "a".into(), statement: "7".into(), vote: Vote::Agree, time: Some(3) },
            VoteEvent { participant: "b".into(), statement: "7".into(), vote: Vote::Disagree, time: None },
            VoteEvent { participant: "a".into(), statement: "8".into(), vote: Vote::Pass, time: Some(1) },
        ];
        let mut t = VoteTable::from_events(&events);
        let mut list = events.clone();
        t.flip_agree_disagree();
        list.flip_agree_disagree();
        let back: Vec<VoteEvent> = t.iter().map(|(p, s, vote, time)| VoteEvent { participant: p.into(), statement: s.into(), vote, time }).collect();
        assert_eq!(back, list);
        assert_eq!(list.iter().map(|v| v.vote).collect::<Vec<_>>(), vec![Vote::Disagree, Vote::Agree, Vote::Pass]);
        assert_eq!(back.iter().map(|v| v.time).collect::<Vec<_>>(), vec![Some(3), None, Some(1)], "times and order kept");
    }
}
