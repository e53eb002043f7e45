//! Organisations: list, create, show, membership.
pub mod create;
pub mod list;
pub mod membership;
pub mod show;
