-- Attempts at what a rate limit guards (signing in, joining, resetting a
-- password, asking for another confirmation link), counted in the database
-- so that several app servers share one budget. A bucket is the SHA-256 of
-- the limit's name and its key (an address, an email address, an account),
-- never the key itself; a row counts one window of the limit's period. The
-- hourly purge removes windows no limit looks at any more.
CREATE TABLE attempt_counts (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX attempt_counts_window ON attempt_counts (window_start);
