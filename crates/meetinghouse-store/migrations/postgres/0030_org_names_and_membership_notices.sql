-- No organisation takes another's name: each has its name folded (core's
-- `orgs::name_key`: case and accents folded, only letters and digits kept), unique
-- among organisations. The folding is Rust's, not SQL's, so the column
-- starts empty (NULL, which the unique index allows many times) and core
-- fills it for the organisations already here before the next one is
-- created, in that transaction: the oldest of a name keeps it, a later one
-- of the same folded name gets it marked with its id ("name#id"), so names
-- that were already taken twice never fail this migration.
ALTER TABLE organisations ADD COLUMN name_folded TEXT;
CREATE UNIQUE INDEX organisations_name_folded ON organisations(name_folded);

-- Two more kinds of notification: an invitation (to a group or an
-- organisation) and the answer to a request to join a group.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'thanks', 'moderation', 'join_request', 'invitation', 'membership'));
