//! Three moderation gaps, through the real router on every configured
//! backend:
//!
//! - a ban (or suspension) from the queue may also remove everything the
//!   person has posted: only instance moderators are offered it (a host who
//!   tries is refused and nothing changes), it goes only with a suspension
//!   or a ban, each story is removed and each reply hidden as a single
//!   decision does it, the author and each reporter are told once, the log
//!   gets one entry with the count, lifting the ban brings nothing back (and
//!   says so), and each thing comes back only by a moderator's review;
//! - the author of a hidden reply whose subject they can no longer see asks
//!   for a review from the reply's page, and the request reaches the
//!   subject's hosts;
//! - a host opens a reply waiting for review from their queue's link, and
//!   nobody else can.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps, queue_form_for};

fn id_of(location: &str) -> String {
    location.rsplit('/').next().unwrap().to_string()
}

/// How many times a page shows a text.
fn count(body: &str, text: &str) -> usize {
    body.matches(text).count()
}

/// Signs up an instance moderator.
async fn moderator(app: &mut TestApp, handle: &str) {
    app.sign_up(handle).await;
    let me = meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap();
    meetinghouse_store::people::set_admin(&app.db, me.id, true).await.unwrap();
}

/// Shares a story; returns its path.
async fn story(app: &mut TestApp, title: &str, visibility: &str) -> String {
    let r = app.submit("/stories/new", "/stories", &[("title", title), ("body", "Written for the test."), ("licence", "cc0"), ("visibility", visibility)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().to_string()
}

/// Replies on a subject (`story/1`, `org/2`) from its page; returns the reply's address.
async fn reply_on(app: &mut TestApp, page: &str, subject: &str, body: &str) -> String {
    let r = app.submit(page, &format!("/conversations/{subject}/replies"), &[("body", body)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().to_string()
}

/// Reports a reply or a story by its address.
async fn report(app: &mut TestApp, kind: &str, address: &str, category: &str) {
    let id = id_of(address);
    let fields = [("target_kind", kind), ("target", id.as_str()), ("category", category)];
    let r = app.submit(&format!("/report?kind={kind}&target={id}"), "/report", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// Starts an organisation from the form; returns its id.
async fn start_org(app: &mut TestApp, name: &str, slug: &str) -> i64 {
    let r = app.submit("/orgs/new", "/orgs", &[("name", name), ("slug", slug), ("sector", "heritage")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    meetinghouse_store::orgs::by_slug(&app.db, slug).await.unwrap().unwrap().id
}

const BOX_LABEL: &str = "Also remove everything they have posted: 2 stories and 3 replies";

/// The "remove everything" checkbox of the queue's item about `text`.
fn remove_all_box(queue: &str, text: &str) -> String {
    let item = queue.split("<li id=\"item-").find(|item| item.contains(text)).unwrap_or_else(|| panic!("no item about {text}: {queue}"));
    let input = item.split("<input type=\"checkbox\" id=\"remove_all-").nth(1).unwrap_or_else(|| panic!("no box: {item}"));
    input.split('>').next().unwrap().to_string()
}

#[tokio::test]
async fn a_ban_can_remove_everything_they_posted_once_and_only_a_review_brings_it_back() {
    for mut mia in apps().await {
        moderator(&mut mia, "mia").await;
        let mut ann = mia.other_browser();
        ann.sign_up("ann").await;
        let mut sam = mia.other_browser();
        sam.sign_up("sam").await;
        let museum = start_org(&mut sam, "Tiverton Museum", "tiverton-museum").await;
        let mut bea = mia.other_browser();
        bea.sign_up("bea").await;
        let mut visitor = mia.other_browser();

        let walk = story(&mut ann, "A walk by the river", "public").await;
        let harbour = story(&mut bea, "Harbour lights", "public").await;
        let market = story(&mut bea, "Market morning", "public").await;
        let draft = story(&mut bea, "Half written", "draft").await;
        let on_walk = format!("story/{}", id_of(&walk));
        let r1 = reply_on(&mut bea, &walk, &on_walk, "Lovely walk, shame about you").await;
        let r2 = reply_on(&mut bea, &walk, &on_walk, "Nice view of the weir").await;
        let r3 = reply_on(&mut bea, "/orgs/tiverton-museum", &format!("org/{museum}"), "Dusty old junk").await;
        report(&mut ann, "reply", &r1, "harassment").await;
        report(&mut ann, "story", &harbour, "spam").await;
        report(&mut ann, "reply", &r3, "harassment").await;
        report(&mut sam, "story", &market, "spam").await;

        // A host's queue offers no such box, and a host who sends it anyway is refused: nothing changes.
        let hosts = sam.get("/moderation").await;
        assert!(hosts.body.contains("Dusty old junk") && !hosts.body.contains("remove_all"), "{}", hosts.body);
        let (act, seen) = queue_form_for(&hosts.body, "Dusty old junk");
        let r = sam.submit("/moderation", &act, &[("action", "hide"), ("note", "Not kind."), ("seen", &seen), ("remove_all", "on")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(visitor.get(&r3).await.body.contains("Dusty old junk"), "still shown");
        assert!(sam.get("/moderation").await.body.contains("Dusty old junk"), "still open");

        // An instance moderator is offered it, labelled with the counts (not the draft), unticked.
        let queue = mia.get("/moderation").await;
        assert_eq!(count(&queue.body, BOX_LABEL), 4, "on each item about bea: {}", queue.body);
        let tick = remove_all_box(&queue.body, "Lovely walk");
        assert!(!tick.contains("checked"), "unticked by default: {tick}");

        // It goes only with a suspension or a ban: with a warning it is refused, ticked again, nothing written.
        let (act, seen) = queue_form_for(&queue.body, "Lovely walk");
        let r = mia.submit("/moderation", &act, &[("action", "warn"), ("note", "Be kind."), ("seen", &seen), ("remove_all", "on")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("goes with a suspension or a ban") && r.body.contains("href=\"#remove_all-"), "{}", r.body);
        assert!(remove_all_box(&r.body, "Lovely walk").contains("checked"));
        assert_eq!(visitor.get(&harbour).await.status, StatusCode::OK);

        // The ban, with everything removed.
        let r = mia.submit("/moderation", &act, &[("action", "ban"), ("note", "Abuse of other members."), ("seen", &seen), ("remove_all", "on")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let done = mia.get("/moderation").await;
        assert!(done.body.contains("Everything they had posted was removed too: 2 stories and 3 replies."), "{}", done.body);
        assert!(done.body.contains("Nothing is waiting"), "every report about what went is closed: {}", done.body);

        for gone in [&harbour, &market] {
            assert_eq!(visitor.get(gone).await.status, StatusCode::NOT_FOUND, "{gone}");
            assert_eq!(ann.get(gone).await.status, StatusCode::NOT_FOUND, "{gone}");
            let removal = meetinghouse_store::moderation::story_removal(&mia.db, id_of(gone).parse().unwrap()).await.unwrap();
            assert_eq!(removal.expect("recorded as a moderators' removal").note, "Abuse of other members.");
        }
        let kept = meetinghouse_store::stories::by_id(&mia.db, id_of(&draft).parse().unwrap()).await.unwrap().unwrap();
        assert!(kept.deleted_at.is_none(), "a draft was never posted");
        for (reply, text) in [(&r1, "Lovely walk"), (&r2, "Nice view"), (&r3, "Dusty old junk")] {
            let page = visitor.get(reply).await;
            assert!(page.body.contains("Hidden by the moderators.") && !page.body.contains(text), "{}", page.body);
        }
        assert!(!visitor.get(&format!("/conversations/{on_walk}")).await.body.contains("Nice view"));

        // The log: the ban, and one entry with how many went.
        let log = mia.get("/moderation/log").await.body;
        assert_eq!(count(&log, "Removed everything they had posted: 2 stories and 3 replies."), 1, "{log}");
        assert_eq!(count(&log, "Everything they had posted removed"), 1, "the action in words: {log}");
        // Each reporter hears once, however many of their reports it closed.
        for reporter in [&mut ann, &mut sam] {
            let told = reporter.get("/notifications").await.body;
            assert_eq!(count(&told, "A moderator closed the account and removed what they had posted."), 1, "{told}");
            assert_eq!(count(&told, "A moderator removed the story"), 0, "{told}");
        }

        // Lifting the ban brings nothing back, and says so.
        let bea_id = meetinghouse_store::people::by_handle(&mia.db, "bea").await.unwrap().unwrap().id;
        let r = mia.submit("/admin/people", &format!("/admin/people/{bea_id}/lift"), &[("note", "She apologised.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let list = mia.get("/admin/people").await.body;
        assert!(list.contains("(2 stories and 3 replies) stays removed: lifting does not bring it back"), "{list}");
        assert_eq!(visitor.get(&harbour).await.status, StatusCode::NOT_FOUND);
        assert!(!visitor.get(&r1).await.body.contains("Lovely walk"));

        // Bea was told once, not once a story.
        let mut back = mia.other_browser();
        let r = back.submit("/login", "/login", &[("email", "bea@example.org"), ("password", "a long enough password")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let beas = back.get("/notifications").await.body;
        assert_eq!(count(&beas, "also removed everything you had posted: 2 stories and 3 replies"), 1, "{beas}");
        assert_eq!(count(&beas, "removed your story"), 0, "{beas}");
        assert!(beas.contains("stays removed"), "{beas}");

        // Each comes back only by a moderator's review: she asks, Mia restores.
        let own = back.get(&harbour).await.body;
        assert!(own.contains("The moderators removed this story") && own.contains("Ask for a review"), "{own}");
        let fields = [("target_kind", "story"), ("target", &id_of(&harbour)[..]), ("category", "review-request"), ("details", "I am sorry.")];
        assert_eq!(back.submit(&harbour, "/report", &fields).await.status, StatusCode::SEE_OTHER);
        let r = back.submit(&r1, &format!("{r1}/review"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let queue = mia.get("/moderation").await.body;
        for (text, note) in [("Harbour lights", "Fine now."), ("Lovely walk", "Fine now.")] {
            let (act, seen) = queue_form_for(&queue, text);
            let r = mia.submit("/moderation", &act, &[("action", "restore"), ("note", note), ("seen", &seen)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        assert_eq!(visitor.get(&harbour).await.status, StatusCode::OK);
        assert!(visitor.get(&r1).await.body.contains("Lovely walk"));
        assert_eq!(visitor.get(&market).await.status, StatusCode::NOT_FOUND, "the rest stays removed");
    }
}

/// Dan's reply in a members-only group is hidden by its host; he leaves the
/// group. His reply's page (reached from "Your replies") still lets him ask
/// for a review, and the request reaches the group's host.
#[tokio::test]
async fn a_hidden_reply_whose_subject_is_gone_can_still_be_reviewed() {
    for mut hal in apps().await {
        hal.sign_up("hal").await;
        let fields = [("name", "Carers"), ("slug", "carers"), ("purpose", "Support"), ("visibility", "members"), ("join_policy", "invite")];
        assert_eq!(hal.submit("/groups/new", "/groups", &fields).await.status, StatusCode::SEE_OTHER);
        let gid = meetinghouse_store::groups::by_slug(&hal.db, "carers").await.unwrap().unwrap().id;
        let mut dan = hal.other_browser();
        dan.sign_up("dan").await;
        let mut ann = hal.other_browser();
        ann.sign_up("ann").await;
        for handle in ["dan", "ann"] {
            assert_eq!(hal.submit("/groups/carers", "/groups/carers/invite", &[("handle", handle)]).await.status, StatusCode::SEE_OTHER);
        }
        for member in [&mut dan, &mut ann] {
            assert_eq!(member.submit("/me", "/groups/carers/join", &[]).await.status, StatusCode::SEE_OTHER);
        }
        let reply = reply_on(&mut dan, "/groups/carers", &format!("group/{gid}"), "The council never listens to carers").await;
        report(&mut ann, "reply", &reply, "misleading").await;
        let queue = hal.get("/moderation").await.body;
        let (act, seen) = queue_form_for(&queue, "never listens");
        let r = hal.submit("/moderation", &act, &[("action", "hide"), ("note", "Please keep to what happened."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // Dan leaves: his list says why it was hidden, and its page offers a review.
        assert_eq!(dan.submit("/me", "/groups/carers/leave", &[]).await.status, StatusCode::SEE_OTHER);
        let mine = dan.get("/me/replies").await.body;
        assert!(mine.contains("something you can no longer see") && mine.contains("Please keep to what happened."), "{mine}");
        let page = dan.get(&reply).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("no longer visible to you") && page.body.contains(&format!("action=\"{reply}/review\"")), "{}", page.body);
        assert!(!page.body.contains("Carers"), "{}", page.body);
        let r = dan.submit(&reply, &format!("{reply}/review"), &[]).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some(reply.as_str())), "{}", r.body);
        let page = dan.get(&reply).await.body;
        assert!(page.contains("You asked for a review.") && !page.contains(&format!("action=\"{reply}/review\"")), "{page}");

        // The group's host gets it, and restores the reply.
        let queue = hal.get("/moderation").await.body;
        assert!(queue.contains("The author of a hidden reply asks for a review") && queue.contains("In your queue: Reports about content in the group “Carers”"), "{queue}");
        assert!(queue.contains("Hidden by a host (@hal) on ") && queue.contains("Please keep to what happened."), "who hid it, and why: {queue}");
        let (act, seen) = queue_form_for(&queue, "never listens");
        let r = hal.submit("/moderation", &act, &[("action", "restore"), ("note", "Fair enough."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(ann.get(&reply).await.body.contains("never listens"));
        // Someone else cannot ask.
        assert_eq!(ann.submit(&reply, &format!("{reply}/review"), &[]).await.status, StatusCode::FORBIDDEN);
    }
}

/// A new account's first reply on an organisation's page waits for review.
/// Its staff, whose queue lists it, open its page from the queue's link and
/// see it; staff of another organisation, other people and visitors do not.
#[tokio::test]
async fn a_host_opens_a_waiting_reply_from_the_queue() {
    for mut mia in apps().await {
        moderator(&mut mia, "mia").await;
        let r = mia.submit("/admin/conversations", "/admin/conversations", &[("review_first", "1"), ("pause_words", "idiot")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut sam = mia.other_browser();
        sam.sign_up("sam").await;
        let museum = start_org(&mut sam, "Tiverton Museum", "tiverton-museum").await;
        let mut bob = mia.other_browser();
        bob.sign_up("bob").await;
        start_org(&mut bob, "Exeter Gallery", "exeter-gallery").await;
        let mut bea = mia.other_browser();
        bea.sign_up("bea").await;
        let mut ann = mia.other_browser();
        ann.sign_up("ann").await;
        let mut visitor = mia.other_browser();

        let reply = reply_on(&mut bea, "/orgs/tiverton-museum", &format!("org/{museum}"), "May I visit on Sundays?").await;
        let queue = sam.get("/moderation").await.body;
        assert!(queue.contains("first contribution, waiting for review") && queue.contains("May I visit on Sundays?"), "{queue}");
        assert!(queue.contains(&format!("<a href=\"{reply}\">")), "the queue links the reply: {queue}");

        let page = sam.get(&reply).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("May I visit on Sundays?") && page.body.contains("Waiting for a moderator’s review"), "{}", page.body);
        assert!(page.body.contains("Decide in the moderation queue"), "{}", page.body);
        for outsider in [&mut bob, &mut ann, &mut visitor] {
            assert_eq!(outsider.get(&reply).await.status, StatusCode::NOT_FOUND);
        }

        // Once published from the queue, everyone sees it.
        let (act, seen) = queue_form_for(&queue, "Sundays");
        let r = sam.submit("/moderation", &act, &[("action", "approve"), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(visitor.get(&reply).await.body.contains("May I visit on Sundays?"));
    }
}
