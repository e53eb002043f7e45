-- A stamp on every attempt counter row, drawn at random when the row is
-- made: a sign-in gives back the wrong password it held (its password was
-- right) only in the row it was counted in, so once a password reset has
-- forgotten the bucket (deleted its rows) and a newer wrong password made
-- the row again, a give-back from before the reset forgives nothing.
-- Rows from before take 0.
ALTER TABLE attempt_counts ADD COLUMN stamp BIGINT NOT NULL DEFAULT 0;
