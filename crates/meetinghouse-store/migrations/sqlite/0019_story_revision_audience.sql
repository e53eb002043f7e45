-- A story's history holds only what readers were shown: each earlier version
-- records who its text was shown to when it was replaced (the story's
-- visibility and group then), and the history page shows a version only to
-- people who could see it then (a version from while the story was shared
-- with a group is shown to that group's members, never to the public). Edits
-- of a draft keep no version at all.
-- Versions stored before this have no record of who saw them (some are the
-- text of drafts), so they are kept for their author only.
ALTER TABLE story_revisions ADD COLUMN visibility TEXT NOT NULL DEFAULT 'draft'
    CHECK (visibility IN ('public', 'group', 'draft'));
ALTER TABLE story_revisions ADD COLUMN group_id INTEGER;
