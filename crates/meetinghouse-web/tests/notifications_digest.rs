//! Notifications through the real router on every configured backend:
//! "mark all as read" marks exactly what the page showed (never one it did
//! not show, whatever its id); a notification about a deleted story leaves
//! the list and the header's count, and following it from a page drawn
//! before says plainly that it is gone; the email settings page tells a
//! person whose address is not confirmed that no email can come, with the
//! button that sends the link again.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps};

/// Ann shares a public story; returns its path.
async fn story(app: &mut TestApp) -> String {
    let r = app.upload("/stories/new", "/stories", &[("title", "Lace day"), ("body", "My gran made lace."), ("licence", "cc0"), ("visibility", "public")], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().to_string()
}

fn reply_path(story: &str) -> String {
    format!("/conversations/story/{}/replies", story.rsplit('/').next().unwrap())
}

/// The values of every `name="{name}"` field on a page.
fn fields(body: &str, name: &str) -> Vec<String> {
    body.split(&format!(r#"name="{name}" value=""#)).skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect()
}

const UNREAD_ONE: &str = "Notifications (1<span class=\"visually-hidden\"> unread</span>)";

/// A notification the page did not show (from someone Ann had muted) is
/// left unread by "mark all as read", though its id is lower than the ones
/// shown: unmuting brings it back, unread. The form is plain HTML.
#[tokio::test]
async fn mark_all_as_read_marks_only_what_the_page_showed() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut cal = ann.other_browser();
        cal.sign_up("cal").await;
        bea.submit(&path, &reply_path(&path), &[("body", "From Bea")]).await;
        ann.submit("/@bea", "/people/bea/relation", &[("action", "mute")]).await;
        cal.submit(&path, &reply_path(&path), &[("body", "From Cal")]).await;

        let page = ann.get("/notifications").await;
        assert!(page.body.contains("cal replied") && !page.body.contains("bea replied"), "{}", page.body);
        assert!(page.body.contains(r#"<form method="post" action="/notifications/read">"#));
        let shown = fields(&page.body, "shown");
        assert_eq!(shown.len(), 1, "{}", page.body);
        let r = ann.post_raw_from("/notifications", "/notifications/read", &[("csrf", &page.csrf()), ("shown", &shown[0])]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(!ann.get("/").await.body.contains("Notifications ("), "what the page showed is read");

        ann.submit("/@bea", "/people/bea/relation", &[("action", "unmute")]).await;
        assert!(ann.get("/").await.body.contains(UNREAD_ONE), "Bea's was never shown, so it is still unread");
        let page = ann.get("/notifications").await;
        assert_eq!(fields(&page.body, "shown").len(), 1, "{}", page.body);

        // Someone else's ids do nothing; more than a page's worth is refused.
        let mut eve = ann.other_browser();
        eve.sign_up("eve").await;
        let theirs = fields(&page.body, "shown").remove(0);
        assert_eq!(eve.submit("/notifications", "/notifications/read", &[("shown", &theirs)]).await.status, StatusCode::SEE_OTHER);
        assert!(ann.get("/").await.body.contains(UNREAD_ONE));
        let many: Vec<(&str, &str)> = (0..51).map(|_| ("shown", "1")).collect();
        assert_eq!(ann.submit("/notifications", "/notifications/read", &many).await.status, StatusCode::BAD_REQUEST);
    }
}

/// Bea is told of an answer on Ann's story; Ann deletes the story: the
/// notification leaves Bea's list and count, and following it from the page
/// she had open leads to a plain note, not a missing page.
#[tokio::test]
async fn a_notification_about_a_deleted_story_goes_and_its_stale_link_says_so() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut cal = ann.other_browser();
        cal.sign_up("cal").await;
        let hers = bea.submit(&path, &reply_path(&path), &[("body", "My gran too")]).await.location().unwrap().to_string();
        let id = hers.rsplit('/').next().unwrap().to_string();
        cal.submit(&hers, &reply_path(&path), &[("body", "And mine"), ("parent_id", &id)]).await;
        assert!(bea.get("/").await.body.contains(UNREAD_ONE));
        let page = bea.get("/notifications").await;
        assert!(page.body.contains("cal replied to you"), "{}", page.body);
        let open = fields(&page.body, "open").remove(0);

        let r = ann.submit(&path, &format!("{path}/delete"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(!bea.get("/").await.body.contains("Notifications ("), "the header no longer counts it");
        assert!(bea.get("/notifications").await.body.contains("Nothing here yet"));

        let r = bea.post_raw_from("/notifications", "/notifications/read", &[("csrf", &page.csrf()), ("open", &open)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), Some("/notifications"));
        assert!(bea.get("/notifications").await.body.contains("That is no longer available to you."));
    }
}

/// With an unconfirmed address, the settings page says no email can come
/// whatever the choice, and offers the confirmation link again; saving a
/// choice says it waits for that. Once confirmed, the note is gone.
#[tokio::test]
async fn the_email_settings_say_an_unconfirmed_address_gets_no_email() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let page = ann.get("/notifications/settings").await;
        assert!(page.body.contains("Your email address is not confirmed yet"), "{}", page.body);
        assert!(page.body.contains(r#"<form method="post" action="/verify/resend""#), "{}", page.body);
        let r = ann.submit("/notifications/settings", "/notifications/settings", &[("email_mode", "immediate")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(ann.get("/notifications/settings").await.body.contains("no email will come until you confirm your email address"));

        let before = meetinghouse_store::outbox::recent(&ann.db, 100).await.unwrap().iter().filter(|m| m.kind == "verify").count();
        let r = ann.submit("/notifications/settings", "/verify/resend", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let after = meetinghouse_store::outbox::recent(&ann.db, 100).await.unwrap().iter().filter(|m| m.kind == "verify").count();
        assert_eq!(after, before + 1, "a new confirmation link");

        let id = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap().id;
        let mut tx = ann.db.begin().await.unwrap();
        meetinghouse_store::people::mark_verified(&mut tx, id).await.unwrap();
        tx.commit().await.unwrap();
        let page = ann.get("/notifications/settings").await;
        assert!(!page.body.contains("not confirmed") && !page.body.contains("/verify/resend"), "{}", page.body);
        let r = ann.submit("/notifications/settings", "/notifications/settings", &[("email_mode", "daily")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(ann.get("/notifications/settings").await.body.contains("Your email choice is saved."));
    }
}
