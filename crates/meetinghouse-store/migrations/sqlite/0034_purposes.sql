-- A group's purpose becomes versioned, and its members change it by
-- amendment with consent (core's `purposes`, docs/design/0007-purposes.md).
--
-- An amendment proposes the whole new text against the version it amends
-- (`base_version`). It is open until `closes_at` (a fixed window); then it
-- is adopted when no objection to it is left standing, and otherwise not
-- adopted. Its proposer may withdraw it while it is open; one whose base is
-- no longer the current version when it is settled (another amendment was
-- adopted first) is superseded. `settled_at` is when it left `open`.
CREATE TABLE purpose_amendments (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES community_groups(id) ON DELETE CASCADE,
    base_version INTEGER NOT NULL,
    text         TEXT NOT NULL,
    why          TEXT NOT NULL,
    proposed_by  INTEGER NOT NULL REFERENCES people(id),
    proposed_at  INTEGER NOT NULL,
    closes_at    INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'adopted', 'not_adopted', 'withdrawn', 'superseded')),
    settled_at   INTEGER
);
CREATE INDEX purpose_amendments_group ON purpose_amendments(group_id, id);
-- The settling job's question, every minute on every app server: which open
-- amendments' windows have ended. Only open ones are in this index.
CREATE INDEX purpose_amendments_due ON purpose_amendments(closes_at) WHERE state = 'open';

-- Every version a group's purpose has had: version 1 is the purpose the
-- group was started with, by its creator; each later one was adopted from
-- an amendment. `community_groups.purpose` keeps the current text, so the
-- pages that show a group need no join.
CREATE TABLE purpose_versions (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES community_groups(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    text         TEXT NOT NULL,
    adopted_at   INTEGER NOT NULL,
    amendment_id INTEGER REFERENCES purpose_amendments(id),
    proposed_by  INTEGER REFERENCES people(id) ON DELETE SET NULL,
    UNIQUE (group_id, version)
);

-- One objection per member and amendment; they may change its reason, or
-- withdraw it (kept, marked withdrawn: every voice that shaped an amendment
-- stays visible), while the amendment is open.
CREATE TABLE purpose_objections (
    id           INTEGER PRIMARY KEY,
    amendment_id INTEGER NOT NULL REFERENCES purpose_amendments(id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    reason       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    withdrawn_at INTEGER,
    UNIQUE (amendment_id, person_id)
);

-- Version 1 of every group there is: its purpose as it stands, by whoever
-- started it, when they did. Groups started later get theirs when their
-- first amendment is adopted (core writes it in that transaction).
INSERT INTO purpose_versions (group_id, version, text, adopted_at, amendment_id, proposed_by)
SELECT id, 1, purpose, created_at, NULL, created_by FROM community_groups;

-- Three more kinds of notification: an amendment proposed (to the group's
-- hosts), an objection (to the proposer), and an amendment settled (to
-- its proposer and everyone who objected).
--
-- SQLite cannot change a column's CHECK, so the table is rebuilt as in
-- migration 0030: the same columns and foreign keys, every row with its id,
-- then the indexes as migration 0032 left them. No table refers to
-- `notifications`, so dropping the old one loses nothing.
CREATE TABLE notifications_new (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('reply', 'mention', 'thanks', 'moderation', 'join_request', 'invitation', 'membership',
                                             'amendment', 'objection', 'amendment_outcome')),
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
CREATE INDEX notifications_undigested ON notifications(person_id, created_at) WHERE emailed = 0 AND read_at IS NULL;
CREATE INDEX notifications_read ON notifications(read_at) WHERE read_at IS NOT NULL;
