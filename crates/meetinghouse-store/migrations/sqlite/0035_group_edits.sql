-- A group's hosts may edit its name, visibility and join policy, and
-- archive it when its work is done. An archived group is read-only: it
-- keeps what it holds for those who could read it, and takes no new
-- members, stories, replies, prompts or conversations (core's
-- `groups::ensure_open_for_changes`). `archived_at` is when it was
-- archived; NULL while it is open.
ALTER TABLE community_groups ADD COLUMN archived_at INTEGER;

-- Who changed what in a group, and when: one row per field changed (`name`,
-- `visibility`, `join_policy`, or `archived` for archiving and unarchiving),
-- shown to its hosts. `field` has no CHECK, so a later kind of change needs
-- no table rebuild on SQLite.
CREATE TABLE group_changes (
    id         INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL REFERENCES community_groups(id) ON DELETE CASCADE,
    changed_by INTEGER REFERENCES people(id) ON DELETE SET NULL,
    field      TEXT NOT NULL,
    old_value  TEXT NOT NULL,
    new_value  TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX group_changes_group ON group_changes(group_id, id);

-- The same for an organisation's details (`name`, `sector`, `description`,
-- `website`, `town`), changed by its admins.
CREATE TABLE org_changes (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    changed_by INTEGER REFERENCES people(id) ON DELETE SET NULL,
    field      TEXT NOT NULL,
    old_value  TEXT NOT NULL,
    new_value  TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX org_changes_org ON org_changes(org_id, id);
