//! One reply: its permalink page, editing with history, retraction, private
//! thanks and asking for a review after moderation; and a person's own
//! replies, listed.
pub mod act;
pub mod edit;
pub mod mine;
pub mod show;

use meetinghouse_core::conversations::ReplyView;

/// For an account still waiting for an admin's approval: the notice that
/// takes the place of the reply form (`refused`, unless something else
/// refuses it already), and no "Reply" or "Thank privately" link on
/// `replies` (core `accounts::ensure_can_post` would refuse them).
pub fn while_waiting<'a>(viewer: &crate::viewer::Viewer, refused: &mut Option<String>, replies: impl IntoIterator<Item = &'a mut ReplyView>) {
    if !viewer.actor.as_ref().is_some_and(meetinghouse_core::stories::waiting_for_approval) {
        return;
    }
    refused.get_or_insert_with(|| meetinghouse_core::stories::WAITING_FOR_APPROVAL.to_string());
    for r in replies {
        r.answer_refused = true;
    }
}
