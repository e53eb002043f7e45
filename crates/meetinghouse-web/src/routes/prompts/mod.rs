//! Prompts: list, open one, and a prompt's page with the stories answering it.
pub mod list;
pub mod new;
pub mod show;
