-- The daily digest is claimed by its send time (core's
-- `notifications::digest_time`), not by the clock: `digest_slot` is the send
-- time of the last digest claimed (unix seconds), and a digest is due when
-- it differs from the send time now. A clock that ran ahead and was set
-- back (its stamp in `last_digest_at` still ahead of the true time) no
-- longer stops digests until that time comes round. NULL until the first
-- claim after this migration, which reads `last_digest_at` as before.
ALTER TABLE notification_prefs ADD COLUMN digest_slot BIGINT;
