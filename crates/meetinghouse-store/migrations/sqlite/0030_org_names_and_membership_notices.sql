-- No organisation takes another's name: each has its name folded (core's
-- `orgs::name_key`: case and accents folded, only letters and digits kept), unique
-- among organisations. The folding is Rust's, not SQL's, so the column
-- starts empty (NULL, which the unique index allows many times) and core
-- fills it for the organisations already here before the next one is
-- created, in that transaction: the oldest of a name keeps it, a later one
-- of the same folded name gets it marked with its id ("name#id"), so names
-- that were already taken twice never fail this migration.
ALTER TABLE organisations ADD COLUMN name_folded TEXT;
CREATE UNIQUE INDEX organisations_name_folded ON organisations(name_folded);

-- Two more kinds of notification: an invitation (to a group or an
-- organisation) and the answer to a request to join a group.
--
-- SQLite cannot change a column's CHECK, so the table is rebuilt: the same
-- columns and foreign keys, every row with its id, then the indexes. No
-- table refers to `notifications`, so dropping the old one loses nothing.
CREATE TABLE notifications_new (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('reply', 'mention', 'thanks', 'moderation', 'join_request', 'invitation', 'membership')),
    text       TEXT NOT NULL,
    url        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER,
    -- 0 while a daily digest still has to mention it.
    emailed    INTEGER NOT NULL DEFAULT 0,
    sender_id  INTEGER REFERENCES people(id) ON DELETE SET NULL,
    reply_id   INTEGER REFERENCES replies(id) ON DELETE SET NULL
);
INSERT INTO notifications_new (id, person_id, kind, text, url, created_at, read_at, emailed, sender_id, reply_id)
SELECT id, person_id, kind, text, url, created_at, read_at, emailed, sender_id, reply_id FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_person ON notifications(person_id, id);
CREATE INDEX notifications_unread ON notifications(person_id, read_at);
CREATE INDEX notifications_digest ON notifications(emailed, person_id);
