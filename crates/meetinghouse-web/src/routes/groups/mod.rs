//! Groups and networks of networks: list, create, show, membership and nesting.
pub mod create;
pub mod list;
pub mod membership;
pub mod show;
