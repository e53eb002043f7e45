-- Common ground: Pol.is-style opinion mapping inside the meeting house.
-- A conversation has statements and votes; participants are people or, when
-- the host allows it, browsers (a hashed per-browser token). The engine's
-- latest result and the state that warm-starts the next update are kept as
-- JSON on the conversation, so a restart loses nothing.

CREATE TABLE cg_conversations (
    id               INTEGER PRIMARY KEY,
    host_person      INTEGER NOT NULL REFERENCES people(id),
    host_org         INTEGER REFERENCES organisations(id),
    voice            TEXT NOT NULL CHECK (voice IN ('person', 'affiliated', 'announcement')),
    group_id         INTEGER REFERENCES community_groups(id),
    prompt_id        INTEGER REFERENCES prompts(id),
    topic            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    allow_anonymous  INTEGER NOT NULL DEFAULT 0,
    statement_max    INTEGER NOT NULL DEFAULT 280,
    moderation       TEXT NOT NULL CHECK (moderation IN ('pre', 'post')),
    status           TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at       INTEGER NOT NULL,
    closed_at        INTEGER,
    -- Set when votes or statements changed since the last analysis; cleared
    -- when an analysis run claims the conversation.
    dirty_since      INTEGER,
    analysed_at      INTEGER,
    analysis_json    TEXT,
    state_json       TEXT
);
CREATE INDEX cg_conversations_created ON cg_conversations(created_at);
CREATE INDEX cg_conversations_dirty ON cg_conversations(dirty_since);

CREATE TABLE cg_participants (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES cg_conversations(id),
    person_id       INTEGER REFERENCES people(id),
    -- SHA-256 of the browser's anonymous token, for people without an account.
    anon_hash       TEXT,
    created_at      INTEGER NOT NULL,
    CHECK ((person_id IS NULL) <> (anon_hash IS NULL))
);
CREATE UNIQUE INDEX cg_participants_person ON cg_participants(conversation_id, person_id);
CREATE UNIQUE INDEX cg_participants_anon ON cg_participants(conversation_id, anon_hash);

CREATE TABLE cg_statements (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES cg_conversations(id),
    author          INTEGER NOT NULL REFERENCES cg_participants(id),
    body            TEXT NOT NULL,
    -- pending (waits for a host under pre-moderation), accepted, rejected.
    status          TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    is_seed         INTEGER NOT NULL DEFAULT 0,
    is_meta         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    moderated_at    INTEGER
);
CREATE INDEX cg_statements_conversation ON cg_statements(conversation_id, status, id);

-- One row per participant and statement: the latest vote wins.
-- vote: +1 agree, -1 disagree, 0 pass (the openData export sign).
CREATE TABLE cg_votes (
    conversation_id INTEGER NOT NULL REFERENCES cg_conversations(id),
    participant_id  INTEGER NOT NULL REFERENCES cg_participants(id),
    statement_id    INTEGER NOT NULL REFERENCES cg_statements(id),
    vote            INTEGER NOT NULL CHECK (vote IN (-1, 0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (participant_id, statement_id)
);
CREATE INDEX cg_votes_conversation ON cg_votes(conversation_id, created_at);
