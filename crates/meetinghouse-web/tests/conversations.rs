//! Conversations through the real router on every configured backend:
//! replying (and its bad input), the permalink, thanks, notifications and
//! the header count, unsubscribe links, reports and the moderation queue,
//! what a hidden reply's edits and retraction leave, and blocked thanks;
//! the queue form's errors and the text it acts on, the public log, and
//! object pages' sign-in link, image links and pages past the end; nesting
//! refused, edits that wait for review again, "in reply to" in words,
//! repeated news grouped, the paged and limited history, an archived
//! group's replies, a block on the blocker's own story (and the forms it
//! leaves out), and notifications about replies retracted by closing or on
//! objects the moderators withdrew.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps};

/// Ann shares a story; returns its path.
async fn story(app: &mut TestApp) -> String {
    let r = app.submit("/stories/new", "/stories", &[("title", "Lace day"), ("body", "My gran made lace."), ("licence", "cc0"), ("visibility", "public")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    r.location().unwrap().to_string()
}

fn id_of(location: &str) -> String {
    location.rsplit('/').next().unwrap().to_string()
}

/// The first item's form on a moderation queue page: where it posts, and
/// the version of the reply's text it showed (field `seen`).
fn queue_form(body: &str) -> (String, String) {
    let form = body.split("action=\"/moderation/").nth(1).unwrap();
    // (The address ends with a fragment that opens the answer at the item.)
    let act = format!("/moderation/{}", form.split(['"', '#']).next().unwrap());
    let seen = form.split("name=\"seen\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    (act, seen)
}

#[tokio::test]
async fn replying_thanking_and_notifications() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let sid = id_of(&path);
        let post = format!("/conversations/story/{sid}/replies");
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;

        // The story page carries the conversation, a reply form and the code of conduct.
        let page = bea.get(&path).await;
        assert!(page.body.contains("id=\"conversation\"") && page.body.contains("href=\"/conduct\""));

        // Bad input: empty (422, nothing written), over-long, unknown mention (input kept), unknown parent (404), unknown subject (404).
        let r = bea.submit(&path, &post, &[("body", "   ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Your reply is needed"));
        let long = "x".repeat(10_001);
        assert_eq!(bea.submit(&path, &post, &[("body", &long)]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = bea.submit(&path, &post, &[("body", "Ask @nobody_at_all about it")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("@nobody_at_all") && r.body.contains("Ask @nobody_at_all about it</textarea>"), "input kept");
        assert_eq!(bea.submit(&path, &post, &[("body", "hi"), ("parent_id", "987654")]).await.status, StatusCode::NOT_FOUND);
        assert_eq!(bea.submit(&path, "/conversations/story/987654/replies", &[("body", "hi")]).await.status, StatusCode::NOT_FOUND);
        assert_eq!(bea.submit(&path, "/conversations/planet/1/replies", &[("body", "hi")]).await.status, StatusCode::NOT_FOUND);
        assert!(bea.get(&path).await.body.contains("No replies yet"), "nothing partial written");
        assert!(ann.get("/notifications").await.body.contains("Nothing here yet"));

        // A reply: the permalink, the unread count in Ann's header.
        let r = bea.submit(&path, &post, &[("body", "Lovely — my *gran* too, @ann")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let reply = r.location().unwrap().to_string();
        assert!(reply.starts_with("/replies/"));
        let page = bea.get(&reply).await;
        assert!(page.body.contains("<em>gran</em>"));
        let home = ann.get("/").await;
        assert!(home.body.contains("Notifications (1<span class=\"visually-hidden\"> unread</span>)"), "one notification, not two: replied to and mentioned");
        let list = ann.get("/notifications").await;
        assert!(list.body.contains("bea replied to “Lace day”"));

        // Private thanks: Ann thanks Bea; Bea sees who; nobody sees a count.
        let thank = format!("{reply}/thanks");
        assert_eq!(ann.submit(&reply, &thank, &[("kind", "resonated")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(ann.submit(&reply, &thank, &[("kind", "applause")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bea.submit(&reply, &thank, &[("kind", "thanks")]).await.status, StatusCode::FORBIDDEN, "not to yourself");
        let mine = bea.get(&reply).await;
        assert!(mine.body.contains("Appreciation (only you see this)") && mine.body.contains("said this resonated"));
        assert!(!ann.get(&reply).await.body.contains("Appreciation"), "only the author sees it");
        assert!(!bea.get(&path).await.body.contains("resonated"), "no public trace");

        // Answer, edit with history, retract.
        let r = ann.submit(&reply, &post, &[("body", "Thank you!"), ("parent_id", &id_of(&reply))]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let edit = format!("{reply}/edit");
        assert_eq!(ann.submit(&reply, &edit, &[("body", "Not mine")]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(bea.submit(&edit, &edit, &[("body", "")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bea.submit(&edit, &edit, &[("body", "Lovely — my gran too")]).await.status, StatusCode::SEE_OTHER);
        assert!(bea.get(&format!("{reply}/history")).await.body.contains("<em>gran</em>"));
        assert_eq!(bea.submit(&reply, &format!("{reply}/retract"), &[("note", "Wrong story, sorry")]).await.status, StatusCode::SEE_OTHER);
        let story_page = ann.get(&path).await;
        assert!(story_page.body.contains("Retracted by the author") && story_page.body.contains("Wrong story, sorry") && story_page.body.contains("Thank you!"));
        assert_eq!(ann.submit(&path, &post, &[("body", "hm"), ("parent_id", &id_of(&reply))]).await.status, StatusCode::FORBIDDEN, "a retracted reply takes no answers");

        // Notification settings and mark as read.
        assert_eq!(ann.submit("/notifications/settings", "/notifications/settings", &[("email_mode", "weekly")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(ann.submit("/notifications/settings", "/notifications/settings", &[("email_mode", "immediate")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(ann.submit("/notifications", "/notifications/read", &[]).await.status, StatusCode::SEE_OTHER);
        assert!(!ann.get("/").await.body.contains("Notifications ("));

        // Unsubscribe without signing in; forged tokens are refused. (Notification
        // email goes only to a confirmed address: Ann confirms hers first.)
        let ann_id = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap().id;
        let mut tx = ann.db.begin().await.unwrap();
        meetinghouse_store::people::mark_verified(&mut tx, ann_id).await.unwrap();
        tx.commit().await.unwrap();
        let r = bea.submit(&path, &post, &[("body", "One more thing")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let mail = meetinghouse_store::outbox::recent(&ann.db, 10).await.unwrap();
        let body = &mail.iter().find(|m| m.to_addr == "ann@example.org" && m.kind == "notification").unwrap().body;
        let link = body.lines().find(|l| l.contains("/unsubscribe?t=")).unwrap();
        let token = link.split("t=").nth(1).unwrap().trim().to_string();
        let mut stranger = ann.other_browser();
        assert_eq!(stranger.get("/unsubscribe?t=1.2.abc").await.status, StatusCode::FORBIDDEN);
        let form = format!("/unsubscribe?t={token}");
        assert_eq!(stranger.get(&form).await.status, StatusCode::OK);
        let forged = format!("{}0", token);
        assert_eq!(stranger.submit(&form, "/unsubscribe", &[("t", &forged)]).await.status, StatusCode::FORBIDDEN);
        let done = stranger.submit(&form, "/unsubscribe", &[("t", &token)]).await;
        assert_eq!(done.status, StatusCode::OK);
        assert!(done.body.contains("no more notification email"));
        assert!(ann.get("/notifications/settings").await.body.contains("value=\"off\" checked"));
    }
}

#[tokio::test]
async fn reports_and_the_moderation_queue() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let post = format!("/conversations/story/{}/replies", id_of(&path));
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let reply = bea.submit(&path, &post, &[("body", "Nobody cares")]).await.location().unwrap().to_string();
        let rid = id_of(&reply);

        // Report: a category is needed; reporting twice is refused; kept input.
        let form = format!("/report?kind=reply&target={rid}");
        let r = ann.submit(&form, "/report", &[("target_kind", "reply"), ("target", &rid), ("details", "Unkind")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Choose what is wrong") && r.body.contains(">Unkind</textarea>"));
        let fields = [("target_kind", "reply"), ("target", rid.as_str()), ("category", "harassment"), ("details", "Unkind")];
        assert_eq!(ann.submit(&form, "/report", &fields).await.status, StatusCode::SEE_OTHER);
        let again = ann.submit(&form, "/report", &fields).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("already reported"));
        assert_eq!(ann.submit(&form, "/report", &[("target_kind", "reply"), ("target", "999999"), ("category", "spam")]).await.status, StatusCode::NOT_FOUND);

        // The queue needs the role; acting on it too.
        assert_eq!(ann.get("/moderation").await.status, StatusCode::FORBIDDEN);
        let person = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap();
        let forged = ann.submit(&path, "/moderation/1", &[("action", "dismiss")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        meetinghouse_store::people::set_admin(&ann.db, person.id, true).await.unwrap();
        let queue = ann.get("/moderation").await;
        assert_eq!(queue.status, StatusCode::OK);
        assert!(queue.body.contains("Harassment or bullying") && queue.body.contains("Nobody cares"));
        let (act, seen) = queue_form(&queue.body);
        let r = ann.submit("/moderation", &act, &[("action", "hide"), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "hiding needs a note");
        assert_eq!(ann.submit("/moderation", &act, &[("action", "hide"), ("note", "Please be kind."), ("seen", &seen)]).await.status, StatusCode::SEE_OTHER);

        // Hidden: others see a placeholder and cannot answer; the author sees why and asks for a review.
        let mut carl = ann.other_browser();
        carl.sign_up("carl").await;
        let seen = carl.get(&path).await.body;
        assert!(seen.contains("Hidden by the moderators") && !seen.contains("Nobody cares"));
        assert_eq!(carl.submit(&path, &post, &[("body", "hm"), ("parent_id", &rid)]).await.status, StatusCode::FORBIDDEN);
        let own = bea.get(&reply).await.body;
        assert!(own.contains("Please be kind.") && own.contains("Ask for a review"));
        assert_eq!(bea.submit(&reply, &format!("{reply}/review"), &[]).await.status, StatusCode::SEE_OTHER);
        assert!(ann.get("/moderation").await.body.contains("asks for a review"));
        assert!(bea.get("/notifications").await.body.contains("A moderator hid your reply"));

        // The log: moderators see it; the public only when published.
        assert_eq!(ann.get("/moderation/log").await.status, StatusCode::OK);
        assert_eq!(carl.get("/moderation/log").await.status, StatusCode::NOT_FOUND);
        assert_eq!(ann.submit("/admin/conversations", "/admin/conversations", &[("review_first", "lots")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(ann.submit("/admin/conversations", "/admin/conversations", &[("review_first", "0"), ("pause_words", "idiot"), ("public_log", "on")]).await.status, StatusCode::SEE_OTHER);
        let log = carl.get("/moderation/log").await;
        assert_eq!(log.status, StatusCode::OK);
        assert!(log.body.contains("Please be kind.") && !log.body.contains("@ann"));

        // Pause before posting: 422 with the prompt, then posted when confirmed.
        let r = carl.submit(&path, &post, &[("body", "What an idiot idea")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Take a moment") && r.body.contains("name=\"pause_confirmed\""));
        assert_eq!(carl.submit(&path, &post, &[("body", "What an idiot idea"), ("pause_confirmed", "on")]).await.status, StatusCode::SEE_OTHER);

        // Block: Ann blocks Carl, who can no longer reply to her story.
        assert_eq!(ann.submit(&path, "/people/carl/relation", &[("action", "block")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(carl.submit(&path, &post, &[("body", "Hello again")]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(ann.submit(&path, "/people/nobody_here/relation", &[("action", "block")]).await.status, StatusCode::NOT_FOUND);
    }
}

/// A hidden reply's edits and its retraction note never reach readers; a
/// person someone blocked cannot thank them.
#[tokio::test]
async fn hidden_replies_leave_no_public_trace_and_blocks_stop_thanks() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let post = format!("/conversations/story/{}/replies", id_of(&path));
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut carl = ann.other_browser();
        carl.sign_up("carl").await;
        let reply = bea.submit(&path, &post, &[("body", "Lace is for fools")]).await.location().unwrap().to_string();
        let rid = id_of(&reply);

        // Ann, a moderator, hides it.
        let person = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&ann.db, person.id, true).await.unwrap();
        let report = format!("/report?kind=reply&target={rid}");
        assert_eq!(ann.submit(&report, "/report", &[("target_kind", "reply"), ("target", &rid), ("category", "harassment")]).await.status, StatusCode::SEE_OTHER);
        let (act, seen) = queue_form(&ann.get("/moderation").await.body);
        assert_eq!(ann.submit("/moderation", &act, &[("action", "hide"), ("note", "Please be kind."), ("seen", &seen)]).await.status, StatusCode::SEE_OTHER);

        // Bea edits it while hidden: the hidden words are not kept for its history.
        let edit = format!("{reply}/edit");
        assert_eq!(bea.submit(&edit, &edit, &[("body", "Lace is not for me")]).await.status, StatusCode::SEE_OTHER);
        let page = bea.get(&reply).await.body;
        assert!(page.contains("Your reply is updated.") && !page.contains("earlier text is in its history"), "{page}");
        assert!(bea.get(&format!("{reply}/history")).await.body.contains("This reply has not been edited."));

        // She retracts it with a note: the note is left out, and she is told why.
        assert_eq!(bea.submit(&reply, &format!("{reply}/retract"), &[("note", "Fools, all of you")]).await.status, StatusCode::SEE_OTHER);
        let page = bea.get(&reply).await.body;
        assert!(page.contains("your note is not shown"), "{page}");
        let seen = carl.get(&path).await.body;
        assert!(seen.contains("Retracted by the author") && !seen.contains("Fools") && !seen.contains("fools"), "{seen}");

        // Carl blocks Bea: her thanks for his reply are refused with a plain
        // message (the same words as for a block by the story's owner, so
        // thanking does not tell whose block it is), and no "Thank" link
        // leads there.
        let carls = carl.submit(&path, &post, &[("body", "My aunt made lace too")]).await.location().unwrap().to_string();
        assert_eq!(carl.submit(&carls, "/people/bea/relation", &[("action", "block")]).await.status, StatusCode::SEE_OTHER);
        let r = bea.submit(&carls, &format!("{carls}/thanks"), &[("kind", "thanks")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("You cannot send thanks for this reply."), "{}", r.body);
        assert!(!carl.get(&carls).await.body.contains("Appreciation"), "nothing reached Carl");
        let story_page = bea.get(&path).await.body;
        assert!(!story_page.contains(&format!("{carls}#thank\"")), "{story_page}");
        // His reply's page says his block refuses her answer; the story,
        // whose owner did not block her, is not closed to her.
        let thread = bea.get(&carls).await.body;
        assert!(thread.contains("You cannot reply to this person.") && !thread.contains("on this story"), "{thread}");
        assert!(story_page.contains("class=\"reply-form\"") && !story_page.contains("You cannot reply"), "{story_page}");
    }
}

/// A ban given from the queue is lifted from the admin's list of people:
/// the list says who is banned or until when suspended, a lift needs a note
/// (refused with the note field marked and the page kept), and once lifted
/// the person signs in again.
#[tokio::test]
async fn a_ban_is_lifted_from_the_admin_people_page() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let me = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&ann.db, me.id, true).await.unwrap();
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut carl = ann.other_browser();
        carl.sign_up("carl").await;
        let form = "/report?kind=person&target=bea";
        let fields = [("target_kind", "person"), ("target", "bea"), ("category", "harassment")];
        assert_eq!(carl.submit(form, "/report", &fields).await.status, StatusCode::SEE_OTHER);
        let queue = ann.get("/moderation").await;
        let act = format!("/moderation/{}", queue.body.split("action=\"/moderation/").nth(1).unwrap().split('"').next().unwrap());
        assert_eq!(ann.submit("/moderation", &act, &[("action", "ban"), ("note", "Threats.")]).await.status, StatusCode::SEE_OTHER);

        let list = ann.get("/admin/people").await;
        assert!(list.body.contains("<td>banned</td>") && list.body.contains("Lift the ban"), "{}", list.body);
        let bea_id = meetinghouse_store::people::by_handle(&ann.db, "bea").await.unwrap().unwrap().id;
        let lift = format!("/admin/people/{bea_id}/lift");
        assert!(list.body.contains(&format!("action=\"{lift}#person-{bea_id}\"")));
        // Only admins.
        assert_eq!(carl.submit("/me", &lift, &[("note", "Please.")]).await.status, StatusCode::FORBIDDEN);
        // A note is needed: the form comes back open with the error beside the field.
        let r = ann.submit("/admin/people", &lift, &[("note", " "), ("page", "1")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(&format!("id=\"lift-error-{bea_id}\"")) && r.body.contains("aria-invalid=\"true\"") && r.body.contains("<details open>"), "{}", r.body);
        let r = ann.submit("/admin/people", &lift, &[("note", "She apologised.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let list = ann.get("/admin/people").await;
        assert!(list.body.contains("can sign in again") && !list.body.contains("Lift the ban"), "{}", list.body);
        // Bea signs in again and is told why.
        let mut back = ann.other_browser();
        let r = back.submit("/login", "/login", &[("email", "bea@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(back.get("/notifications").await.body.contains("She apologised."));
    }
}

/// A queue item's form with a problem: the summary's links lead to that
/// item's fields, each field says what is wrong beside it (marked invalid
/// and described by its message), and what was typed is kept. With the log
/// public, moderators are told their note is published there. A reply its
/// author edited after the queue page was opened is not acted on.
#[tokio::test]
async fn the_queue_form_marks_its_problems_and_acts_on_the_text_shown() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let post = format!("/conversations/story/{}/replies", id_of(&path));
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let reply = bea.submit(&path, &post, &[("body", "Bridge talk nonsense")]).await.location().unwrap().to_string();
        let rid = id_of(&reply);
        let fields = [("target_kind", "reply"), ("target", rid.as_str()), ("category", "spam")];
        assert_eq!(ann.submit(&format!("/report?kind=reply&target={rid}"), "/report", &fields).await.status, StatusCode::SEE_OTHER);
        let me = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&ann.db, me.id, true).await.unwrap();
        let queue = ann.get("/moderation").await;
        assert!(!queue.body.contains("published there"), "the log is not public");
        let (act, seen) = queue_form(&queue.body);
        let id = act.rsplit('/').next().unwrap().to_string();

        let r = ann.submit("/moderation", &act, &[("action", "suspend"), ("note", ""), ("days", "999"), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let item = r.body.split(&format!("<li id=\"item-{id}\">")).nth(1).unwrap().split("</form>").next().unwrap();
        for field in ["note", "days"] {
            assert!(item.contains(&format!("href=\"#{field}-{id}\"")), "{field}: {item}");
            assert!(item.contains(&format!("id=\"{field}-error-{id}\"")), "{field}: {item}");
        }
        assert!(item.contains(&format!("id=\"note-{id}\" name=\"note\" rows=\"2\" aria-invalid=\"true\" aria-describedby=\"note-error-{id}\"")), "{item}");
        assert!(item.contains(&format!("value=\"999\" aria-invalid=\"true\" aria-describedby=\"days-error-{id}\"")), "{item}");
        assert!(item.contains("value=\"suspend\" selected"), "the chosen action is kept: {item}");
        assert!(!item.contains("href=\"#note\"") && !item.contains("href=\"#days\""), "{item}");

        // With the log public, the note's hint says where it goes.
        let public = [("review_first", "0"), ("pause_words", "idiot"), ("public_log", "on")];
        assert_eq!(ann.submit("/admin/conversations", "/admin/conversations", &public).await.status, StatusCode::SEE_OTHER);
        let queue = ann.get("/moderation").await;
        assert!(queue.body.contains(&format!("aria-describedby=\"note-hint-{id}\"")) && queue.body.contains("Published in the public moderation log."), "{}", queue.body);

        // Bea edits her reply after Ann opened the page: Ann's hide changes nothing, and she is told why.
        let (act, seen) = queue_form(&queue.body);
        let edit = format!("{reply}/edit");
        assert_eq!(bea.submit(&edit, &edit, &[("body", "Bridge talk is lovely")]).await.status, StatusCode::SEE_OTHER);
        let r = ann.submit("/moderation", &act, &[("action", "hide"), ("note", "Please be kind."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("The reply changed since you opened the page") && r.body.contains("Bridge talk is lovely"), "{}", r.body);
        assert!(ann.other_browser().get(&reply).await.body.contains("Bridge talk is lovely"), "not hidden");
    }
}

/// Signed out, the public log leaves out what was done about a reply in a
/// members-only group, note and all.
#[tokio::test]
async fn the_public_log_does_not_show_members_only_notes() {
    for mut hal in apps().await {
        hal.sign_up("hal").await;
        let r = hal.submit("/groups/new", "/groups", &[("name", "Carers"), ("slug", "carers"), ("purpose", "Support"), ("visibility", "members"), ("join_policy", "request")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let gid = meetinghouse_store::groups::by_slug(&hal.db, "carers").await.unwrap().unwrap().id;
        let r = hal.submit("/groups/carers", &format!("/conversations/group/{gid}/replies"), &[("body", "My neighbour Jane at 4 Mill Lane has dementia")]).await;
        let rid = id_of(r.location().unwrap());
        let mut mia = hal.other_browser();
        mia.sign_up("mia").await;
        let me = meetinghouse_store::people::by_handle(&hal.db, "mia").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&hal.db, me.id, true).await.unwrap();
        let public = [("review_first", "0"), ("pause_words", "idiot"), ("public_log", "on")];
        assert_eq!(mia.submit("/admin/conversations", "/admin/conversations", &public).await.status, StatusCode::SEE_OTHER);
        let fields = [("target_kind", "reply"), ("target", rid.as_str()), ("category", "privacy")];
        assert_eq!(mia.submit(&format!("/report?kind=reply&target={rid}"), "/report", &fields).await.status, StatusCode::SEE_OTHER);
        let (act, seen) = queue_form(&mia.get("/moderation").await.body);
        let note = "Please don't post Jane's address and diagnosis (4 Mill Lane)";
        assert_eq!(mia.submit("/moderation", &act, &[("action", "hide"), ("note", note), ("seen", &seen)]).await.status, StatusCode::SEE_OTHER);

        let log = hal.other_browser().get("/moderation/log").await;
        assert_eq!(log.status, StatusCode::OK);
        assert!(!log.body.contains("Mill Lane") && log.body.contains("Nothing yet."), "{}", log.body);
        assert!(mia.get("/moderation/log").await.body.contains("4 Mill Lane"), "moderators see it");
    }
}

const OBJECTS: &str = "Object Number,Title,Images\n\
1985/12 a,Lace bobbin,https://img.example/1.jpg;https://img.example/2.jpg\n\
1985/13,Market bell,https://img.example/bell.jpg\n";

/// Object pages: "Sign in to join the conversation" brings a person back to
/// the object, whatever its accession number holds; several images are
/// told apart by their links' words; a page past the end says so.
#[tokio::test]
async fn object_pages_lead_back_after_sign_in_and_say_where_pages_end() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        assert_eq!(sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        // An instance admin opened its collection: a first import waits for one otherwise (core `collection::jobs`).
        sam.db.execute_admin("UPDATE organisations SET collection_opened_at = 1").await.unwrap();
        let r = sam.upload("/orgs/tiverton-museum/import", "/orgs/tiverton-museum/import", &[], &[("file", "c.csv", "text/csv", OBJECTS.as_bytes())]).await;
        assert!(r.body.contains("2 created"), "{}", r.body);
        let object = "/orgs/tiverton-museum/objects/1985%2F12%20a";

        let mut visitor = sam.other_browser();
        let page = visitor.get(object).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let login = page.body.split("<a href=\"/login?next=").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(login, "%2Forgs%2Ftiverton%2Dmuseum%2Fobjects%2F1985%252F12%2520a");
        let form = visitor.get(&format!("/login?next={login}")).await;
        assert!(form.body.contains(&format!("name=\"next\" value=\"{object}\"")), "{}", form.body);
        let r = visitor.submit(&format!("/login?next={login}"), "/login", &[("email", "sam@example.org"), ("password", "a long enough password"), ("next", object)]).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some(object)));

        // Two images: each link says which; one image: the plain words.
        assert!(page.body.contains(">Image 1 of 2 at its source</a>") && page.body.contains(">Image 2 of 2 at its source</a>"), "{}", page.body);
        let bell = visitor.get("/orgs/tiverton-museum/objects/1985%2F13").await;
        assert!(bell.body.contains(">Image at its source</a>") && !bell.body.contains(" of 1 at its source"), "{}", bell.body);

        // Pages past the end, of the collection or of an object's stories, say so (and are not page 1).
        let past = visitor.get("/orgs/tiverton-museum/objects?page=100000").await;
        assert_eq!(past.status, StatusCode::NOT_FOUND);
        assert!(past.body.contains("There is no page 100000: the collection has 1 page.") && !past.body.contains("Lace bobbin"), "{}", past.body);
        assert_eq!(visitor.get("/orgs/tiverton-museum/objects?page=two").await.status, StatusCode::NOT_FOUND);
        let past = visitor.get(&format!("{object}?page=2")).await;
        assert_eq!(past.status, StatusCode::NOT_FOUND);
        assert!(past.body.contains("There is no page 2 of stories about this object."), "{}", past.body);
    }
}

/// "Your replies" lists a person's replies with what became of them, and
/// names what they are on only while they may see it. Once Dan leaves a
/// members-only group, his reply's page shows him the reply alone, which he
/// can retract, never edit or answer; nobody else sees it. Bad page
/// addresses are answered in words.
#[tokio::test]
async fn your_replies_reach_what_you_can_no_longer_see() {
    for mut hal in apps().await {
        hal.sign_up("hal").await;
        let fields = [("name", "Carers"), ("slug", "carers"), ("purpose", "Support"), ("visibility", "members"), ("join_policy", "invite")];
        assert_eq!(hal.submit("/groups/new", "/groups", &fields).await.status, StatusCode::SEE_OTHER);
        let gid = meetinghouse_store::groups::by_slug(&hal.db, "carers").await.unwrap().unwrap().id;
        let post = format!("/conversations/group/{gid}/replies");
        let mut dan = hal.other_browser();
        dan.sign_up("dan").await;
        assert_eq!(hal.submit("/groups/carers", "/groups/carers/invite", &[("handle", "dan")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(dan.submit("/me", "/groups/carers/join", &[]).await.status, StatusCode::SEE_OTHER);
        let reply = dan.submit("/groups/carers", &post, &[("body", "Rent goes up in *May*")]).await.location().unwrap().to_string();
        assert!(hal.get("/notifications").await.body.contains("dan started a conversation in “Carers”."), "the group's host hears of it");
        let r = hal.submit(&reply, &post, &[("body", "Thanks for the warning, Dan"), ("parent_id", &id_of(&reply))]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);

        let me = dan.get("/me").await.body;
        assert!(me.contains("href=\"/me/replies\""), "{me}");
        let mine = dan.get("/me/replies").await.body;
        assert!(mine.contains("Published") && mine.contains(">Carers</a>") && mine.contains("Rent goes up in *May*") && mine.contains(&format!("href=\"{reply}\"")), "{mine}");

        // Dan leaves: the list no longer names the group; the reply's page shows him his reply alone.
        assert_eq!(dan.submit("/me", "/groups/carers/leave", &[]).await.status, StatusCode::SEE_OTHER);
        let mine = dan.get("/me/replies").await.body;
        assert!(mine.contains("something you can no longer see") && !mine.contains("Carers") && mine.contains(&format!("href=\"{reply}\"")), "{mine}");
        let page = dan.get(&reply).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("no longer visible to you") && page.body.contains("<em>May</em>"), "{}", page.body);
        assert!(page.body.contains(&format!("action=\"{reply}/retract\"")), "{}", page.body);
        for nothing in ["Carers", "Thanks for the warning", "/edit", "/conversations/group", "Your answer", "Ask for a review"] {
            assert!(!page.body.contains(nothing), "{nothing}: {}", page.body);
        }
        assert_eq!(dan.get(&format!("{reply}/edit")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(dan.get(&format!("{reply}?after=1")).await.status, StatusCode::NOT_FOUND, "no answers to page through");
        let mut carl = hal.other_browser();
        assert_eq!(carl.get(&reply).await.status, StatusCode::NOT_FOUND);
        carl.sign_up("carl").await;
        assert_eq!(carl.get(&reply).await.status, StatusCode::NOT_FOUND);
        assert_eq!(carl.submit("/me", &format!("{reply}/retract"), &[]).await.status, StatusCode::NOT_FOUND);

        // He retracts it; the group's members see it retracted.
        let r = dan.submit(&reply, &format!("{reply}/retract"), &[("note", "Out of date")]).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some(reply.as_str())));
        let page = dan.get(&reply).await.body;
        assert!(page.contains("Retracted by you.") && !page.contains("action=\"/replies"), "{page}");
        assert!(dan.get("/me/replies").await.body.contains("Retracted"));
        assert!(hal.get(&format!("/conversations/group/{gid}")).await.body.contains("Retracted by the author"));

        // Bad addresses, plain words; signed out, the list asks you to sign in.
        let r = dan.get("/me/replies?before=yesterday").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("which of your replies to show"), "{}", r.body);
        assert!(dan.get("/me/replies?before=1").await.body.contains("There are no older replies."));
        let r = hal.other_browser().get("/me/replies").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().unwrap().starts_with("/login"));
    }
}

/// A reply's page lists 200 answers at a time, with a "Later answers" link
/// to the rest (no JavaScript), and back.
#[tokio::test]
async fn a_reply_page_pages_through_its_answers() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let post = format!("/conversations/story/{}/replies", id_of(&path));
        let reply = ann.submit(&path, &post, &[("body", "Who else made lace?")]).await.location().unwrap().to_string();
        let id: i64 = id_of(&reply).parse().unwrap();
        let r = meetinghouse_store::conversations::by_id(&ann.db, id).await.unwrap().unwrap();
        let mut tx = ann.db.begin().await.unwrap();
        for i in 0..201 {
            let body = format!("Answer {i}.");
            let new = meetinghouse_store::conversations::NewReply {
                subject_kind: "story",
                subject_id: r.subject_id,
                parent: Some((r.id, r.depth, r.path.as_str())),
                author_person: r.author_person,
                author_org: None,
                voice: "person",
                body: &body,
                status: "visible",
                by_host: false,
                public: true,
            };
            meetinghouse_store::conversations::insert(&mut tx, &new).await.unwrap();
        }
        tx.commit().await.unwrap();

        let first = ann.get(&reply).await.body;
        assert!(first.contains("Answer 0.") && first.contains("Answer 199.") && !first.contains("Answer 200."));
        assert!(!first.contains("Back to the first answers"));
        let later = first.split("<nav class=\"pager\" aria-label=\"Pages of answers\"><a href=\"").nth(1).expect("a link to later answers").split('"').next().unwrap().to_string();
        assert!(later.starts_with(&format!("{reply}?after=")) && later.ends_with("#answers"), "{later}");
        let next = ann.get(later.trim_end_matches("#answers")).await;
        assert_eq!(next.status, StatusCode::OK);
        assert!(next.body.contains("Answer 200.") && !next.body.contains("Answer 199.") && !next.body.contains("Later answers"), "{}", next.body);
        assert!(next.body.contains(&format!("href=\"{reply}#answers\">Back to the first answers")));

        let r = ann.get(&format!("{reply}?after=the-next-one")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("which answers to show"), "{}", r.body);
        assert_eq!(ann.get(&format!("{reply}?after=987654")).await.status, StatusCode::NOT_FOUND);
    }
}

/// Through the pages: a reply nested past what can be shown is refused with
/// a plain message; a first reply says it waits for review, and an edit of
/// it once approved waits again, its place kept for readers; every answer
/// says what it answers in words; the thanks link only on shown replies;
/// unsafe links as plain text; repeated news as one line with its count;
/// "Mark these as read"; the history paged, edits limited, the pause prompt
/// on the edit form.
#[tokio::test]
async fn nesting_review_answers_news_and_edits_through_the_pages() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let post = format!("/conversations/story/{}/replies", id_of(&path));
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut dav = ann.other_browser();
        dav.sign_up("dav").await;
        let mut anon = ann.other_browser();

        // 9,990 `>`: refused, in words, with the text kept.
        let deep = ">".repeat(9_990);
        let r = bea.submit(&path, &post, &[("body", &deep)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("9990 levels deep") && r.body.contains("at most 16 can be shown"), "{}", r.body);

        // Answers say what they answer: to screen readers (and on phones) below depth 4.
        let top = id_of(bea.submit(&path, &post, &[("body", "Lace day was lovely. [x](javascript:alert(1))")]).await.location().unwrap());
        let answer = id_of(ann.submit(&path, &post, &[("body", "Thank you, Bea"), ("parent_id", &top)]).await.location().unwrap());
        let page = anon.get(&path).await.body;
        assert!(page.contains("<p class=\"in-reply-to by-indent\">In reply to bea</p>"), "{page}");
        assert!(!page.contains("javascript") && page.contains("Lace day was lovely. x"), "an unsafe link is its text alone");
        let thread = anon.get(&format!("/replies/{top}")).await.body;
        assert!(thread.contains("In reply to bea</p>"), "answers on a reply's page too");

        // A retracted reply offers no thanks.
        assert_eq!(ann.submit(&path, &format!("/replies/{answer}/retract"), &[]).await.status, StatusCode::SEE_OTHER);
        let page = dav.get(&path).await.body;
        assert!(page.contains(&format!("/replies/{top}#thank")), "a shown reply offers thanks");
        assert!(!page.contains(&format!("/replies/{answer}#thank")), "a retracted one does not");

        // Repeated news: one line with its count, each one there to open.
        for i in 0..3 {
            bea.submit(&path, &post, &[("body", &format!("And another thing, {i}"))]).await;
        }
        let list = ann.get("/notifications").await.body;
        assert!(list.contains("bea replied to “Lace day”. <span class=\"count\">(4 times, 4 unread)</span>"), "{list}");
        assert_eq!(list.matches("name=\"open\"").count(), 4, "each one can be opened");
        assert!(list.contains("Mark these as read") && !list.contains("Mark all as read"));

        // First-contribution review: the flash says the reply waits.
        let admin = meetinghouse_store::people::by_handle(&ann.db, "ann").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&ann.db, admin.id, true).await.unwrap();
        assert_eq!(ann.submit("/admin/conversations", "/admin/conversations", &[("review_first", "50"), ("pause_words", "idiot")]).await.status, StatusCode::SEE_OTHER);
        let r = dav.submit(&path, &post, &[("body", "A polite first reply")]).await;
        let reply = r.location().unwrap().to_string();
        let shown = dav.follow(&r).await.body;
        assert!(shown.contains("Your reply will appear once a moderator has looked at it") && !shown.contains("Your reply is posted."), "{shown}");
        let queue = ann.get("/moderation").await.body;
        let (act, seen) = meetinghouse_testkit::queue_form_for(&queue, "A polite first reply");
        assert_eq!(ann.submit("/moderation", &act, &[("action", "approve"), ("seen", &seen)]).await.status, StatusCode::SEE_OTHER);
        assert!(anon.get(&reply).await.body.contains("A polite first reply"));

        // Its edit waits again: the edit form says so, readers see a placeholder, the queue has it.
        let edit = format!("{reply}/edit");
        assert!(dav.get(&edit).await.body.contains("once you save, readers see that your reply is waiting for review"));
        let r = dav.submit(&edit, &edit, &[("body", "BUY CHEAP PILLS http://spam.example")]).await;
        assert!(dav.follow(&r).await.body.contains("A moderator will look at it before others see it"));
        let seen_by_anon = anon.get(&reply).await;
        assert_eq!(seen_by_anon.status, StatusCode::OK);
        assert!(!seen_by_anon.body.contains("PILLS") && seen_by_anon.body.contains("Edited, and waiting for a moderator’s review"));
        assert!(!anon.get(&path).await.body.contains("PILLS"));
        assert!(ann.get("/moderation").await.body.contains("BUY CHEAP PILLS"));

        // The pause prompt on the edit form (review off again).
        assert_eq!(ann.submit("/admin/conversations", "/admin/conversations", &[("review_first", "0"), ("pause_words", "idiot")]).await.status, StatusCode::SEE_OTHER);
        let bea_reply = format!("/replies/{top}");
        let bea_edit = format!("{bea_reply}/edit");
        let r = bea.submit(&bea_edit, &bea_edit, &[("body", "you idiot")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Take a moment") && r.body.contains("name=\"pause_confirmed\""), "{}", r.body);
        let r = bea.submit(&bea_edit, &bea_edit, &[("body", "you idiot"), ("pause_confirmed", "on")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);

        // The history, 20 a page; the 30-an-hour limit (one used above).
        for i in 1..30 {
            let r = bea.submit(&bea_edit, &bea_edit, &[("body", &format!("Lace day, take {i}"))]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "edit {i}");
        }
        let r = bea.submit(&bea_edit, &bea_edit, &[("body", "One too many")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("30 times in the last hour") && r.body.contains("One too many</textarea>"), "{}", r.body);
        let history = anon.get(&format!("{bea_reply}/history")).await.body;
        assert_eq!(history.matches("<p class=\"meta\">Written").count(), 20);
        assert!(history.contains(&format!("href=\"{bea_reply}/history?page=2\" rel=\"next\">Older versions")));
        let older = anon.get(&format!("{bea_reply}/history?page=2")).await.body;
        assert_eq!(older.matches("<p class=\"meta\">Written").count(), 10);
        assert!(older.contains("Lace day was lovely.") && older.contains("rel=\"prev\">Newer versions"));
        assert_eq!(anon.get(&format!("{bea_reply}/history?page=none")).await.status, StatusCode::BAD_REQUEST);
    }
}

/// In an archived group a reply is read, retracted and reported, never
/// edited, thanked or answered: the forms are refused and the pages offer
/// none of them.
#[tokio::test]
async fn an_archived_groups_replies_offer_no_edit_thanks_or_answer() {
    for mut kwa in apps().await {
        kwa.sign_up("kwa").await;
        kwa.start_group("Residents", "residents", "public", "open").await;
        let mut stan = kwa.other_browser();
        stan.sign_up("stan").await;
        assert_eq!(stan.submit("/groups/residents", "/groups/residents/join", &[]).await.status, StatusCode::SEE_OTHER);
        let gid = meetinghouse_store::groups::by_slug(&kwa.db, "residents").await.unwrap().unwrap().id;
        let post = format!("/conversations/group/{gid}/replies");
        let reply = stan.submit("/groups/residents", &post, &[("body", "Before the archive")]).await.location().unwrap().to_string();
        assert!(kwa.get(&reply).await.body.contains("Your answer"));
        assert_eq!(kwa.submit("/groups/residents/archive", "/groups/residents/archive", &[]).await.status, StatusCode::SEE_OTHER);

        let edit = format!("{reply}/edit");
        assert_eq!(stan.get(&edit).await.status, StatusCode::FORBIDDEN);
        let r = stan.submit(&reply, &edit, &[("body", "Edited after the archive")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("is archived"), "{}", r.body);
        let r = kwa.submit(&reply, &format!("{reply}/thanks"), &[("kind", "thanks")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let page = kwa.get(&reply).await.body;
        assert!(!page.contains("Your answer") && !page.contains("id=\"thank\"") && !page.contains("?to="), "{page}");
        assert!(page.contains("Residents is archived") && page.contains("/report?kind=reply"));
        let form = kwa.get(&format!("/conversations/group/{gid}/reply?to={}", id_of(&reply))).await.body;
        assert!(form.contains("Residents is archived") && !form.contains("Post reply"), "{form}");
        let own = stan.get(&reply).await.body;
        assert!(!own.contains(&format!("{reply}/edit\"")) && own.contains("id=\"retract\""), "{own}");
        assert_eq!(stan.submit(&reply, &format!("{reply}/retract"), &[]).await.status, StatusCode::SEE_OTHER);
    }
}

/// A block holds on the blocker's own story, even for a reply answering
/// someone else there: posting, editing and thanking are refused with plain
/// words that never blame the person answered, and the pages leave out the
/// forms a block would refuse (the story's reply form, "Reply", "Edit" and
/// "Thank" links, the answer form, the thanks and the edit form). A block
/// by the person answered alone refuses the edit in words of its own.
#[tokio::test]
async fn a_block_holds_on_the_blockers_own_story_and_its_forms_are_left_out() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let path = story(&mut ann).await;
        let sid = id_of(&path);
        let post = format!("/conversations/story/{sid}/replies");
        let mut bea = ann.other_browser();
        bea.sign_up("bea").await;
        let mut carl = ann.other_browser();
        carl.sign_up("carl").await;
        let beas = bea.submit(&path, &post, &[("body", "My gran did too")]).await.location().unwrap().to_string();
        let bid = id_of(&beas);
        let carls = carl.submit(&path, &post, &[("body", "Which gran?"), ("parent_id", &bid)]).await.location().unwrap().to_string();
        assert!(carl.get(&path).await.body.contains(&format!("/conversations/story/{sid}/reply?to={bid}")), "before the block");

        assert_eq!(ann.submit(&path, "/people/carl/relation", &[("action", "block")]).await.status, StatusCode::SEE_OTHER);
        let before = ann.get(&path).await.body.matches("class=\"reply level-").count();

        // Answering Bea's reply on Ann's story is refused, and nothing is stored.
        let r = carl.submit(&path, &post, &[("body", "Ann will see this"), ("parent_id", &bid)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("You cannot reply on this story.") && !r.body.contains("to this person"), "{}", r.body);
        let seen = ann.get(&path).await.body;
        assert!(!seen.contains("Ann will see this") && seen.matches("class=\"reply level-").count() == before, "{seen}");

        // An edit of his earlier answer there, and thanks for Bea's reply, are refused too.
        let edit = format!("{carls}/edit");
        let r = carl.submit(&edit, &edit, &[("body", "Which gran, Ann?")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("You cannot change your replies on this story. You can still retract them."), "{}", r.body);
        assert!(r.body.contains("Which gran, Ann?"), "what he typed stays to copy: {}", r.body);
        assert!(!ann.get(&path).await.body.contains("Which gran, Ann?"));
        let r = carl.submit(&beas, &format!("{beas}/thanks"), &[("kind", "thanks")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("You cannot send thanks for this reply."), "{}", r.body);

        // Carl's pages offer none of it, and say why without naming Bea;
        // he can still retract.
        let story_page = carl.get(&path).await.body;
        assert!(!story_page.contains("class=\"reply-form\"") && !story_page.contains("/reply?to="), "{story_page}");
        assert!(!story_page.contains(&format!("{carls}/edit\"")) && !story_page.contains("#thank\""), "no Edit or Thank link: {story_page}");
        assert!(story_page.contains("You cannot reply on this story."), "{story_page}");
        let form = carl.get(&format!("/conversations/story/{sid}/reply?to={bid}")).await.body;
        assert!(!form.contains("name=\"body\"") && form.contains("You cannot reply on this story.") && !form.contains("to this person"), "{form}");
        let thread = carl.get(&beas).await.body;
        assert!(!thread.contains("class=\"reply-form\"") && !thread.contains("id=\"thank\""), "{thread}");
        assert!(thread.contains("You cannot reply on this story.") && !thread.contains("to this person"), "{thread}");
        let own = carl.get(&carls).await.body;
        assert!(own.contains("id=\"retract\"") && !own.contains(&format!("{carls}/edit\"")), "{own}");
        let r = carl.get(&edit).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("You cannot change your replies on this story. You can still retract them."), "{}", r.body);
        assert!(!r.body.contains(&format!("action=\"{edit}\"")) && !r.body.contains("name=\"body\""), "no form to type into: {}", r.body);

        // Bea, whom nobody blocked, still has all of it.
        let story_page = bea.get(&path).await.body;
        assert!(story_page.contains("class=\"reply-form\"") && story_page.contains("/reply?to="), "{story_page}");
        assert!(!story_page.contains("You cannot reply"));

        // Ann lifts her block, and Bea, whom Carl answered, blocks him: his
        // answer to her can no longer be changed, in words of its own; the
        // story is open to him again.
        assert_eq!(ann.submit(&path, "/people/carl/relation", &[("action", "unblock")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(bea.submit(&path, "/people/carl/relation", &[("action", "block")]).await.status, StatusCode::SEE_OTHER);
        let story_page = carl.get(&path).await.body;
        assert!(story_page.contains("class=\"reply-form\"") && !story_page.contains(&format!("{carls}/edit\"")), "{story_page}");
        let r = carl.get(&edit).await;
        assert!(r.body.contains("You cannot change a reply to this person. You can still retract it.") && !r.body.contains("name=\"body\""), "{}", r.body);
    }
}

/// What the notifications list and the digest say of replies: a reply
/// retracted when its author closed their account with "remove" leaves the
/// list, and news of a reply on a collection object the moderators
/// withdrew no longer names the object, nor links to it.
#[tokio::test]
async fn notifications_leave_out_closed_authors_replies_and_name_no_sealed_object() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let path = story(&mut sam).await;
        assert_eq!(sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await.status, StatusCode::SEE_OTHER);
        let org = meetinghouse_store::orgs::by_slug(&sam.db, "tiverton-museum").await.unwrap().unwrap();
        let object = meetinghouse_testkit::add_object(&sam.db, org.id, meetinghouse_testkit::object_record("1985/9", "Secret bobbin")).await;
        let mut bea = sam.other_browser();
        bea.sign_up("bea").await;
        let mut stan = sam.other_browser();
        stan.sign_up("stan").await;

        // Stan replies to Sam's story, then closes his account, removing what he wrote.
        let post = format!("/conversations/story/{}/replies", id_of(&path));
        assert_eq!(stan.submit(&path, &post, &[("body", "Stan was here")]).await.status, StatusCode::SEE_OTHER);
        assert!(sam.get("/notifications").await.body.contains("stan replied to"));
        let token = stan.get("/me/close").await.csrf();
        let r = stan.post_raw("/me/close", &[("csrf", token.as_str()), ("password", "a long enough password"), ("posts", "remove")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let list = sam.get("/notifications").await.body;
        assert!(!list.contains("Lace day") && !list.contains("A former member"), "the retracted reply's news is left out: {list}");

        // Bea replies on the object; its organisation's admin, Sam, is told, naming it.
        let on = format!("/conversations/object/{object}/replies");
        let r = bea.submit(&path, &on, &[("body", "I remember it")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(sam.get("/notifications").await.body.contains("Secret bobbin"));
        // The moderators withdraw the object: the news stays, without its title, in the list and the digest.
        sam.db.execute_admin(&format!("UPDATE collection_objects SET withdrawn_at = 1, withdrawn_how = 'moderation' WHERE id = {object}")).await.unwrap();
        let list = sam.get("/notifications").await.body;
        assert!(!list.contains("Secret bobbin"), "{list}");
        assert!(list.contains(meetinghouse_store::notifications::SEALED_OBJECT_TEXT), "{list}");
        let sam_id = meetinghouse_store::people::by_handle(&sam.db, "sam").await.unwrap().unwrap().id;
        sam.db.execute_admin("UPDATE notifications SET read_at = NULL, emailed = 0").await.unwrap();
        let mut tx = sam.db.begin().await.unwrap();
        let (rows, _) = meetinghouse_store::notifications::take_undigested(&mut tx, sam_id, 50).await.unwrap();
        tx.commit().await.unwrap();
        assert!(rows.iter().any(|n| n.text == meetinghouse_store::notifications::SEALED_OBJECT_TEXT), "{rows:?}");
        assert!(rows.iter().all(|n| !n.text.contains("Secret bobbin")), "{rows:?}");
        // Its link goes to the organisation's collection, which everyone
        // may see, not to the reply on the object that is no longer shown:
        // in the digest, when it is followed, and in the list once read.
        let sealed = rows.iter().find(|n| n.text == meetinghouse_store::notifications::SEALED_OBJECT_TEXT).unwrap();
        assert_eq!(sealed.url, "/orgs/tiverton-museum/objects", "{rows:?}");
        let r = sam.submit("/notifications", "/notifications/read", &[("open", sealed.id.to_string().as_str())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), Some("/orgs/tiverton-museum/objects"));
        let list = sam.get("/notifications").await.body;
        assert!(list.contains("href=\"/orgs/tiverton-museum/objects\""), "{list}");
        assert!(!list.contains("href=\"/replies/"), "no link to the reply on the withdrawn object: {list}");
        // Withdrawn by its own organisation, it is named again (only the moderators' withdrawal seals it).
        sam.db.execute_admin(&format!("UPDATE collection_objects SET withdrawn_how = 'org' WHERE id = {object}")).await.unwrap();
        assert!(sam.get("/notifications").await.body.contains("Secret bobbin"));
    }
}
