-- Uploaded images after the media pipeline: the stripped master and its
-- derivatives live in the media store under content-addressed keys; this
-- table records who uploaded what. `variants` is JSON: [[key, width, height], …]
-- smallest first, the master last.
CREATE TABLE media (
    id           INTEGER PRIMARY KEY,
    owner_person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    master_key   TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    mime         TEXT NOT NULL,
    variants     TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX media_owner ON media(owner_person);

-- A story's photos, in order, each with its alt text and caption.
CREATE TABLE story_photos (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    media_id INTEGER NOT NULL REFERENCES media(id),
    position INTEGER NOT NULL,
    alt      TEXT NOT NULL,
    caption  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (story_id, position)
);
