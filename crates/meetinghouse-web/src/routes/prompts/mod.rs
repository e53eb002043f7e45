//! Prompts: list, open one, a prompt's page with the stories answering it,
//! and its hosts' edit and close.
pub mod close;
pub mod edit;
pub mod list;
pub mod new;
pub mod show;
