-- A suspended or banned person cannot sign in to read why, so the
-- moderators' note is kept with the suspension and shown when they try
-- (after their password was right). Suspensions stored before this have
-- no note; the sign-in page then says only until when.
ALTER TABLE suspensions ADD COLUMN note TEXT NOT NULL DEFAULT '';
