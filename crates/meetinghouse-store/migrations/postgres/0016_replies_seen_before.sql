-- Readers now see no trace of a reply they were never shown (one hidden or
-- retracted before it was published). Migration 0012 could only mark the
-- replies visible at the time as published; a reply hidden or retracted
-- before it is marked published here when something shows readers saw it:
-- someone answered, thanked or reported it (only a reader who was shown a
-- reply can), or a moderator approved or restored it.
UPDATE replies SET published = 1
WHERE published = 0 AND status IN ('hidden', 'retracted') AND (
    EXISTS (SELECT 1 FROM replies c WHERE c.parent_id = replies.id)
    OR EXISTS (SELECT 1 FROM thanks t WHERE t.target_kind = 'reply' AND t.target_id = replies.id)
    OR EXISTS (SELECT 1 FROM reports r WHERE r.target_kind = 'reply' AND r.target_id = replies.id AND r.reporter IS NOT NULL)
    OR EXISTS (SELECT 1 FROM moderation_actions a
               WHERE a.target_kind = 'reply' AND a.target_id = replies.id AND a.action IN ('approve', 'restore'))
);
