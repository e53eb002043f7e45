-- The daily digest's set is the notifications not yet emailed and unread
-- (`emailed = 0 AND read_at IS NULL`). Reading a notification on the site
-- now takes it out (`emailed = 1`: the digest never lists what was read),
-- so the set holds only what a digest still has to mention, and the
-- digest's query (run every minute on every app server) reads it through a
-- partial index rather than every row ever left at `emailed = 0`. The old
-- index on (emailed, person_id) had every such row in it; it goes.
--
-- Notifications read before this are marked the same way.
UPDATE notifications SET emailed = 1 WHERE emailed = 0 AND read_at IS NOT NULL;
DROP INDEX notifications_digest;
CREATE INDEX notifications_undigested ON notifications(person_id, created_at) WHERE emailed = 0 AND read_at IS NULL;

-- The hourly purge removes notifications read more than 180 days ago (core's
-- `retention::READ_NOTIFICATIONS_KEEP_SECS`); it finds them by when they
-- were read. Unread ones are not in this index.
CREATE INDEX notifications_read ON notifications(read_at) WHERE read_at IS NOT NULL;
