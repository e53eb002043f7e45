-- 1. A story's title, place and period are one line (core `types::line`),
--    as a person's name is: they are copied into reply, mention and thanks
--    emails, digests and log lines, where a line break would start a line of
--    its own. Rows written before this get the same treatment: a line break
--    (CR LF, CR or LF) or a tab becomes a space. Earlier versions' titles
--    too. (A story's body keeps its lines.)
UPDATE stories SET
    title = TRIM(REPLACE(REPLACE(REPLACE(REPLACE(title, chr(13) || chr(10), ' '), chr(13), ' '), chr(10), ' '), chr(9), ' ')),
    place_name = TRIM(REPLACE(REPLACE(REPLACE(REPLACE(place_name, chr(13) || chr(10), ' '), chr(13), ' '), chr(10), ' '), chr(9), ' ')),
    period_text = TRIM(REPLACE(REPLACE(REPLACE(REPLACE(period_text, chr(13) || chr(10), ' '), chr(13), ' '), chr(10), ' '), chr(9), ' '))
WHERE title LIKE '%' || chr(13) || '%' OR title LIKE '%' || chr(10) || '%' OR title LIKE '%' || chr(9) || '%'
   OR place_name LIKE '%' || chr(13) || '%' OR place_name LIKE '%' || chr(10) || '%' OR place_name LIKE '%' || chr(9) || '%'
   OR period_text LIKE '%' || chr(13) || '%' OR period_text LIKE '%' || chr(10) || '%' OR period_text LIKE '%' || chr(9) || '%';
UPDATE story_revisions SET
    title = TRIM(REPLACE(REPLACE(REPLACE(REPLACE(title, chr(13) || chr(10), ' '), chr(13), ' '), chr(10), ' '), chr(9), ' '))
WHERE title LIKE '%' || chr(13) || '%' OR title LIKE '%' || chr(10) || '%' OR title LIKE '%' || chr(9) || '%';

-- 2. What readers were last shown of a story while it is a draft again: a
--    story taken back to a draft keeps here the title and body readers saw
--    and who saw them (its visibility and group then), so publishing it
--    again with other words puts those in the history (store
--    `stories::update`). The row goes when the story is shown again.
CREATE TABLE story_last_shown (
    story_id   BIGINT PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'group')),
    group_id   BIGINT
);

-- 3. Stored images whose last upload is gone, waiting for their bytes to
--    leave the media store. The purge removes the rows and commits first
--    (so no database lock is held while a file or an S3 object is deleted),
--    then deletes the bytes; a key whose bytes could not be deleted stays
--    here for the next run (store `media::remove_unused`).
CREATE TABLE media_deletions (
    key       TEXT PRIMARY KEY,
    queued_at BIGINT NOT NULL
);
