-- A suspension remembers what the account was before it, so lifting it
-- (when it ends, or early by a moderator) gives back that state: an account
-- still waiting for an admin's approval goes back to waiting, not to active.
-- Suspensions stored before this had no record of it; they resume as active,
-- as they did until now.
ALTER TABLE suspensions ADD COLUMN resume_status TEXT NOT NULL DEFAULT 'active';
