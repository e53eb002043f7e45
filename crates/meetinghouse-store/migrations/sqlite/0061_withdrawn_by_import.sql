-- Which import withdrew an object for not being in its file (core
-- `collection::import`, "withdraw the objects this file does not have"),
-- so that everything one import withdrew can be put back at once
-- (`meetinghouse import objects --org SLUG --put-back-withdrawn-by ID`).
-- NULL while the object is in the collection, and for one withdrawn any
-- other way (from its page, by the moderators) or by an import before this
-- migration. Putting an object back, or the moderators taking its
-- withdrawal over, clears it. Command-line imports are recorded in
-- `collection_imports` from now on as the browser's are (with no
-- sender), so every import has an id.
ALTER TABLE collection_objects ADD COLUMN withdrawn_import INTEGER REFERENCES collection_imports(id) ON DELETE SET NULL;
CREATE INDEX collection_objects_withdrawn_import ON collection_objects (withdrawn_import, id) WHERE withdrawn_import IS NOT NULL;
