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
