//! The lookups nearly every request makes (the session behind a cookie, a
//! story by id, the people a reply mentions) answer the same on every path:
//! a SQLite file (rusqlite on the calling thread), in-memory SQLite and
//! PostgreSQL when `TEST_DATABASE_URL` is set (both through sqlx).

use meetinghouse_store::{Db, DbOptions, conversations, moderation, notifications, people, sessions, stories};

mod common;

async fn databases() -> Vec<(&'static str, Db)> {
    let mut out = vec![
        ("SQLite file", common::sqlite_file("mh_reads").await),
        ("in-memory SQLite", Db::connect("sqlite::memory:", &DbOptions { max_connections: 1 }).await.expect("open in-memory sqlite")),
    ];
    out.extend(common::postgres("mh_reads").await.map(|db| ("PostgreSQL", db)));
    for (_, db) in &out {
        db.migrate().await.expect("migrate");
    }
    out
}

fn story_fields(title: &str) -> stories::StoryFields<'_> {
    stories::StoryFields {
        title,
        body: "The lace factory bell.",
        place_name: "Fore Street",
        lat_milli: Some(50_720),
        lon_milli: None,
        period_text: "",
        year_from: Some(1950),
        year_to: None,
        prompt_id: None,
        licence: "cc-by-4.0",
        consent_people: true,
        consent_minors: false,
        visibility: "public",
        group_id: None,
    }
}

#[tokio::test]
async fn hot_lookups_answer_alike_on_every_path() {
    for (name, db) in databases().await {
        let mut tx = db.begin().await.unwrap();
        let mut ids = Vec::new();
        for handle in ["alice", "Bob", "carol"] {
            let email = format!("{}@reads.test", handle.to_lowercase());
            let p = people::NewPerson { email: &email, handle, display_name: handle, password_hash: "x", is_admin: false, status: "active" };
            ids.push(people::insert(&mut tx, &p).await.unwrap());
        }
        let (alice, bob, carol) = (ids[0], ids[1], ids[2]);
        for n in 0..3 {
            notifications::insert(&mut tx, alice, "reply", &format!("note {n}"), "/").await.unwrap();
        }
        let story = stories::insert(&mut tx, alice, None, "person", &story_fields("The canal in summer")).await.unwrap();
        tx.commit().await.unwrap();
        sessions::create(&db, "hash-alice", alice, 3600).await.unwrap();
        sessions::create(&db, "hash-bob", bob, -10).await.unwrap();
        moderation::set_relation(&db, bob, alice, "block", true).await.unwrap();

        // The session: the person and their unread count, capped; expired and
        // unknown sessions find nobody.
        let (person, unread, _) = people::by_session(&db, "hash-alice", 2).await.unwrap().expect(name);
        assert_eq!((person.id, person.handle.as_str(), person.email.as_str(), unread), (alice, "alice", "alice@reads.test", 2), "{name}");
        assert_eq!(people::by_session(&db, "hash-alice", 10).await.unwrap().map(|(_, u, _)| u), Some(3), "{name}");
        assert!(people::by_session(&db, "hash-bob", 10).await.unwrap().is_none(), "{name}: an expired session");
        assert!(people::by_session(&db, "no-such-hash", 10).await.unwrap().is_none(), "{name}: an unknown session");

        // A story with its author's names; a missing one is None.
        let s = stories::by_id(&db, story).await.unwrap().expect(name);
        assert_eq!((s.title.as_str(), s.author_handle.as_str(), s.lat_milli, s.lon_milli, s.year_from, s.consent_people), ("The canal in summer", "alice", Some(50_720), None, Some(1950), 1), "{name}");
        assert!(s.org_slug.is_none() && s.deleted_at.is_none(), "{name}");
        assert!(stories::by_id(&db, story + 1000).await.unwrap().is_none(), "{name}");

        // Mentions (anonymous placeholders on SQLite): known handles are found
        // whatever their case, unknown ones are not, and Bob's block on Alice shows.
        let wanted = vec!["bob".to_string(), "carol".to_string(), "nobody".to_string()];
        let (mut found, relations) = conversations::mentions_and_relations(&db, alice, &wanted, None).await.unwrap();
        found.sort();
        assert_eq!(found, vec![(bob, "Bob".to_string()), (carol, "carol".to_string())], "{name}");
        assert_eq!(relations, vec![(bob, "block".to_string())], "{name}");
        let (found, relations) = conversations::mentions_and_relations(&db, carol, &[], Some(bob)).await.unwrap();
        assert!(found.is_empty() && relations.is_empty(), "{name}: Bob has no relation towards Carol");
        db.close().await;
    }
}
