//! Organisations: list, create, show, membership; their admins edit them.
pub mod create;
pub mod edit;
pub mod list;
pub mod membership;
pub mod show;
