-- The collection review (core `collection`, design 0005): private fields,
-- withdrawn objects, imports that wait for an instance admin and run in
-- the background, an order for accession numbers, and a log of changes to
-- an organisation's members.

-- Columns an import does not map onto our fields used to be shown to
-- everyone under "More from the collection record": valuations, store
-- locations, donors' addresses. Now they are private unless the mapping
-- publishes them (`[options] publish = [...]`): `extra` holds the published
-- ones, `extra_private` the rest, shown only to the organisation's staff
-- and admins (and instance admins). What was stored before this migration
-- was never chosen for publication, so all of it becomes private until an
-- import with a mapping that publishes it runs again.
ALTER TABLE collection_objects ADD COLUMN extra_private TEXT NOT NULL DEFAULT '{}';
UPDATE collection_objects SET extra_private = extra, extra = '{}' WHERE extra <> '{}';

-- The list's order: accession numbers with their runs of digits compared
-- as numbers (B/10005 before B/100049), made by core's
-- `collection::sort_key` on every write; '' for rows stored before this
-- migration until `collection::fill_sort_keys` (run after migrating and
-- before each import) gives them theirs.
ALTER TABLE collection_objects ADD COLUMN accession_sort TEXT NOT NULL DEFAULT '';

-- A withdrawn object (deaccessioned, imported by mistake, or removed by
-- the moderators) keeps its row, so stories about it keep their link and
-- say it is no longer in the collection; it leaves the list, search and
-- the sitemap. `withdrawn_how`: 'org' (its staff or admins, or an import's
-- "withdraw objects not in this file") or 'moderation' (only the
-- meeting house's moderators put those back).
ALTER TABLE collection_objects ADD COLUMN withdrawn_at INTEGER;
ALTER TABLE collection_objects ADD COLUMN withdrawn_by INTEGER REFERENCES people(id) ON DELETE SET NULL;
ALTER TABLE collection_objects ADD COLUMN withdrawn_how TEXT NOT NULL DEFAULT '';
ALTER TABLE collection_objects ADD COLUMN withdrawn_note TEXT NOT NULL DEFAULT '';
CREATE INDEX collection_objects_live_order ON collection_objects (org_id, accession_sort, accession_key) WHERE withdrawn_at IS NULL;
CREATE INDEX collection_objects_withdrawn ON collection_objects (org_id, id) WHERE withdrawn_at IS NOT NULL;

-- An organisation's collection is open for imports from the browser once
-- an instance admin opened it (`collection_opened_at`): at once for one an
-- instance admin created, otherwise on approving its first import. Those
-- stored before this migration that have objects, or were created by an
-- instance admin, are open. `collection_held_at`: the moderators withdrew
-- its whole collection, and no import runs until they restore it.
ALTER TABLE organisations ADD COLUMN collection_opened_at INTEGER;
ALTER TABLE organisations ADD COLUMN collection_held_at INTEGER;
UPDATE organisations SET collection_opened_at = created_at
WHERE EXISTS (SELECT 1 FROM collection_objects c WHERE c.org_id = organisations.id)
   OR EXISTS (SELECT 1 FROM people p WHERE p.id = organisations.created_by AND p.is_admin = 1);

-- Browser imports, run in the background: what was asked, how far it has
-- gone and, once finished, its report (core `collection::jobs`). `state`:
-- 'waiting' (for an instance admin to open the collection), 'running',
-- 'done', 'failed' (stopped or refused: `outcome` says why), 'declined'.
CREATE TABLE collection_imports (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    person_id    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    file_name    TEXT NOT NULL,
    file_bytes   INTEGER NOT NULL,
    -- JSON: the format, the mapping's text, dry run, withdraw missing.
    options      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'done', 'failed', 'declined')),
    records_read INTEGER NOT NULL DEFAULT 0,
    bytes_read   INTEGER NOT NULL DEFAULT 0,
    -- JSON of the report, once there is one ('' before).
    report       TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX collection_imports_org ON collection_imports (org_id, id);
CREATE INDEX collection_imports_waiting ON collection_imports (id) WHERE state = 'waiting';

-- The file of an import waiting for an instance admin, until it runs or is
-- declined (then the row goes).
CREATE TABLE collection_import_files (
    import_id INTEGER PRIMARY KEY REFERENCES collection_imports(id) ON DELETE CASCADE,
    bytes     BLOB NOT NULL
);

-- Changes to an organisation's members are logged with the others
-- (`org_changes`): the person they were about, while their account is there.
ALTER TABLE org_changes ADD COLUMN about_person INTEGER REFERENCES people(id) ON DELETE SET NULL;
