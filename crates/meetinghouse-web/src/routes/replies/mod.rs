//! One reply: its permalink page, editing with history, retraction, private
//! thanks and asking for a review after moderation.
pub mod act;
pub mod edit;
pub mod show;
