-- Whether each objection counted when its amendment left `open`, and why
-- not (core's `purposes`, docs/design/0007-purposes.md). An objection counts
-- while it is not withdrawn and its author still takes part in the group
-- (an active account that belongs to it). Until now a page worked that out
-- as things are now, so a settled amendment's "no longer counted" marks
-- changed with later membership. Now the transaction that moves an
-- amendment out of `open` (settling, its proposer withdrawing it, the
-- moderators withdrawing it) stores the answer on each of its objections:
--
--   counted    it counted: not withdrawn, its author took part;
--   withdrawn  its author had withdrawn it;
--   left       its author's account was active but no longer in the group;
--   inactive   its author's account was not active (waiting for approval,
--              suspended or banned: the page says only "not active", so it
--              never tells readers that someone was suspended).
--
-- NULL while the amendment is open, and on amendments that left `open`
-- before this migration: their pages keep working it out as things are now.
ALTER TABLE purpose_objections ADD COLUMN counted_at_settling TEXT
    CHECK (counted_at_settling IN ('counted', 'withdrawn', 'left', 'inactive'));
