-- A person's sessions are listed for them (`/me/sessions`), with "sign out
-- everywhere else": each session keeps the browser and system it was
-- started from, roughly, as the browser's User-Agent says it ("Firefox on
-- Windows"; web `routes/people/sessions.rs` reads it, never storing the
-- header itself), and when it was last used, stamped at most every few
-- minutes (core `accounts::SESSION_SEEN_EVERY_SECS`). Sessions from before
-- this migration have '' (shown as "a browser") and NULL (shown as when
-- they began) until they are next used.
ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;

-- The choice made when an account was closed ('remove' or 'keep'; NULL
-- while it is open and for accounts closed before this migration), so the
-- hourly purge of closed accounts' leftovers (core `closing::purge_leftovers`)
-- removes, as closing did, anything of theirs that a request begun before
-- the close wrote after it.
ALTER TABLE people ADD COLUMN closed_posts TEXT;
