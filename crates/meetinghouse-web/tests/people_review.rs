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
