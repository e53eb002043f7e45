-- Common ground: a conversation whose analysis keeps failing waits longer
-- before each try (4 s, doubling to 10 minutes) instead of every debounce,
-- on every app server alike (store `analysis_failed`, `due`). One row per
-- conversation whose last try failed, removed when a run stores its result.
-- A table rather than columns on cg_conversations: the worker asks every
-- second, and on SQLite a column added after `analysis_json` is read by
-- walking the large value's overflow pages (see 0048).
CREATE TABLE cg_analysis_failures (
    conversation_id BIGINT PRIMARY KEY REFERENCES cg_conversations(id),
    -- Failures in a row.
    failures        BIGINT NOT NULL,
    -- Not tried again before this time (unix seconds).
    retry_after     BIGINT NOT NULL
);
