-- Common ground (review cgfix34, design 0004).

-- Statements are numbered within their conversation, 1, 2, 3… in the order
-- they were added: the pages, the CSV and the openData export show this
-- number ("Statement 3"), where they showed the row id, which counts every
-- conversation of the instance ("Statement 27" was the first of the second
-- conversation). Addresses and forms keep the row id. Each insert takes the
-- next number in the transaction that writes it, after `change_open`; the
-- unique index holds it even so.
ALTER TABLE cg_statements ADD COLUMN number BIGINT NOT NULL DEFAULT 0;
UPDATE cg_statements SET number = n.number
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY id) AS number FROM cg_statements) n
WHERE n.id = cg_statements.id;
CREATE UNIQUE INDEX cg_statements_number ON cg_statements(conversation_id, number);

-- A host's setting for an in-person event, where many people join from one
-- connection: how many new participants without an account one address may
-- bring in an hour (100, 250 or 500; NULL is the usual 30), with the votes
-- and statements one address may send raised in proportion.
ALTER TABLE cg_conversations ADD COLUMN in_person BIGINT;

-- A host could put back a statement closing had taken out (its author
-- closed their account choosing "remove"): one put back (accepted after
-- the account closed) is taken out again, in a closed conversation too.
UPDATE cg_statements SET status = 'rejected'
WHERE status = 'accepted' AND moderated_at IS NOT NULL AND EXISTS (
    SELECT 1 FROM cg_participants cp JOIN people p ON p.id = cp.person_id
    WHERE cp.id = cg_statements.author AND p.closed_at IS NOT NULL AND p.closed_posts = 'remove'
      AND cg_statements.moderated_at >= p.closed_at);

-- Every analysed conversation is drawn again: "people taking part" over
-- time now counts who takes part as the report's figure does (voting, or
-- a statement that is in or waiting), not only those who voted.
UPDATE cg_conversations SET dirty_since = COALESCE(dirty_since, analysed_at, created_at)
WHERE analysis_json IS NOT NULL;
