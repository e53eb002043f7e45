//! The keys of stored images, on a SQLite file and on PostgreSQL when
//! `TEST_DATABASE_URL` is set: migration 0010 fills `media_keys` from the
//! rows stored before it, each upload records its keys, a key finds the live
//! stories showing it, removing an unused upload gives back only the
//! keys no other upload has, and a person's uploads that no story shows are
//! held to a cap, checked as each is recorded, uploads sent at once
//! included.

use meetinghouse_store::media::{self, NewMedia};
use meetinghouse_store::{Db, people, stories};

mod common;

async fn databases() -> Vec<(&'static str, Db)> {
    common::migrated("mh_media").await
}

/// A content address made from a number.
fn key(n: u32) -> String {
    format!("{n:064x}.jpg")
}

async fn person(db: &Db, handle: &str) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let email = format!("{handle}@media.test");
    let p = people::NewPerson { email: &email, handle, display_name: handle, password_hash: "x", is_admin: false, status: "active" };
    let id = people::insert(&mut tx, &p).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// A story by `author` showing the given media rows.
async fn story(db: &Db, author: i64, visibility: &str, photos: &[i64]) -> i64 {
    let fields = stories::StoryFields {
        title: "The mill",
        body: "It burnt down in 1911.",
        licence: "cc0",
        consent_people: true,
        consent_minors: true,
        visibility,
        ..Default::default()
    };
    let mut tx = db.begin().await.unwrap();
    let id = stories::insert(&mut tx, author, None, "person", &fields).await.unwrap();
    let photos: Vec<(i64, String, String)> = photos.iter().map(|m| (*m, "alt".to_string(), String::new())).collect();
    media::set_story_photos(&mut tx, id, &photos).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Records an upload with sizes stored under `keys` (the master last).
async fn upload(db: &Db, owner: i64, keys: &[String]) -> i64 {
    let variants = format!("[{}]", keys.iter().map(|k| format!("[\"{k}\",320,240]")).collect::<Vec<_>>().join(","));
    let master = keys.last().unwrap();
    media::insert(db, &NewMedia { owner_person: owner, master_key: master, width: 640, height: 480, mime: "image/jpeg", variants: &variants, keys })
        .await
        .unwrap()
}

fn ids(rows: &[stories::StoryRow]) -> Vec<i64> {
    rows.iter().map(|s| s.id).collect()
}

#[tokio::test]
async fn the_migration_records_the_keys_of_images_stored_before_it() {
    for (name, db) in databases().await {
        let ann = person(&db, "ann").await;
        // Back to the schema before 0010, with two uploads stored then: their
        // keys are only in the JSON (one has a master not among its variants).
        db.execute_admin("DROP TABLE media_keys").await.unwrap();
        db.execute_admin("DROP INDEX story_photos_media").await.unwrap();
        db.execute_admin("DELETE FROM _sqlx_migrations WHERE version = 10").await.unwrap();
        for (variants, master) in [(format!("[[\"{}\",320,240],[\"{}\",640,480]]", key(1), key(2)), key(2)), (format!("[[\"{}\",320,240]]", key(3)), key(4))] {
            db.execute_admin(&format!(
                "INSERT INTO media (owner_person, master_key, width, height, mime, variants, created_at) VALUES ({ann}, '{master}', 640, 480, 'image/jpeg', '{variants}', 1)"
            ))
            .await
            .unwrap();
        }
        db.migrate().await.expect("0010 runs again over the old rows");
        for n in 1..=4 {
            assert_eq!(media::owners_of_key(&db, &key(n)).await.unwrap(), vec![ann], "{name}: key {n}");
        }
        assert!(media::owners_of_key(&db, &key(5)).await.unwrap().is_empty(), "{name}");
        let first = stories::by_id(&db, story(&db, ann, "public", &[1]).await).await.unwrap().unwrap();
        assert_eq!(ids(&stories::live_with_media_key(&db, &key(1), 10).await.unwrap()), vec![first.id], "{name}");
        assert!(stories::live_with_media_key(&db, &key(3), 10).await.unwrap().is_empty(), "{name}");
        db.close().await;
    }
}

#[tokio::test]
async fn keys_find_live_stories_and_unused_uploads_free_only_unshared_keys() {
    for (name, db) in databases().await {
        let (ann, bob) = (person(&db, "ann").await, person(&db, "bob").await);
        // The same picture uploaded twice (shared keys 1 and 2), and one of Ann's own.
        let ann_shared = upload(&db, ann, &[key(1), key(2)]).await;
        let bob_shared = upload(&db, bob, &[key(1), key(2)]).await;
        let ann_own = upload(&db, ann, &[key(3), key(4)]).await;
        let mut owners = media::owners_of_key(&db, &key(1)).await.unwrap();
        owners.sort();
        assert_eq!(owners, vec![ann, bob], "{name}");
        assert_eq!(media::owners_of_key(&db, &key(4)).await.unwrap(), vec![ann], "{name}: the master is a key too");

        // Live stories only, public ones first.
        let draft = story(&db, ann, "draft", &[ann_shared]).await;
        let public = story(&db, bob, "public", &[bob_shared]).await;
        let deleted = story(&db, ann, "public", &[ann_shared, ann_own]).await;
        let mut tx = db.begin().await.unwrap();
        stories::set_deleted(&mut tx, deleted, Some(1_000)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(ids(&stories::live_with_media_key(&db, &key(2), 10).await.unwrap()), vec![public, draft], "{name}");
        assert_eq!(ids(&stories::live_with_media_key(&db, &key(2), 1).await.unwrap()), vec![public], "{name}");
        assert!(stories::live_with_media_key(&db, &key(3), 10).await.unwrap().is_empty(), "{name}: only a deleted story shows it");

        // The deleted story is the newest, so it stays until a newer one
        // exists (on SQLite the next story would take its id, and with it
        // whatever names that id).
        assert_eq!(stories::purge_deleted_before(&db, 1_001).await.unwrap(), 0, "{name}");
        let newer = story(&db, bob, "public", &[]).await;
        assert!(newer > deleted, "{name}");
        // Purging it leaves Ann's own upload unused; uploads newer than the
        // cutoff are not offered.
        assert_eq!(stories::purge_deleted_before(&db, 999).await.unwrap(), 0, "{name}");
        assert_eq!(stories::purge_deleted_before(&db, 1_001).await.unwrap(), 1, "{name}");
        assert!(stories::by_id(&db, deleted).await.unwrap().is_none(), "{name}");
        assert!(story(&db, bob, "public", &[]).await > newer, "{name}: a purged id is not given again");
        let later = meetinghouse_store::now() + 10;
        assert_eq!(media::unused_before(&db, later, 100).await.unwrap(), vec![ann_own], "{name}");
        assert!(media::unused_before(&db, 1, 100).await.unwrap().is_empty(), "{name}");

        // A row a story shows is kept, whatever the caller asked.
        let mut tx = media::begin_removal(&db).await.unwrap();
        assert_eq!(media::remove_unused(&mut tx, ann_shared).await.unwrap(), None, "{name}");
        drop(tx);
        // Removing Ann's own upload frees both its keys.
        let mut tx = media::begin_removal(&db).await.unwrap();
        let mut freed = media::remove_unused(&mut tx, ann_own).await.unwrap().expect("unused");
        tx.commit().await.unwrap();
        freed.sort();
        assert_eq!(freed, vec![key(3), key(4)], "{name}");
        assert!(media::by_id(&db, ann_own).await.unwrap().is_none() && media::owners_of_key(&db, &key(3)).await.unwrap().is_empty(), "{name}");

        // Once the draft goes too, Ann's copy of the shared picture is
        // unused, but Bob's still has its keys: none is freed.
        let mut tx = db.begin().await.unwrap();
        stories::set_deleted(&mut tx, draft, Some(1_000)).await.unwrap();
        tx.commit().await.unwrap();
        stories::purge_deleted_before(&db, 1_001).await.unwrap();
        assert_eq!(media::unused_before(&db, later, 100).await.unwrap(), vec![ann_shared], "{name}");
        let mut tx = media::begin_removal(&db).await.unwrap();
        assert_eq!(media::remove_unused(&mut tx, ann_shared).await.unwrap(), Some(Vec::new()), "{name}");
        tx.commit().await.unwrap();
        assert_eq!(media::owners_of_key(&db, &key(1)).await.unwrap(), vec![bob], "{name}");
        assert_eq!(ids(&stories::live_with_media_key(&db, &key(1), 10).await.unwrap()), vec![public], "{name}");
        assert!(media::remove_unused(&mut media::begin_removal(&db).await.unwrap(), ann_shared).await.unwrap().is_none(), "{name}: already gone");
        db.close().await;
    }
}

#[tokio::test]
async fn an_upload_waits_while_a_removal_may_be_removing_its_bytes() {
    for (name, db) in databases().await {
        let ann = person(&db, "ann").await;
        // While a removal's transaction is open, an upload cannot record a
        // key (so the bytes it stores afterwards are never the ones removed).
        let removal = media::begin_removal(&db).await.unwrap();
        let insert = tokio::spawn({
            let db = db.clone();
            async move { upload(&db, ann, &[key(1)]).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!insert.is_finished(), "{name}: the upload waits");
        removal.commit().await.unwrap();
        let id = insert.await.unwrap();
        assert_eq!(media::owners_of_key(&db, &key(1)).await.unwrap(), vec![ann], "{name}: media row {id}");
        db.close().await;
    }
}

/// Records an upload of `bytes` bytes under `key`, within `max`.
async fn upload_within(db: &Db, owner: i64, key: &str, bytes: i64, max: media::Waiting) -> Result<i64, media::Waiting> {
    let keys = [key.to_string()];
    let m = NewMedia { owner_person: owner, master_key: key, width: 640, height: 480, mime: "image/jpeg", variants: "[]", keys: &keys };
    media::insert_within(db, &m, bytes, 0, max).await.unwrap()
}

#[tokio::test]
async fn waiting_uploads_are_counted_and_capped_as_they_are_recorded() {
    for (name, db) in databases().await {
        let (ann, bob) = (person(&db, "ann").await, person(&db, "bob").await);
        let max = media::Waiting { count: 3, bytes: 1_000 };
        let first = upload_within(&db, ann, &key(1), 400, max).await.expect("room");
        upload_within(&db, ann, &key(2), 400, max).await.expect("room");
        // Past the bytes: nothing is written, and what is held is said.
        assert_eq!(upload_within(&db, ann, &key(3), 201, max).await, Err(media::Waiting { count: 2, bytes: 800 }), "{name}");
        assert!(media::owners_of_key(&db, &key(3)).await.unwrap().is_empty(), "{name}: no key recorded");
        upload_within(&db, ann, &key(3), 200, max).await.expect("exactly the cap");
        // Past the count.
        assert_eq!(upload_within(&db, ann, &key(4), 0, max).await, Err(media::Waiting { count: 3, bytes: 1_000 }), "{name}");
        // Bob's are his own.
        upload_within(&db, bob, &key(4), 1_000, max).await.expect("bob's own room");
        // A photo on a story no longer waits; nor do uploads before `since`.
        story(&db, ann, "draft", &[first]).await;
        assert_eq!(media::waiting(&db, ann, 0).await.unwrap(), media::Waiting { count: 2, bytes: 600 }, "{name}");
        assert_eq!(media::waiting(&db, ann, meetinghouse_store::now() + 10).await.unwrap(), media::Waiting::default(), "{name}");
        // An upload recorded without a size (`insert`, and rows from before
        // migration 0057) counts as one file of no bytes.
        upload(&db, ann, &[key(5)]).await;
        assert_eq!(media::waiting(&db, ann, 0).await.unwrap(), media::Waiting { count: 3, bytes: 600 }, "{name}");
        db.close().await;
    }
}

/// Uploads sent at once by one person (several windows, several app
/// servers) take turns as they are recorded: no more than the cap pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_sent_at_once_do_not_pass_the_cap_together() {
    for (name, db) in databases().await {
        for round in 0..20u32 {
            let ann = person(&db, &format!("ann{round}")).await;
            let max = media::Waiting { count: 3, bytes: 1_000_000 };
            for n in 0..2 {
                upload_within(&db, ann, &key(1000 * round + 100 + n), 100, max).await.expect("room");
            }
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(4));
            let sent: Vec<_> = (0..4u32)
                .map(|n| {
                    let (db, start) = (db.clone(), start.clone());
                    tokio::spawn(async move {
                        start.wait().await;
                        upload_within(&db, ann, &key(1000 * round + n), 100, max).await
                    })
                })
                .collect();
            let mut stored = 0;
            for s in sent {
                stored += usize::from(s.await.unwrap().is_ok());
            }
            // Two were there already: the four sent at once race for the last room.
            assert_eq!(stored, 1, "{name}, round {round}");
            assert_eq!(media::waiting(&db, ann, 0).await.unwrap(), media::Waiting { count: 3, bytes: 300 }, "{name}, round {round}");
        }
        db.close().await;
    }
}
