-- A person can close their own account (core `closing`). The row stays, as a
-- tombstone that the foreign keys everywhere still point at; `closed_at` is
-- when it was closed, NULL while the account is open. Closing empties what
-- was the person's in the same transaction: `handle` (the shown form) becomes
-- '' while `handle_lower` keeps the handle reserved, so nobody can take it up
-- and pose as them; `email` and `email_lower` become a placeholder that is no
-- email address ("closed-account-<id>"), so the address may sign up again;
-- the password hash can never match; the name is "Former member".
-- A column added, not a rebuild of `people` (which every table refers to).
ALTER TABLE people ADD COLUMN closed_at BIGINT;
