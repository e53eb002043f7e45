-- "Download your data" (core `personal_data`) also lists the collection
-- imports a person sent, the invite codes they made, the moderators'
-- decisions about them and their words, the changes they made to groups and
-- organisations (and those about them), and their edges in the interaction
-- record. These are the lookups by person that had no index; each list is
-- read a page at a time after the last id.
CREATE INDEX collection_imports_person ON collection_imports(person_id, id);
CREATE INDEX invites_created_by ON invites(created_by, created_at);
CREATE INDEX moderation_actions_target ON moderation_actions(target_kind, target_id);
CREATE INDEX group_changes_changed_by ON group_changes(changed_by, id);
CREATE INDEX org_changes_changed_by ON org_changes(changed_by, id);
CREATE INDEX org_changes_about_person ON org_changes(about_person, id);
CREATE INDEX interactions_source ON interactions(source_person, id);
CREATE INDEX interactions_target ON interactions(target_person, id);
