-- A prompt's hosts may edit its question, description and closing date, and
-- close it early. When the question changes after stories answer it, the
-- prompt page says it was edited: `question_edited_at` is the last such
-- change (NULL: the question is as first asked, or changed before any
-- answer). Prompts stored before this were never edited.
ALTER TABLE prompts ADD COLUMN question_edited_at BIGINT;
