//! One reply: its permalink page, editing with history, retraction, private
//! thanks and asking for a review after moderation; and a person's own
//! replies, listed.
pub mod act;
pub mod edit;
pub mod mine;
pub mod show;
