-- Stories and prompts. Authors are personas: a person, optionally at an
-- organisation (voice 'affiliated'), or an organisation's announcement voice.

CREATE TABLE prompts (
    id            INTEGER PRIMARY KEY,
    host_person   INTEGER NOT NULL REFERENCES people(id),
    host_org      INTEGER REFERENCES organisations(id),
    voice         TEXT NOT NULL CHECK (voice IN ('person', 'affiliated', 'announcement')),
    question      TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    opens_at      INTEGER NOT NULL,
    closes_at     INTEGER,
    group_id      INTEGER REFERENCES community_groups(id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX prompts_open ON prompts(opens_at, closes_at);

CREATE TABLE stories (
    id             INTEGER PRIMARY KEY,
    author_person  INTEGER NOT NULL REFERENCES people(id),
    author_org     INTEGER REFERENCES organisations(id),
    voice          TEXT NOT NULL CHECK (voice IN ('person', 'affiliated', 'announcement')),
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    place_name     TEXT NOT NULL DEFAULT '',
    -- Coordinates rounded to 0.001° (about 100 m), stored as integers.
    lat_milli      INTEGER,
    lon_milli      INTEGER,
    period_text    TEXT NOT NULL DEFAULT '',
    year_from      INTEGER,
    year_to        INTEGER,
    prompt_id      INTEGER REFERENCES prompts(id),
    licence        TEXT NOT NULL CHECK (licence IN ('cc0', 'cc-by-4.0', 'cc-by-sa-4.0', 'all-rights-reserved')),
    consent_people INTEGER NOT NULL DEFAULT 0,
    consent_minors INTEGER NOT NULL DEFAULT 0,
    visibility     TEXT NOT NULL CHECK (visibility IN ('public', 'group', 'draft')),
    group_id       INTEGER REFERENCES community_groups(id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER
);
CREATE INDEX stories_public ON stories(visibility, deleted_at, created_at);
CREATE INDEX stories_prompt ON stories(prompt_id, created_at);
CREATE INDEX stories_author ON stories(author_person, created_at);

-- Every earlier version of a story's text, kept when it is edited.
CREATE TABLE story_revisions (
    id         INTEGER PRIMARY KEY,
    story_id   INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    edited_by  INTEGER NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX story_revisions_story ON story_revisions(story_id, id);
