//! Sparse vote storage: one sorted row of packed cells per participant.
//!
//! A cell is `statement_index << 2 | code` (code 1 agree, 2 disagree, 3 pass),
//! four bytes per vote. Rows are kept sorted by statement so a re-vote is a
//! binary search and an overwrite (latest wins). Column tallies over all
//! participants are maintained incrementally.

use std::collections::HashMap;

use crate::types::{CODE_AGREE, CODE_DISAGREE, StatementMeta, Vote};

#[derive(Debug, Default, Clone)]
pub(crate) struct VoteStore {
    pub pids: Vec<String>,
    pid_index: HashMap<String, u32>,
    pub rows: Vec<Vec<u32>>,
    pub banned: Vec<bool>,
    pub sids: Vec<String>,
    sid_index: HashMap<String, u32>,
    pub meta: Vec<StatementMeta>,
    /// Per statement, over all (non-banned) participants: agrees, disagrees, non-nil.
    pub col_agree: Vec<u32>,
    pub col_disagree: Vec<u32>,
    pub col_count: Vec<u32>,
    pub n_votes: usize,
    /// Cell changes since the engine last took them: (participant, statement,
    /// old code (0 = no vote), new code). Lets the group tallies be updated
    /// instead of recounted. `changes_overflow` is set (and the log dropped)
    /// when it grows past [`MAX_CHANGES`].
    pub changes: Vec<(u32, u32, u8, u8)>,
    pub changes_overflow: bool,
}

pub(crate) const MAX_CHANGES: usize = 1 << 20;

pub(crate) const MAX_STATEMENTS: usize = (u32::MAX >> 2) as usize;

impl VoteStore {
    pub fn statement_index(&self, id: &str) -> Option<u32> {
        self.sid_index.get(id).copied()
    }

    /// Registers or updates a statement; returns its index (None when full).
    pub fn upsert_statement(&mut self, id: &str, meta: StatementMeta) -> Option<u32> {
        if let Some(&s) = self.sid_index.get(id) {
            self.meta[s as usize] = meta;
            return Some(s);
        }
        if self.sids.len() >= MAX_STATEMENTS {
            return None;
        }
        let s = self.sids.len() as u32;
        self.sids.push(id.to_owned());
        self.sid_index.insert(id.to_owned(), s);
        self.meta.push(meta);
        self.col_agree.push(0);
        self.col_disagree.push(0);
        self.col_count.push(0);
        Some(s)
    }

    /// The index of a known participant (never registers one).
    pub fn participant_index(&self, id: &str) -> Option<u32> {
        self.pid_index.get(id).copied()
    }

    pub fn participant(&mut self, id: &str) -> u32 {
        if let Some(&p) = self.pid_index.get(id) {
            return p;
        }
        let p = self.pids.len() as u32;
        self.pids.push(id.to_owned());
        self.pid_index.insert(id.to_owned(), p);
        self.rows.push(Vec::new());
        self.banned.push(false);
        p
    }

    fn tally(&mut self, s: usize, code: u32, delta: i32) {
        let d = |x: &mut u32| *x = x.wrapping_add_signed(delta);
        d(&mut self.col_count[s]);
        if code == CODE_AGREE {
            d(&mut self.col_agree[s]);
        } else if code == CODE_DISAGREE {
            d(&mut self.col_disagree[s]);
        }
    }

    fn log_change(&mut self, p: u32, s: u32, old: u32, new: u32) {
        if self.changes_overflow {
            return;
        }
        if self.changes.len() >= MAX_CHANGES {
            self.changes = Vec::new();
            self.changes_overflow = true;
            return;
        }
        self.changes.push((p, s, old as u8, new as u8));
    }

    /// Sets the vote of participant `p` on statement `s` (latest wins).
    pub fn set_vote(&mut self, p: u32, s: u32, vote: Vote) {
        let code = vote.code();
        let cell = (s << 2) | code;
        let banned = self.banned[p as usize];
        let row = &mut self.rows[p as usize];
        match row.binary_search_by_key(&s, |c| c >> 2) {
            Ok(i) => {
                let old = row[i] & 3;
                row[i] = cell;
                if old != code {
                    self.log_change(p, s, old, code);
                    if !banned {
                        self.tally(s as usize, old, -1);
                        self.tally(s as usize, code, 1);
                    }
                }
            }
            Err(i) => {
                row.insert(i, cell);
                self.n_votes += 1;
                self.log_change(p, s, 0, code);
                if !banned {
                    self.tally(s as usize, code, 1);
                }
            }
        }
    }

    /// Excludes (or re-admits) a participant from all math.
    pub fn set_banned(&mut self, p: u32, banned: bool) {
        if self.banned[p as usize] == banned {
            return;
        }
        self.banned[p as usize] = banned;
        let delta = if banned { -1 } else { 1 };
        let row = std::mem::take(&mut self.rows[p as usize]);
        for &c in &row {
            self.tally((c >> 2) as usize, c & 3, delta);
        }
        self.rows[p as usize] = row;
    }
}
