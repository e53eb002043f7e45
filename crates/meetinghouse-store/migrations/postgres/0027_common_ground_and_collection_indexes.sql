-- Indexes for lookups that scanned tables.
--
-- 1. The analysis job asks every second for conversations with changes or
--    with a claim past its lease (store `common_ground::due`): one indexed
--    query per condition, the changes by `cg_conversations_dirty`, the claims
--    by this partial index (a claim is held only while a run is in flight).
--    The claim's time is unix seconds, a BIGINT like every other time
--    (migration 0018 made it a 32-bit INTEGER).
-- 2. Whether a browser has taken part yet (a vote, or a statement of its
--    own) is asked before its first vote or statement counts against its
--    address's budget of new participants: statements by author.
-- 3. An organisation's objects are listed by accession number compared byte
--    by byte, as on SQLite, whatever the database's collation (store
--    `objects::list`: `accession_key COLLATE "C"`); this index holds that
--    order, so a page of a large collection is read, not sorted.
-- 4. The home page's objects with new stories walk the newest live public
--    stories (store `objects::with_recent_stories`) and stop once they have
--    found enough: PostgreSQL reads `stories_public` in time order only past
--    an equality, and `deleted_at IS NULL` is not one, so it sorted every
--    public story. This partial index is in time order. (SQLite walks
--    `stories_public` as it is.)
ALTER TABLE cg_conversations ALTER COLUMN claimed_at TYPE BIGINT;
CREATE INDEX cg_conversations_claimed ON cg_conversations(claimed_at) WHERE claimed_at IS NOT NULL;
CREATE INDEX cg_statements_author ON cg_statements(author);
CREATE INDEX collection_objects_key_order ON collection_objects (org_id, accession_key COLLATE "C");
CREATE INDEX stories_public_newest ON stories (created_at) WHERE visibility = 'public' AND deleted_at IS NULL;
