-- Common ground under concurrency (design 0004, "Concurrency").

-- One text once per conversation, held by the database rather than only by a
-- check before the insert: two identical statements sent at once are stored
-- once, and the second gets the same "already here" message as before.
-- `body` already is the normalised form (core collapses whitespace and drops
-- control characters before storing; the duplicate check always compared
-- `body`), so no second column is needed.
--
-- Earlier data may hold duplicates from before this index. They are not
-- deleted or merged: they have votes, and a vote on each of two copies cannot
-- become one vote without choosing which one counts. Instead every copy after
-- the first (lowest id) is marked with the first's id in `duplicate_of` (a
-- marker, not a foreign key), and the index leaves marked rows out. They stay as they were (shown, counted,
-- moderated one by one); no new duplicate can be added, since new rows are
-- never marked.
ALTER TABLE cg_statements ADD COLUMN duplicate_of INTEGER;
UPDATE cg_statements SET duplicate_of = (
    SELECT MIN(e.id) FROM cg_statements e
    WHERE e.conversation_id = cg_statements.conversation_id AND e.body = cg_statements.body AND e.id < cg_statements.id
);
CREATE UNIQUE INDEX cg_statements_text ON cg_statements(conversation_id, body) WHERE duplicate_of IS NULL;

-- Analysis runs are numbered: a claim takes the next number, and a result is
-- stored only over a result of an earlier number (compare-and-set). A run
-- that outlives the claim's lease (the debounce) can be claimed again by
-- another app server; whichever finishes last, the older result never
-- replaces the newer one.
ALTER TABLE cg_conversations ADD COLUMN analysis_claims INTEGER NOT NULL DEFAULT 0;
-- The claim number of the stored `analysis_json`; NULL before numbering began.
ALTER TABLE cg_conversations ADD COLUMN analysis_claim INTEGER;

-- Stored summaries put the engine's own diagnostics among the plain notes
-- every visitor reads; summaries now keep them apart, for hosts only. Mark
-- every analysed conversation changed, so the worker redraws it (within a few
-- seconds of starting) and no old summary keeps showing them.
UPDATE cg_conversations SET dirty_since = COALESCE(dirty_since, analysed_at, created_at) WHERE analysis_json IS NOT NULL;
