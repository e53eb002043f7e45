//! Safety: reporting, the moderation queue and its actions, the moderation
//! log, the conversation settings, and blocking or muting a person.
pub mod dismiss;
pub mod log;
pub mod queue;
pub mod relate;
pub mod reporter;
pub mod report;
pub mod settings;
