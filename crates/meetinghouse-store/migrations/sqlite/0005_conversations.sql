-- Conversations, private thanks, notifications, moderation and the
-- interaction record. A conversation hangs off any subject through
-- (subject_kind, subject_id): adding a kind of subject is a line of Rust in
-- core's `subjects` module, not a migration.

-- Replies, threaded. `path` is the chain of ids from the top-level reply,
-- each zero-padded to 12 digits and joined by '/', so ordering by path gives
-- the threaded reading order and one index serves any page of any thread.
CREATE TABLE replies (
    id               INTEGER PRIMARY KEY,
    subject_kind     TEXT NOT NULL,
    subject_id       INTEGER NOT NULL,
    parent_id        INTEGER REFERENCES replies(id),
    depth            INTEGER NOT NULL,
    path             TEXT NOT NULL,
    author_person    INTEGER NOT NULL REFERENCES people(id),
    author_org       INTEGER REFERENCES organisations(id),
    voice            TEXT NOT NULL CHECK (voice IN ('person', 'affiliated', 'announcement')),
    body             TEXT NOT NULL,
    -- visible; pending (waits for review); hidden (by moderators, with a note); retracted (by the author).
    status           TEXT NOT NULL CHECK (status IN ('visible', 'pending', 'hidden', 'retracted')),
    note             TEXT NOT NULL DEFAULT '',
    review_requested INTEGER NOT NULL DEFAULT 0,
    -- Whether the author hosted the subject when they wrote (staff, group host).
    by_host          INTEGER NOT NULL DEFAULT 0,
    -- Whether the subject was public when the reply was written.
    public           INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX replies_subject ON replies(subject_kind, subject_id, path);
CREATE INDEX replies_author ON replies(author_person, id);
CREATE INDEX replies_parent ON replies(parent_id);

-- Earlier versions of a reply's text, kept when it is edited.
CREATE TABLE reply_revisions (
    id         INTEGER PRIMARY KEY,
    reply_id   INTEGER NOT NULL REFERENCES replies(id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX reply_revisions_reply ON reply_revisions(reply_id, id);

-- Reciprocity: the first reply by a host to a community contribution.
CREATE TABLE host_replies (
    contribution_kind TEXT NOT NULL,
    contribution_id   INTEGER NOT NULL,
    reply_id          INTEGER NOT NULL REFERENCES replies(id) ON DELETE CASCADE,
    replied_at        INTEGER NOT NULL,
    PRIMARY KEY (contribution_kind, contribution_id)
);

-- Private appreciation: only the recipient sees who sent it; nobody sees a count.
CREATE TABLE thanks (
    target_kind TEXT NOT NULL,
    target_id   INTEGER NOT NULL,
    sender      INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    recipient   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('thanks', 'resonated', 'learnt')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (target_kind, target_id, sender, kind)
);
CREATE INDEX thanks_recipient ON thanks(recipient, created_at);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('reply', 'mention', 'thanks', 'moderation', 'join_request')),
    text       TEXT NOT NULL,
    url        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER,
    -- 0 while a daily digest still has to mention it.
    emailed    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_person ON notifications(person_id, id);
CREATE INDEX notifications_unread ON notifications(person_id, read_at);
CREATE INDEX notifications_digest ON notifications(emailed, person_id);

-- Email per person: immediate, daily (the default) or off.
CREATE TABLE notification_prefs (
    person_id      INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    email_mode     TEXT NOT NULL CHECK (email_mode IN ('immediate', 'daily', 'off')),
    last_digest_at INTEGER
);

-- Block (they cannot reply to or mention you) and mute (you stop seeing them).
CREATE TABLE person_relations (
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    other_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('block', 'mute')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (person_id, kind, other_id)
);
CREATE INDEX person_relations_other ON person_relations(other_id, kind);

-- The moderation queue: reports by people, plus reviews the platform asks
-- for (a new account's first contributions, an author asking for review).
CREATE TABLE reports (
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
    closed_at   INTEGER,
    UNIQUE (reporter, target_kind, target_id)
);
CREATE INDEX reports_open ON reports(status, id);

-- Every moderation action: the audit log (and, when published, the public log without reporters).
CREATE TABLE moderation_actions (
    id          INTEGER PRIMARY KEY,
    moderator   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    report_id   INTEGER REFERENCES reports(id) ON DELETE SET NULL,
    target_kind TEXT NOT NULL,
    target_id   INTEGER NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('dismiss', 'approve', 'hide', 'restore', 'warn', 'suspend', 'ban', 'lift')),
    note        TEXT NOT NULL DEFAULT '',
    until_at    INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX moderation_actions_time ON moderation_actions(id);

-- A suspension with an end; the jobs worker lifts it when it is over.
CREATE TABLE suspensions (
    person_id  INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    until_at   INTEGER NOT NULL
);

-- The interaction record: who acted (person, and organisation when a
-- persona was used), towards whom, on what, when. Feeds the dashboard and
-- `meetinghouse export interactions`.
CREATE TABLE interactions (
    id            INTEGER PRIMARY KEY,
    source_person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    source_org    INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
    target_person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    target_org    INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('reply', 'mention', 'thanks')),
    subject_kind  TEXT NOT NULL,
    subject_id    INTEGER NOT NULL,
    reply_id      INTEGER REFERENCES replies(id) ON DELETE CASCADE,
    public        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX interactions_time ON interactions(created_at, id);
