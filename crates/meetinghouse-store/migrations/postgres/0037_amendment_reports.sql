-- Amendments to a group's purpose and objections to them can be reported
-- (core's `moderation`, docs/design/0007-purposes.md, "Reports"). Only the
-- instance moderators decide such reports: the group's hosts have a stake
-- in what becomes of its purpose, so the reports record no scope
-- (`group_id`, `org_id` and `prompt_id` stay NULL) and no host's queue
-- lists them.
--
-- What a decision can do is hide the words: an amendment's reason and
-- proposed text, or an objection's reason. Readers then see "removed by the
-- moderators" in their place (the moderators still read them in the
-- queue). `hidden_at` is when that was done; NULL while they are shown. It
-- never changes whether an objection counts. An open amendment whose words
-- are hidden is withdrawn (state `withdrawn`, which needs no new state and
-- so no change to `purpose_amendments`' CHECK): an amendment readers cannot
-- read cannot be adopted. One already adopted keeps its text, which is a
-- version of the purpose: only its reason is hidden.
ALTER TABLE purpose_amendments ADD COLUMN hidden_at BIGINT;
ALTER TABLE purpose_objections ADD COLUMN hidden_at BIGINT;

-- Two more kinds of report target, `amendment` and `objection`: the CHECK
-- migration 0005 named by default is dropped and added again, wider.
-- Every row and every link to a report stays as it is.
ALTER TABLE reports DROP CONSTRAINT reports_target_kind_check;
ALTER TABLE reports ADD CONSTRAINT reports_target_kind_check
    CHECK (target_kind IN ('reply', 'person', 'story', 'amendment', 'objection'));
