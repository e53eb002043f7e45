-- A notification records who set it off and, for one about a reply (an
-- answer, a mention, thanks), the reply: the list, the unread count and the
-- daily digest leave out notifications from someone the person has blocked
-- or muted since, and ones whose reply is no longer shown (retracted by its
-- author, or hidden by the moderators); a restored reply's come back. A join
-- request is told once per person who asks, however they change their name.
--
-- Rows stored before this have neither (NULL) and are shown as before.
ALTER TABLE notifications ADD COLUMN sender_id BIGINT REFERENCES people(id) ON DELETE SET NULL;
ALTER TABLE notifications ADD COLUMN reply_id BIGINT REFERENCES replies(id) ON DELETE SET NULL;
