-- Known-device cookies can be revoked (web `routes/account/known_device.rs`):
-- each person has a generation of the browsers their account knows, signed
-- into every known-device cookie. A new password (a reset, a change, or one
-- set from the command line: store `people::set_password`) and "sign out
-- everywhere else" (core `accounts::end_other_sessions`) add one, so every
-- cookie issued before no longer makes a browser known. Cookies issued
-- before this migration carry no generation and are not read any more.
ALTER TABLE people ADD COLUMN device_generation BIGINT NOT NULL DEFAULT 0;
