-- Faster bulk writes (issue 3's import target), same behaviour.
--
-- 1. `collection_objects_org` repeated the index that UNIQUE (org_id,
--    accession_key) already builds; every insert paid for both.
-- 2. The FTS5 index kept its own copy of every folded title and body, which
--    nothing reads: queries ask it only for rowids and bm25 ranks, and pages
--    show the text from `search_documents`. A contentless index (SQLite
--    3.43+, with deletes by rowid) stores the index alone. The folded text
--    already indexed is copied across, so no search result is lost.
DROP INDEX IF EXISTS collection_objects_org;

CREATE VIRTUAL TABLE search_fts_new USING fts5(
    title, body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search_fts_new (rowid, title, body) SELECT rowid, title, body FROM search_fts;
DROP TABLE search_fts;
ALTER TABLE search_fts_new RENAME TO search_fts;
