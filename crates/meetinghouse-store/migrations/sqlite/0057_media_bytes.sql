-- How many bytes an upload keeps in the media store (its master and every
-- size together), so a person's uploads that no story shows yet can be held
-- to a cap (core `media::WAITING_MAX_BYTES`, store `media::insert_within`).
-- Uploads stored before this count as 0: they are removed within a day
-- unless a story shows them, and a story's photos are not counted.
ALTER TABLE media ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
