//! Reporting a group or an organisation, through the real router, on every
//! configured backend: their pages link to the report form for signed-in
//! readers other than their own hosts or admins; the report goes to the
//! instance moderators only (a host neither sees it in their queue nor may
//! decide it); archiving a group says so on its page and takes away its
//! hosts' "Open it again", who may ask the moderators for a review instead;
//! hiding an organisation's description and website takes them off its
//! page, flagging it says the moderators could not confirm who it is, and
//! "restore" on its admins' review request brings both back.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps, queue_form_for};

const REPORT_GROUP: &str = "Report this group</a>";
const REPORT_ORG: &str = "Report this organisation</a>";

async fn make_admin(app: &TestApp, handle: &str) {
    let me = meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap();
    meetinghouse_store::people::set_admin(&app.db, me.id, true).await.unwrap();
}

#[tokio::test]
async fn a_group_is_reported_from_its_page_and_archived_by_the_moderators() {
    for mut mia in apps().await {
        mia.sign_up("mia").await;
        make_admin(&mia, "mia").await;
        let (mut hal, mut bea, mut visitor) = (mia.other_browser(), mia.other_browser(), mia.other_browser());
        hal.sign_up("hal").await;
        bea.sign_up("bea").await;
        let fields = [("name", "Expose Jo"), ("slug", "expose-jo"), ("purpose", "We watch what Jo does."), ("visibility", "public"), ("join_policy", "open")];
        let r = hal.submit("/groups/new", "/groups", &fields).await;
        assert_eq!(r.location(), Some("/groups/expose-jo"), "{}", r.body);

        // The link is for signed-in readers, never for the group's own host.
        let page = bea.get("/groups/expose-jo").await.body;
        assert!(page.contains("href=\"/report?kind=group&amp;target=expose-jo\""), "{page}");
        assert!(!hal.get("/groups/expose-jo").await.body.contains(REPORT_GROUP));
        assert!(!visitor.get("/groups/expose-jo").await.body.contains(REPORT_GROUP));
        let form = "/report?kind=group&target=expose-jo";
        let shown = bea.get(form).await.body;
        assert!(shown.contains("Report the group at /groups/expose-jo") && shown.contains("the group’s hosts have a stake in it"), "{shown}");
        let r = bea.submit(form, "/report", &[("target_kind", "group"), ("target", "expose-jo"), ("category", "harassment"), ("details", "It targets Jo.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = hal.submit(form, "/report", &[("target_kind", "group"), ("target", "expose-jo"), ("category", "spam")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "a host changes their own group");
        assert!(r.body.contains("You host this group"), "{}", r.body);

        // Hal's queue does not have it, and he may not decide it.
        let his = hal.get("/moderation").await;
        assert_eq!(his.status, StatusCode::OK);
        assert!(!his.body.contains("It targets Jo."), "{}", his.body);
        let queue = mia.get("/moderation").await.body;
        assert!(queue.contains("It targets Jo.") && queue.contains("We watch what Jo does.") && queue.contains("href=\"/groups/expose-jo\""), "{queue}");
        assert!(queue.contains("Archive it, with a note to its hosts"), "{queue}");
        let (act, seen) = queue_form_for(&queue, "It targets Jo.");
        let r = hal.submit("/moderation", &act, &[("action", "dismiss"), ("note", ""), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // A note is needed to archive it.
        let r = mia.submit("/moderation", &act, &[("action", "archive"), ("note", ""), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = mia.submit("/moderation", &act, &[("action", "archive"), ("note", "A group about one person."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // Its page says so; its host has no "Open it again", but may ask for a review.
        let page = bea.get("/groups/expose-jo").await.body;
        assert!(page.contains("This group is archived") && page.contains("moderators archived this group: only they can open it again"), "{page}");
        let page = hal.get("/groups/expose-jo").await.body;
        assert!(!page.contains(">Open it again</button>"), "{page}");
        assert!(page.contains("Ask the moderators to open it again"), "{page}");
        assert!(mia.get("/groups/expose-jo").await.body.contains(">Open it again</button>"), "the moderators may");
        // Posting "open it again" anyway is refused in plain words, and changes nothing.
        let r = hal.submit("/groups/expose-jo", "/groups/expose-jo/unarchive", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("so only they can open it again"), "{}", r.body);
        assert!(bea.get("/groups/expose-jo").await.body.contains("This group is archived"));
        assert!(hal.get("/notifications").await.body.contains("archived your group"));
        assert!(bea.get("/notifications").await.body.contains("A moderator archived the group."));
        let r = hal.submit("/groups/expose-jo", "/report", &[("target_kind", "group"), ("target", "expose-jo"), ("category", "review-request"), ("details", "We will stop.")]).await;
        assert_eq!(r.location(), Some("/groups/expose-jo"), "{}", r.body);
        let r = hal.submit("/groups/expose-jo", "/report", &[("target_kind", "group"), ("target", "expose-jo"), ("category", "review-request"), ("details", "Again.")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Ask the moderators to look again") && r.body.contains("You have already asked for a review"), "{}", r.body);

        // The moderators open it again from the review request.
        let queue = mia.get("/moderation").await.body;
        assert!(queue.contains("A host asks the moderators to open the group they archived again") && queue.contains("We will stop."), "{queue}");
        let (act, seen) = queue_form_for(&queue, "We will stop.");
        let r = mia.submit("/moderation", &act, &[("action", "restore"), ("note", ""), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = hal.get("/groups/expose-jo").await.body;
        assert!(!page.contains("This group is archived"), "{page}");
        // Archived again by the moderators, an instance moderator may open it from its page, which lets the hold go.
        let queue_page = "/report?kind=group&target=expose-jo";
        let r = bea.submit(queue_page, "/report", &[("target_kind", "group"), ("target", "expose-jo"), ("category", "harassment"), ("details", "Back at it.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let (act, seen) = queue_form_for(&mia.get("/moderation").await.body, "Back at it.");
        let r = mia.submit("/moderation", &act, &[("action", "archive"), ("note", "Again."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = mia.submit("/groups/expose-jo", "/groups/expose-jo/unarchive", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let gid = meetinghouse_store::groups::by_slug(&mia.db, "expose-jo").await.unwrap().unwrap().id;
        assert_eq!(meetinghouse_store::moderation::group_held(&mia.db, gid).await.unwrap(), None);
        let log = mia.get("/moderation/log").await.body;
        assert!(log.contains("the group “Expose Jo”") && log.contains("<td>Group archived</td>") && log.contains("<td>Opened again</td>"), "{log}");
    }
}

#[tokio::test]
async fn an_organisation_posing_as_the_council_is_hidden_and_flagged_until_reviewed() {
    for mut mia in apps().await {
        mia.sign_up("mia").await;
        make_admin(&mia, "mia").await;
        let (mut oz, mut bea, mut visitor) = (mia.other_browser(), mia.other_browser(), mia.other_browser());
        oz.sign_up("oz").await;
        bea.sign_up("bea").await;
        let fields = [
            ("name", "Tiverton Town Council"),
            ("slug", "tiverton-council"),
            ("sector", "local_government"),
            ("description", "Pay your parking fines to us."),
            ("website", "https://pay-fines.example"),
        ];
        let r = oz.submit("/orgs/new", "/orgs", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let at = "/orgs/tiverton-council";

        let page = bea.get(at).await.body;
        assert!(page.contains("href=\"/report?kind=org&amp;target=tiverton-council\""), "{page}");
        assert!(!oz.get(at).await.body.contains(REPORT_ORG), "its admin edits it instead");
        assert!(!visitor.get(at).await.body.contains(REPORT_ORG));
        let form = "/report?kind=org&target=tiverton-council";
        assert!(bea.get(form).await.body.contains("It pretends to be someone else"));
        let r = bea.submit(form, "/report", &[("target_kind", "org"), ("target", "tiverton-council"), ("category", "impersonation"), ("details", "Not the council.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        let queue = mia.get("/moderation").await.body;
        assert!(queue.contains("Pay your parking fines to us.") && queue.contains("https://pay-fines.example"), "{queue}");
        let (act, seen) = queue_form_for(&queue, "Not the council.");
        let r = mia.submit("/moderation", &act, &[("action", "hide"), ("note", "A parking scam."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        for app in [&mut bea, &mut visitor, &mut oz] {
            let page = app.get(at).await.body;
            assert!(!page.contains("Pay your parking fines") && !page.contains("pay-fines.example"), "{page}");
            assert!(page.contains("The moderators removed this organisation&#39;s description and website."), "{page}");
        }

        // Reported again, flagged.
        let r = bea.submit(form, "/report", &[("target_kind", "org"), ("target", "tiverton-council"), ("category", "impersonation"), ("details", "Still posing.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let (act, seen) = queue_form_for(&mia.get("/moderation").await.body, "Still posing.");
        let r = mia.submit("/moderation", &act, &[("action", "flag"), ("note", "Not the council."), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(visitor.get(at).await.body.contains("could not confirm that this organisation is who its name says"));
        assert!(!visitor.get("/orgs").await.body.contains("Tiverton Town Council"), "a flagged organisation leaves the list");

        // Its admin asks for a review; the moderators restore it.
        let page = oz.get(at).await.body;
        assert!(page.contains("Ask the moderators to look again"), "{page}");
        assert!(!bea.get(at).await.body.contains("Ask the moderators to look again"));
        let r = oz.submit(at, "/report", &[("target_kind", "org"), ("target", "tiverton-council"), ("category", "review-request"), ("details", "We are the parish council.")]).await;
        assert_eq!(r.location(), Some(at), "{}", r.body);
        let queue = mia.get("/moderation").await.body;
        assert!(queue.contains("Restore it: show its description and website again, and take the flag off"), "{queue}");
        let (act, seen) = queue_form_for(&queue, "We are the parish council.");
        let r = mia.submit("/moderation", &act, &[("action", "restore"), ("note", ""), ("seen", &seen)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = visitor.get(at).await.body;
        assert!(page.contains("Pay your parking fines to us.") && !page.contains("could not confirm"), "{page}");
        assert!(visitor.get("/orgs").await.body.contains("Tiverton Town Council"), "back on the list");
        assert!(oz.get("/notifications").await.body.contains("took back what they had done"));
    }
}
