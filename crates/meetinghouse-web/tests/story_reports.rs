//! Reporting a story and removing it from the queue, through the real
//! router, on every configured backend: the story's page links to the
//! report form for signed-in readers other than its author; a moderator
//! removes it from the queue's form; it is then gone (its page, its photos,
//! the lists) for everyone but its author, whose page says why, offers a
//! review instead of a restore, and refuses a restore; a moderator restores
//! it from the review request.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps, media_srcs, queue_form_for};

/// Bea shares a public story with a photo; returns its path.
async fn story_with_photo(bea: &mut TestApp) -> String {
    let photo = meetinghouse_media::generated_picture(7, 640, 480);
    let fields = [
        ("title", "Our street party"),
        ("body", "Everyone came out."),
        ("licence", "cc0"),
        ("visibility", "public"),
        ("consent_people", "on"),
        ("consent_minors", "on"),
        ("photo_alt_0", "Neighbours at a long table"),
    ];
    let r = bea.upload("/stories/new", "/stories", &fields, &[("photo_file_0", "photo.jpg", "image/jpeg", &photo)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().to_string()
}

const REPORT_LINK: &str = "Report this story</a>";

#[tokio::test]
async fn a_reported_story_is_removed_from_the_queue_and_restored_only_by_a_moderator() {
    for mut mia in apps().await {
        mia.sign_up("mia").await;
        let me = meetinghouse_store::people::by_handle(&mia.db, "mia").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&mia.db, me.id, true).await.unwrap();
        let mut bea = mia.other_browser();
        bea.sign_up("bea").await;
        let mut ann = mia.other_browser();
        ann.sign_up("ann").await;
        let mut visitor = mia.other_browser();
        let path = story_with_photo(&mut bea).await;
        let id = path.trim_start_matches("/stories/").to_string();
        let srcs = media_srcs(&bea.get(&path).await.body);
        assert!(!srcs.is_empty());

        // The link is for signed-in readers, never the author.
        assert!(!bea.get(&path).await.body.contains(REPORT_LINK));
        assert!(!visitor.get(&path).await.body.contains(REPORT_LINK));
        let page = ann.get(&path).await;
        assert!(page.body.contains(REPORT_LINK), "{}", page.body);
        let form = format!("/report?kind=story&target={id}");
        let shown = ann.get(&form).await;
        assert!(shown.body.contains("Report a story") && shown.body.contains("value=\"privacy\""), "{}", shown.body);
        let r = ann.submit(&form, "/report", &[("target_kind", "story"), ("target", &id), ("category", "privacy"), ("details", "That is my house.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = bea.submit(&form, "/report", &[("target_kind", "story"), ("target", &id), ("category", "spam")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "the author cannot report her own story");

        // Mia removes it from the queue.
        let queue = mia.get("/moderation").await;
        assert!(queue.body.contains("Our street party") && queue.body.contains("That is my house."), "{}", queue.body);
        assert!(queue.body.contains("Remove the story and its photos"), "{}", queue.body);
        let (act, seen) = queue_form_for(&queue.body, "Our street party");
        let r = mia.submit("/moderation", &act, &[("action", "hide"), ("note", "The people in the photo did not agree."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(mia.get("/moderation").await.body.contains("Nothing is waiting"));

        assert_eq!(ann.get(&path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(visitor.get(&path).await.status, StatusCode::NOT_FOUND);
        assert!(!visitor.get("/").await.body.contains("Our street party"));
        for src in &srcs {
            assert_eq!(visitor.get(src).await.status, StatusCode::NOT_FOUND, "{src}");
            assert_eq!(ann.get(src).await.status, StatusCode::NOT_FOUND, "{src}");
        }
        assert!(ann.get("/notifications").await.body.contains("removed the story"));

        // Bea sees why, and a review instead of a restore; a restore is refused.
        let own = bea.get(&path).await;
        assert_eq!(own.status, StatusCode::OK);
        assert!(own.body.contains("The moderators removed this story") && own.body.contains("did not agree"), "{}", own.body);
        assert!(own.body.contains("Ask for a review") && !own.body.contains("Restore it</button>"), "{}", own.body);
        let r = bea.submit(&path, &format!("{path}/restore"), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = bea.submit(&path, "/report", &[("target_kind", "story"), ("target", &id), ("category", "review-request"), ("details", "They agreed after all.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), Some(path.as_str()));

        // Mia restores it from the review request.
        let queue = mia.get("/moderation").await;
        assert!(queue.body.contains("The author of a removed story asks for a review") && queue.body.contains("They agreed after all."), "{}", queue.body);
        let (act, seen) = queue_form_for(&queue.body, "Our street party");
        let r = mia.submit("/moderation", &act, &[("action", "restore"), ("note", "Consent confirmed."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(visitor.get(&path).await.status, StatusCode::OK);
        assert_eq!(visitor.get(&srcs[0]).await.status, StatusCode::OK);
    }
}

/// The id of a person's newest reply.
async fn newest_reply(app: &TestApp, handle: &str) -> i64 {
    let who = meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap();
    meetinghouse_store::conversations::by_author(&app.db, who.id, i64::MAX, 1).await.unwrap()[0].id
}

/// The report form quotes only what readers are shown where the thing is:
/// never the text of a reply the moderators hid, nor of an edit still
/// waiting for review (it used to quote both to anyone signed in). It says
/// who reads a report about each kind of thing, and a report about an
/// amendment or an objection returns to the amendment's page.
#[tokio::test]
async fn the_report_form_quotes_only_what_readers_are_shown() {
    for mut mia in apps().await {
        mia.sign_up("mia").await;
        let me = meetinghouse_store::people::by_handle(&mia.db, "mia").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&mia.db, me.id, true).await.unwrap();
        let (mut bea, mut ann, mut cal) = (mia.other_browser(), mia.other_browser(), mia.other_browser());
        for (app, handle) in [(&mut bea, "bea"), (&mut ann, "ann"), (&mut cal, "cal")] {
            app.sign_up(handle).await;
        }
        let r = mia.submit("/admin/conversations", "/admin/conversations", &[("review_first", "2"), ("pause_words", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let path = story_with_photo(&mut bea).await;
        let id = path.trim_start_matches("/stories/").to_string();
        let replies = format!("/conversations/story/{id}/replies");

        // Ann's first reply is published after review; her edit waits for review again.
        let r = ann.submit(&path, &replies, &[("body", "The first words anyone may read.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let first = newest_reply(&ann, "ann").await;
        let queue = mia.get("/moderation").await.body;
        let (act, seen) = queue_form_for(&queue, "The first words anyone may read.");
        let r = mia.submit("/moderation", &act, &[("action", "approve"), ("note", ""), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let edit = format!("/replies/{first}/edit");
        let r = ann.submit(&edit, &edit, &[("body", "Changed words nobody has checked.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let form = format!("/report?kind=reply&target={first}");
        let shown = cal.get(&form).await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(!shown.body.contains("Changed words"), "an edit waiting for review is not quoted: {}", shown.body);
        assert!(shown.body.contains("A reply by ann") && shown.body.contains("waiting for a moderator"), "{}", shown.body);

        // A reply the moderators hid: its words are not quoted to anyone else.
        let r = mia.submit("/admin/conversations", "/admin/conversations", &[("review_first", "0"), ("pause_words", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = bea.submit(&path, &replies, &[("body", "Cal lives at number 4, go and tell him.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let hidden = newest_reply(&bea, "bea").await.to_string();
        let form = format!("/report?kind=reply&target={hidden}");
        assert!(cal.get(&form).await.body.contains("Cal lives at number 4"), "quoted while readers see it");
        let r = cal.submit(&form, "/report", &[("target_kind", "reply"), ("target", &hidden), ("category", "privacy")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), Some(format!("/replies/{hidden}").as_str()));
        let queue = mia.get("/moderation").await.body;
        let (act, seen) = queue_form_for(&queue, "Cal lives at number 4");
        let r = mia.submit("/moderation", &act, &[("action", "hide"), ("note", "No addresses, please."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let shown = ann.get(&form).await;
        assert!(!shown.body.contains("Cal lives at number 4"), "{}", shown.body);
        assert!(shown.body.contains("the moderators hid it"), "{}", shown.body);

        // Who reads a report, by kind.
        let reply_form = cal.get(&format!("/report?kind=reply&target={first}")).await.body;
        assert!(reply_form.contains("a prompt’s hosts") && reply_form.contains("an organisation’s staff"), "{reply_form}");
        let statement_form = cal.get("/report?kind=statement&target=1").await.body;
        assert!(statement_form.contains("Report a statement in a conversation") && statement_form.contains("the conversation’s hosts"), "{statement_form}");
        let object_form = cal.get("/report?kind=object&target=1").await.body;
        assert!(object_form.contains("the staff of the organisation whose collection it is in"), "{object_form}");

        // An amendment's and an objection's reports return to the amendment's page.
        let fields = [("name", "Canal friends"), ("slug", "canal-friends"), ("purpose", "We look after the canal."), ("visibility", "public"), ("join_policy", "open")];
        assert_eq!(bea.submit("/groups/new", "/groups", &fields).await.status, StatusCode::SEE_OTHER);
        let amend = "/groups/canal-friends/purpose/amend";
        let r = bea.submit(amend, amend, &[("text", "We look after the canal and its towpath."), ("why", "The towpath needs care too.")]).await;
        let at = r.location().unwrap().to_string();
        let amendment = at.rsplit('/').next().unwrap().to_string();
        let form = format!("/report?kind=amendment&target={amendment}");
        let r = cal.submit(&form, "/report", &[("target_kind", "amendment"), ("target", &amendment), ("category", "spam")]).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some(at.as_str())), "{}", r.body);
    }
}
