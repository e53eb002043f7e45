-- Common ground: routing apart from the analysis, and a host's edits and
-- reopening (design 0004).

-- The page of every vote needs only the routing priorities of the last
-- analysis, but read them out of `analysis_json`, which holds every point
-- of the map (about 30 KB at 300 participants, megabytes at 100,000). They
-- are now stored apart, one small row per conversation, in the analysis's
-- own compare-and-set transaction (store `save_analysis`). A table rather
-- than a column: on SQLite a column added after `analysis_json` is read
-- by walking the large value's overflow pages.
CREATE TABLE cg_routing (
    conversation_id BIGINT PRIMARY KEY REFERENCES cg_conversations(id),
    -- JSON: [[statement id, priority], …]
    priorities      TEXT NOT NULL
);

-- When a host last changed the topic or the description (shown on the
-- page: people may have voted under the words before), and when a host
-- last opened a closed conversation again (its closing date is cleared).
ALTER TABLE cg_conversations ADD COLUMN edited_at BIGINT;
ALTER TABLE cg_conversations ADD COLUMN reopened_at BIGINT;

-- Open conversations analysed before have no routing row yet: mark them
-- changed, so the worker redraws them within seconds of starting and
-- stores one (until then every statement counts as unseen).
UPDATE cg_conversations SET dirty_since = COALESCE(dirty_since, analysed_at, created_at)
WHERE analysis_json IS NOT NULL AND status = 'open';
