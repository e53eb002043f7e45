-- Lists of groups and organisations come by name ignoring case (ASCII
-- letters folded, the rest compared byte by byte), then by id, so that two
-- with the same name keep their places from page to page, in the same order
-- on SQLite and PostgreSQL. These indexes hold that order
-- (`groups::name_key` in the store builds the matching expression): under
-- the "C" collation, whatever the database's own, LOWER folds only ASCII
-- letters and the order is by bytes, as on SQLite.
CREATE INDEX community_groups_name_order ON community_groups (LOWER(name COLLATE "C"), id);
CREATE INDEX organisations_name_order ON organisations (LOWER(name COLLATE "C"), id);
