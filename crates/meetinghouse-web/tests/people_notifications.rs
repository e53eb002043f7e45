//! People, accounts and notifications through the real router on every
//! configured backend: undoing a block or mute from the profile, names that
//! pose as an organisation, control characters in lookups, changing the
//! password, marking notifications read (only what the page showed, and
//! one by following it), one-click unsubscribe (RFC 8058), email only to
//! confirmed addresses, and every error linked to its control.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use meetinghouse_core::settings::Settings;
use meetinghouse_testkit::{Reply, TestApp, apps};

/// Ann shares a public story; returns its path.
async fn story(app: &mut TestApp) -> String {
    let r = app.upload("/stories/new", "/stories", &[("title", "Lace day"), ("body", "My gran made lace."), ("licence", "cc0"), ("visibility", "public")], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().to_string()
}

fn reply_path(story: &str) -> String {
    format!("/conversations/story/{}/replies", story.rsplit('/').next().unwrap())
}

async fn person_id(app: &TestApp, handle: &str) -> i64 {
    meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap().id
}

/// Sends a request as built, through the app's router.
async fn raw(app: &TestApp, req: Request<Body>) -> Reply {
    let resp = tower::ServiceExt::oneshot(meetinghouse_web::app(app.state.clone()), req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

#[tokio::test]
async fn a_profile_shows_a_block_or_mute_and_undoes_it() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let page = ann.get("/@bea").await;
        assert!(page.body.contains("Block @bea") && page.body.contains("Mute @bea") && !page.body.contains("Unblock"));

        assert_eq!(ann.submit("/@bea", "/people/bea/relation", &[("action", "block")]).await.status, StatusCode::SEE_OTHER);
        let page = ann.get("/@bea").await;
        assert!(page.body.contains("You blocked @bea.") && page.body.contains(r#"value="unblock""#) && page.body.contains("Unblock @bea"), "{}", page.body);
        assert!(page.body.contains("Mute @bea") && !page.body.contains(">Block @bea"));
        assert_eq!(ann.submit("/@bea", "/people/bea/relation", &[("action", "mute")]).await.status, StatusCode::SEE_OTHER);
        let page = ann.get("/@bea").await;
        assert!(page.body.contains("You blocked and muted @bea.") && page.body.contains("Unmute @bea"), "{}", page.body);

        assert_eq!(ann.submit("/@bea", "/people/bea/relation", &[("action", "unblock")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(ann.submit("/@bea", "/people/bea/relation", &[("action", "unmute")]).await.status, StatusCode::SEE_OTHER);
        let page = ann.get("/@bea").await;
        assert!(page.body.contains("Block @bea") && page.body.contains("Mute @bea") && !page.body.contains("Unblock") && !page.body.contains("You blocked"));
        // Bea's own page is not about blocking herself; nobody else sees Ann's choice.
        assert!(!bea.get("/@bea").await.body.contains("Block @bea"));
    }
}

#[tokio::test]
async fn names_that_pose_as_an_organisation_are_refused_with_input_kept() {
    for mut app in apps().await {
        let r = app
            .submit("/signup", "/signup", &[
                ("email", "cal@example.org"),
                ("handle", "cal"),
                ("display_name", "Cal · Tiverton Museum"),
                ("password", "a long enough password"),
                ("accept_conduct", "on"),
            ])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Your name cannot have a dot") && r.body.contains(r#"value="Cal · Tiverton Museum""#), "{}", r.body);
        assert!(r.body.contains(r#"aria-describedby="display_name-hint display_name-error""#));
        app.sign_up("cal").await;
        let r = app.submit("/me/profile", "/me/profile", &[("display_name", "Tiverton Museum (announcement)"), ("pronouns", "he/him")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("cannot end in “(announcement)”") && r.body.contains(r#"value="he/him""#), "{}", r.body);
        assert!(app.get("/@cal").await.body.contains("<h1 id=\"name\">cal</h1>"), "nothing saved");
    }
}

/// A NUL byte in a lookup is "no such thing" on both backends, never a 500.
#[tokio::test]
async fn nul_bytes_in_lookups_are_answered_as_not_found() {
    for mut app in apps().await {
        app.sign_up("sam").await;
        let path = story(&mut app).await;
        let r = app.upload("/stories/new", "/stories", &[("title", "T"), ("body", "B"), ("licence", "cc0"), ("visibility", "public"), ("speak_as", "org:x\0y")], &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = app.submit(&path, &reply_path(&path), &[("body", "Hello"), ("speak_as", "org:x\0y")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(app.get("/@sam%00x").await.status, StatusCode::NOT_FOUND);
        app.sign_out().await;
        let r = app.submit("/login", "/login", &[("email", "sam\0@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("do not match an account"));
    }
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_elsewhere() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let mut phone = sam.other_browser();
        let r = phone.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(phone.get("/me").await.status, StatusCode::OK);

        let page = sam.get("/me/profile").await;
        assert!(page.body.contains("Change your password") && page.body.contains(r#"name="form" value="password""#));
        let wrong = [("form", "password"), ("current_password", "not my password at all"), ("new_password", "short")];
        let r = sam.submit("/me/profile", "/me/profile", &wrong).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("That is not your current password") && r.body.contains("at least 10 characters"), "{}", r.body);
        assert!(r.body.contains(r#"id="current_password-error""#) && r.body.contains(r##"href="#new_password""##));
        assert!(!r.body.contains("not my password at all"), "a password is never echoed");
        assert!(r.body.contains(r#"value="sam""#), "the profile form shows what is stored");
        assert_eq!(phone.get("/me").await.status, StatusCode::OK, "nothing changed");

        let right = [("form", "password"), ("current_password", "a long enough password"), ("new_password", "a brand new password")];
        let r = sam.submit("/me/profile", "/me/profile", &right).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(sam.get("/me").await.status, StatusCode::OK, "still signed in here");
        assert_eq!(phone.get("/me").await.status, StatusCode::SEE_OTHER, "signed out on the phone");
        sam.sign_out().await;
        let r = sam.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = sam.submit("/login", "/login", &[("email", "sam@example.org"), ("password", "a brand new password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn notifications_are_marked_read_up_to_the_page_and_one_by_following_it() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let first = bea.submit(&path, &reply_path(&path), &[("body", "First")]).await.location().unwrap().to_string();

        // Ann opens her notifications; another reply arrives; "mark all" leaves it unread.
        let page = ann.get("/notifications").await;
        let shown: Vec<String> = page.body.split(r#"name="shown" value=""#).skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect();
        assert_eq!(shown.len(), 1, "{}", page.body);
        let second = bea.submit(&path, &reply_path(&path), &[("body", "Second")]).await.location().unwrap().to_string();
        let r = ann.post_raw_from("/notifications", "/notifications/read", &[("csrf", &page.csrf()), ("shown", &shown[0])]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = ann.get("/notifications").await;
        assert!(ann.get("/").await.body.contains("Notifications (1<span class=\"visually-hidden\"> unread</span>)"), "the later one stays unread");
        assert!(page.body.contains(&format!(r#"<a href="{first}">"#)), "the earlier one is read: a plain link");

        // The unread one is followed through a small form: it is marked read and the browser goes on.
        let id = page.body.split(r#"name="open" value=""#).nth(1).unwrap().split('"').next().unwrap().to_string();
        let mut eve = ann.other_browser();
        eve.sign_up("eve").await;
        let r = eve.submit("/notifications", "/notifications/read", &[("open", &id)]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "only the owner's");
        let r = ann.submit("/notifications", "/notifications/read", &[("open", &id)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), Some(second.as_str()));
        assert!(!ann.get("/").await.body.contains("Notifications ("), "nothing unread");
        assert_eq!(ann.submit("/notifications", "/notifications/read", &[("shown", "soon")]).await.status, StatusCode::BAD_REQUEST);
        assert_eq!(ann.submit("/notifications", "/notifications/read", &[("upto", "99")]).await.status, StatusCode::BAD_REQUEST, "a page from before");

        // A link that is not this site's own is never followed.
        let ann_id = person_id(&ann, "ann").await;
        let mut tx = ann.db.begin().await.unwrap();
        let odd = meetinghouse_store::notifications::insert(&mut tx, ann_id, "reply", "Odd.", "https://elsewhere.example/").await.unwrap();
        tx.commit().await.unwrap();
        let r = ann.submit("/notifications", "/notifications/read", &[("open", &odd.to_string())]).await;
        assert_eq!(r.location(), Some("/notifications"));
    }
}

/// A notification from someone the person muted since, or about a reply
/// since retracted, leaves the list and the header's count.
#[tokio::test]
async fn the_list_and_the_count_follow_mutes_and_retractions() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut cal = ann.other_browser();
        cal.sign_up("cal").await;
        bea.submit(&path, &reply_path(&path), &[("body", "From Bea")]).await;
        let cals = cal.submit(&path, &reply_path(&path), &[("body", "From Cal")]).await.location().unwrap().to_string();
        assert!(ann.get("/").await.body.contains("Notifications (2<span"));
        ann.submit("/@bea", "/people/bea/relation", &[("action", "mute")]).await;
        assert!(ann.get("/").await.body.contains("Notifications (1<span"));
        assert!(!ann.get("/notifications").await.body.contains("bea replied"));
        assert_eq!(cal.submit(&cals, &format!("{cals}/retract"), &[("note", "")]).await.status, StatusCode::SEE_OTHER);
        assert!(!ann.get("/").await.body.contains("Notifications ("));
        assert!(ann.get("/notifications").await.body.contains("Nothing here yet"));
    }
}

/// A mail program's one-click unsubscribe (RFC 8058) posts
/// `List-Unsubscribe=One-Click` to the address in the header, with no page,
/// cookie or CSRF token: the signed token is the proof. Any other post
/// still needs the form's token.
#[tokio::test]
async fn one_click_unsubscribe_works_on_the_signed_token_alone() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.submit("/notifications/settings", "/notifications/settings", &[("email_mode", "immediate")]).await;
        let settings = Settings::load(&ann.db).await.unwrap();
        let id = person_id(&ann, "ann").await;
        let token = meetinghouse_core::notifications::unsubscribe_token(&settings, id, meetinghouse_store::now());
        let post = |query: String, body: &'static str| {
            Request::post(format!("/unsubscribe?t={query}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap()
        };
        let mode = |db| async move { meetinghouse_store::notifications::mode(&db, id).await.unwrap() };

        // Without the one-click body, a post is a form and needs its token.
        let r = raw(&ann, post(token.clone(), "t=x")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // A forged token does nothing.
        let r = raw(&ann, post(format!("{token}0"), "List-Unsubscribe=One-Click")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(mode(ann.db.clone()).await, "immediate");

        let r = raw(&ann, post(token.clone(), "List-Unsubscribe=One-Click")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("you will get no more notification email"));
        assert_eq!(mode(ann.db.clone()).await, "off");

        // The page's own button still works, with its CSRF token.
        ann.submit("/notifications/settings", "/notifications/settings", &[("email_mode", "daily")]).await;
        let form = format!("/unsubscribe?t={token}");
        let r = ann.submit(&form, "/unsubscribe", &[("t", &token)]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(mode(ann.db.clone()).await, "off");
    }
}

/// Email about notifications waits for a confirmed address; the site
/// still shows them.
#[tokio::test]
async fn no_notification_email_to_an_unconfirmed_address() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.submit("/notifications/settings", "/notifications/settings", &[("email_mode", "immediate")]).await;
        let path = story(&mut ann).await;
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        bea.submit(&path, &reply_path(&path), &[("body", "Hello")]).await;
        let mail = meetinghouse_store::outbox::recent(&ann.db, 50).await.unwrap();
        assert!(mail.iter().all(|m| m.kind != "notification"), "{:?}", mail.iter().map(|m| (&m.to_addr, &m.kind)).collect::<Vec<_>>());
        assert!(ann.get("/").await.body.contains("Notifications (1<span"));
    }
}

/// Every error is tied to its control (as the `input` macro does): the
/// conduct checkbox, the sectors and the email choice.
#[tokio::test]
async fn errors_are_linked_to_their_controls() {
    for mut app in apps().await {
        let r = app.submit("/signup", "/signup", &[("email", "a@example.org"), ("handle", "a_one"), ("display_name", "A"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains(r#"id="accept_conduct" name="accept_conduct" value="on" aria-invalid="true" aria-describedby="accept_conduct-error""#),
            "{}",
            r.body
        );
        assert!(r.body.contains(r#"id="accept_conduct-error""#) && r.body.contains(r##"href="#accept_conduct""##));

        app.sign_up("sam").await;
        let r = app.submit("/me/profile", "/me/profile", &[("display_name", "Sam"), ("sectors", "astrology")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(r#"<fieldset id="sectors" aria-describedby="sectors-hint sectors-error">"#), "{}", r.body);
        assert!(r.body.contains(r#"<p class="error" id="sectors-error">"#) && r.body.contains(r#"<p class="hint" id="sectors-hint">"#));

        let r = app.submit("/notifications/settings", "/notifications/settings", &[("email_mode", "hourly")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(r#"<fieldset id="email_mode" aria-describedby="email_mode-error">"#), "{}", r.body);
        assert!(r.body.contains(r#"<p class="error" id="email_mode-error">"#) && r.body.contains("Choose how you would like to hear"));
    }
}
