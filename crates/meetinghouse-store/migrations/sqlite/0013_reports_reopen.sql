-- Reporting again after a report was dealt with, and bans that stay bans.

-- 1. A person may report the same reply or person again once their earlier
--    report is closed (it happened again, or they disagree with the outcome).
--    Only one *open* report per reporter and target: the unique constraint
--    over every report becomes a unique index over open ones. Reports the
--    platform files itself have no reporter (NULL) and, as before, are not
--    held to it.
--
--    SQLite cannot drop a table's UNIQUE constraint, so the table is rebuilt:
--    the same columns, checks and foreign keys, every row with its id, then
--    the indexes. sqlx runs this file in a transaction, where
--    `PRAGMA foreign_keys = OFF` does nothing, and the pool's connections
--    have foreign keys on. So dropping the old table deletes its rows first,
--    and `moderation_actions.report_id` (ON DELETE SET NULL) would lose its
--    link to every report: the links are kept aside and put back once the new
--    table has the old name. (Renaming the old table away instead would
--    repoint `moderation_actions` at the renamed table.)
CREATE TABLE reports_new (
    id          INTEGER PRIMARY KEY,
    reporter    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('reply', 'person', 'story')),
    target_id   INTEGER NOT NULL,
    category    TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '',
    -- The group whose hosts may act on it, when the content belongs to one.
    group_id    INTEGER REFERENCES community_groups(id) ON DELETE SET NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at  INTEGER NOT NULL,
    closed_at   INTEGER
);
INSERT INTO reports_new (id, reporter, target_kind, target_id, category, details, group_id, status, created_at, closed_at)
SELECT id, reporter, target_kind, target_id, category, details, group_id, status, created_at, closed_at FROM reports;

CREATE TABLE moderation_action_reports (action_id INTEGER PRIMARY KEY, report_id INTEGER NOT NULL);
INSERT INTO moderation_action_reports (action_id, report_id)
SELECT id, report_id FROM moderation_actions WHERE report_id IS NOT NULL;

DROP TABLE reports;
ALTER TABLE reports_new RENAME TO reports;

UPDATE moderation_actions
SET report_id = (SELECT k.report_id FROM moderation_action_reports k WHERE k.action_id = moderation_actions.id)
WHERE id IN (SELECT action_id FROM moderation_action_reports);
DROP TABLE moderation_action_reports;

CREATE INDEX reports_open ON reports(status, id);
CREATE UNIQUE INDEX reports_reporter_open ON reports (reporter, target_kind, target_id) WHERE status = 'open';

-- 2. A ban is now a suspension row that never ends (until_at is the largest
--    integer), no longer the absence of a row, so a later timed suspension
--    cannot turn it into one that ends (store `moderation::suspend` keeps the
--    later end). Bans given before this migration are the suspended people
--    without a row: give them theirs.
INSERT INTO suspensions (person_id, until_at)
SELECT id, 9223372036854775807 FROM people
WHERE status = 'suspended' AND NOT EXISTS (SELECT 1 FROM suspensions s WHERE s.person_id = people.id);
