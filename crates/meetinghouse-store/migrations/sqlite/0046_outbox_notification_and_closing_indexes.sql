-- A notification's one-at-a-time mail names the notification it tells of,
-- so switching to the daily digest calls the mail back and puts exactly
-- that notification back in the digest's set (store
-- `notifications::set_mode`). Until now the two were matched by the mail's
-- first words and a two-second window, which two notifications with the
-- same words could confuse. No foreign key: a dangling id (a notification
-- purged while its mail waits) matches nothing, which is what is wanted.
ALTER TABLE email_outbox ADD COLUMN notification_id INTEGER;

-- Mail still waiting when this runs is matched the old way, once.
UPDATE email_outbox SET notification_id = (
    SELECT n.id FROM notifications n JOIN people p ON p.id = n.person_id
    WHERE p.email = email_outbox.to_addr
      AND email_outbox.created_at BETWEEN n.created_at - 2 AND n.created_at + 2
      AND substr(email_outbox.body, 1, length(n.text) + 2) = n.text || char(10) || char(10)
    ORDER BY n.id DESC LIMIT 1)
WHERE kind = 'notification' AND sent_at IS NULL;

CREATE INDEX email_outbox_notification ON email_outbox(notification_id) WHERE notification_id IS NOT NULL;

-- Closing an account rewrites the notifications it set off (by
-- `sender_id`), and the hourly purge of closed accounts' leftovers looks
-- them up by `closed_at`: both were full scans.
CREATE INDEX notifications_sender ON notifications(sender_id) WHERE sender_id IS NOT NULL;
CREATE INDEX people_closed ON people(closed_at) WHERE closed_at IS NOT NULL;
