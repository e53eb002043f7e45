-- Full-text search over what the public may see. Core keeps it current in
-- the same transaction as each change. Text is folded (lower case, accents
-- removed) in Rust before it is indexed, so both backends match alike.
CREATE TABLE search_documents (
    id      INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('story', 'object', 'prompt')),
    ref_id  INTEGER NOT NULL,
    title   TEXT NOT NULL,
    body    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, ref_id)
);

-- The FTS5 index; its rowid is search_documents.id.
CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
