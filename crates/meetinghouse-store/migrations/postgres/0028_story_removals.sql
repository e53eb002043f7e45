-- Stories removed by moderation. A moderator who removes a reported story
-- deletes it as its author would (`stories.deleted_at`: every list, feed,
-- search, the sitemap and `/media` already treat it as gone, and the hourly
-- purge removes it for good after the restore window), and records here that
-- the moderators removed it: its author cannot restore it, only an instance
-- moderator can (which deletes the row). The row goes with the story when it
-- is purged.
CREATE TABLE story_removals (
    story_id   BIGINT PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    moderator  BIGINT REFERENCES people(id) ON DELETE SET NULL,
    report_id  BIGINT REFERENCES reports(id) ON DELETE SET NULL,
    note       TEXT NOT NULL DEFAULT '',
    removed_at BIGINT NOT NULL
);
