//! The admin and moderation review, through the real router on every
//! configured backend:
//!
//! - a reply the meeting house's moderators hid is theirs to look at again:
//!   its author's review request is in no host's queue, a host's "restore"
//!   is refused (403, nothing changed), and the moderators' item says who
//!   hid it and why;
//! - the admins' settings take their long texts in any script (up to 20,000
//!   characters, past the usual form limit) and a contact for the admins,
//!   shown on the About page; a refused registration mode is linked to its
//!   error;
//! - the admin overview links every admin page: the conversation settings,
//!   the queue and the log among them;
//! - approving an account twice says it was approved already, and sends
//!   nothing again; the note of a lift says when the log is public.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps, queue_form_for};

/// Signs up an instance moderator.
async fn moderator(app: &mut TestApp, handle: &str) {
    app.sign_up(handle).await;
    let me = meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap();
    meetinghouse_store::people::set_admin(&app.db, me.id, true).await.unwrap();
}

/// Whether a page shows a text (its apostrophes escaped as the templates escape them).
fn shows(body: &str, text: &str) -> bool {
    body.contains(&text.replace('\'', "&#39;")) || body.contains(&text.replace('\'', "&#x27;"))
}

#[tokio::test]
async fn a_host_cannot_restore_a_reply_the_moderators_hid() {
    for mut ops in apps().await {
        moderator(&mut ops, "ops").await;
        let mut sophie = ops.other_browser();
        sophie.sign_up("sophie").await;
        sophie.start_group("Reading circle", "reading-circle", "public", "open").await;
        let gid = meetinghouse_store::groups::by_slug(&ops.db, "reading-circle").await.unwrap().unwrap().id;
        let mut laura = ops.other_browser();
        laura.sign_up("laura").await;
        let r = laura.submit("/groups/reading-circle", &format!("/conversations/group/{gid}/replies"), &[("body", "Only fools read crime novels.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let reply = r.location().unwrap().to_string();
        let id = reply.rsplit('/').next().unwrap().to_string();
        let mut kit = ops.other_browser();
        kit.sign_up("kit").await;
        let fields = [("target_kind", "reply"), ("target", id.as_str()), ("category", "harassment")];
        assert_eq!(kit.submit(&format!("/report?kind=reply&target={id}"), "/report", &fields).await.status, StatusCode::SEE_OTHER);

        let queue = ops.get("/moderation").await.body;
        let (act, seen) = queue_form_for(&queue, "crime novels");
        let r = ops.submit("/moderation", &act, &[("action", "hide"), ("note", "This breaks the code of conduct."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(laura.submit(&reply, &format!("{reply}/review"), &[]).await.status, StatusCode::SEE_OTHER);

        // Not in the host's queue; her form from an older page is refused.
        let hers = sophie.get("/moderation").await.body;
        assert!(!hers.contains("crime novels"), "{hers}");
        let queue = ops.get("/moderation").await.body;
        assert!(queue.contains("The author of a hidden reply asks for a review"), "{queue}");
        assert!(shows(&queue, "Hidden by the meeting house's moderators (@ops) on ") && queue.contains("This breaks the code of conduct."), "{queue}");
        assert!(shows(&queue, "Keep it hidden: nothing more needs doing"), "{queue}");
        let (act, seen) = queue_form_for(&queue, "crime novels");
        let r = sophie.submit("/moderation", &act, &[("action", "restore"), ("note", ""), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(!kit.get(&reply).await.body.contains("crime novels"), "still hidden");
        let r = ops.submit("/moderation", &act, &[("action", "restore"), ("note", ""), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(kit.get(&reply).await.body.contains("crime novels"));
    }
}

#[tokio::test]
async fn the_settings_take_long_texts_in_any_script_and_the_admins_contact() {
    for mut mia in apps().await {
        moderator(&mut mia, "mia").await;
        let form = mia.get("/admin/settings").await.body;
        assert!(form.contains("How to reach the admins") && form.contains("At most 20,000 characters."), "{form}");
        let about = "町".repeat(7_998);
        let fields = [
            ("name", "Canal Town"),
            ("about", about.as_str()),
            ("code_of_conduct", "Be kind."),
            ("registration", "open"),
            ("contact", "help@canal.example"),
        ];
        // 72 KB of Japanese, percent-encoded: past the 64 KB of other forms.
        let r = mia.submit("/admin/settings", "/admin/settings", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = mia.other_browser().get("/about").await.body;
        assert!(page.contains(&about) && page.contains("Contact the admins"), "{}", &page[..page.len().min(2_000)]);
        assert!(page.contains("<a href=\"mailto:help@canal.example\">help@canal.example</a>"), "{}", &page[page.len().saturating_sub(2_000)..]);

        // One character over, in any script: a clear error, what was typed kept.
        let over = "町".repeat(20_001);
        let fields = [("name", "Canal Town"), ("about", over.as_str()), ("code_of_conduct", "Be kind."), ("registration", "open")];
        let r = mia.submit("/admin/settings", "/admin/settings", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("can be at most 20000 characters long (it has 20001)") && r.body.contains(&over), "the error, and the text kept");
        // More than even this form takes: refused before it is read.
        let huge = "x".repeat(600 * 1024);
        let r = mia.submit("/admin/settings", "/admin/settings", &[("name", "Canal Town"), ("about", huge.as_str())]).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

        // A refused registration mode: the group of choices is described by its error.
        let fields = [("name", "Canal Town"), ("code_of_conduct", "Be kind."), ("registration", "everyone")];
        let r = mia.submit("/admin/settings", "/admin/settings", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("<fieldset id=\"registration\" aria-describedby=\"registration-error\">") && r.body.contains("id=\"registration-error\""), "{}", r.body);

        // Without a contact, the About page has no contact section.
        let fields = [("name", "Canal Town"), ("code_of_conduct", "Be kind."), ("registration", "open"), ("contact", "")];
        assert_eq!(mia.submit("/admin/settings", "/admin/settings", &fields).await.status, StatusCode::SEE_OTHER);
        assert!(!mia.other_browser().get("/about").await.body.contains("Contact the admins"));
    }
}

#[tokio::test]
async fn the_admin_overview_links_every_admin_page() {
    for mut mia in apps().await {
        moderator(&mut mia, "mia").await;
        let page = mia.get("/admin").await.body;
        for link in ["/admin/settings", "/admin/people", "/admin/orgs", "/admin/groups", "/admin/outbox", "/admin/conversations", "/moderation", "/moderation/log"] {
            assert!(page.contains(&format!("<a href=\"{link}\">")), "{link}: {page}");
        }
        assert!(page.contains("moderators only"), "the log is not public yet: {page}");
    }
}

#[tokio::test]
async fn approving_twice_says_so_and_a_lift_note_says_the_log_is_public() {
    for mut mia in apps().await {
        moderator(&mut mia, "mia").await;
        let fields = [("name", "Canal Town"), ("code_of_conduct", "Be kind."), ("registration", "approval")];
        assert_eq!(mia.submit("/admin/settings", "/admin/settings", &fields).await.status, StatusCode::SEE_OTHER);
        let mut newbie = mia.other_browser();
        newbie.sign_up("newbie").await;
        let id = meetinghouse_store::people::by_handle(&mia.db, "newbie").await.unwrap().unwrap().id;
        let approve = format!("/admin/people/{id}/approve");
        let r = mia.submit("/admin/people", &approve, &[]).await;
        assert!(mia.follow(&r).await.body.contains("Account approved. We emailed them to say so."));
        let r = mia.submit("/admin/people", &approve, &[]).await;
        let page = mia.follow(&r).await.body;
        assert!(page.contains("@newbie was already approved: nothing was changed.") && !page.contains("Account approved"), "{page}");
        let approvals = meetinghouse_store::outbox::recent(&mia.db, 50).await.unwrap().into_iter().filter(|m| m.to_addr == "newbie@example.org" && m.subject.contains("approved")).count();
        assert_eq!(approvals, 1, "emailed once");

        // A suspended account's "Lift" says where its note goes.
        let mut tx = mia.db.begin().await.unwrap();
        meetinghouse_store::moderation::suspend(&mut tx, id, Some(meetinghouse_store::now() + 86_400)).await.unwrap();
        tx.commit().await.unwrap();
        assert!(!mia.get("/admin/people").await.body.contains("which is public"));
        let r = mia.submit("/admin/conversations", "/admin/conversations", &[("review_first", "0"), ("pause_words", ""), ("public_log", "on")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let people = mia.get("/admin/people").await.body;
        assert!(people.contains("kept in the moderation log, which is public: everyone can read it there"), "{people}");
        assert!(mia.get("/admin").await.body.contains("<span class=\"meta\">public</span>"));
    }
}

/// Admin pages have titles of their own ("Admin: …", with the page number
/// past the first); the people table says "no" for someone who is not an
/// admin; the outbox names each message's kind in words; the lift and
/// invite forms answer at their row or section (a fragment on the address).
#[tokio::test]
async fn admin_pages_are_titled_and_say_things_in_words() {
    for mut mia in apps().await {
        moderator(&mut mia, "mia").await;
        let mut newbie = mia.other_browser();
        newbie.sign_up("newbie").await;
        let people = mia.get("/admin/people").await.body;
        assert!(people.contains("<title>Admin: People ·"), "{people}");
        assert!(people.contains("<td>no</td><td>no</td>"), "the admin cell says no: {people}");
        assert!(people.contains(r#"action="/admin/invites#invites""#), "{people}");
        // Two people make one page: page 2 is past the end.
        let past = mia.get("/admin/people?page=2").await;
        assert!(past.status == axum::http::StatusCode::NOT_FOUND && past.body.contains("<h1>Admin list of people: there is no page 2</h1>") && past.body.contains(r#"href="/admin/people""#), "{}", past.body);
        assert!(mia.get("/admin/orgs").await.body.contains("<title>Admin: Organisations ·"));
        let outbox = mia.get("/admin/outbox").await.body;
        assert!(outbox.contains("<td>Email address confirmation</td>") && !outbox.contains("<td>verify</td>"), "{outbox}");

        let id = meetinghouse_store::people::by_handle(&mia.db, "newbie").await.unwrap().unwrap().id;
        let mut tx = mia.db.begin().await.unwrap();
        meetinghouse_store::moderation::suspend(&mut tx, id, Some(meetinghouse_store::now() + 86_400)).await.unwrap();
        tx.commit().await.unwrap();
        let people = mia.get("/admin/people").await.body;
        let lift = format!("/admin/people/{id}/lift#person-{id}");
        assert!(people.contains(&format!("action=\"{lift}\"")) && people.contains(&format!("<tr id=\"person-{id}\">")), "{people}");
        let r = mia.submit("/admin/people", &lift, &[("note", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("<title>Error: Admin: People ·"), "{}", r.body);
    }
}
