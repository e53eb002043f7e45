-- A review request is always answered. When a moderator looks at a hidden
-- reply again at its author's request (or closes the request while acting
-- on another report about it) and it stays hidden, the request is cleared
-- and the author told; they may ask again once they have edited the reply.
-- `review_declined` records that a review kept it hidden; an edit clears it.
--
-- Rows stored before this never had a review declined (0). A request that
-- an action closed without answering it (review_requested still 1 with no
-- open review-request report) is cleared, so its author may ask again.
ALTER TABLE replies ADD COLUMN review_declined INTEGER NOT NULL DEFAULT 0;
UPDATE replies SET review_requested = 0
 WHERE review_requested = 1 AND NOT EXISTS (
       SELECT 1 FROM reports r WHERE r.target_kind = 'reply' AND r.target_id = replies.id
          AND r.category = 'review-request' AND r.status = 'open');
