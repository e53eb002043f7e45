-- A signed-in person's change of email address waits here until the link
-- mailed to the new address is followed (core `accounts::request_email_change`
-- and `confirm_email_change`). One pending change per person: asking again,
-- or sending the link again, replaces the row, so only the newest link works.
-- `token_hash` is the SHA-256 of the link's token; it is NULL when the new
-- address already had an account when the change was asked for: then no
-- link exists (that account's owner is emailed instead), but the person's
-- page shows the change as waiting all the same, so it never tells them
-- whether the address has an account. Confirming, cancelling and changing
-- the address delete the row; an expired row no longer works and goes with
-- the hourly purge.
CREATE TABLE email_changes (
    person_id  BIGINT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    token_hash TEXT UNIQUE,
    new_email  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_changes_expiry ON email_changes(expires_at);

-- "Download your data" (core `personal_data`) reads everything one person
-- made; these are the lookups by person that had no index.
CREATE INDEX thanks_sender ON thanks(sender, created_at);
CREATE INDEX reports_reporter ON reports(reporter, id);
CREATE INDEX cg_participants_person_id ON cg_participants(person_id);
CREATE INDEX cg_conversations_host_person ON cg_conversations(host_person, id);
CREATE INDEX purpose_amendments_proposer ON purpose_amendments(proposed_by, id);
CREATE INDEX purpose_objections_person ON purpose_objections(person_id, id);
