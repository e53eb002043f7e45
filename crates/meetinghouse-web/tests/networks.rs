//! Networks of networks through the real router, on every configured
//! backend: an open member group is no way into a network that chooses its
//! members, organisations keep their names, invitations are limited and
//! told, only an organisation's admins bring it into a group, long lists
//! have a "more" link, and the pages say plainly where someone stands.

use axum::http::StatusCode;
use meetinghouse_testkit::{TestApp, apps};

async fn id_of(app: &TestApp, handle: &str) -> i64 {
    meetinghouse_store::people::by_handle(&app.db, handle).await.unwrap().unwrap().id
}

async fn group_id(app: &TestApp, slug: &str) -> i64 {
    meetinghouse_store::groups::by_slug(&app.db, slug).await.unwrap().unwrap().id
}

#[tokio::test]
async fn joining_an_open_member_group_does_not_open_the_network() {
    for mut claire in apps().await {
        claire.sign_up("claire").await;
        claire.start_group("Tiverton Together", "tiverton-together", "public", "request").await;
        let mut sam = claire.other_browser();
        sam.sign_up("sam").await;
        sam.start_group("Museum Volunteers", "museum-volunteers", "public", "open").await;

        // Nesting it is refused, on the page, in plain words.
        let r = sam.submit("/groups/tiverton-together", "/groups/tiverton-together/members/group", &[("child", "museum-volunteers")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("Anyone can join Museum Volunteers, so joining it would let anyone into Tiverton Together, whose hosts choose its members."),
            "{}",
            r.body
        );

        // Stored before that refusal, as on the demo: Claire shares a story
        // with the network's members; Tara joins the open group and still
        // may not read it.
        let (together, volunteers) = (group_id(&claire, "tiverton-together").await, group_id(&claire, "museum-volunteers").await);
        let mut tx = claire.db.begin().await.unwrap();
        meetinghouse_store::groups::nest(&mut tx, claire.db.backend(), together, volunteers, "active", id_of(&claire, "sam").await).await.unwrap();
        tx.commit().await.unwrap();
        let r = claire
            .submit("/stories/new", "/stories", &[("title", "For the network"), ("body", "Members only."), ("licence", "cc0"), ("visibility", "group:tiverton-together")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let story = r.location().unwrap().to_string();
        let mut tara = claire.other_browser();
        tara.sign_up("tara").await;
        assert_eq!(tara.get(&story).await.status, StatusCode::NOT_FOUND);
        let r = tara.submit("/groups/museum-volunteers", "/groups/museum-volunteers/join", &[]).await;
        assert!(tara.follow(&r).await.body.contains("Welcome: you have joined the group."));
        assert_eq!(tara.get(&story).await.status, StatusCode::NOT_FOUND, "on {:?}", claire.db.backend());
        // The network's page still offers her to ask, and tells its hosts why.
        assert!(tara.get("/groups/tiverton-together").await.body.contains("Ask to join"));
        let page = claire.get("/groups/tiverton-together").await;
        assert!(page.body.contains("anyone can join it, so its members do not get in here through it"), "{}", page.body);
    }
}

#[tokio::test]
async fn an_organisation_cannot_take_another_ones_name_and_a_name_without_latin_letters_is_explained() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        let r = sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        assert_eq!(r.location(), Some("/orgs/tiverton-museum"));
        let mut eve = sam.other_browser();
        eve.sign_up("eve").await;
        let r = eve.submit("/orgs/new", "/orgs", &[("name", "Tiverton  museum"), ("slug", "tiverton-museum-official"), ("sector", "heritage")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("There is already an organisation called “Tiverton Museum” (at /orgs/tiverton-museum)."), "{}", r.body);
        assert!(r.body.contains(r#"value="tiverton-museum-official""#), "the input is kept");
        assert_eq!(eve.get("/orgs/tiverton-museum-official").await.status, StatusCode::NOT_FOUND);

        for (new, action) in [("/orgs/new", "/orgs"), ("/groups/new", "/groups")] {
            let r = eve.submit(new, action, &[("name", "Музей"), ("sector", "heritage"), ("visibility", "public"), ("join_policy", "open")]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{action}");
            assert!(r.body.contains("We could not make a web address from “Музей”: an address uses only the letters a–z"), "{}", r.body);
        }
    }
}

#[tokio::test]
async fn invitations_are_limited_told_and_answered_with_the_organisations_name() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        ann.submit("/orgs/new", "/orgs", &[("name", "Riverside Arts"), ("sector", "arts")]).await;
        let r = ann.submit("/orgs/riverside-arts", "/orgs/riverside-arts/invite", &[("handle", "bob"), ("role", "admin")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let note = bob.get("/notifications").await;
        assert!(note.body.contains("ann (@ann) invited you to join Riverside Arts as an admin."), "{}", note.body);
        let me = bob.get("/me").await;
        assert!(
            me.body.contains(r#"Accept <span class="visually-hidden">the invitation from Riverside Arts</span>"#)
                && me.body.contains(r#"Decline <span class="visually-hidden">the invitation from Riverside Arts</span>"#),
            "{}",
            me.body
        );

        // Thirty invitations an hour per account, to groups and
        // organisations together; then the form says so.
        ann.start_group("Lace makers", "lace", "members", "invite").await;
        for i in 0..29 {
            let r = ann.submit("/groups/lace", "/groups/lace/invite", &[("handle", &format!("nobody{i}"))]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{i}: {}", r.body);
        }
        let r = ann.submit("/groups/lace", "/groups/lace/invite", &[("handle", "bob")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(r.body.contains("You have sent many invitations in the last hour."), "{}", r.body);
        let r = ann.submit("/orgs/riverside-arts", "/orgs/riverside-arts/invite", &[("handle", "eve")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test]
async fn staff_are_not_offered_their_organisation_and_members_see_how_they_belong() {
    for mut sam in apps().await {
        sam.sign_up("sam").await;
        sam.submit("/orgs/new", "/orgs", &[("name", "Tiverton Museum"), ("sector", "heritage")]).await;
        let mut kit = sam.other_browser();
        kit.sign_up("kit").await;
        sam.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/invite", &[("handle", "kit"), ("role", "staff")]).await;
        kit.submit("/orgs/tiverton-museum", "/orgs/tiverton-museum/accept", &[]).await;
        sam.start_group("Tiverton Together", "town", "members", "request").await;
        let mut ann = sam.other_browser();
        ann.sign_up("ann").await;
        ann.start_group("Quiet Room", "quiet", "public", "request").await;

        // Kit, staff, is not offered the museum, and posting anyway is refused.
        assert!(!kit.get("/groups/quiet").await.body.contains("Bring your organisation in"));
        let r = kit.submit("/groups/quiet", "/groups/quiet/members/org", &[("org", "tiverton-museum")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Only admins of Tiverton Museum can bring it into a group or take it out"), "{}", r.body);

        // Sam, its admin, brings it into the members-only town.
        assert!(sam.get("/groups/quiet").await.body.contains("Bring your organisation in"));
        let r = sam.submit("/groups/town", "/groups/town/members/org", &[("org", "tiverton-museum")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // Kit belongs through the museum: told so, not asked to ask.
        let page = kit.get("/groups/town").await;
        assert!(page.body.contains("You belong to Tiverton Together through Tiverton Museum."), "{}", page.body);
        assert!(!page.body.contains("Ask to join"), "{}", page.body);
        // The members-only town is on Kit's list of groups, marked; not on Ann's.
        let list = kit.get("/groups").await;
        assert!(list.body.contains(r#"<a href="/groups/town">Tiverton Together</a> <span class="meta">members only</span>"#), "{}", list.body);
        assert!(!ann.get("/groups").await.body.contains("Tiverton Together"));
        assert!(kit.get("/me").await.body.contains(r#"<a href="/groups/town">Tiverton Together</a> <span class="meta">members only</span>"#));
    }
}

#[tokio::test]
async fn answers_are_told_and_long_lists_have_a_more_link() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Town Choir", "choir", "public", "request").await;
        let mut bob = ann.other_browser();
        bob.sign_up("bob").await;
        bob.submit("/groups/choir", "/groups/choir/join", &[]).await;
        let bob_id = id_of(&ann, "bob").await.to_string();
        let r = ann.submit("/groups/choir", "/groups/choir/decline", &[("kind", "person"), ("member_id", &bob_id)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(bob.get("/notifications").await.body.contains("Your request to join Town Choir was declined."));
        bob.submit("/groups/choir", "/groups/choir/join", &[]).await;
        ann.submit("/groups/choir", "/groups/choir/approve", &[("kind", "person"), ("member_id", &bob_id)]).await;
        assert!(bob.get("/notifications").await.body.contains("You are now a member of Town Choir: your request to join was approved."));

        // 101 groups ask to join the choir, each has bob invited, and each
        // has the choir and an organisation as a member.
        let (choir, t) = (group_id(&ann, "choir").await, meetinghouse_store::now());
        ann.submit("/orgs/new", "/orgs", &[("name", "Riverside Arts"), ("sector", "arts")]).await;
        let arts = meetinghouse_store::orgs::by_slug(&ann.db, "riverside-arts").await.unwrap().unwrap().id;
        let rows: Vec<String> = (0..101).map(|i| format!("('asker-{i:03}', 'Asker {i:03}', '', 'public', 'request', {t})")).collect();
        ann.db
            .execute_admin(&format!("INSERT INTO community_groups (slug, name, purpose, visibility, join_policy, created_at) VALUES {}", rows.join(", ")))
            .await
            .unwrap();
        let mut rows = Vec::new();
        for i in 0..101 {
            let id = group_id(&ann, &format!("asker-{i:03}")).await;
            rows.push(format!("({choir}, 'group', {id}, 'member', 'requested', {})", t + i));
            rows.push(format!("({id}, 'person', {bob_id}, 'member', 'invited', {t})"));
            rows.push(format!("({id}, 'group', {choir}, 'member', 'active', {t})"));
            rows.push(format!("({id}, 'org', {arts}, 'member', 'active', {t})"));
        }
        ann.db
            .execute_admin(&format!("INSERT INTO group_members (group_id, member_kind, member_id, role, status, created_at) VALUES {}", rows.join(", ")))
            .await
            .unwrap();
        let page = ann.get("/groups/choir").await;
        assert!(page.body.contains(r#"<a href="/groups/choir?requests=2#waiting">More requests waiting</a>"#), "{}", page.body);
        assert!(page.body.contains(r#"<a href="/groups/choir?part_of=2" rel="next">More networks it is part of</a>"#));
        // Requests are host tools, 25 a page: the fifth has the last one.
        let more = ann.get("/groups/choir?requests=5").await;
        let waiting = more.body.split(r#"id="waiting""#).nth(1).unwrap().split(r#"id="manage-members""#).next().unwrap();
        assert!(waiting.contains("Asker 100") && !waiting.contains("Asker 099"), "{waiting}");
        let org = ann.get("/orgs/riverside-arts").await;
        assert!(org.body.contains(r#"href="/orgs/riverside-arts?groups=2#its-groups" rel="next">More groups it belongs to</a>"#), "{}", org.body);
        let me = bob.get("/me").await;
        assert!(me.body.contains(r#"<a href="/me?invitations=2" rel="next">More invitations</a>"#), "{}", me.body);
        assert!(me.body.contains(r#"<a href="/me?groups=2#mygroups" rel="next">More of your groups</a>"#), "{}", me.body);
        assert!(bob.get("/me?invitations=3").await.body.contains("Asker 100"));
    }
}

#[tokio::test]
async fn pages_say_plainly_who_is_in_them() {
    for mut ann in apps().await {
        ann.sign_up("ann").await;
        ann.start_group("Quiet Room", "quiet", "public", "open").await;
        ann.submit("/orgs/new", "/orgs", &[("name", "Riverside Arts"), ("sector", "arts")]).await;
        // Ann's account is suspended: the group shows nobody to others, and says so.
        ann.db.execute_admin("UPDATE people SET status = 'suspended' WHERE handle = 'ann'").await.unwrap();
        let mut visitor = ann.other_browser();
        let page = visitor.get("/groups/quiet").await;
        let people = page.body.split("<h2>People</h2>").nth(1).unwrap();
        assert!(people.trim_start().starts_with("<p>No one yet.</p>"), "{}", page.body);

        // A page of an organisation's people past the end is no such page
        // (the review groupsfix34's L2), not an empty page.
        let page = visitor.get("/orgs/riverside-arts?page=2").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
        assert!(page.body.contains("There is no such page") && page.body.contains(r#"href="/orgs/riverside-arts""#), "{}", page.body);
        assert!(visitor.get("/orgs/riverside-arts").await.body.contains("<p>No one yet.</p>"));
    }
}

/// The review groupsfix34's L4: the "Add a group" form offered groups that
/// could not be added (one that already contains the network: "would make
/// a loop"), listed their addresses' last parts rather than their names,
/// called its field "The group's web address" yet refused a web address
/// or a path, and left an empty hint. Now it offers, by name, only the
/// groups that can join, its hint always says what to type, and a full
/// address on this meeting house, a path or the last part all work; an
/// address elsewhere is refused in plain words.
#[tokio::test]
async fn the_add_a_group_form_offers_what_can_join_and_takes_its_address() {
    for mut kit in apps().await {
        kit.sign_up("kit").await;
        kit.start_group("Town Network", "network", "public", "request").await;
        kit.start_group("Riverside Walkers", "walkers", "public", "request").await;
        kit.start_group("Canal Makers", "makers", "public", "request").await;
        kit.start_group("Lace Circle", "lace", "public", "request").await;
        // The network is already in the walkers: the walkers cannot join it.
        let r = kit.submit("/groups/walkers", "/groups/walkers/members/group", &[("child", "network")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = kit.get("/groups/network").await.body;
        let form = page.split(r#"id="nest""#).nth(1).unwrap().split("</section>").next().unwrap();
        assert!(form.contains("Groups you host that can join: Canal Makers (address ending makers), Lace Circle (address ending lace)."), "{form}");
        assert!(!form.contains("Riverside Walkers") && !form.contains("walkers)"), "a group that contains it is not offered: {form}");
        assert!(form.contains(r#"<p class="hint" id="child-hint">Paste the address from the group's page, such as http://127.0.0.1:8080/groups/walkers, or type just its last part"#), "{form}");

        // A full address here, a path and the last part all work.
        for (typed, slug) in [("http://127.0.0.1:8080/groups/makers", "makers"), ("/groups/lace/", "lace")] {
            let r = kit.submit("/groups/network", "/groups/network/members/group", &[("child", typed)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{typed} on {:?}: {}", kit.db.backend(), r.body);
            assert!(kit.get("/groups/network").await.body.contains(&format!(r#"<a href="/groups/{slug}">"#)), "{typed}");
        }
        // An address elsewhere, or a loop, is refused at the field, what was typed kept.
        let r = kit.submit("/groups/network", "/groups/network/members/group", &[("child", "https://elsewhere.example/groups/makers")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("is not the address of a group on this meeting house") && r.body.contains(r#"id="child-error""#), "{}", r.body);
        assert!(r.body.contains(r#"value="https://elsewhere.example/groups/makers""#), "{}", r.body);
        let r = kit.submit("/groups/network", "/groups/network/members/group", &[("child", "walkers")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("so adding it would make a loop"), "{}", r.body);
        // With nothing left to offer, the hint still says what to type: no empty paragraph.
        let page = kit.get("/groups/network").await.body;
        let form = page.split(r#"id="nest""#).nth(1).unwrap().split("</section>").next().unwrap();
        assert!(!form.contains("Groups you host that can join") && !form.contains(r#"id="child-hint"></p>"#), "{form}");
    }
}
