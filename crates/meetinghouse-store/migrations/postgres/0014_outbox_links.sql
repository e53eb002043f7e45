-- One-time links leave the outbox once sent (store `outbox::mark_sent`). Mail
-- sent before that rule still holds its text: drop it now, in the same
-- words. Held mail (no SMTP server) keeps its text, since an admin passes
-- those links on by hand.
UPDATE email_outbox
SET body = '(The text of this message held a one-time link, so it was removed once the message was sent.)'
WHERE sent_at IS NOT NULL AND kind IN ('verify', 'reset');
