-- "Remove everything they have posted": a moderator who suspends or bans an
-- account may also remove the person's stories and hide their replies, in
-- the same decision. Each story is removed and each reply hidden as a single
-- decision does it (`story_removals`, `replies.status`); the moderation log
-- gets one more entry for the decision, action `remove-all`, saying how many.
ALTER TABLE moderation_actions DROP CONSTRAINT moderation_actions_action_check;
ALTER TABLE moderation_actions ADD CONSTRAINT moderation_actions_action_check
    CHECK (action IN ('dismiss', 'approve', 'hide', 'restore', 'warn', 'suspend', 'ban', 'lift', 'remove-all'));
