-- Who hid a reply, and whether as one of the meeting house's moderators
-- (instance admins) or as a host of what it is on (a group's hosts, an
-- organisation's staff, a prompt's hosts). A reply the meeting house's
-- moderators hid is theirs to look at again: its author's review request
-- goes to them only (the report records no group, organisation or prompt),
-- and a host cannot restore it, as with a story they removed
-- (`story_removals`, migration 0028). The queue shows who hid it, and says
-- the author edited it only when its text is not the text hidden
-- (`version`, core `moderation::version`). A row is written whenever a
-- reply is hidden (by a decision, with a suspension or ban of a waiting
-- reply's author, or by "remove everything they have posted") and deleted
-- when it is shown again; it goes with the reply.
CREATE TABLE reply_hidings (
    reply_id      BIGINT PRIMARY KEY REFERENCES replies(id) ON DELETE CASCADE,
    moderator     BIGINT REFERENCES people(id) ON DELETE SET NULL,
    by_moderators BIGINT NOT NULL,
    version       TEXT,
    hidden_at     BIGINT NOT NULL
);

-- Replies hidden before this migration: by whoever made the latest hiding
-- decision about the reply (a hide, or a suspension or ban of a waiting
-- reply's author). It counts as a host's only when that person is not an
-- instance admin now; anything else (no such decision: "remove everything
-- they have posted"; its moderator gone) counts as the moderators', so no
-- host can overturn it. The text hidden is not known (`version` NULL): the
-- queue then reads an edit from `updated_at`, which an edit moves on.
INSERT INTO reply_hidings (reply_id, moderator, by_moderators, version, hidden_at)
SELECT r.id, a.moderator,
       CASE WHEN a.id IS NOT NULL AND p.is_admin = 0 THEN 0 ELSE 1 END,
       NULL, COALESCE(a.created_at, r.updated_at)
FROM replies r
LEFT JOIN moderation_actions a ON a.id = (
    SELECT MAX(h.id) FROM moderation_actions h
    WHERE h.target_kind = 'reply' AND h.target_id = r.id AND h.action IN ('hide', 'suspend', 'ban'))
LEFT JOIN people p ON p.id = a.moderator
WHERE r.status = 'hidden';

-- Review requests already waiting about replies the moderators hid leave
-- the hosts' queues: only the moderators decide them.
UPDATE reports SET group_id = NULL, org_id = NULL, prompt_id = NULL
WHERE status = 'open' AND category = 'review-request' AND target_kind = 'reply'
  AND target_id IN (SELECT reply_id FROM reply_hidings WHERE by_moderators = 1);
