//! Review fixes on people through the real router, on every configured
//! backend: a name posing as an organisation's label through blank fillers
//! or look-alike letters is refused with what was typed kept; blocking or
//! muting someone whose profile is "not found" is "not found" too, with
//! nothing saved; an address with a line break, a tab or a no-break space
//! before the handle names nobody (404, never a 500); the answer goes to the
//! profile at its stored handle; and a wrong action is told in plain words,
//! without a field's name.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps};

async fn person_id(app: &TestApp, handle: &str) -> i64 {
    meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap().id
}

async fn relation(app: &TestApp, person: i64, other: i64) -> Vec<String> {
    let mut kinds = Vec::new();
    for kind in ["block", "mute"] {
        if meetinghouse_store::moderation::has_relation(&app.db, person, other, kind).await.unwrap() {
            kinds.push(kind.to_string());
        }
    }
    kinds
}

#[tokio::test]
async fn names_with_blank_fillers_or_look_alike_letters_are_refused_with_input_kept() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        for name in ["Sam Okafor\u{2800}·\u{2800}Tiverton Museum", "Sam ꞏ Tiverton Museum", "Tiverton Museum (annoսncement)"] {
            let r = app.submit("/me/profile", "/me/profile", &[("display_name", name), ("pronouns", "they/them")]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {}", r.body);
            assert!(r.body.contains("Your name cannot"), "{}", r.body);
            assert!(r.body.contains(&format!(r#"value="{name}""#)) && r.body.contains(r#"value="they/them""#), "kept: {}", r.body);
            assert!(r.body.contains(r##"href="#display_name""##), "the summary links to the field: {}", r.body);
        }
        assert!(app.get("/@sam").await.body.contains("<h1 id=\"name\">sam</h1>"), "nothing saved");
        let r = app.submit("/me/profile", "/me/profile", &[("display_name", "Gal·la Puig")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

#[tokio::test]
async fn blocking_someone_whose_profile_is_not_found_is_not_found() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        for who in ["penny", "sid"] {
            ann.other_browser().sign_up(who).await;
        }
        ann.db.execute_admin("UPDATE people SET status = 'pending' WHERE handle = 'penny'").await.unwrap();
        ann.db.execute_admin("UPDATE people SET status = 'suspended' WHERE handle = 'sid'").await.unwrap();
        let me = person_id(&ann, "ann").await;
        for who in ["penny", "sid"] {
            assert_eq!(ann.get(&format!("/@{who}")).await.status, StatusCode::NOT_FOUND);
            for action in ["block", "mute"] {
                let r = ann.submit("/", &format!("/people/{who}/relation"), &[("action", action)]).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} {action}: {}", r.body);
                assert!(!r.body.contains(&format!("@{who}")), "{}", r.body);
            }
            assert!(relation(&ann, me, person_id(&ann, who).await).await.is_empty(), "{who}: nothing saved");
        }
    }
}

#[tokio::test]
async fn odd_addresses_name_nobody_and_the_answer_goes_to_the_stored_handle() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.other_browser().sign_up("tom").await;
        let (me, tom) = (person_id(&ann, "ann").await, person_id(&ann, "tom").await);
        for odd in ["%0Atom", "%09tom", "%C2%A0tom", "tom%0A", "%40tom"] {
            let r = ann.submit("/@tom", &format!("/people/{odd}/relation"), &[("action", "mute")]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{odd}: {}", r.body);
        }
        assert!(relation(&ann, me, tom).await.is_empty(), "nothing saved");

        let r = ann.submit("/@tom", "/people/TOM/relation", &[("action", "mute")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), Some("/@tom"));
        assert_eq!(relation(&ann, me, tom).await, ["mute"]);
        // Where the person came from, when that is a page of this site.
        let r = ann.submit("/@tom", "/people/tom/relation", &[("action", "block"), ("back", "/stories")]).await;
        assert_eq!(r.location(), Some("/stories"));

        let r = ann.submit("/@tom", "/people/tom/relation", &[("action", "zzz")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Choose block, unblock, mute or unmute."), "{}", r.body);
        assert!(!r.body.contains("action:"), "no field name: {}", r.body);
        assert_eq!(relation(&ann, me, tom).await, ["block", "mute"]);
    }
}

/// Writes `n` stories for `person` through the store, oldest first, each a
/// second older than the next: "Story 1" … "Story n".
async fn stories_for(app: &TestApp, person: i64, n: i64, visibility: &str, org: Option<i64>, voice: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 1..=n {
        let title = format!("{visibility} story {i}");
        let mut tx = app.db.begin().await.unwrap();
        let fields = meetinghouse_store::stories::StoryFields { title: &title, body: "Words.", licence: "cc0", visibility, ..Default::default() };
        let id = meetinghouse_store::stories::insert(&mut tx, person, org, voice, &fields).await.unwrap();
        tx.commit().await.unwrap();
        app.db.execute_admin(&format!("UPDATE stories SET created_at = {}, updated_at = {} WHERE id = {id}", 1_000_000 + i, 1_000_000 + i)).await.unwrap();
        ids.push(id);
    }
    ids
}

/// `/me` lists every one of one's stories, fifty a page with a link to the
/// older ones (it listed the newest 200 and no more); a story deleted past
/// its restore window is not counted into a page. The profile lists the
/// person's public stories, twenty a page, never a draft, a group's story
/// or an announcement in an organisation's name.
#[tokio::test]
async fn me_pages_every_story_and_the_profile_lists_public_ones() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let me = person_id(&ann, "ann").await;
        let ids = stories_for(&ann, me, 230, "draft", None, "person").await;
        // One deleted long ago (gone for good), one deleted yesterday (restorable).
        let now = meetinghouse_store::now();
        ann.db.execute_admin(&format!("UPDATE stories SET deleted_at = {} WHERE id = {}", now - 40 * 86_400, ids[229])).await.unwrap();
        ann.db.execute_admin(&format!("UPDATE stories SET deleted_at = {} WHERE id = {}", now - 86_400, ids[228])).await.unwrap();
        let mut seen = Vec::new();
        let mut page = "/me".to_string();
        for n in 0.. {
            let r = ann.get(&page).await;
            assert_eq!(r.status, StatusCode::OK, "{page}: {}", r.body);
            let mut listed: Vec<(usize, i64)> =
                ids.iter().filter_map(|id| r.body.find(&format!(r#"<a href="/stories/{id}">"#)).map(|at| (at, *id))).collect();
            listed.sort();
            let listed: Vec<i64> = listed.into_iter().map(|(_, id)| id).collect();
            assert!(listed.len() <= 50, "page {n}: {}", listed.len());
            seen.extend(listed);
            match r.body.split(r#"<a href="/me?stories_before="#).nth(1) {
                Some(rest) => page = format!("/me?stories_before={}", &rest[..rest.find('#').unwrap()]),
                None => {
                    assert_eq!(n, 4, "229 stories: four full pages and one of 29");
                    assert!(r.body.contains("Back to your newest stories"), "{}", r.body);
                    break;
                }
            }
        }
        assert_eq!(seen.len(), 229, "every story once, but the one deleted past its window");
        assert!(!seen.contains(&ids[229]) && seen.contains(&ids[228]) && seen.contains(&ids[0]));
        let mut newest_first = ids[..229].to_vec();
        newest_first.reverse();
        assert_eq!(seen, newest_first, "newest first, none twice");
        assert_eq!(ann.get("/me?stories_before=x").await.status, StatusCode::BAD_REQUEST);

        // The profile: public stories only, twenty a page.
        ann.db.execute_admin("INSERT INTO organisations (slug, name, sector, created_at) VALUES ('mill', 'The Mill', 'heritage', 0)").await.unwrap();
        let org = meetinghouse_store::orgs::by_slug(&ann.db, "mill").await.unwrap().unwrap().id;
        let public = stories_for(&ann, me, 25, "public", None, "person").await;
        let announced = stories_for(&ann, me, 1, "public", Some(org), "announcement").await;
        let visitor = &mut ann.other_browser();
        let first = visitor.get("/@ann").await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.body.contains(r#"<h2 id="stories-title">Stories</h2>"#), "{}", first.body);
        let on = |body: &str, id: &i64| body.contains(&format!(r#"<a href="/stories/{id}">"#));
        assert_eq!(public.iter().filter(|id| on(&first.body, id)).count(), 20);
        assert!(on(&first.body, &public[24]) && !on(&first.body, &public[4]), "newest first");
        assert!(!ids.iter().chain(&announced).any(|id| on(&first.body, id)), "no draft, no announcement: {}", first.body);
        let next = format!("/@ann?before={}#stories-title", public[5]);
        assert!(first.body.contains(&format!(r#"href="{next}" rel="next""#)), "{}", first.body);
        let second = visitor.get(&format!("/@ann?before={}", public[5])).await;
        assert_eq!(public.iter().filter(|id| on(&second.body, id)).count(), 5, "{}", second.body);
        assert!(!second.body.contains(r#"rel="next""#));
    }
}
