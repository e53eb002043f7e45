-- Three more kinds of report target (core `moderation::report`): a
-- common-ground `statement`, a `prompt` and a collection `object`. Each is
-- in the queue of its hosts besides the instance moderators': a
-- statement's report records its conversation's organisation, group and
-- prompt (the hosts core `common_ground::is_host` names), a prompt's
-- report the prompt, an object's report its organisation, in the scope
-- columns migration 0023 added (`group_id`, `org_id`, `prompt_id`).
--
-- SQLite cannot change a column's CHECK, so the reports table is rebuilt
-- as migration 0043 rebuilt it: the same columns, checks and foreign keys,
-- every row with its id, then the indexes as migrations 0013, 0023, 0041
-- and 0043 left them. Dropping the old table deletes its rows first (the
-- pool's connections have foreign keys on), which would set
-- `moderation_actions.report_id` and `story_removals.report_id` (both ON
-- DELETE SET NULL) to NULL: as in 0043 the links are kept aside and put
-- back once the new table has the old name.
CREATE TABLE reports_new (
    id          INTEGER PRIMARY KEY,
    reporter    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('reply', 'person', 'story', 'amendment', 'objection', 'group', 'org', 'statement', 'prompt', 'object')),
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
CREATE INDEX reports_reporter ON reports(reporter, id);

-- What was reported, and what was hidden, as it read then (store
-- `moderation::insert_report_into` and `snapshot_in`): the person
-- moderated can edit or retract their words after a report or a
-- decision, so the words judged are kept for the moderators. A row is
-- written in the statement batch that files a report (`reason`
-- 'reported', about the report's own target) and in the transaction of a
-- decision that hides something (`reason` 'hidden', the decision's report,
-- and the thing hidden: for "remove everything they have posted" each
-- reply, amendment and objection it hides). `title` is a story's,
-- group's, organisation's, prompt's or object's name (an amendment's
-- reason, a person's display name), `body` the text.
--
-- Only those who may see the report in the queue read a snapshot (core
-- `moderation::queue`). It goes with its report (ON DELETE CASCADE: the
-- purge of a story takes its closed reports, store `purge::story_leftovers`),
-- and the hourly purge removes those whose thing is no longer stored
-- (`moderation::purge_snapshots`). A later rebuild of `reports` on SQLite
-- must keep these rows aside as this file keeps the log's links, or the
-- cascade empties the table.
CREATE TABLE report_snapshots (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    reason      TEXT NOT NULL CHECK (reason IN ('reported', 'hidden')),
    target_kind TEXT NOT NULL,
    target_id   INTEGER NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX report_snapshots_report ON report_snapshots(report_id);
CREATE INDEX report_snapshots_target ON report_snapshots(target_kind, target_id, id);

-- Reports filed by one account in the last hour are counted in the
-- database (core `moderation::REPORTS_PER_HOUR`): by reporter and time.
CREATE INDEX reports_reporter_time ON reports(reporter, created_at) WHERE reporter IS NOT NULL;
