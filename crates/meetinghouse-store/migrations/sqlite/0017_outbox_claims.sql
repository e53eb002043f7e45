-- The mail worker claims a message before sending it, and a failed send
-- waits before it is tried again (store `outbox::claim`, `mark_failed`).
--
-- claimed_at: when a worker took the message to send it; NULL when nobody
--   has. Several app servers share one outbox, and without a claim two of
--   them sent the same email. The claim lapses after a lease (five minutes,
--   `outbox::CLAIM_LEASE_SECS`), so a message whose worker stopped mid-send
--   is sent by another.
-- next_attempt_at: when the message may be tried (again); NULL when it is
--   not tried again by itself: held (no SMTP server) or given up after about
--   a day of failures. An admin's "Send again" on /admin/outbox sets it
--   back. New mail gets 0: due at once.
-- held: 1 for mail kept on the admin page because no SMTP server is
--   configured (its text stays, so an admin can pass a link on by hand).
ALTER TABLE email_outbox ADD COLUMN claimed_at INTEGER;
ALTER TABLE email_outbox ADD COLUMN next_attempt_at INTEGER DEFAULT 0;
ALTER TABLE email_outbox ADD COLUMN held INTEGER NOT NULL DEFAULT 0;

-- Held mail used to be marked by 1,000 attempts; it was never tried.
UPDATE email_outbox SET held = 1, attempts = 0, next_attempt_at = NULL
WHERE sent_at IS NULL AND attempts >= 1000;
-- Mail that had failed five times was given up. It stays given up rather
-- than going out days late (a reset link lasts an hour); an admin can send
-- it again from /admin/outbox.
UPDATE email_outbox SET next_attempt_at = NULL
WHERE sent_at IS NULL AND held = 0 AND attempts >= 5;
