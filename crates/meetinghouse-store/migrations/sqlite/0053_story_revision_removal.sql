-- The text of an earlier version of a story can be taken out of its
-- history, by the story's author or by the meeting house's moderators
-- (instance admins): its title and body are emptied for good, and the
-- history shows in their place that the text was removed, and by whom
-- (`removed_by`: 'author' or 'moderators'), so it still shows that an
-- edit happened. A removal by the moderators is also in the moderation
-- log. NULL: the version's text is as it was replaced.
ALTER TABLE story_revisions ADD COLUMN removed_by TEXT CHECK (removed_by IN ('author', 'moderators'));
ALTER TABLE story_revisions ADD COLUMN removed_at INTEGER;
