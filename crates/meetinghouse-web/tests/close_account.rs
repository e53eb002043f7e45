//! `/me/close` through the router, on every configured backend: only a
//! signed-in person with the form's token reaches it; a wrong password is
//! answered on the form, which never shows it again; the last host of a
//! group with other members is told what to do first and nothing closes;
//! the page offers the data download first and says the handle is nobody's
//! again, its owner's included; closing signs the browser out and sends it
//! to a page that shows what happened (reloading it sends nothing), a signed-in
//! browser goes from that page to its own; the profile says
//! the account was closed, a kept story is by "Former member" without a
//! link and a removed one is gone, signing in with the old address is
//! answered as a wrong password is, and the address makes a new account;
//! the feeds date a kept story's entry by its author's closing.

use axum::http::StatusCode;
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::{Actor, accounts};
use meetinghouse_testkit::{TestApp, apps};

const PASSWORD: &str = "a long enough password";

/// The person a browser signed up as, as core sees them.
async fn actor(app: &TestApp, handle: &str) -> Actor {
    accounts::login(&app.db, &format!("{handle}@example.org"), PASSWORD).await.unwrap()
}

async fn story(app: &TestApp, author: &Actor, title: &str) -> i64 {
    let s = Settings::load(&app.db).await.unwrap();
    let form = StoryForm { title: title.into(), body: "Told on a towpath.".into(), licence: "cc-by-4.0".into(), visibility: "public".into(), ..Default::default() };
    stories::create(&app.db, &s, author, &form).await.unwrap()
}

#[tokio::test]
async fn only_a_signed_in_person_with_the_forms_token_can_close_an_account() {
    for mut app in apps().await {
        let r = app.get("/me/close").await;
        assert_eq!(r.location(), Some("/login?need=1&next=%2Fme%2Fclose"));
        let token = app.get("/login").await.csrf();
        let r = app.post_raw("/me/close", &[("csrf", token.as_str()), ("password", PASSWORD), ("posts", "remove")]).await;
        assert_eq!(r.location(), Some("/login?need=1"));

        app.sign_up("ann").await;
        let r = app.post_raw("/me/close", &[("password", PASSWORD), ("posts", "remove")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let mut other = app.other_browser();
        let foreign = other.get("/login").await.csrf();
        let r = app.post_raw("/me/close", &[("csrf", foreign.as_str()), ("password", PASSWORD), ("posts", "remove")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Nothing closed: still signed in, and the account signs in.
        assert_eq!(app.get("/me").await.status, StatusCode::OK);
        accounts::login(&app.db, "ann@example.org", PASSWORD).await.unwrap();
    }
}

#[tokio::test]
async fn a_wrong_password_is_answered_on_the_form_and_the_last_host_is_told_what_to_do_first() {
    for mut app in apps().await {
        app.sign_up("ann").await;
        let page = app.get("/me/close").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(r#"id="posts-remove" name="posts" value="remove" checked"#), "remove is the default: {}", page.body);
        assert!(page.body.contains(r#"<form method="post" action="/me/close""#));

        let r = app.submit("/me/close", "/me/close", &[("password", "guessing at random"), ("posts", "keep")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("That is not your password."), "{}", r.body);
        assert!(!r.body.contains("guessing at random"), "the password is never shown again");
        assert!(r.body.contains(r#"id="posts-keep" name="posts" value="keep" checked"#), "the choice is kept");

        // Bea joins Ann's group: Ann is its only host.
        app.start_group("Canal Walkers", "walkers", "public", "open").await;
        let mut bea = app.other_browser();
        bea.sign_up("bea").await;
        let r = bea.submit("/groups/walkers", "/groups/walkers/join", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = app.get("/me/close").await;
        assert!(page.body.contains("Before you can close your account"), "{}", page.body);
        assert!(page.body.contains("You are the only host of the group “Canal Walkers”, which has other members"), "{}", page.body);
        assert!(!page.body.contains(r#"action="/me/close""#), "no form while something stands in the way");
        // Sent all the same, from a page drawn earlier: refused, nothing closed.
        let r = app.submit("/me", "/me/close", &[("password", PASSWORD), ("posts", "remove")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("only host of the group"), "{}", r.body);
        assert_eq!(app.get("/me").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn closing_signs_out_and_leaves_a_former_member_whose_address_is_free() {
    for mut app in apps().await {
        app.sign_up("ann").await;
        let ann = actor(&app, "ann").await;
        let mut tx = app.db.begin().await.unwrap();
        meetinghouse_store::people::mark_verified(&mut tx, ann.id).await.unwrap();
        tx.commit().await.unwrap();
        let kept = story(&app, &ann, "Heron at the weir").await;
        let mut bea = app.other_browser();
        bea.sign_up("bea").await;
        let bea_actor = actor(&bea, "bea").await;
        let removed = story(&bea, &bea_actor, "Kingfisher by the lock").await;

        // Ann keeps hers. The answer is a redirect to a signed-out page, so
        // reloading it sends nothing again.
        let r = app.submit("/me/close", "/me/close", &[("password", PASSWORD), ("posts", "keep")]).await;
        assert_eq!(r.location(), Some("/closed"), "{}", r.body);
        assert_eq!(app.cookie("mh_session"), None, "signed out");
        let r = app.follow(&r).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("<h1>Your account is closed</h1>") && r.body.contains("shown as by “a former member”"), "{}", r.body);
        assert!(r.body.contains("We have sent a last email"), "{}", r.body);
        assert!(!r.body.contains("Sign out"), "the page is drawn signed out");
        let again = app.get("/closed").await;
        assert!(again.body.contains("<h1>Account closed</h1>") && !again.body.contains("former member"), "reloaded: {}", again.body);
        assert_eq!(app.get("/me").await.location(), Some("/login?need=1&next=%2Fme"));

        let page = app.get(&format!("/stories/{kept}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("By Former member ·"), "{}", page.body);
        assert!(!page.body.contains("/@ann") && !page.body.contains(r#"href="/@""#), "no link to the closed account");
        let profile = app.get("/@ann").await;
        assert_eq!(profile.status, StatusCode::OK);
        assert!(profile.body.contains("This account was closed."), "{}", profile.body);
        assert!(!profile.body.contains("Block @"), "nothing to block");

        // Bea removes hers.
        let r = bea.submit("/me/close", "/me/close", &[("password", PASSWORD), ("posts", "remove")]).await;
        let r = bea.follow(&r).await;
        assert!(r.body.contains("Your stories and replies are removed"), "{}", r.body);
        assert!(!r.body.contains("We have sent a last email"), "her address was never confirmed");
        assert_eq!(app.get(&format!("/stories/{removed}")).await.status, StatusCode::NOT_FOUND);

        // Signing in with the old address is a wrong password, in the same words.
        let mut stranger = app.other_browser();
        let wrong = stranger.submit("/login", "/login", &[("email", "nobody@example.org"), ("password", PASSWORD)]).await;
        let closed = stranger.submit("/login", "/login", &[("email", "ann@example.org"), ("password", PASSWORD)]).await;
        assert_eq!((closed.status, wrong.status), (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY));
        assert!(closed.body.contains("That email and password do not match an account."), "{}", closed.body);
        assert_eq!(stranger.cookie("mh_session"), None);

        // Only the last email went to the old address.
        let mail: Vec<(String, String)> = meetinghouse_store::outbox::recent(&app.db, 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.to_addr == "ann@example.org")
            .map(|m| (m.kind, m.subject))
            .collect();
        assert_eq!(mail.len(), 1, "{mail:?}");
        assert_eq!(mail[0].0, meetinghouse_core::closing::CLOSED_KIND);

        // The address makes a new account (with another handle: "ann" stays reserved).
        let r = stranger
            .submit("/signup", "/signup", &[
                ("email", "ann@example.org"),
                ("handle", "ann"),
                ("display_name", "Ann"),
                ("password", PASSWORD),
                ("accept_conduct", "on"),
            ])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("That handle is taken."), "{}", r.body);
        let r = stranger
            .submit("/signup", "/signup", &[
                ("email", "ann@example.org"),
                ("handle", "ann_again"),
                ("display_name", "Ann"),
                ("password", PASSWORD),
                ("accept_conduct", "on"),
            ])
            .await;
        assert_eq!(r.location(), Some("/signup?sent=1"), "{}", r.body);
        let r = stranger.submit("/login", "/login", &[("email", "ann@example.org"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(stranger.get("/me").await.body.contains("Hello, Ann"));
    }
}

#[tokio::test]
async fn the_page_offers_the_data_first_and_says_nobody_can_use_the_handle_again() {
    for mut app in apps().await {
        app.sign_up("rowan").await;
        let page = app.get("/me/close").await;
        assert!(page.body.contains(r#"<a href="/me/data">Download your data first</a>"#), "{}", page.body);
        assert!(page.body.contains("nobody, you included, can use @rowan again"), "{}", page.body);
        // Someone signed in has nothing closed to be shown.
        assert_eq!(app.get("/closed").await.location(), Some("/me"));
    }
}

#[tokio::test]
async fn the_feeds_date_a_kept_story_by_its_authors_closing() {
    for mut app in apps().await {
        app.sign_up("ann").await;
        let ann = actor(&app, "ann").await;
        let kept = story(&app, &ann, "Heron at the weir").await;
        // Written a while ago.
        app.db.execute_admin(&format!("UPDATE stories SET created_at = 1000000000, updated_at = 1000000000 WHERE id = {kept}")).await.unwrap();
        let before = app.get("/stories.atom").await;
        assert!(before.body.contains("<updated>2001-09-09T01:46:40Z</updated>"), "{}", before.body);
        let tag = before.headers.get("etag").unwrap().to_str().unwrap().to_string();

        let r = app.submit("/me/close", "/me/close", &[("password", PASSWORD), ("posts", "keep")]).await;
        assert_eq!(r.location(), Some("/closed"));
        let after = app.get_with("/stories.atom", &[("if-none-match", &tag)]).await;
        assert_eq!(after.status, StatusCode::OK, "a changed feed");
        assert!(after.body.contains("<name>Former member</name>"), "{}", after.body);
        assert!(!after.body.contains("<updated>2001-09-09T01:46:40Z</updated>"), "the entry and the feed are dated by the closing: {}", after.body);
        assert!(after.body.contains("<published>2001-09-09T01:46:40Z</published>"), "first published as it was");
    }
}
