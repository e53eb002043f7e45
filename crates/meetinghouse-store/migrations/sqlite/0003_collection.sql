-- Collection objects: records imported from a collection system, owned by an
-- organisation. The accession number is unique within the organisation,
-- ignoring case; `content_hash` lets a re-import tell unchanged records apart.
CREATE TABLE collection_objects (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    accession_number TEXT NOT NULL,
    accession_key    TEXT NOT NULL,
    title            TEXT NOT NULL,
    makers           TEXT NOT NULL DEFAULT '',
    display_date     TEXT NOT NULL DEFAULT '',
    earliest_year    INTEGER,
    latest_year      INTEGER,
    medium           TEXT NOT NULL DEFAULT '',
    dimensions       TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL DEFAULT '',
    credit_line      TEXT NOT NULL DEFAULT '',
    rights           TEXT NOT NULL DEFAULT '',
    image_urls       TEXT NOT NULL DEFAULT '[]',
    source_url       TEXT NOT NULL DEFAULT '',
    classification   TEXT NOT NULL DEFAULT '',
    extra            TEXT NOT NULL DEFAULT '{}',
    content_hash     TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (org_id, accession_key)
);
CREATE INDEX collection_objects_org ON collection_objects(org_id, accession_key);

-- Stories about objects.
CREATE TABLE story_objects (
    story_id  INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    object_id INTEGER NOT NULL REFERENCES collection_objects(id) ON DELETE CASCADE,
    PRIMARY KEY (story_id, object_id)
);
CREATE INDEX story_objects_object ON story_objects(object_id);
