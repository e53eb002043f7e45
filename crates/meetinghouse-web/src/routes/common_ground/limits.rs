//! The rate limits a common-ground form meets, for a conversation: the
//! usual ones (`RateLimits::cg_vote`, `cg_statement`, `cg_newcomer`), or,
//! for a conversation its hosts set up for an in-person event (core
//! `Conversation::in_person`: many people joining from one Wi-Fi), budgets
//! per connection of its own, raised in proportion to the number of people
//! the host expects (`ratelimit.rs`). Each answer is the message to show.

use std::net::IpAddr;

use meetinghouse_core::common_ground::Conversation;

use crate::ratelimit::InPerson;
use crate::state::AppState;

/// The conversation's in-person event, if it is set up for one.
fn event(c: &Conversation) -> Option<InPerson> {
    c.in_person().map(|people| InPerson { conversation: c.row.id, people })
}

/// A vote, by participant (`limit_key`) and connection.
pub fn vote(state: &AppState, c: &Conversation, participant: &str, ip: IpAddr) -> Result<(), &'static str> {
    state.limits.cg_vote(participant, ip, event(c))
}

/// A statement, by participant and connection.
pub fn statement(state: &AppState, c: &Conversation, participant: &str, ip: IpAddr) -> Result<(), &'static str> {
    state.limits.cg_statement(participant, ip, event(c))
}

/// A browser without an account taking part for the first time, by
/// conversation and connection.
pub async fn newcomer(state: &AppState, c: &Conversation, ip: IpAddr) -> Result<(), &'static str> {
    state.limits.cg_newcomer(c.row.id, ip, c.in_person()).await
}
