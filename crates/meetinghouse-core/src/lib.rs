//! Meetinghouse's domain: types that parse (not validate) user input, and the
//! use cases that change state. Web forms, CLI commands and (later) federated
//! activities all come through here, so they share one set of permission and
//! validation rules. This crate knows nothing of HTTP or HTML.

pub mod accounts;
pub mod attempts;
pub mod clock;
pub mod closing;
pub mod collection;
pub mod common_ground;
pub mod conversations;
pub mod demo;
mod demo_content;
pub mod error;
pub mod groups;
pub mod interactions;
pub mod markdown;
pub mod media;
pub mod moderation;
pub mod notifications;
pub mod orgs;
pub mod people;
pub mod persona;
pub mod personal_data;
pub mod prompts;
pub mod purposes;
pub mod retention;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod stories;
pub mod subjects;
pub mod types;

pub use error::{CoreError, FieldErrors};
pub use meetinghouse_store::{Backend, Db};

/// The person making a request, as core needs to know them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub is_admin: bool,
    pub email_verified: bool,
    pub status: String,
}

impl Actor {
    pub fn from_row(p: &meetinghouse_store::people::PersonRow) -> Actor {
        Actor {
            id: p.id,
            handle: p.handle.clone(),
            display_name: p.display_name.clone(),
            is_admin: p.is_admin != 0,
            email_verified: p.email_verified_at.is_some(),
            status: p.status.clone(),
        }
    }
}

/// Formats unix seconds as a date people read ("3 March 2026"), in the
/// meeting house's time zone.
pub fn format_date(ts: i64) -> String {
    clock::zone().date(ts)
}
