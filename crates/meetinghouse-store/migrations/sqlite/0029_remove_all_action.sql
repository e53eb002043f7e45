-- "Remove everything they have posted": a moderator who suspends or bans an
-- account may also remove the person's stories and hide their replies, in
-- the same decision. Each story is removed and each reply hidden as a single
-- decision does it (`story_removals`, `replies.status`); the moderation log
-- gets one more entry for the decision, action `remove-all`, saying how many.
--
-- SQLite cannot change a column's CHECK, so the log's table is rebuilt: the
-- same columns and foreign keys, every row with its id, then the index. No
-- table refers to `moderation_actions`, so dropping the old one loses nothing.
CREATE TABLE moderation_actions_new (
    id          INTEGER PRIMARY KEY,
    moderator   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    report_id   INTEGER REFERENCES reports(id) ON DELETE SET NULL,
    target_kind TEXT NOT NULL,
    target_id   INTEGER NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('dismiss', 'approve', 'hide', 'restore', 'warn', 'suspend', 'ban', 'lift', 'remove-all')),
    note        TEXT NOT NULL DEFAULT '',
    until_at    INTEGER,
    created_at  INTEGER NOT NULL
);
INSERT INTO moderation_actions_new (id, moderator, report_id, target_kind, target_id, action, note, until_at, created_at)
SELECT id, moderator, report_id, target_kind, target_id, action, note, until_at, created_at FROM moderation_actions;
DROP TABLE moderation_actions;
ALTER TABLE moderation_actions_new RENAME TO moderation_actions;
CREATE INDEX moderation_actions_time ON moderation_actions(id);
