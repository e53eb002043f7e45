-- Faster bulk writes (issue 3's import target), same behaviour:
-- `collection_objects_org` repeated the index that UNIQUE (org_id,
-- accession_key) already builds, so every insert paid for both.
-- (The SQLite file of this number also makes its FTS5 index contentless.)
DROP INDEX IF EXISTS collection_objects_org;
