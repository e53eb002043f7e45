//! The moderation queue of organisation staff and prompt hosts through the
//! real router, on every configured backend: the header links to the queue
//! for whoever has one; each item says whose queue it is in; a host acts
//! on what they host with the queue's form, and is refused (403, nothing
//! changed) on anything else; someone who hosts nothing gets the plain
//! refusal; bad input is a clear error, never a 500.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps, queue_form_for};

/// Whether a page shows a text (its apostrophes escaped as the templates escape them).
fn shows(body: &str, text: &str) -> bool {
    body.contains(&text.replace('\'', "&#39;")) || body.contains(&text.replace('\'', "&#x27;"))
}

/// The header's link to the queue.
const QUEUE_LINK: &str = "<a href=\"/moderation\">Moderation</a>";

/// Starts an organisation from the form; returns its id.
async fn start_org(app: &mut TestApp, name: &str, slug: &str) -> i64 {
    let r = app.submit("/orgs/new", "/orgs", &[("name", name), ("slug", slug), ("sector", "heritage")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    meetinghouse_store::orgs::by_slug(&app.db, slug).await.unwrap().unwrap().id
}

/// Replies on a subject (`org/1`, `prompt/2`) from its page; returns the reply's address.
async fn reply_on(app: &mut TestApp, page: &str, subject: &str, body: &str) -> String {
    let r = app.submit(page, &format!("/conversations/{subject}/replies"), &[("body", body)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().to_string()
}

/// Reports a reply (by its address) as harassment.
async fn report(app: &mut TestApp, reply: &str) {
    let id = reply.rsplit('/').next().unwrap();
    let fields = [("target_kind", "reply"), ("target", id), ("category", "harassment")];
    let r = app.submit(&format!("/report?kind=reply&target={id}"), "/report", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn organisation_staff_and_prompt_hosts_moderate_from_the_queue_page() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let museum = start_org(&mut sam, "Tiverton Museum", "tiverton-museum").await;
        let mut sid = sam.other_browser();
        sid.sign_up("sid").await;
        assert!(!sid.get("/me").await.body.contains(QUEUE_LINK), "no queue before he is staff");
        let r = sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "sid"), ("role", "staff")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(sid.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await.status, StatusCode::SEE_OTHER);
        let mut bob = sam.other_browser();
        bob.sign_up("bob").await;
        let gallery = start_org(&mut bob, "Exeter Gallery", "exeter-gallery").await;
        // Kit hosts a group and opens a prompt for it.
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        let r = kit.submit("/groups/new", "/groups", &[("name", "Knitters"), ("slug", "knitters"), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = kit.submit("/prompts/new", "/prompts", &[("speak_as", "self"), ("question", "What was your first knit?"), ("group", "knitters")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let prompt_page = r.location().unwrap().to_string();
        let prompt = prompt_page.rsplit('/').next().unwrap().to_string();

        let mut bea = sam.other_browser();
        bea.sign_up("bea").await;
        let on_museum = reply_on(&mut bea, "/orgs/tiverton-museum", &format!("org/{museum}"), "Dusty old junk").await;
        let on_gallery = reply_on(&mut bea, "/orgs/exeter-gallery", &format!("org/{gallery}"), "Daubs for tourists").await;
        let on_prompt = reply_on(&mut bea, &prompt_page, &format!("prompt/{prompt}"), "Knitting is for grannies").await;
        let mut ann = sam.other_browser();
        ann.sign_up("ann").await;
        for reply in [&on_museum, &on_gallery, &on_prompt] {
            report(&mut ann, reply).await;
        }

        // The header links to the queue for the staff and the host; each item says whose queue it is in.
        for host in [&mut sid, &mut sam, &mut kit] {
            assert!(host.get("/me").await.body.contains(QUEUE_LINK));
        }
        let queue = sid.get("/moderation").await;
        assert_eq!(queue.status, StatusCode::OK);
        assert!(shows(&queue.body, "In your queue: Reports about Tiverton Museum's page and collection"), "{}", queue.body);
        assert!(queue.body.contains("Dusty old junk") && !queue.body.contains("Daubs for tourists") && !queue.body.contains("grannies"));
        assert!(!queue.body.contains("value=\"suspend\"") && !queue.body.contains("value=\"ban\""), "suspending stays with instance moderators");
        let kits = kit.get("/moderation").await;
        assert!(kits.body.contains("Reports about the prompt “What was your first knit?” and the stories answering it"), "{}", kits.body);
        assert!(kits.body.contains("grannies") && !kits.body.contains("Dusty old junk"));

        // Someone who hosts nothing: no link, and the plain refusal.
        assert!(!ann.get("/me").await.body.contains(QUEUE_LINK));
        let refused = ann.get("/moderation").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(shows(&refused.body, meetinghouse_core::moderation::NO_QUEUE), "{}", refused.body);

        // Staff of another organisation, or a prompt's host, cannot act on the museum's item: 403, nothing changed.
        let (act, seen) = queue_form_for(&queue.body, "Dusty old junk");
        for outsider in [&mut bob, &mut kit, &mut ann] {
            let r = outsider.submit("/me", &act, &[("action", "hide"), ("note", "Not nice."), ("seen", &seen)]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        }
        let (kits_act, kits_seen) = queue_form_for(&kits.body, "grannies");
        let r = sid.submit("/moderation", &kits_act, &[("action", "dismiss"), ("seen", &kits_seen)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(sid.get("/moderation").await.body.contains("Dusty old junk"), "still open");

        // Bad input: a note is needed to hide (422, linked to the field); no such report; not a number.
        let r = sid.submit("/moderation", &act, &[("action", "hide"), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("href=\"#note-") && r.body.contains("In your queue: Reports about Tiverton Museum"), "{}", r.body);
        assert_eq!(sid.submit("/moderation", "/moderation/987654", &[("action", "dismiss")]).await.status, StatusCode::NOT_FOUND);
        assert_eq!(sid.submit("/moderation", "/moderation/not-a-number", &[("action", "dismiss")]).await.status, StatusCode::NOT_FOUND);

        // The staff hide it with a note: the author and the reporter are told.
        let r = sid.submit("/moderation", &act, &[("action", "hide"), ("note", "Please be kind about the collection."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(!sid.get("/moderation").await.body.contains("Dusty old junk"));
        assert!(bea.get("/notifications").await.body.contains("Please be kind about the collection."));
        assert!(ann.get("/notifications").await.body.contains("A moderator hid the reply"));
        // The prompt's host dismisses theirs; the gallery's report waits for its staff.
        assert_eq!(kit.submit("/moderation", &kits_act, &[("action", "dismiss"), ("seen", &kits_seen)]).await.status, StatusCode::SEE_OTHER);
        assert!(bob.get("/moderation").await.body.contains("Daubs for tourists"));
    }
}

/// Files `n` open reports about `kind`/`id` with no reporter (as a first
/// contribution's review is filed), straight into the store.
async fn file_reports(app: &TestApp, kind: &str, id: i64, n: usize) {
    let mut tx = app.db.begin().await.unwrap();
    for _ in 0..n {
        meetinghouse_store::moderation::insert_report(&mut tx, None, kind, id, "spam", "", None).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// The ids of a queue page's items, in order.
fn items_on(page: &str) -> Vec<String> {
    page.split("<li id=\"item-").skip(1).map(|item| item.split('"').next().unwrap().to_string()).collect()
}

/// The queue lists 25 items a page, oldest first, with a pager and a title
/// that says which page; it filters by kind, with counts; each item's
/// heading, labels and button say which report they are for; a refused
/// action answers on the same page and kind, opened at the item (a
/// fragment on the form's address), titled "Error: …"; a done one goes
/// back to that page.
#[tokio::test]
async fn the_queue_comes_a_page_at_a_time_and_by_kind() {
    for mut mia in apps().await {
        mia.sign_up("mia").await;
        let me = meetinghouse_store::people::by_handle(&mia.db, "mia").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&mia.db, me.id, true).await.unwrap();
        let mut bea = mia.other_browser();
        bea.sign_up("bea").await;
        let r = bea.submit("/stories/new", "/stories", &[("title", "Canal days"), ("body", "We swam in it."), ("licence", "cc0"), ("visibility", "public")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story: i64 = r.location().unwrap().rsplit('/').next().unwrap().parse().unwrap();
        let bea_id = meetinghouse_store::people::by_handle(&mia.db, "bea").await.unwrap().unwrap().id;
        file_reports(&mia, "person", bea_id, 29).await;
        file_reports(&mia, "story", story, 1).await;

        let first = mia.get("/moderation").await.body;
        let ids = items_on(&first);
        assert_eq!(ids.len(), meetinghouse_core::moderation::QUEUE_PAGE, "{first}");
        assert!(first.contains("<title>Moderation queue, page 1 of 2 ·"), "{first}");
        assert!(first.contains("30 reports wait, the urgent ones first, then the oldest: this is page 1 of 2, 25 to a page."), "{first}");
        assert!(first.contains(r#"<a href="/moderation?page=2" rel="next">Next page</a>"#), "{first}");
        assert!(first.contains(">People (29)</a>") && first.contains(">Stories (1)</a>"), "{first}");
        let id = &ids[0];
        assert!(first.contains(&format!("<h2>Report {id}: Spam or advertising</h2>")) || first.contains(&format!("<h2>Report {id}: ")), "{first}");
        assert!(first.contains(&format!("Apply this decision <span class=\"visually-hidden\">to report {id}: ")), "{first}");
        assert!(first.contains(&format!("action=\"/moderation/{id}#item-{id}\"")), "{first}");

        let second = mia.get("/moderation?page=2").await.body;
        let later = items_on(&second);
        assert_eq!(later.len(), 5, "{second}");
        assert!(later.iter().all(|i| !ids.contains(i)), "no item twice");
        assert!(second.contains("<title>Moderation queue, page 2 of 2 ·") && second.contains("rel=\"prev\""), "{second}");
        // A page past the last shows the last; a page that is no number, the first.
        assert_eq!(items_on(&mia.get("/moderation?page=9").await.body), later);
        assert_eq!(items_on(&mia.get("/moderation?page=x").await.body), ids);

        // By kind: the story's report alone; an unknown kind shows everything.
        let stories = mia.get("/moderation?kind=story").await.body;
        assert_eq!(items_on(&stories).len(), 1, "{stories}");
        assert!(stories.contains("Canal days") && stories.contains("<title>Moderation queue: stories ·"), "{stories}");
        assert!(stories.contains(r#"aria-current="page"><strong>Stories (1)</strong>"#), "{stories}");
        assert_eq!(items_on(&mia.get("/moderation?kind=nonsense").await.body), ids);
        assert!(mia.get("/moderation?kind=reply").await.body.contains("Nothing of this kind is waiting."));

        // A refused action on page 2 answers there, at the item, with "Error:" first in the title.
        let target = &later[0];
        let action = format!("/moderation/{target}?page=2#item-{target}");
        assert!(second.contains(&format!("action=\"{action}\"")), "{second}");
        let r = mia.submit("/moderation?page=2", &action, &[("action", "suspend"), ("note", "Too much."), ("days", "abc")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("<title>Error: Moderation queue, page 2 of 2 ·"), "{}", r.body);
        assert_eq!(items_on(&r.body), later, "the same page");
        assert!(r.body.contains(&format!("id=\"days-error-{target}\"")), "{}", r.body);
        // Done: back to the same page and kind.
        let r = mia.submit("/moderation?page=2", &format!("/moderation/{target}?page=2"), &[("action", "dismiss"), ("note", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), Some("/moderation?page=2"));
        assert!(!items_on(&mia.get("/moderation?page=2").await.body).contains(target), "dealt with");
    }
}

/// The person with this handle, as core acts for them.
async fn actor(app: &TestApp, handle: &str) -> meetinghouse_core::Actor {
    meetinghouse_core::Actor::from_row(&meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap())
}

/// A flood of reports through the real router: a report that someone may
/// be at risk comes first on the queue page, marked, however many older
/// ones wait; the queue filters by category; the ticked reports are
/// dismissed together only after a confirmation, with the page's token;
/// only the meeting house's moderators see what else a reporter sent; an
/// account sends ten reports an hour, counted in the database, so another
/// app server on the same database refuses the eleventh too (429); and a
/// statement waiting for a host is listed in that host's queue.
#[tokio::test]
async fn a_flood_of_reports_is_sorted_filtered_and_dismissed_from_the_queue_page() {
    for mut mia in apps().await {
        mia.sign_up("mia").await;
        let me = meetinghouse_store::people::by_handle(&mia.db, "mia").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&mia.db, me.id, true).await.unwrap();
        let (mut bea, mut kit, mut hal, mut s0, mut s1) = (mia.other_browser(), mia.other_browser(), mia.other_browser(), mia.other_browser(), mia.other_browser());
        for (app, handle) in [(&mut bea, "bea"), (&mut kit, "kit"), (&mut hal, "hal"), (&mut s0, "s0"), (&mut s1, "s1")] {
            app.sign_up(handle).await;
        }
        let r = bea.submit("/stories/new", "/stories", &[("title", "Canal days"), ("body", "We swam in it."), ("licence", "cc0"), ("visibility", "public")]).await;
        let story = r.location().unwrap().to_string();
        let subject = format!("story/{}", story.rsplit('/').next().unwrap());
        let mut spam = Vec::new();
        for n in 0..8 {
            let reply = reply_on(&mut bea, &story, &subject, &format!("Reply number {n}")).await;
            let id = reply.rsplit('/').next().unwrap().to_string();
            let who = if n % 2 == 0 { &mut s0 } else { &mut s1 };
            let r = who.submit(&format!("/report?kind=reply&target={id}"), "/report", &[("target_kind", "reply"), ("target", &id), ("category", "spam")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            spam.push(id);
        }
        let urgent = reply_on(&mut bea, &story, &subject, "Meet me after school and do not tell your mum.").await;
        let urgent_id = urgent.rsplit('/').next().unwrap().to_string();
        let r = kit.submit(&format!("/report?kind=reply&target={urgent_id}"), "/report", &[("target_kind", "reply"), ("target", &urgent_id), ("category", "safeguarding")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The urgent report first, marked; a filter by category.
        let queue = mia.get("/moderation").await.body;
        let ids = items_on(&queue);
        assert_eq!(ids.len(), 9);
        let first = &ids[0];
        assert!(queue.contains(&format!("<h2>Urgent: Report {first}: Someone may be at risk")), "{queue}");
        let filtered = mia.get("/moderation?category=safeguarding").await.body;
        assert_eq!(items_on(&filtered), vec![first.clone()], "{filtered}");
        assert!(filtered.contains(r#"aria-current="page"><strong>Someone may be at risk (including a child) (1)</strong>"#), "{filtered}");
        assert!(filtered.contains(r#"href="/moderation?kind=reply&#38;category=safeguarding""#), "the kinds keep the category: {filtered}");

        // Who else the reporter reported: for the meeting house's moderators only.
        let spam_report = ids[1].clone();
        assert!(queue.contains(&format!("href=\"/moderation/reporters/{spam_report}\"")), "{queue}");
        let theirs = mia.get(&format!("/moderation/reporters/{spam_report}")).await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert!(theirs.body.contains("has sent 4 reports, 4 still open"), "{}", theirs.body);
        assert_eq!(kit.get(&format!("/moderation/reporters/{spam_report}")).await.status, StatusCode::NOT_FOUND);

        // Dismissed together: first the list to confirm, nothing changed; a post without the token is refused.
        let ticked: Vec<(&str, &str)> = ids[1..].iter().map(|id| ("report", id.as_str())).collect();
        assert!(queue.contains(&format!("name=\"report\" value=\"{}\" form=\"bulk\"", ids[1])), "{queue}");
        let mut fields = ticked.clone();
        fields.push(("note", "A flood of spam."));
        let r = mia.submit("/moderation", "/moderation/dismiss", &fields).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Dismiss 8 reports?") && r.body.contains("Yes, dismiss these 8 reports"), "{}", r.body);
        assert_eq!(items_on(&mia.get("/moderation").await.body).len(), 9, "nothing dismissed before the confirmation");
        let mut confirmed = fields.clone();
        confirmed.push(("confirmed", "on"));
        assert_eq!(mia.post_raw_from("/moderation", "/moderation/dismiss", &confirmed).await.status, StatusCode::FORBIDDEN);
        let r = mia.submit("/moderation", "/moderation/dismiss", &confirmed).await;
        assert_eq!(r.location(), Some("/moderation"), "{}", r.body);
        let page = mia.follow(&r).await.body;
        assert!(page.contains("Dismissed 8 reports."), "{page}");
        assert_eq!(items_on(&page), vec![first.clone()]);
        assert!(s0.get("/notifications").await.body.contains("decided no action was needed"));

        // Ten reports an hour, counted in the database: another app server refuses the eleventh too.
        for id in &spam {
            let r = hal.submit(&format!("/report?kind=reply&target={id}"), "/report", &[("target_kind", "reply"), ("target", id), ("category", "misleading")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let own = reply_on(&mut kit, &story, &subject, "Nice swim.").await;
        let own_id = own.rsplit('/').next().unwrap().to_string();
        for id in [&urgent_id, &own_id] {
            let r = hal.submit(&format!("/report?kind=reply&target={id}"), "/report", &[("target_kind", "reply"), ("target", id), ("category", "misleading")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let mut other_server = TestApp::new(hal.db.clone()).await;
        for pair in hal.cookie_header().split("; ").filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap();
            other_server.set_cookie(name, value);
        }
        let story_id = story.rsplit('/').next().unwrap().to_string();
        let r = other_server.submit(&format!("/report?kind=story&target={story_id}"), "/report", &[("target_kind", "story"), ("target", &story_id), ("category", "spam")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(shows(&r.body, "You have sent many reports in the last hour"), "{}", r.body);

        // A statement waiting for its hosts is in their queue.
        let sam = actor(&mia, "hal").await;
        let settings = meetinghouse_core::settings::Settings::load(&mia.db).await.unwrap();
        let slug = meetinghouse_core::orgs::create(&mia.db, &settings, &sam, &meetinghouse_core::orgs::OrgForm { name: "Canal Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let form = meetinghouse_core::common_ground::ConversationForm {
            speak_as: format!("org:{slug}"),
            topic: "The old lock".into(),
            seeds: "Keep the lock as it is.".into(),
            moderation: "pre".into(),
            ..Default::default()
        };
        let cid = meetinghouse_core::common_ground::create(&mia.db, &settings, &sam, &form).await.unwrap();
        let (kit_actor, c) = (actor(&mia, "kit").await, meetinghouse_core::common_ground::load(&mia.db, cid, None).await.unwrap());
        meetinghouse_core::common_ground::add_statement(&mia.db, &settings, &c, &meetinghouse_core::common_ground::Participant::Person(&kit_actor), "Paint the lock gates blue.").await.unwrap();
        let hosts = hal.get("/moderation").await.body;
        assert!(hosts.contains("Statements waiting for you") && hosts.contains("Paint the lock gates blue.") && hosts.contains(&format!("href=\"/common-ground/{cid}#host\"")), "{hosts}");
        assert!(!hosts.contains("Nothing is waiting"), "{hosts}");
    }
}
