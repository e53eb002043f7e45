-- A photo taken off a story in an edit is kept for the stories' restore
-- window before the hourly purge removes it (store `media::unused_before`),
-- as a deleted story's photos are: `kept_until` is the purge's cutoff
-- (unix seconds) until which the unused upload stays, NULL for every other
-- upload (kept a day once no story shows it, as before). Putting the photo
-- back on a story clears it.
ALTER TABLE media ADD COLUMN kept_until INTEGER;
