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
-- so no rebuild of `purpose_amendments`): an amendment readers cannot read
-- cannot be adopted. One already adopted keeps its text, which is a
-- version of the purpose: only its reason is hidden.
ALTER TABLE purpose_amendments ADD COLUMN hidden_at INTEGER;
ALTER TABLE purpose_objections ADD COLUMN hidden_at INTEGER;

-- Two more kinds of report target, `amendment` and `objection`.
--
-- SQLite cannot change a column's CHECK, so the table is rebuilt: the same
-- columns, checks and foreign keys, every row with its id, then the
-- indexes as migrations 0013 and 0023 left them. sqlx runs this file in a
-- transaction, where `PRAGMA foreign_keys = OFF` does nothing, and the
-- pool's connections have foreign keys on: dropping the old table deletes
-- its rows first, and `moderation_actions.report_id` and
-- `story_removals.report_id` (both ON DELETE SET NULL) would lose their
-- links to every report. As in migration 0013 the links are kept aside and
-- put back once the new table has the old name. (Renaming the old table
-- away instead would repoint both at the renamed table.)
CREATE TABLE reports_new (
    id          INTEGER PRIMARY KEY,
    reporter    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('reply', 'person', 'story', 'amendment', 'objection')),
    target_id   INTEGER NOT NULL,
    category    TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '',
    -- The group whose hosts may act on it, when the content belongs to one.
    group_id    INTEGER REFERENCES community_groups(id) ON DELETE SET NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at  INTEGER NOT NULL,
    closed_at   INTEGER,
    org_id      INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
    prompt_id   INTEGER REFERENCES prompts(id) ON DELETE SET NULL
);
INSERT INTO reports_new (id, reporter, target_kind, target_id, category, details, group_id, status, created_at, closed_at, org_id, prompt_id)
SELECT id, reporter, target_kind, target_id, category, details, group_id, status, created_at, closed_at, org_id, prompt_id FROM reports;

CREATE TABLE action_report_links (action_id INTEGER PRIMARY KEY, report_id INTEGER NOT NULL);
INSERT INTO action_report_links (action_id, report_id)
SELECT id, report_id FROM moderation_actions WHERE report_id IS NOT NULL;
CREATE TABLE removal_report_links (story_id INTEGER PRIMARY KEY, report_id INTEGER NOT NULL);
INSERT INTO removal_report_links (story_id, report_id)
SELECT story_id, report_id FROM story_removals WHERE report_id IS NOT NULL;

DROP TABLE reports;
ALTER TABLE reports_new RENAME TO reports;

UPDATE moderation_actions
SET report_id = (SELECT k.report_id FROM action_report_links k WHERE k.action_id = moderation_actions.id)
WHERE id IN (SELECT action_id FROM action_report_links);
DROP TABLE action_report_links;
UPDATE story_removals
SET report_id = (SELECT k.report_id FROM removal_report_links k WHERE k.story_id = story_removals.story_id)
WHERE story_id IN (SELECT story_id FROM removal_report_links);
DROP TABLE removal_report_links;

CREATE INDEX reports_open ON reports(status, id);
CREATE UNIQUE INDEX reports_reporter_open ON reports (reporter, target_kind, target_id) WHERE status = 'open';
CREATE INDEX reports_open_group ON reports(status, group_id, id) WHERE status = 'open' AND group_id IS NOT NULL;
CREATE INDEX reports_open_org ON reports(status, org_id, id) WHERE status = 'open' AND org_id IS NOT NULL;
CREATE INDEX reports_open_prompt ON reports(status, prompt_id, id) WHERE status = 'open' AND prompt_id IS NOT NULL;
