-- First-contribution review ends after a number of published replies. It
-- counted replies by their status now ('visible', 'hidden', 'retracted'), so
-- replies retracted or hidden while they waited for review counted as
-- published, and a new account could post, retract and be established. A
-- reply now records whether it was published: written visible, or approved
-- by a moderator. It stays counted when it is hidden or retracted later.
--
-- Earlier rows do not say whether a hidden or retracted reply was ever
-- published, so only the replies visible now count: someone whose only
-- replies were hidden or retracted is reviewed again, never the other way.
ALTER TABLE replies ADD COLUMN published INTEGER NOT NULL DEFAULT 0;
UPDATE replies SET published = 1 WHERE status = 'visible';
