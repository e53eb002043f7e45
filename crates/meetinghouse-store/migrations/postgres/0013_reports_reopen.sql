-- Reporting again after a report was dealt with, and bans that stay bans.

-- 1. A person may report the same reply or person again once their earlier
--    report is closed (it happened again, or they disagree with the outcome).
--    Only one *open* report per reporter and target: the unique constraint
--    over every report becomes a unique index over open ones. Reports the
--    platform files itself have no reporter (NULL) and, as before, are not
--    held to it. Closed reports keep their rows, so the audit log's links to
--    them stay.
ALTER TABLE reports DROP CONSTRAINT reports_reporter_target_kind_target_id_key;
CREATE UNIQUE INDEX reports_reporter_open ON reports (reporter, target_kind, target_id) WHERE status = 'open';

-- 2. A ban is now a suspension row that never ends (until_at is the largest
--    BIGINT), no longer the absence of a row, so a later timed suspension
--    cannot turn it into one that ends (store `moderation::suspend` keeps the
--    later end). Bans given before this migration are the suspended people
--    without a row: give them theirs.
INSERT INTO suspensions (person_id, until_at)
SELECT id, 9223372036854775807 FROM people
WHERE status = 'suspended' AND NOT EXISTS (SELECT 1 FROM suspensions s WHERE s.person_id = people.id);
