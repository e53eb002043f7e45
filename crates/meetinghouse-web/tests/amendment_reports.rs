//! Reporting an amendment to a group's purpose and an objection to it,
//! through the real router, on every configured backend: the amendment's
//! page links to the report form for each, for signed-in readers other than
//! the author; the report goes to the instance moderators only (the group's
//! host neither sees it in their queue nor may decide it); the queue shows
//! the words and a link; hiding them shows "removed by the moderators" on
//! the page, and an open amendment whose words are hidden is withdrawn.
//! The author of hidden words asks for a review from the amendment's page
//! (never for an amendment the moderators withdrew), and a moderator shows
//! them again.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps, queue_form_for};

const NEW_PURPOSE: &str = "We look after the canal and its towpath.";
const WHY: &str = "The towpath needs care too.";
const REASON: &str = "Sam should move away.";

/// Starts a public, open group from the form.
async fn start_group(app: &mut TestApp, slug: &str) {
    let name = format!("Group {slug}");
    let fields = [("name", name.as_str()), ("slug", slug), ("purpose", "We look after the canal."), ("visibility", "public"), ("join_policy", "open")];
    let r = app.submit("/groups/new", "/groups", &fields).await;
    assert_eq!(r.location(), Some(format!("/groups/{slug}").as_str()), "{}", r.body);
}

async fn join(app: &mut TestApp, slug: &str) {
    let page = format!("/groups/{slug}");
    assert_eq!(app.submit(&page, &format!("{page}/join"), &[]).await.status, StatusCode::SEE_OTHER);
}

/// The id a page's report link names for `kind`.
fn report_target(page: &str, kind: &str) -> String {
    let marker = format!("/report?kind={kind}&amp;target=");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no report link for {kind}: {page}"));
    page[at + marker.len()..].chars().take_while(char::is_ascii_digit).collect()
}

const REPORT_AMENDMENT: &str = "Report<span class=\"visually-hidden\"> this amendment</span>";
const REPORT_TARAS: &str = "Report<span class=\"visually-hidden\"> the objection by tara</span>";

#[tokio::test]
async fn amendments_and_objections_are_reported_from_their_page_and_decided_by_moderators_only() {
    for mut mia in apps().await {
        mia.sign_up("mia").await;
        let me = meetinghouse_store::people::by_handle(&mia.db, "mia").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&mia.db, me.id, true).await.unwrap();
        let (mut hal, mut sam, mut tara, mut bea, mut visitor) = (mia.other_browser(), mia.other_browser(), mia.other_browser(), mia.other_browser(), mia.other_browser());
        hal.sign_up("hal").await;
        start_group(&mut hal, "canal-friends").await;
        for (app, handle) in [(&mut sam, "sam"), (&mut tara, "tara")] {
            app.sign_up(handle).await;
            join(app, "canal-friends").await;
        }
        bea.sign_up("bea").await;
        let form = "/groups/canal-friends/purpose/amend";
        let r = sam.submit(form, form, &[("text", NEW_PURPOSE), ("why", WHY)]).await;
        let at = r.location().unwrap().to_string();
        let r = tara.submit(&at, &format!("{at}/object"), &[("reason", REASON)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The links are for signed-in readers, never for one's own words.
        let page = bea.get(&at).await.body;
        assert!(page.contains(REPORT_AMENDMENT) && page.contains(REPORT_TARAS), "{page}");
        let own = sam.get(&at).await.body;
        assert!(!own.contains(REPORT_AMENDMENT) && own.contains(REPORT_TARAS), "{own}");
        let own = tara.get(&at).await.body;
        assert!(own.contains(REPORT_AMENDMENT) && !own.contains(REPORT_TARAS), "{own}");
        let out = visitor.get(&at).await.body;
        assert!(!out.contains(REPORT_AMENDMENT) && !out.contains(REPORT_TARAS));
        let amendment = report_target(&page, "amendment");
        let objection = report_target(&page, "objection");
        assert!(page.contains(&format!("id=\"objection-{objection}\"")), "the queue's link can point at it");

        // The form says who decides; a report with no category comes back.
        let form = format!("/report?kind=objection&target={objection}");
        let shown = bea.get(&form).await.body;
        assert!(shown.contains("Report an objection to an amendment") && shown.contains("have a stake in what becomes of its purpose"), "{shown}");
        let r = bea.submit(&form, "/report", &[("target_kind", "objection"), ("target", &objection), ("details", "Personal.")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Choose what is wrong.") && r.body.contains("Personal.</textarea>"), "{}", r.body);
        let r = bea.submit(&form, "/report", &[("target_kind", "objection"), ("target", &objection), ("category", "harassment"), ("details", "Personal.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let form = format!("/report?kind=amendment&target={amendment}");
        assert!(bea.get(&form).await.body.contains("Report an amendment to a group"));
        let r = bea.submit(&form, "/report", &[("target_kind", "amendment"), ("target", &amendment), ("category", "other"), ("details", "It names a person.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = sam.submit(&form, "/report", &[("target_kind", "amendment"), ("target", &amendment), ("category", "spam")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "nobody reports their own amendment");

        // The group's host has a queue, without these; he may not decide them.
        let his = hal.get("/moderation").await;
        assert_eq!(his.status, StatusCode::OK);
        assert!(!his.body.contains(REASON) && !his.body.contains(WHY), "{}", his.body);
        let queue = mia.get("/moderation").await.body;
        assert!(queue.contains(REASON) && queue.contains(WHY) && queue.contains("It names a person."), "{queue}");
        assert!(queue.contains(&format!("href=\"{at}\"")), "{queue}");
        let (act, seen) = queue_form_for(&queue, REASON);
        let r = hal.submit("/moderation", &act, &[("action", "dismiss"), ("note", ""), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Mia hides Tara's reason: it still stands, its words are gone from the page.
        let r = mia.submit("/moderation", &act, &[("action", "hide"), ("note", "Talk about the text, not the person."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = bea.get(&at).await.body;
        assert!(!page.contains(REASON), "{page}");
        assert!(page.contains("Its reason was removed by the moderators.") && !page.contains(REPORT_TARAS), "{page}");
        assert!(page.contains("<strong>stands</strong>"), "{page}");
        let hers = tara.get(&at).await.body;
        assert!(hers.contains("The moderators removed the reason of your objection"), "{hers}");
        assert!(tara.get("/notifications").await.body.contains("removed the reason of your objection"));
        assert!(bea.get("/notifications").await.body.contains("objection"), "the reporter hears the outcome");

        // Mia hides the amendment's words: it is withdrawn.
        let queue = mia.get("/moderation").await.body;
        let (act, seen) = queue_form_for(&queue, WHY);
        assert!(queue.contains("Hide its words and withdraw it"), "{queue}");
        let r = mia.submit("/moderation", &act, &[("action", "hide"), ("note", "No amendment about a person."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        for app in [&mut bea, &mut visitor, &mut sam] {
            let page = app.get(&at).await.body;
            assert!(!page.contains(WHY) && !page.contains("its towpath"), "{page}");
            assert!(page.contains("Removed by the moderators.") && page.contains("so it was withdrawn"), "{page}");
            assert!(!page.contains(REPORT_AMENDMENT));
        }
        let purpose = visitor.get("/groups/canal-friends/purpose").await.body;
        assert!(purpose.contains("withdrawn") && purpose.contains("words removed by the moderators"), "{purpose}");
        assert!(sam.get("/notifications").await.body.contains("removed the words of your amendment"));
        assert!(tara.get("/notifications").await.body.contains("was withdrawn: the moderators removed its words"));
        assert!(bea.get("/notifications").await.body.contains("words and withdrew it"));
        assert!(mia.get("/moderation").await.body.contains("Nothing is waiting"));

        // Tara asks for a review of her reason from the page; Sam's amendment,
        // withdrawn by the moderators, offers him none.
        assert!(!sam.get(&at).await.body.contains("Ask the moderators to look at your words again"));
        let page = tara.get(&at).await.body;
        assert!(page.contains("Ask the moderators to look at your reason again"), "{page}");
        assert!(!bea.get(&at).await.body.contains("Ask the moderators to look at your reason again"));
        let r = tara.submit(&at, "/report", &[
            ("target_kind", "objection"),
            ("target", &objection),
            ("category", "review-request"),
            ("back", &format!("{at}#objections")),
            ("details", "I meant the proposal, not Sam."),
        ])
        .await;
        assert_eq!(r.location(), Some(format!("{at}#objections").as_str()), "{}", r.body);
        let r = sam.submit(&at, "/report", &[("target_kind", "amendment"), ("target", &amendment), ("category", "review-request"), ("back", &at)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("does not open again"), "{}", r.body);
        let queue = mia.get("/moderation").await.body;
        assert!(queue.contains("I meant the proposal, not Sam.") && queue.contains("Show its reason again"), "{queue}");
        let (act, seen) = queue_form_for(&queue, "I meant the proposal, not Sam.");
        let r = mia.submit("/moderation", &act, &[("action", "restore"), ("note", ""), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = bea.get(&at).await.body;
        assert!(page.contains(REASON) && page.contains(REPORT_TARAS), "{page}");
        assert!(tara.get("/notifications").await.body.contains("shows it again on its page"));
    }
}
