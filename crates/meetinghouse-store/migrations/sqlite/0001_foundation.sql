-- Foundation: instance settings, people, sessions, email, organisations, groups.
-- Timestamps are unix seconds (INTEGER); flags are 0/1 integers, so the same
-- queries decode on SQLite and PostgreSQL through sqlx's Any driver.

CREATE TABLE instance_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE people (
    id                INTEGER PRIMARY KEY,
    email             TEXT NOT NULL,
    email_lower       TEXT NOT NULL UNIQUE,
    handle            TEXT NOT NULL,
    handle_lower      TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    pronouns          TEXT NOT NULL DEFAULT '',
    bio               TEXT NOT NULL DEFAULT '',
    password_hash     TEXT NOT NULL,
    is_admin          INTEGER NOT NULL DEFAULT 0,
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'suspended')),
    email_verified_at INTEGER,
    created_at        INTEGER NOT NULL
);

CREATE TABLE person_sectors (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    sector    TEXT NOT NULL,
    PRIMARY KEY (person_id, sector)
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_person ON sessions(person_id);

CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE invites (
    code_hash  TEXT PRIMARY KEY,
    created_by INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    used_by    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    used_at    INTEGER
);

CREATE TABLE email_outbox (
    id         INTEGER PRIMARY KEY,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX email_outbox_unsent ON email_outbox(sent_at, id);

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    sector      TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    website     TEXT NOT NULL DEFAULT '',
    town        TEXT NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES people(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE org_members (
    org_id     INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'member')),
    status     TEXT NOT NULL CHECK (status IN ('active', 'invited')),
    invited_by INTEGER REFERENCES people(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, person_id)
);
CREATE INDEX org_members_person ON org_members(person_id);

CREATE TABLE community_groups (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    purpose     TEXT NOT NULL DEFAULT '',
    visibility  TEXT NOT NULL CHECK (visibility IN ('public', 'members')),
    join_policy TEXT NOT NULL CHECK (join_policy IN ('open', 'request', 'invite')),
    created_by  INTEGER REFERENCES people(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

-- A member of a group is a person, an organisation or another group.
CREATE TABLE group_members (
    group_id    INTEGER NOT NULL REFERENCES community_groups(id) ON DELETE CASCADE,
    member_kind TEXT NOT NULL CHECK (member_kind IN ('person', 'org', 'group')),
    member_id   INTEGER NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('host', 'member')),
    status      TEXT NOT NULL CHECK (status IN ('active', 'requested', 'invited')),
    added_by    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_kind, member_id)
);
CREATE INDEX group_members_member ON group_members(member_kind, member_id);
