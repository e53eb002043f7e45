-- A members-only group can no longer let anyone join (core's
-- `groups::check_choices`): anyone with its address could join it and read
-- everything it hides from outsiders. Every group stored that way chooses
-- its members by request from now on.
--
-- First, the group-in-group memberships that change would put against the
-- networks rule (a group anyone may join is never an active member of one
-- that chooses its members: store `groups::passes_up`) go back to waiting
-- for the parent's hosts, with who asked kept:
-- * such a group inside a network that chooses its members (stored before
--   that nesting was refused): through it, its members got nothing there;
--   by request they would reach the network, so its hosts decide;
-- * a group anyone may join inside such a group: its members reached the
--   parent while anyone could join it; now they would get nothing, and the
--   parent's hosts can approve it once the member group chooses its members.
UPDATE group_members SET status = 'requested'
 WHERE member_kind = 'group' AND status = 'active'
   AND ((member_id IN (SELECT id FROM community_groups WHERE visibility = 'members' AND join_policy = 'open')
         AND group_id IN (SELECT id FROM community_groups WHERE join_policy <> 'open'))
     OR (group_id IN (SELECT id FROM community_groups WHERE visibility = 'members' AND join_policy = 'open')
         AND member_id IN (SELECT id FROM community_groups WHERE join_policy = 'open' AND visibility <> 'members')));

-- Then each change is logged for the group's hosts, made by no one (no
-- `changed_by`; core's `groups::MEMBERS_ONLY_RULE` names the field, and its
-- log says "An update of the meeting house" made it).
INSERT INTO group_changes (group_id, field, old_value, new_value, created_at)
SELECT id, 'join_policy_members_only', 'open', 'request', CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
  FROM community_groups WHERE visibility = 'members' AND join_policy = 'open';

UPDATE community_groups SET join_policy = 'request' WHERE visibility = 'members' AND join_policy = 'open';
