//! Organisation names with look-alike letters (core `orgs::name_key`): a
//! Cyrillic or Greek letter, or a fullwidth or other compatibility form,
//! written in place of a Latin one makes no new name, on creation and on
//! rename; honest Greek and Cyrillic names are kept apart from each other;
//! and the names stored before (migration 0038) are folded again by the new
//! rule, the oldest of a name keeping it. On every configured backend.

use meetinghouse_core::orgs::{self, OrgForm, name_key};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{Actor, CoreError, Db};
use meetinghouse_store::Backend;

mod common;
use common::person;

fn form(name: &str, slug: &str) -> OrgForm {
    OrgForm { name: name.into(), slug: slug.into(), sector: "heritage".into(), ..Default::default() }
}

fn invalid(r: Result<impl std::fmt::Debug, CoreError>, field: &str) -> String {
    match r {
        Err(CoreError::Invalid(e)) => e.get(field).unwrap_or_else(|| panic!("no error for {field}: {e}")).to_string(),
        other => panic!("expected an error for {field}, got {other:?}"),
    }
}

/// Pairs of names that are one name: look-alike letters, compatibility
/// forms, and case in Greek and Cyrillic words.
const SAME: &[(&str, &str)] = &[
    ("Tiverton Museum", "Tiverton Мuseum"),             // Cyrillic capital М
    ("Tiverton Museum", "TIVERTΟN MUSEUM"),             // Greek capital Ο
    ("Tiverton Museum", "Тivеrtоn Мusеum"),             // Cyrillic Т, е, о, М
    ("Tiverton Museum", "Ｔｉｖｅｒｔｏｎ Ｍｕｓｅｕｍ"), // fullwidth
    ("Tiverton Museum", "𝐓𝐢𝐯𝐞𝐫𝐭𝐨𝐧 Museum"),          // mathematical bold
    ("Tiverton Museum", "Tiverton Мuѕеum"),             // Cyrillic ѕ and е
    ("Office for Arts", "Oﬃce for Arts"),               // the ligature ﬃ
    ("Devon Arts", "Deνon Arts"),                       // Greek small ν in a Latin word
    ("National Trust", "ΝATIONAL TRUST"),               // Greek capital Ν in a Latin word
    ("Crediton Youth", "Сrеditоn Үоuth"),               // Cyrillic С, е, о, Ү
    ("Exe Valley", "Exe Vаlley"),                       // Cyrillic small а
    ("ABC Club", "АВС Club"),                           // a word all of Cyrillic capitals
    ("Музей", "МУЗЕЙ"),                                 // a Cyrillic name in capitals
    ("Μουσείο", "ΜΟΥΣΕΙΟ"),                             // a Greek name in capitals, its accent folded
    ("Ёлка", "елка"),                                   // ё folds as е
];

/// Pairs of names that stay two: different Greek or Cyrillic names, and
/// letters that only resemble each other.
const DIFFERENT: &[(&str, &str)] = &[
    ("Музей", "Музей Тивертона"),
    ("Музей", "Клуб"),
    ("Музей", "Μουσείο"),
    ("Μουσείο", "Μουσική"),
    ("Μουσείο Τέχνης", "Μουσείο Ιστορίας"),
    ("Театр", "Тетрадь"),
    ("уй", "үй"),          // Kazakh у and ү, one alphabet: never merged in a word of it
    ("наш", "һаш"),        // Cyrillic н and һ
    ("Studio 10", "Studio IO"), // Latin and digits are left as they are
    ("Mill Lane", "Miii Lane"),
    ("Deνon Arts", "Denon Arts"), // a small ν in a Latin word reads as v, not n
];

#[test]
fn look_alike_letters_make_no_new_name_and_different_names_stay_apart() {
    for (a, b) in SAME {
        assert_eq!(name_key(a), name_key(b), "{a} / {b}");
    }
    for (a, b) in DIFFERENT {
        assert_ne!(name_key(a), name_key(b), "{a} / {b}");
    }
    // The key of a plain Latin name is the one migration 0030 stored.
    assert_eq!(name_key("Tivérton  Museum."), "tivertonmuseum");
    // A name of signs only is still compared by its signs.
    assert_eq!(name_key("™ ★"), "™★");
}

#[tokio::test]
async fn a_look_alike_name_is_refused_on_creation_and_on_rename() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, eve) = (person(&db, "sam").await, person(&db, "eve").await);
        assert_eq!(orgs::create(&db, &s, &sam, &form("Tiverton Museum", "")).await.unwrap(), "tiverton-museum");
        for name in ["Tiverton Мuseum", "TIVERTΟN MUSEUM", "Ｔｉｖｅｒｔｏｎ Ｍｕｓｅｕｍ"] {
            let said = invalid(orgs::create(&db, &s, &eve, &form(name, "tiverton-museum-real")).await, "name");
            assert!(
                said.starts_with(&format!("There is already an organisation called “Tiverton Museum” (at /orgs/tiverton-museum). “{name}” looks the same as its name.")),
                "{name}: {said}"
            );
            assert!(said.contains("letters of other alphabets that look like Latin letters count as those letters"), "{said}");
        }
        assert!(meetinghouse_store::orgs::by_slug(&db, "tiverton-museum-real").await.unwrap().is_none());

        // On rename, with creation's words.
        orgs::create(&db, &s, &eve, &form("Riverside Arts", "")).await.unwrap();
        let said = invalid(orgs::edit(&db, &s, &eve, "riverside-arts", &form("Tiverton Мuseum", "")).await, "name");
        let on_create = invalid(orgs::create(&db, &s, &eve, &form("Tiverton Мuseum", "other")).await, "name");
        assert_eq!(said, on_create);
        assert_eq!(meetinghouse_store::orgs::by_slug(&db, "riverside-arts").await.unwrap().unwrap().name, "Riverside Arts");
        // Its own name, written with a look-alike, is still its own.
        orgs::edit(&db, &s, &sam, "tiverton-museum", &form("Tiverton Мuseum", "")).await.unwrap();
        orgs::edit(&db, &s, &sam, "tiverton-museum", &form("Tiverton Museum", "")).await.unwrap();
    }
}

#[tokio::test]
async fn honest_greek_and_cyrillic_names_are_accepted_and_kept_apart() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, eve) = (person(&db, "sam").await, person(&db, "eve").await);
        for (name, slug) in [("Музей", "muzei"), ("Музей Тивертона", "muzei-tivertona"), ("Клуб", "klub"), ("Μουσείο", "mouseio"), ("Μουσική", "mousiki")] {
            orgs::create(&db, &s, &sam, &form(name, slug)).await.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        }
        // The same name in capitals is the same name, as for a Latin one.
        let said = invalid(orgs::create(&db, &s, &eve, &form("МУЗЕЙ", "muzei-2")).await, "name");
        assert!(said.starts_with("There is already an organisation called “Музей” (at /orgs/muzei). “МУЗЕЙ” looks the same as its name."), "{said}");
        let said = invalid(orgs::create(&db, &s, &eve, &form("Μουσείο", "mouseio-2")).await, "name");
        assert!(said.starts_with("There is already an organisation called “Μουσείο” (at /orgs/mouseio)."), "{said}");
        // A rename between two of them is free when the new name is.
        orgs::edit(&db, &s, &sam, "klub", &form("Клуб Тивертона", "")).await.unwrap();
        invalid(orgs::edit(&db, &s, &sam, "klub", &form("музей", "")).await, "name");
    }
}

/// Organisations stored as before migration 0038 (their names folded by
/// the old rule, which kept look-alikes apart), then the migration itself.
async fn stored_before_0038(db: &Db, admin: &Actor, orgs: &[(&str, &str, &str)]) -> Vec<i64> {
    let t = meetinghouse_store::now();
    let mut ids = Vec::new();
    for (slug, name, old_key) in orgs {
        db.execute_admin(&format!(
            "INSERT INTO organisations (slug, name, name_folded, sector, created_at) VALUES ('{slug}', '{name}', '{old_key}', 'heritage', {t})"
        ))
        .await
        .unwrap();
        db.execute_admin(&format!(
            "INSERT INTO org_members (org_id, person_id, role, status, created_at) SELECT id, {}, 'admin', 'active', {t} FROM organisations WHERE slug = '{slug}'",
            admin.id
        ))
        .await
        .unwrap();
        ids.push(meetinghouse_store::orgs::by_slug(db, slug).await.unwrap().unwrap().id);
    }
    let migration = match db.backend() {
        Backend::Sqlite => include_str!("../../meetinghouse-store/migrations/sqlite/0038_refold_org_names.sql"),
        Backend::Postgres => include_str!("../../meetinghouse-store/migrations/postgres/0038_refold_org_names.sql"),
    };
    db.execute_admin(migration).await.unwrap();
    ids
}

async fn folded(db: &Db, id: i64) -> Option<String> {
    let mut tx = db.begin().await.unwrap();
    meetinghouse_store::orgs::folded_name_in(&mut tx, id).await.unwrap()
}

#[tokio::test]
async fn stored_names_are_folded_again_the_oldest_keeping_its_name() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, eve) = (person(&db, "sam").await, person(&db, "eve").await);
        let ids = stored_before_0038(
            &db,
            &sam,
            &[("tiverton-museum", "Tiverton Museum", "tivertonmuseum"), ("tiverton-museum-2", "Tiverton Мuseum", "tivertonмuseum"), ("exe-arts", "Exe Arts", "exearts")],
        )
        .await;
        for id in &ids {
            assert_eq!(folded(&db, *id).await, None, "the migration empties every folded name");
        }

        // While they wait to be folded, a new name is still compared with them
        // all: the transaction that creates it folds them first.
        let said = invalid(orgs::create(&db, &s, &eve, &form("TIVERTON MUSEUM", "tiverton-3")).await, "name");
        assert!(said.contains("“Tiverton Museum” (at /orgs/tiverton-museum)"), "the oldest keeps the name: {said}");
        let said = invalid(orgs::edit(&db, &s, &sam, "exe-arts", &form("Tiverton Museum", "")).await, "name");
        assert!(said.contains("(at /orgs/tiverton-museum)"), "{said}");

        // Once an organisation is made, each has its new folded name: the
        // later of the two that now fold alike is marked with its id.
        orgs::create(&db, &s, &eve, &form("Crediton Arts", "")).await.unwrap();
        assert_eq!(folded(&db, ids[0]).await.as_deref(), Some("tivertonmuseum"));
        assert_eq!(folded(&db, ids[1]).await, Some(format!("tivertonmuseum#{}", ids[1])));
        assert_eq!(folded(&db, ids[2]).await.as_deref(), Some("exearts"));
        // Both are still there, under their own names.
        assert_eq!(meetinghouse_store::orgs::by_id(&db, ids[1]).await.unwrap().unwrap().name, "Tiverton Мuseum");

        // The later one keeps its name and may change its other details, but
        // cannot take the older one's name, however it is written.
        let details = OrgForm { description: "Not the real one.".into(), ..form("Tiverton Мuseum", "") };
        orgs::edit(&db, &s, &sam, "tiverton-museum-2", &details).await.unwrap();
        for name in ["Tiverton Museum", "TIVERTON МUSEUM"] {
            let said = invalid(orgs::edit(&db, &s, &sam, "tiverton-museum-2", &form(name, "")).await, "name");
            assert!(said.contains("(at /orgs/tiverton-museum)"), "{name}: {said}");
        }
        assert_eq!(meetinghouse_store::orgs::by_id(&db, ids[1]).await.unwrap().unwrap().name, "Tiverton Мuseum");
        // A name of its own is free.
        orgs::edit(&db, &s, &sam, "tiverton-museum-2", &form("Tiverton Museum Friends", "")).await.unwrap();
        assert_eq!(folded(&db, ids[1]).await.as_deref(), Some("tivertonmuseumfriends"));
        // The older one may re-case its own.
        orgs::edit(&db, &s, &sam, "tiverton-museum", &form("TIVERTON MUSEUM", "")).await.unwrap();
    }
}
