//! Instance administration: settings, lists of people, organisations and
//! groups, invites, approvals, and the email outbox.
pub mod index;
pub mod lists;
pub mod outbox;
pub mod settings;
