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
ALTER TABLE community_groups ADD COLUMN moderators_archived_at INTEGER;
ALTER TABLE organisations ADD COLUMN words_hidden_at INTEGER;
ALTER TABLE organisations ADD COLUMN flagged_at INTEGER;

-- Two more kinds of report target, `group` and `org`, and two more actions
-- in the moderation log, `archive` and `flag`.
--
-- SQLite cannot change a column's CHECK, so both tables are rebuilt, as
-- migrations 0037 (reports) and 0029 (the log) did: the same columns,
-- checks and foreign keys, every row with its id, then the indexes as
-- migrations 0013, 0023 and 0041 left them. sqlx runs this file in a
-- transaction, where `PRAGMA foreign_keys = OFF` does nothing, and the
-- pool's connections have foreign keys on: dropping the old reports table
-- deletes its rows first, and `moderation_actions.report_id` and
-- `story_removals.report_id` (both ON DELETE SET NULL) would lose their
-- links to every report. As in migration 0037 the links are kept aside and
-- put back once the new table has the old name. (Renaming the old table
-- away instead would repoint both at the renamed table.) No table refers
-- to `moderation_actions`, so its rebuild loses nothing.
CREATE TABLE reports_new (
    id          INTEGER PRIMARY KEY,
    reporter    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('reply', 'person', 'story', 'amendment', 'objection', 'group', 'org')),
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

UPDATE story_removals
SET report_id = (SELECT k.report_id FROM removal_report_links k WHERE k.story_id = story_removals.story_id)
WHERE story_id IN (SELECT story_id FROM removal_report_links);
DROP TABLE removal_report_links;

CREATE INDEX reports_open ON reports(status, id);
CREATE UNIQUE INDEX reports_reporter_open ON reports (reporter, target_kind, target_id) WHERE status = 'open';
CREATE INDEX reports_open_group ON reports(status, group_id, id) WHERE status = 'open' AND group_id IS NOT NULL;
CREATE INDEX reports_open_org ON reports(status, org_id, id) WHERE status = 'open' AND org_id IS NOT NULL;
CREATE INDEX reports_open_prompt ON reports(status, prompt_id, id) WHERE status = 'open' AND prompt_id IS NOT NULL;
CREATE INDEX reports_reporter ON reports(reporter, id);

-- The log, rebuilt with its wider CHECK; its links to reports are put back
-- from the copy kept above (the rows copied here lost them with the old
-- reports table).
CREATE TABLE moderation_actions_new (
    id          INTEGER PRIMARY KEY,
    moderator   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    report_id   INTEGER REFERENCES reports(id) ON DELETE SET NULL,
    target_kind TEXT NOT NULL,
    target_id   INTEGER NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('dismiss', 'approve', 'hide', 'restore', 'warn', 'suspend', 'ban', 'lift', 'remove-all', 'archive', 'flag')),
    note        TEXT NOT NULL DEFAULT '',
    until_at    INTEGER,
    created_at  INTEGER NOT NULL
);
INSERT INTO moderation_actions_new (id, moderator, report_id, target_kind, target_id, action, note, until_at, created_at)
SELECT a.id, a.moderator, k.report_id, a.target_kind, a.target_id, a.action, a.note, a.until_at, a.created_at
FROM moderation_actions a LEFT JOIN action_report_links k ON k.action_id = a.id;
DROP TABLE moderation_actions;
ALTER TABLE moderation_actions_new RENAME TO moderation_actions;
CREATE INDEX moderation_actions_time ON moderation_actions(id);
DROP TABLE action_report_links;
