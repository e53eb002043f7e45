-- Invite codes expire (core `accounts::INVITE_TTL_SECS`, 30 days). Codes
-- made before this have no date, so theirs is counted from now: each still
-- works for 30 days from the upgrade, then no longer.
ALTER TABLE invites ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE invites SET expires_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT) + 2592000;
