-- Every key a media row stored (each size of the image, the master
-- included), so `/media/{key}` finds the rows behind a key, and the stories
-- showing them, through indexes rather than by reading every row's JSON.
-- Keys are content addresses: two uploads of the same bytes share them, so a
-- key may belong to several rows, and its stored image may be removed only
-- once no row has it.
CREATE TABLE media_keys (
    key      TEXT NOT NULL,
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    PRIMARY KEY (key, media_id)
);
CREATE INDEX media_keys_media ON media_keys(media_id);

-- The stories showing a media row: for `/media/{key}`, and for finding the
-- uploads no story uses any more.
CREATE INDEX story_photos_media ON story_photos(media_id);

-- The rows stored before this table: `variants` is `[[key, width, height], …]`
-- (written only by serde_json), the master normally its last entry.
INSERT INTO media_keys (key, media_id)
SELECT DISTINCT key, media_id FROM (
    SELECT json_extract(v.value, '$[0]') AS key, m.id AS media_id FROM media m, json_each(m.variants) v
    UNION ALL
    SELECT master_key, id FROM media
) WHERE key IS NOT NULL;
