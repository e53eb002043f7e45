-- Groups and organisations can be reported (core's `moderation`): a group
-- set up to harass someone, an organisation posing as the council. Only the
-- instance moderators decide such reports: a group's hosts and an
-- organisation's admins have a stake in it, so the reports record no scope
-- (`group_id`, `org_id` and `prompt_id` stay NULL) and no host's queue
-- lists them.
--
-- What a decision can do, besides dismissing the report or warning the
-- hosts or admins:
--
-- * archive a group (`community_groups.archived_at`, as its hosts would)
--   and hold it archived: `moderators_archived_at` is when the moderators
--   did, and while it is set only they open the group again (a hold older
--   than the group's latest archiving is spent: it was opened again since).
--   NULL otherwise.
-- * hide an organisation's description and website, the words it says
--   about itself (its page shows "removed by the moderators" in their
--   place; its admins may still edit them, and what they write stays
--   hidden until the moderators look again): `words_hidden_at`, NULL while
--   they are shown.
-- * flag an organisation: its page says that the moderators could not
--   confirm it is who its name says (`flagged_at`, NULL while it is not).
--
-- The moderators' "restore" undoes each of them.
ALTER TABLE community_groups ADD COLUMN moderators_archived_at BIGINT;
ALTER TABLE organisations ADD COLUMN words_hidden_at BIGINT;
ALTER TABLE organisations ADD COLUMN flagged_at BIGINT;

-- Two more kinds of report target, `group` and `org`, and two more actions
-- in the moderation log, `archive` and `flag`: the CHECKs (named by
-- default in migrations 0005 and 0029) are dropped and added again, wider.
-- Every row and every link to a report stays as it is.
ALTER TABLE reports DROP CONSTRAINT reports_target_kind_check;
ALTER TABLE reports ADD CONSTRAINT reports_target_kind_check
    CHECK (target_kind IN ('reply', 'person', 'story', 'amendment', 'objection', 'group', 'org'));
ALTER TABLE moderation_actions DROP CONSTRAINT moderation_actions_action_check;
ALTER TABLE moderation_actions ADD CONSTRAINT moderation_actions_action_check
    CHECK (action IN ('dismiss', 'approve', 'hide', 'restore', 'warn', 'suspend', 'ban', 'lift', 'remove-all', 'archive', 'flag'));
