-- Indexes for lookups that scanned tables.
--
-- 1. The analysis job asks every second for conversations with changes or
--    with a claim past its lease (store `common_ground::due`): one indexed
--    query per condition, the changes by `cg_conversations_dirty`, the claims
--    by this partial index (a claim is held only while a run is in flight).
-- 2. Whether a browser has taken part yet (a vote, or a statement of its
--    own) is asked before its first vote or statement counts against its
--    address's budget of new participants: statements by author.
-- (On PostgreSQL, this migration also holds accession numbers in byte
-- order and live public stories in time order; here the unique index on
-- accession numbers and `stories_public` already do.)
CREATE INDEX cg_conversations_claimed ON cg_conversations(claimed_at) WHERE claimed_at IS NOT NULL;
CREATE INDEX cg_statements_author ON cg_statements(author);
