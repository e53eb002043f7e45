//! The findings of a review of groups' membership, invitations and
//! visibility, through the real router on every configured backend: the
//! forms refuse a members-only group anyone could join and say why beside
//! the choice, an outsider's join is answered as for no group, starting
//! groups is limited per hour, an invitation to someone who blocked the host
//! looks sent and reaches nobody, and a request to a group made members only
//! is listed on `/me` and withdrawn from there.

use axum::http::StatusCode;
use meetinghouse_testkit::apps;

const HINT: &str = "“Anyone can join” is for public groups only: a members-only group chooses its members, by request or by invitation.";

#[tokio::test]
async fn the_forms_refuse_a_members_only_group_anyone_could_join() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        // The form says so beside the choice.
        let page = claire.get("/groups/new").await;
        assert!(page.body.contains(HINT), "{}", page.body);
        // Its choices as first shown suit either visibility.
        assert!(page.body.contains(r#"id="jp-request" name="join_policy" value="request" checked"#), "{}", page.body);

        // Refused with the reason on the field, what was typed kept, nothing written.
        let fields = [("name", "Back Room"), ("slug", "back-room"), ("purpose", "Quiet talk."), ("visibility", "members"), ("join_policy", "open")];
        let r = claire.submit("/groups/new", "/groups", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "on {:?}: {}", claire.db.backend(), r.body);
        assert!(r.body.contains("A members-only group cannot let anyone join"), "{}", r.body);
        assert!(r.body.contains(r#"id="join_policy-error""#) && r.body.contains(r##"href="#join_policy""##), "{}", r.body);
        assert!(r.body.contains(r#"value="Back Room""#) && r.body.contains("Quiet talk."));
        assert!(meetinghouse_store::groups::by_slug(&claire.db, "back-room").await.unwrap().is_none());

        // The same on the edit page.
        claire.start_group("Back Room", "back-room", "members", "request").await;
        let page = claire.get("/groups/back-room/edit").await;
        assert!(page.body.contains(HINT));
        let r = claire.submit("/groups/back-room/edit", "/groups/back-room/edit", &[("name", "The Back Room"), ("visibility", "members"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("A members-only group cannot let anyone join") && r.body.contains(r#"value="The Back Room""#), "{}", r.body);
        assert_eq!(meetinghouse_store::groups::by_slug(&claire.db, "back-room").await.unwrap().unwrap().join_policy, "request");
    }
}

#[tokio::test]
async fn an_outsider_joining_a_members_only_group_is_answered_as_for_no_group() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        claire.start_group("Back Room", "back-room", "members", "request").await;
        claire.start_group("Quiet Room", "quiet-room", "members", "invite").await;
        let mut eve = claire.other_browser();
        eve.sign_up("eve").await;
        let nowhere = eve.submit("/groups", "/groups/no-such-room/join", &[]).await;
        assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
        for slug in ["back-room", "quiet-room"] {
            let r = eve.submit("/groups", &format!("/groups/{slug}/join"), &[]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "on {:?}: {}", claire.db.backend(), r.body);
            assert_eq!(r.body, nowhere.body, "the same page as for an address with no group");
        }
        let id = meetinghouse_store::groups::by_slug(&claire.db, "back-room").await.unwrap().unwrap().id;
        let eve_id = meetinghouse_store::people::by_handle(&claire.db, "eve").await.unwrap().unwrap().id;
        assert_eq!(meetinghouse_store::groups::direct_membership(&claire.db, id, meetinghouse_store::groups::MemberKind::Person, eve_id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn starting_groups_is_limited_per_hour() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        for n in 0..10 {
            sam.start_group("Sam's group", &format!("sams-{n}"), "public", "open").await;
        }
        let r = sam.submit("/groups/new", "/groups", &[("name", "One too many"), ("slug", "one-too-many"), ("purpose", "More."), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "on {:?}: {}", sam.db.backend(), r.body);
        assert!(r.body.contains("You have started many groups in the last hour."), "{}", r.body);
        assert!(r.body.contains(r#"value="One too many""#) && r.body.contains("More."), "what was typed is kept");
        assert!(meetinghouse_store::groups::by_slug(&sam.db, "one-too-many").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn an_invitation_to_someone_who_blocked_the_host_looks_sent_and_reaches_nobody() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        claire.start_group("Quiet Room", "quiet-room", "members", "invite").await;
        let mut eve = claire.other_browser();
        eve.sign_up("eve").await;
        let mut bob = claire.other_browser();
        bob.sign_up("bob").await;
        let r = eve.submit("/@claire", "/people/claire/relation", &[("action", "block")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // Claire reads the same words for both.
        for who in ["eve", "bob"] {
            let r = claire.submit("/groups/quiet-room", "/groups/quiet-room/invite", &[("handle", who)]).await;
            assert!(claire.follow(&r).await.body.contains(&format!("Invitation sent to @{who}.")), "on {:?}", claire.db.backend());
        }
        // Bob has it; Eve has nothing of it.
        assert!(bob.get("/me").await.body.contains("Quiet Room"));
        assert!(!eve.get("/me").await.body.contains("Quiet Room"));
        assert!(!eve.get("/notifications").await.body.contains("Quiet Room"));
        assert_eq!(eve.get("/groups/quiet-room").await.status, StatusCode::NOT_FOUND);
        // Bob blocks her later: it leaves his page too.
        bob.submit("/@claire", "/people/claire/relation", &[("action", "block")]).await;
        assert!(!bob.get("/me").await.body.contains("Quiet Room"));
        assert_eq!(bob.get("/groups/quiet-room").await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_request_to_a_group_made_members_only_is_withdrawn_from_your_page() {
    for mut kwame in apps().await {
        kwame.sign_up("kwame").await;
        kwame.start_group("Residents' Voice", "residents-voice", "public", "request").await;
        let mut tara = kwame.other_browser();
        tara.sign_up("tara").await;
        let r = tara.submit("/groups/residents-voice", "/groups/residents-voice/join", &[]).await;
        assert!(tara.follow(&r).await.body.contains("Your request is sent."));
        // Listed on her page, linked while she may see the group.
        let me = tara.get("/me").await;
        assert!(me.body.contains("Your requests to join") && me.body.contains(r#"<a href="/groups/residents-voice">Residents&#39; Voice</a>"#), "{}", me.body);

        kwame.submit("/groups/residents-voice/edit", "/groups/residents-voice/edit", &[("name", "Residents' Voice"), ("visibility", "members"), ("join_policy", "request")]).await;
        assert_eq!(tara.get("/groups/residents-voice").await.status, StatusCode::NOT_FOUND);
        let me = tara.get("/me").await;
        assert!(me.body.contains("members only now: its page opens to you once a host approves"), "on {:?}: {}", kwame.db.backend(), me.body);
        assert!(!me.body.contains(r#"href="/groups/residents-voice""#), "no link to a page that is not there for her");
        // Asking again lands on her page, not on "not found".
        let r = tara.submit("/me", "/groups/residents-voice/join", &[]).await;
        assert_eq!(r.location(), Some("/me"));
        let page = tara.follow(&r).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Your request was already sent"), "{}", page.body);
        // Withdrawn from there, back to her page.
        let r = tara.submit("/me", "/groups/residents-voice/leave", &[]).await;
        assert_eq!(r.location(), Some("/me"));
        let page = tara.follow(&r).await;
        assert!(page.body.contains("Your request is withdrawn.") && !page.body.contains("Your requests to join"), "{}", page.body);
    }
}

/// The moderators archive the group at `slug` from a report `reporter`
/// sends, through the queue, as `group_reports` does.
async fn archived_by_the_moderators(mia: &mut meetinghouse_testkit::TestApp, reporter: &mut meetinghouse_testkit::TestApp, slug: &str) {
    let form = format!("/report?kind=group&target={slug}");
    let r = reporter.submit(&form, "/report", &[("target_kind", "group"), ("target", slug), ("category", "harassment"), ("details", "It targets Jo.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (act, seen) = meetinghouse_testkit::queue_form_for(&mia.get("/moderation").await.body, "It targets Jo.");
    let r = mia.submit("/moderation", &act, &[("action", "archive"), ("note", "A group about one person."), ("seen", &seen)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// The review groupsfix34's M1 and L5: while the moderators hold a group
/// archived, its hosts' edit page offers no "Open it again" and no way to
/// propose a change to the purpose, and says what the hold means; a
/// rename, a change of who hosts it and a removal are refused in plain
/// words; the group leaves the signed-out list of groups, the sitemap and
/// its network's page (whose hosts see it marked); and no list says an
/// archived group "has done its work".
#[tokio::test]
async fn a_group_the_moderators_hold_keeps_its_name_and_leaves_the_public_lists() {
    for mut mia in apps().await {
        mia.sign_up("mia").await;
        let me = meetinghouse_store::people::by_handle(&mia.db, "mia").await.unwrap().unwrap();
        meetinghouse_store::people::set_admin(&mia.db, me.id, true).await.unwrap();
        let (mut hal, mut kit, mut bea, mut visitor) = (mia.other_browser(), mia.other_browser(), mia.other_browser(), mia.other_browser());
        hal.sign_up("hal").await;
        kit.sign_up("kit").await;
        bea.sign_up("bea").await;
        hal.start_group("Expose Jo", "expose-jo", "public", "open").await;
        kit.start_group("Town Network", "network", "public", "open").await;
        // Hal hosts both for a moment, to bring his group into the network.
        hal.submit("/groups/network", "/groups/network/join", &[]).await;
        let hal_id = meetinghouse_store::people::by_handle(&mia.db, "hal").await.unwrap().unwrap().id.to_string();
        let r = kit.submit("/groups/network", "/groups/network/members/role", &[("member_id", &hal_id), ("role", "host")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = hal.submit("/groups/network", "/groups/network/members/group", &[("child", "expose-jo")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        bea.submit("/groups/expose-jo", "/groups/expose-jo/join", &[]).await;
        let bea_id = meetinghouse_store::people::by_handle(&mia.db, "bea").await.unwrap().unwrap().id.to_string();
        // Before: listed everywhere.
        assert!(visitor.get("/groups").await.body.contains("href=\"/groups/expose-jo\""));
        assert!(visitor.get("/sitemap.xml").await.body.contains("/groups/expose-jo</loc>"));
        assert!(visitor.get("/groups/network").await.body.contains("href=\"/groups/expose-jo\""));

        archived_by_the_moderators(&mut mia, &mut bea, "expose-jo").await;

        // The edit page: no "Open it again", no amendment to propose, what the hold means.
        let edit = hal.get("/groups/expose-jo/edit").await.body.replace("&#39;", "'").replace("&#x27;", "'");
        assert!(!edit.contains("Open Expose Jo again</button>") && !edit.contains("/unarchive"), "{edit}");
        assert!(edit.contains("only they can open it again"), "{edit}");
        assert!(!edit.contains("Propose a change to the purpose"), "an archived group takes no amendment: {edit}");
        assert!(edit.contains("While the group is archived its purpose does not change"), "{edit}");
        assert!(edit.contains("so while they hold it its hosts cannot rename it"), "{edit}");
        assert!(mia.get("/groups/expose-jo/edit").await.body.contains("Open Expose Jo again</button>"), "the moderators may");
        // A rename is refused on the form, with what was typed kept.
        let r = hal.submit("/groups/expose-jo/edit", "/groups/expose-jo/edit", &[("name", "Friends of Jo"), ("visibility", "public"), ("join_policy", "open")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "on {:?}: {}", mia.db.backend(), r.body);
        let said = r.body.replace("&#39;", "'").replace("&#x27;", "'");
        assert!(said.contains("The meeting house's moderators archived Expose Jo, so while they hold it") && said.contains("value=\"Friends of Jo\""), "{said}");
        assert_eq!(meetinghouse_store::groups::by_slug(&mia.db, "expose-jo").await.unwrap().unwrap().name, "Expose Jo");
        // Host tools: no role changes or removals offered, and refused if sent.
        let page = hal.get("/groups/expose-jo").await.body;
        assert!(!page.contains("Make host <span") && !page.contains("/groups/expose-jo/members/remove#problem"), "{page}");
        let r = hal.submit("/groups/expose-jo", "/groups/expose-jo/members/role", &[("member_id", &bea_id), ("role", "host")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = hal.submit("/groups/expose-jo", "/groups/expose-jo/members/remove", &[("kind", "person"), ("member_id", &bea_id)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.replace("&#39;", "'").replace("&#x27;", "'").contains("change who hosts it or remove its members"), "{}", r.body);

        // The public lists leave it out; its page stays, with the notice.
        let list = visitor.get("/groups").await.body;
        assert!(!list.contains("expose-jo") && !list.contains("done their work"), "{list}");
        assert!(!visitor.get("/sitemap.xml").await.body.contains("/groups/expose-jo<"), "on {:?}", mia.db.backend());
        let network = visitor.get("/groups/network").await.body;
        assert!(!network.contains("expose-jo"), "{network}");
        assert!(kit.get("/groups/network").await.body.contains("Expose Jo</a> <span class=\"meta\">(archived by the moderators)</span>"));
        assert!(visitor.get("/groups/expose-jo").await.body.contains("only they can open it again"));
        // Its members still find it in their list, marked, and not "done".
        let theirs = bea.get("/groups").await.body;
        assert!(theirs.contains("Archived groups") && theirs.contains("archived by the moderators") && !theirs.contains("done their work"), "{theirs}");
    }
}
