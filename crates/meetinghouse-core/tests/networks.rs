//! Networks of networks, on every configured backend: who gets into a
//! group through a member group, organisations' names, invitations that
//! cannot be used to spam, who may bring an organisation into a group, and
//! the answers people are told.

use meetinghouse_core::groups::{self, GroupForm, JoinOutcome};
use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::stories::{self, StoryForm};
use meetinghouse_core::{Actor, CoreError, Db, moderation};
use meetinghouse_store::groups::MemberKind;

mod common;
use common::person;

fn mail(s: &Settings) -> Mailer<'_> {
    Mailer { settings: s, base_url: "https://town.example" }
}

/// A public group named `name` at `slug`, hosted by `host`.
async fn group(db: &Db, s: &Settings, host: &Actor, name: &str, slug: &str, policy: &str) -> i64 {
    let form = GroupForm { name: name.into(), slug: slug.into(), visibility: "public".into(), join_policy: policy.into(), ..Default::default() };
    groups::create(db, s, host, &form).await.unwrap();
    meetinghouse_store::groups::by_slug(db, slug).await.unwrap().unwrap().id
}

/// An organisation named `name`, created by `admin`, with the others invited and in.
async fn org(db: &Db, s: &Settings, admin: &Actor, name: &str, people: &[(&Actor, &str)]) -> (String, i64) {
    let slug = orgs::create(db, s, admin, &OrgForm { name: name.into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
    for (who, role) in people {
        orgs::invite(db, admin, &slug, &who.handle, role).await.unwrap();
        orgs::accept(db, who, &slug).await.unwrap();
    }
    let id = meetinghouse_store::orgs::by_slug(db, &slug).await.unwrap().unwrap().id;
    (slug, id)
}

/// Nests `child` in `parent` as stored data, past core's checks (a row
/// written before a nesting like it was refused).
async fn stored_nesting(db: &Db, parent: i64, child: i64, status: &str) {
    let mut tx = db.begin().await.unwrap();
    meetinghouse_store::groups::nest(&mut tx, db.backend(), parent, child, status, 1).await.unwrap();
    tx.commit().await.unwrap();
}

/// The texts of a person's notifications, newest first.
async fn told(db: &Db, who: &Actor) -> Vec<String> {
    meetinghouse_store::notifications::list(db, who.id, 0, 50).await.unwrap().into_iter().map(|n| n.text).collect()
}

fn invalid(r: Result<impl std::fmt::Debug, CoreError>, field: &str) -> String {
    match r {
        Err(CoreError::Invalid(e)) => e.get(field).unwrap_or_else(|| panic!("no error for {field}: {e}")).to_string(),
        other => panic!("expected an error for {field}, got {other:?}"),
    }
}

fn forbidden(r: Result<impl std::fmt::Debug, CoreError>) -> String {
    match r {
        Err(CoreError::Forbidden(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_open_member_group_lets_nobody_into_a_network_that_chooses_its_members() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, sam, tara, mei) = (person(&db, "claire").await, person(&db, "sam").await, person(&db, "tara").await, person(&db, "mei").await);
        let together = group(&db, &s, &claire, "Tiverton Together", "tiverton-together", "request").await;
        let volunteers = group(&db, &s, &sam, "Museum Volunteers", "museum-volunteers", "open").await;
        // As the demo stored it before such a nesting was refused.
        stored_nesting(&db, together, volunteers, "active").await;
        let story = StoryForm {
            title: "For the network".into(),
            body: "Only for members.".into(),
            licence: "cc0".into(),
            visibility: "group:tiverton-together".into(),
            ..Default::default()
        };
        let story = stories::create(&db, &s, &claire, &story).await.unwrap();
        let story = meetinghouse_store::stories::by_id(&db, story).await.unwrap().unwrap();
        assert!(!stories::can_see(&db, &story, Some(&tara)).await.unwrap());

        // Tara clicks Join on the open group: she is in it, and not in the network.
        assert_eq!(groups::join(&db, &s, &tara, "museum-volunteers").await.unwrap(), JoinOutcome::Joined);
        assert!(!stories::can_see(&db, &story, Some(&tara)).await.unwrap(), "on {:?}", db.backend());
        assert!(!groups::is_member(&db, tara.id, together).await.unwrap());
        assert!(!groups::reachable(&db, tara.id).await.unwrap().iter().any(|g| g.id == together));
        assert!(!groups::page(&db, "tiverton-together", Some(&tara)).await.unwrap().viewer_is_member);
        // Its hosts see why: the member group is marked.
        let page = groups::page(&db, "tiverton-together", Some(&claire)).await.unwrap();
        let listed = page.members.iter().find(|m| m.member_id == volunteers && m.member_kind == "group").unwrap();
        assert!(page.lets_nobody_in(listed));

        // Nesting it again is refused in plain words, even by a host of both.
        groups::remove(&db, &claire, "tiverton-together", "group", volunteers).await.unwrap();
        let said = invalid(groups::nest(&db, mail(&s), &sam, "tiverton-together", "museum-volunteers").await, "child");
        assert!(
            said == "Anyone can join Museum Volunteers, so joining it would let anyone into Tiverton Together, whose hosts choose its members. \
                     Its members can ask to join Tiverton Together themselves; or a group whose hosts choose its members can join instead.",
            "{said}"
        );
        groups::join(&db, &s, &claire, "museum-volunteers").await.unwrap();
        groups::set_host(&db, &sam, "museum-volunteers", claire.id, true).await.unwrap();
        invalid(groups::nest(&db, mail(&s), &claire, "tiverton-together", "museum-volunteers").await, "child");
        assert_eq!(meetinghouse_store::groups::direct_membership(&db, together, MemberKind::Group, volunteers).await.unwrap(), None);
        // Nor is it offered.
        let offers = groups::offers(&db, &claire, together).await.unwrap();
        assert!(!offers.groups.iter().any(|g| g.id == volunteers), "{:?}", offers.groups);
        // A request stored before is refused on approval, and can be declined.
        stored_nesting(&db, together, volunteers, "requested").await;
        let said = invalid(groups::approve(&db, mail(&s), &claire, "tiverton-together", "group", volunteers).await, "form");
        assert!(said.contains("Anyone can join Museum Volunteers") && said.contains("Decline the request"), "{said}");
        groups::decline(&db, mail(&s), &claire, "tiverton-together", "group", volunteers).await.unwrap();

        // A group that chooses its members carries them in; open into open does too.
        let makers = group(&db, &s, &mei, "Riverside Makers", "makers", "request").await;
        assert_eq!(groups::nest(&db, mail(&s), &mei, "tiverton-together", "makers").await.unwrap(), JoinOutcome::Requested);
        groups::approve(&db, mail(&s), &claire, "tiverton-together", "group", makers).await.unwrap();
        let rowan = person(&db, "rowan").await;
        groups::join(&db, &s, &rowan, "makers").await.unwrap();
        groups::approve(&db, mail(&s), &mei, "makers", "person", rowan.id).await.unwrap();
        assert!(stories::can_see(&db, &story, Some(&rowan)).await.unwrap());
        let page = groups::page(&db, "tiverton-together", Some(&rowan)).await.unwrap();
        assert!(page.viewer_is_member);
        assert_eq!(page.through, [("group".to_string(), "Riverside Makers".to_string())]);
        let region = group(&db, &s, &sam, "Walks", "walks", "open").await;
        assert_eq!(groups::nest(&db, mail(&s), &sam, "walks", "museum-volunteers").await.unwrap(), JoinOutcome::Joined);
        assert!(groups::is_member(&db, tara.id, region).await.unwrap());
    }
}

#[tokio::test]
async fn an_organisation_cannot_take_another_ones_name() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, eve) = (person(&db, "sam").await, person(&db, "eve").await);
        let form = |name: &str, slug: &str| OrgForm { name: name.into(), slug: slug.into(), sector: "heritage".into(), ..Default::default() };
        assert_eq!(orgs::create(&db, &s, &sam, &form("Tiverton Museum", "")).await.unwrap(), "tiverton-museum");
        for name in ["Tiverton Museum", "tiverton  MUSÉUM", " Tiverton Museum.", "Tiverton\u{200b}Museum", "Tiverton-Museum"] {
            let said = invalid(orgs::create(&db, &s, &eve, &form(name, "tiverton-museum-official")).await, "name");
            assert!(said.starts_with("There is already an organisation called “Tiverton Museum” (at /orgs/tiverton-museum)."), "{name}: {said}");
        }
        assert!(meetinghouse_store::orgs::by_slug(&db, "tiverton-museum-official").await.unwrap().is_none());
        orgs::create(&db, &s, &eve, &form("Tiverton Museum Friends", "")).await.unwrap();

        // Two at once: one is made, the other is told.
        let (one, two) = (form("Exe Valley Housing", "evh-one"), form("Exe valley housing", "evh-two"));
        let (a, b) = tokio::join!(orgs::create(&db, &s, &sam, &one), orgs::create(&db, &s, &eve, &two));
        assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "{a:?} {b:?} on {:?}", db.backend());
        let refused = if a.is_ok() { b } else { a };
        assert!(invalid(refused, "name").contains("There is already an organisation called"));

        // Organisations stored before names were compared, two of one name:
        // the oldest keeps it; the next new one of that name is refused.
        let t = meetinghouse_store::now();
        for slug in ["old-hall", "old-hall-2"] {
            db.execute_admin(&format!(
                "INSERT INTO organisations (slug, name, sector, created_at) VALUES ('{slug}', 'Old  Hall', 'heritage', {t})"
            ))
            .await
            .unwrap();
        }
        orgs::create(&db, &s, &sam, &form("New Hall", "")).await.unwrap();
        let said = invalid(orgs::create(&db, &s, &eve, &form("old hall", "old-hall-3")).await, "name");
        assert!(said.contains("“Old  Hall” (at /orgs/old-hall)"), "{said}");
        assert!(meetinghouse_store::orgs::by_slug(&db, "old-hall-2").await.unwrap().is_some());

        // A name no address can be made from says why.
        let said = invalid(orgs::create(&db, &s, &sam, &form("Музей", "")).await, "slug");
        assert!(said.contains("We could not make a web address from “Музей”") && said.contains("a–z"), "{said}");
        let said = invalid(
            groups::create(&db, &s, &sam, &GroupForm { name: "Клуб".into(), visibility: "public".into(), join_policy: "open".into(), ..Default::default() }).await,
            "slug",
        );
        assert!(said.contains("We could not make a web address from “Клуб”"), "{said}");
    }
}

#[tokio::test]
async fn inviting_again_and_again_tells_once_and_the_host_is_the_sender() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob, kit) = (person(&db, "ann").await, person(&db, "bob").await, person(&db, "kit").await);
        let form = GroupForm { name: "Lace makers".into(), slug: "lace".into(), visibility: "members".into(), join_policy: "invite".into(), ..Default::default() };
        groups::create(&db, &s, &ann, &form).await.unwrap();
        notifications::set_mode(&db, &bob, "immediate").await.unwrap();
        let emails = |db: Db| async move {
            meetinghouse_store::outbox::recent(&db, 100).await.unwrap().into_iter().filter(|m| m.to_addr == "bob@example.org").count()
        };
        for _ in 0..3 {
            groups::invite(&db, mail(&s), &ann, "lace", "bob").await.unwrap();
            groups::remove(&db, &ann, "lace", "person", bob.id).await.unwrap();
        }
        groups::invite(&db, mail(&s), &ann, "lace", "bob").await.unwrap();
        assert_eq!(told(&db, &bob).await, ["ann (@ann) invited you to join Lace makers."], "on {:?}", db.backend());
        assert_eq!(emails(db.clone()).await, 1);

        // Once read a week ago, it is news again.
        db.execute_admin("UPDATE notifications SET read_at = created_at - 700000, created_at = created_at - 700000").await.unwrap();
        groups::remove(&db, &ann, "lace", "person", bob.id).await.unwrap();
        groups::invite(&db, mail(&s), &ann, "lace", "bob").await.unwrap();
        assert_eq!(told(&db, &bob).await.len(), 2);

        // The host is recorded as its sender: blocking her hides them.
        moderation::relate(&db, &bob, "ann", "block").await.unwrap();
        assert!(told(&db, &bob).await.is_empty());
        assert_eq!(notifications::unread(&db, &bob).await.unwrap(), 0);

        // The same for an organisation's invitations.
        let (museum, _) = org(&db, &s, &kit, "Museum", &[]).await;
        for _ in 0..3 {
            orgs::invite_and_tell(&db, mail(&s), &kit, &museum, "ann", "staff").await.unwrap();
            orgs::remove_member(&db, &kit, &museum, ann.id).await.unwrap();
        }
        assert_eq!(told(&db, &ann).await, ["kit (@kit) invited you to join Museum as on the staff."], "on {:?}", db.backend());
        moderation::relate(&db, &ann, "kit", "mute").await.unwrap();
        assert!(told(&db, &ann).await.is_empty());
    }
}

#[tokio::test]
async fn only_an_organisations_admins_bring_it_into_a_group_or_take_it_out() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, kit, ann) = (person(&db, "sam").await, person(&db, "kit").await, person(&db, "ann").await);
        let (museum, museum_id) = org(&db, &s, &sam, "Museum", &[(&kit, "staff")]).await;
        let town = group(&db, &s, &ann, "Town", "town", "open").await;

        // Staff speak as themselves at it: they are offered nothing and refused.
        assert!(groups::offers(&db, &kit, town).await.unwrap().orgs.is_empty());
        let said = forbidden(groups::add_org(&db, mail(&s), &kit, "town", &museum).await);
        assert!(said.starts_with("Only admins of Museum can bring it into a group"), "{said}");
        assert_eq!(meetinghouse_store::groups::direct_membership(&db, town, MemberKind::Org, museum_id).await.unwrap(), None);

        // Its admin brings it in; its staff may not take it out; its admin may.
        assert_eq!(groups::offers(&db, &sam, town).await.unwrap().orgs.len(), 1);
        assert_eq!(groups::add_org(&db, mail(&s), &sam, "town", &museum).await.unwrap(), JoinOutcome::Joined);
        assert!(groups::offers(&db, &kit, town).await.unwrap().theirs.is_empty());
        let said = forbidden(groups::remove(&db, &kit, "town", "org", museum_id).await);
        assert!(said.starts_with("Only admins of Museum"), "{said}");
        assert!(groups::is_member(&db, kit.id, town).await.unwrap());
        assert_eq!(groups::offers(&db, &sam, town).await.unwrap().theirs.len(), 1);
        groups::remove(&db, &sam, "town", "org", museum_id).await.unwrap();
        assert!(!groups::is_member(&db, kit.id, town).await.unwrap());

        // Made an admin, staff may; stepped down, not any more.
        orgs::change_role(&db, &sam, &museum, kit.id, "admin").await.unwrap();
        groups::add_org(&db, mail(&s), &kit, "town", &museum).await.unwrap();
        orgs::change_role(&db, &sam, &museum, kit.id, "staff").await.unwrap();
        forbidden(groups::remove(&db, &kit, "town", "org", museum_id).await);
    }
}

#[tokio::test]
async fn invitations_and_answers_to_requests_are_told() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob, cat, dan, kit) =
            (person(&db, "ann").await, person(&db, "bob").await, person(&db, "cat").await, person(&db, "dan").await, person(&db, "kit").await);
        let (museum, museum_id) = org(&db, &s, &kit, "Museum", &[]).await;
        orgs::invite_and_tell(&db, mail(&s), &kit, &museum, "bob", "admin").await.unwrap();
        assert_eq!(told(&db, &bob).await, ["kit (@kit) invited you to join Museum as an admin."], "on {:?}", db.backend());
        let url = meetinghouse_store::notifications::list(&db, bob.id, 0, 50).await.unwrap().remove(0).url;
        assert_eq!(url, format!("/orgs/{museum}"));

        group(&db, &s, &ann, "Town Choir", "choir", "request").await;
        moderation::relate(&db, &dan, "ann", "block").await.unwrap();
        for who in [&bob, &cat, &dan] {
            assert_eq!(groups::join(&db, &s, who, "choir").await.unwrap(), JoinOutcome::Requested);
        }
        assert_eq!(groups::add_org(&db, mail(&s), &kit, "choir", &museum).await.unwrap(), JoinOutcome::Requested);
        groups::approve(&db, mail(&s), &ann, "choir", "person", bob.id).await.unwrap();
        groups::decline(&db, mail(&s), &ann, "choir", "person", cat.id).await.unwrap();
        groups::approve(&db, mail(&s), &ann, "choir", "person", dan.id).await.unwrap();
        groups::decline(&db, mail(&s), &ann, "choir", "org", museum_id).await.unwrap();
        assert_eq!(told(&db, &bob).await[0], "You are now a member of Town Choir: your request to join was approved.");
        assert_eq!(told(&db, &cat).await, ["Your request to join Town Choir was declined."]);
        assert!(told(&db, &dan).await.is_empty(), "someone who blocked the host is not told");
        assert_eq!(told(&db, &kit).await, ["Your request for Museum to join Town Choir was declined."]);
        // Answering what is no longer waiting tells nobody again.
        assert!(groups::decline(&db, mail(&s), &ann, "choir", "person", cat.id).await.is_err());
        assert_eq!(told(&db, &cat).await.len(), 1);
    }
}

#[tokio::test]
async fn an_account_that_may_not_post_cannot_accept_an_organisations_invitation() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, pat) = (person(&db, "sam").await, person(&db, "pat").await);
        let (museum, museum_id) = org(&db, &s, &sam, "Museum", &[]).await;
        orgs::invite_and_tell(&db, mail(&s), &sam, &museum, "pat", "admin").await.unwrap();
        let waiting = Actor { status: "pending".into(), ..pat.clone() };
        let said = forbidden(orgs::accept(&db, &waiting, &museum).await);
        assert!(said.contains("waiting for an admin's approval"), "{said}");
        assert_eq!(meetinghouse_store::orgs::membership(&db, museum_id, pat.id).await.unwrap(), Some(("admin".into(), "invited".into())));
        orgs::accept(&db, &pat, &museum).await.unwrap();
        // Only an admin invites, checked where the invitation is written.
        orgs::change_role(&db, &pat, &museum, sam.id, "staff").await.unwrap();
        let said = forbidden(orgs::invite_and_tell(&db, mail(&s), &sam, &museum, "pat", "staff").await);
        assert!(said.contains("Only admins of Museum"), "{said}");
    }
}

#[tokio::test]
async fn long_lists_come_a_page_at_a_time() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob) = (person(&db, "ann").await, person(&db, "bob").await);
        let hub = group(&db, &s, &ann, "Hub", "hub", "request").await;
        let (museum, museum_id) = org(&db, &s, &ann, "Museum", &[]).await;
        let t = meetinghouse_store::now();
        // 105 groups, each: a network the hub is in, the museum in it, bob
        // invited to it, and asking to join the hub.
        let rows: Vec<String> =
            (0..105).map(|i| format!("('net-{i:03}', 'Net {i:03}', '', 'public', 'request', {t})")).collect();
        db.execute_admin(&format!(
            "INSERT INTO community_groups (slug, name, purpose, visibility, join_policy, created_at) VALUES {}",
            rows.join(", ")
        ))
        .await
        .unwrap();
        let mut ids = Vec::new();
        for i in 0..105 {
            ids.push(meetinghouse_store::groups::by_slug(&db, &format!("net-{i:03}")).await.unwrap().unwrap().id);
        }
        let mut rows = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            rows.push(format!("({id}, 'group', {hub}, 'member', 'active', {t})"));
            rows.push(format!("({id}, 'org', {museum_id}, 'member', 'active', {t})"));
            rows.push(format!("({id}, 'person', {}, 'member', 'invited', {t})", bob.id));
            rows.push(format!("({hub}, 'group', {id}, 'member', 'requested', {})", t + i as i64));
        }
        db.execute_admin(&format!(
            "INSERT INTO group_members (group_id, member_kind, member_id, role, status, created_at) VALUES {}",
            rows.join(", ")
        ))
        .await
        .unwrap();

        let at = |parents, requests| groups::PageAt { members: 1, requests, parents };
        let first = groups::page_parts(&db, "hub", Some(&ann), at(1, 1)).await.unwrap();
        // Requests are host tools: 25 a page (groups::HOST_TOOLS_PER_PAGE).
        assert_eq!((first.parents.len(), first.more_parents, first.requests.len(), first.more_requests), (100, true, 25, true), "on {:?}", db.backend());
        let second = groups::page_parts(&db, "hub", Some(&ann), at(2, 5)).await.unwrap();
        assert_eq!((second.parents.len(), second.more_parents, second.requests.len(), second.more_requests), (5, false, 5, false));
        assert_eq!(second.requests.last().unwrap().key, "net-104", "oldest first");
        assert_eq!(second.parents[0].slug, "net-100");

        let page = orgs::page_parts(&db, &museum, None, 1, 2).await.unwrap();
        assert_eq!((page.groups.len(), page.more_groups), (5, false));
        assert!(orgs::page(&db, &museum, None).await.unwrap().more_groups);

        let (invited, more) = groups::invitations(&db, bob.id, 1).await.unwrap();
        assert_eq!((invited.len(), more), (50, true));
        let (invited, more) = groups::invitations(&db, bob.id, 3).await.unwrap();
        assert_eq!((invited.len(), more), (5, false));
        // Ann belongs to the hub, and through it to every network: a hundred a page.
        let (mine, more) = groups::mine(&db, ann.id, 1).await.unwrap();
        assert_eq!((mine.len(), more), (100, true));
        assert_eq!(groups::mine(&db, ann.id, 2).await.unwrap().0.len(), 6);
        assert_eq!(groups::reachable(&db, ann.id).await.unwrap().len(), 106);
    }
}

/// Notifications follow the same rule of who reaches a group as the pages:
/// a notification about a reply on a network's members-only story is not
/// shown to someone whose only way in is an open member group (a nesting
/// stored before such nestings were refused).
#[tokio::test]
async fn notifications_follow_the_rule_of_who_reaches_a_network() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, sam, tara) = (person(&db, "claire").await, person(&db, "sam").await, person(&db, "tara").await);
        let together = group(&db, &s, &claire, "Tiverton Together", "tiverton-together", "request").await;
        let volunteers = group(&db, &s, &sam, "Museum Volunteers", "museum-volunteers", "open").await;
        stored_nesting(&db, together, volunteers, "active").await;
        groups::join(&db, &s, &tara, "museum-volunteers").await.unwrap();
        let story = StoryForm { title: "For the network".into(), body: "Only for members.".into(), licence: "cc0".into(), visibility: "group:tiverton-together".into(), ..Default::default() };
        let story = stories::create(&db, &s, &claire, &story).await.unwrap();
        let form = meetinghouse_core::conversations::ReplyForm { body: "Members only, this.".into(), ..Default::default() };
        let reply = meetinghouse_core::conversations::post(&db, mail(&s), &claire, meetinghouse_core::subjects::Subject::Story(story), &form).await.unwrap();
        // A notification about that reply, as one written before would be.
        let mut tx = db.begin().await.unwrap();
        let n = meetinghouse_store::notifications::insert(&mut tx, tara.id, "reply", "Claire replied on “For the network”", &format!("/replies/{reply}")).await.unwrap();
        tx.commit().await.unwrap();
        db.execute_admin(&format!("UPDATE notifications SET reply_id = {reply}, sender_id = {} WHERE id = {n}", claire.id)).await.unwrap();
        assert!(!told(&db, &tara).await.iter().any(|t| t.contains("For the network")), "{:?}", told(&db, &tara).await);
        // Sam, a host of the open group, is not in the network either; Claire is.
        let mut tx = db.begin().await.unwrap();
        meetinghouse_store::notifications::insert(&mut tx, claire.id, "reply", "About “For the network”", &format!("/replies/{reply}")).await.unwrap();
        tx.commit().await.unwrap();
        db.execute_admin(&format!("UPDATE notifications SET reply_id = {reply} WHERE person_id = {}", claire.id)).await.unwrap();
        assert!(told(&db, &claire).await.iter().any(|t| t.contains("For the network")), "the check is about the way in, not the reply");
    }
}
