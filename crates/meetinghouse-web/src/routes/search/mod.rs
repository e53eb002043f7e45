//! Search over public stories, objects and prompts.
pub mod show;
