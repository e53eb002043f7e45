-- Notification mail (one at a time, and the daily digest) names the
-- person it is for (`person_id`), so the mail worker checks them again
-- when it claims the message (store `outbox::recheck`): mail to an
-- address the person has since left, to an account suspended, banned or
-- closed since, or that their email choice no longer wants, is not sent
-- and says why on the admin page. No foreign key: mail to a person whose
-- row is gone is dropped by the same check.
ALTER TABLE email_outbox ADD COLUMN person_id INTEGER;

-- Mail still waiting when this runs: one-at-a-time mail through the
-- notification it tells of (migration 0046), a digest through the
-- account that has its address.
UPDATE email_outbox SET person_id = (SELECT n.person_id FROM notifications n WHERE n.id = email_outbox.notification_id)
WHERE sent_at IS NULL AND kind = 'notification' AND notification_id IS NOT NULL;
UPDATE email_outbox SET person_id = (SELECT p.id FROM people p WHERE p.email_lower = LOWER(email_outbox.to_addr))
WHERE sent_at IS NULL AND kind = 'digest';
