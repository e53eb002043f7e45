-- Organisation staff and prompt hosts moderate what they host, as group
-- hosts do. A report records, when it is made, whose queue it is in besides
-- the instance moderators': `group_id` (since 0005) a group whose hosts may
-- act; `org_id` an organisation whose active staff and admins may act (a
-- reply on its page, on one of its collection objects, on a story in its
-- name); `prompt_id` a prompt whose hosts may act (a reply on the prompt,
-- or on a story answering it): its named host, its organisation's staff and
-- its group's hosts, as they are when the queue is read. A report about a
-- person has none of them: it stays with the instance moderators.
ALTER TABLE reports ADD COLUMN org_id BIGINT REFERENCES organisations(id) ON DELETE SET NULL;
ALTER TABLE reports ADD COLUMN prompt_id BIGINT REFERENCES prompts(id) ON DELETE SET NULL;

-- Open reports made before this get the scope the reply's subject gives now
-- (store `moderation::insert_report_into` records it by the same rule).
-- Closed reports keep none: they were in the instance moderators' and the
-- group hosts' queues when they were decided, and nobody's queue reads them.
-- A reply or a subject no longer stored leaves the report with the instance
-- moderators.
UPDATE reports SET
    org_id = (SELECT CASE r.subject_kind
                  WHEN 'org' THEN (SELECT o.id FROM organisations o WHERE o.id = r.subject_id)
                  WHEN 'object' THEN (SELECT c.org_id FROM collection_objects c WHERE c.id = r.subject_id)
                  WHEN 'story' THEN (SELECT s.author_org FROM stories s WHERE s.id = r.subject_id) END
              FROM replies r WHERE r.id = reports.target_id),
    prompt_id = (SELECT CASE r.subject_kind
                     WHEN 'prompt' THEN (SELECT p.id FROM prompts p WHERE p.id = r.subject_id)
                     WHEN 'story' THEN (SELECT s.prompt_id FROM stories s WHERE s.id = r.subject_id) END
                 FROM replies r WHERE r.id = reports.target_id)
WHERE status = 'open' AND target_kind = 'reply';

-- A host's queue reads each part from the open reports of that scope.
-- (`status` leads although every row is open: without statistics SQLite
-- takes two equal columns over `reports_open`'s one, with or without.)
CREATE INDEX reports_open_group ON reports(status, group_id, id) WHERE status = 'open' AND group_id IS NOT NULL;
CREATE INDEX reports_open_org ON reports(status, org_id, id) WHERE status = 'open' AND org_id IS NOT NULL;
CREATE INDEX reports_open_prompt ON reports(status, prompt_id, id) WHERE status = 'open' AND prompt_id IS NOT NULL;
-- Whether someone hosts a prompt (the header's link to the queue).
CREATE INDEX prompts_host ON prompts(host_person);
