//! Groups and networks of networks, on every configured backend: transitive
//! membership at depth ≥ 4, cycles refused, join policies, acting for an
//! organisation.

use meetinghouse_core::groups::{self, GroupForm, JoinOutcome};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{Actor, CoreError, Db};

mod common;
use common::{person};

async fn group(db: &Db, s: &Settings, host: &Actor, slug: &str, policy: &str) {
    let form = GroupForm { name: slug.to_uppercase(), slug: slug.into(), purpose: String::new(), visibility: "public".into(), join_policy: policy.into() };
    groups::create(db, s, host, &form).await.unwrap();
}

fn group_id(slug: &str, all: &[meetinghouse_core::groups::GroupRow]) -> i64 {
    all.iter().find(|g| g.slug == slug).unwrap().id
}

#[tokio::test]
async fn membership_is_transitive_at_depth_five_and_cycles_are_refused() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let host = person(&db, "host").await;
        let member = person(&db, "member").await;
        // g1 ⊃ g2 ⊃ g3 ⊃ g4 ⊃ g5; member belongs only to g5.
        for slug in ["g1", "g2", "g3", "g4", "g5"] {
            group(&db, &s, &host, slug, "open").await;
        }
        for (parent, child) in [("g1", "g2"), ("g2", "g3"), ("g3", "g4"), ("g4", "g5")] {
            assert_eq!(groups::nest(&db, &s, &host, parent, child).await.unwrap(), JoinOutcome::Joined);
        }
        groups::join(&db, &s, &member, "g5").await.unwrap();
        let reach = groups::reachable(&db, member.id).await.unwrap();
        let mut slugs: Vec<_> = reach.iter().map(|g| g.slug.clone()).collect();
        slugs.sort();
        assert_eq!(slugs, ["g1", "g2", "g3", "g4", "g5"], "on {:?}", db.backend());
        assert!(groups::is_member(&db, member.id, group_id("g1", &reach)).await.unwrap());

        // Closing the loop at any depth is refused, and nothing is written.
        for (parent, child) in [("g5", "g1"), ("g3", "g1"), ("g5", "g4"), ("g2", "g2")] {
            match groups::nest(&db, &s, &host, parent, child).await {
                Err(CoreError::Invalid(e)) => assert!(e.get("child").unwrap().contains("loop") || e.get("child").unwrap().contains("itself"), "{e}"),
                other => panic!("nesting {child} in {parent} should be refused, got {other:?}"),
            }
        }
        let page = groups::page(&db, "g1", None).await.unwrap();
        assert!(page.parents.is_empty(), "g1 must not have gained a parent");

        // Leaving g5 removes access everywhere above it.
        groups::leave(&db, &member, "g5").await.unwrap();
        assert!(groups::reachable(&db, member.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn organisations_carry_their_people_into_groups() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam_staff").await;
        let outsider = person(&db, "outsider").await;
        let org = OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() };
        let slug = orgs::create(&db, &s, &sam, &org).await.unwrap();
        assert_eq!(slug, "tiverton-museum");
        group(&db, &s, &sam, "town", "request").await;
        group(&db, &s, &sam, "region", "open").await;
        groups::nest(&db, &s, &sam, "region", "town").await.unwrap();
        assert_eq!(groups::add_org(&db, &s, &sam, "town", "tiverton-museum").await.unwrap(), JoinOutcome::Joined);

        // A new staff member reaches both groups through the organisation.
        orgs::invite(&db, &sam, "tiverton-museum", "outsider", "staff").await.unwrap();
        assert!(groups::reachable(&db, outsider.id).await.unwrap().is_empty(), "an invitation is not membership");
        orgs::accept(&db, &outsider, "tiverton-museum").await.unwrap();
        let reach: Vec<_> = groups::reachable(&db, outsider.id).await.unwrap().into_iter().map(|g| g.slug).collect();
        assert!(reach.contains(&"town".to_string()) && reach.contains(&"region".to_string()), "{reach:?}");

        // Acting for an organisation you are not staff of is refused.
        let stranger = person(&db, "stranger").await;
        match groups::add_org(&db, &s, &stranger, "region", "tiverton-museum").await {
            Err(CoreError::Forbidden(m)) => assert!(m.contains("staff"), "{m}"),
            other => panic!("expected Forbidden, got {other:?}"),
        }
        // A request-policy group makes a stranger wait for a host.
        assert_eq!(groups::join(&db, &s, &stranger, "town").await.unwrap(), JoinOutcome::Requested);
        assert!(!groups::is_member(&db, stranger.id, group_id("town", &groups::list(&db, None, 10, 0).await.unwrap())).await.unwrap());
        let town = groups::page(&db, "town", Some(&sam)).await.unwrap();
        groups::approve(&db, &sam, "town", "person", stranger.id).await.unwrap();
        assert!(groups::is_member(&db, stranger.id, town.group.id).await.unwrap());

        // The last admin cannot leave their organisation.
        assert!(matches!(orgs::leave(&db, &sam, "tiverton-museum").await, Err(CoreError::Forbidden(_))));
    }
}

#[tokio::test]
async fn personas_are_checked() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        let vol = person(&db, "vol").await;
        orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        orgs::invite(&db, &sam, "museum", "vol", "member").await.unwrap();
        orgs::accept(&db, &vol, "museum").await.unwrap();
        let p = meetinghouse_core::persona::resolve(&db, &sam, "org:museum").await.unwrap();
        assert_eq!(p.label(), "sam · Museum");
        let a = meetinghouse_core::persona::resolve(&db, &sam, "announce:museum").await.unwrap();
        assert_eq!(a.label(), "Museum (announcement)");
        assert!(matches!(meetinghouse_core::persona::resolve(&db, &vol, "org:museum").await, Err(CoreError::Forbidden(_))));
        assert!(matches!(meetinghouse_core::persona::resolve(&db, &vol, "announce:museum").await, Err(CoreError::Forbidden(_))));
        assert_eq!(meetinghouse_core::persona::available(&db, &vol).await.unwrap().len(), 1);
        assert_eq!(meetinghouse_core::persona::available(&db, &sam).await.unwrap().len(), 3);
    }
}

/// A members-only group, for the tests that check what outsiders may see.
async fn private_group(db: &Db, s: &Settings, host: &Actor, slug: &str, policy: &str) {
    let form = GroupForm { name: slug.to_uppercase(), slug: slug.into(), purpose: String::new(), visibility: "members".into(), join_policy: policy.into() };
    groups::create(db, s, host, &form).await.unwrap();
}

/// The (role, status) of a direct membership.
async fn row(db: &Db, slug: &str, kind: meetinghouse_store::groups::MemberKind, id: i64) -> Option<(String, String)> {
    let g = meetinghouse_store::groups::by_slug(db, slug).await.unwrap().unwrap();
    meetinghouse_store::groups::direct_membership(db, g.id, kind, id).await.unwrap()
}

fn forbidden_saying(r: Result<impl std::fmt::Debug, CoreError>, words: &str) {
    match r {
        Err(CoreError::Forbidden(m)) => assert!(m.contains(words), "{m}"),
        other => panic!("expected a refusal saying “{words}”, got {other:?}"),
    }
}

#[tokio::test]
async fn the_last_host_cannot_leave_or_step_down_and_hosts_manage_members() {
    use meetinghouse_store::groups::MemberKind;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob, cat) = (person(&db, "ann").await, person(&db, "bob").await, person(&db, "cat").await);
        group(&db, &s, &ann, "choir", "request").await;

        // The only host may neither leave nor step down nor be removed.
        forbidden_saying(groups::leave(&db, &ann, "choir").await, "make someone else a host");
        forbidden_saying(groups::set_host(&db, &ann, "choir", ann.id, false).await, "last host");
        forbidden_saying(groups::remove(&db, &ann, "choir", "person", ann.id).await, "last host");
        assert_eq!(row(&db, "choir", MemberKind::Person, ann.id).await, Some(("host".into(), "active".into())));

        // A request is declined; a second one is approved; a member who is
        // not a host may not manage anyone.
        assert_eq!(groups::join(&db, &s, &bob, "choir").await.unwrap(), JoinOutcome::Requested);
        assert_eq!(groups::join(&db, &s, &cat, "choir").await.unwrap(), JoinOutcome::Requested);
        groups::decline(&db, &ann, "choir", "person", cat.id).await.unwrap();
        assert_eq!(row(&db, "choir", MemberKind::Person, cat.id).await, None);
        assert!(matches!(groups::decline(&db, &ann, "choir", "person", cat.id).await, Err(CoreError::Invalid(_))), "nothing is waiting any more");
        groups::approve(&db, &ann, "choir", "person", bob.id).await.unwrap();
        forbidden_saying(groups::set_host(&db, &bob, "choir", bob.id, true).await, "Only hosts");
        forbidden_saying(groups::remove(&db, &bob, "choir", "person", ann.id).await, "Only hosts");
        assert_eq!(groups::join(&db, &s, &cat, "choir").await.unwrap(), JoinOutcome::Requested);
        forbidden_saying(groups::decline(&db, &bob, "choir", "person", cat.id).await, "Only hosts");

        // Bob is made a host; then Ann may leave, and Bob is the last host.
        assert_eq!(groups::set_host(&db, &ann, "choir", bob.id, true).await.unwrap(), "bob");
        assert!(groups::page(&db, "choir", Some(&bob)).await.unwrap().viewer_is_host);
        groups::leave(&db, &ann, "choir").await.unwrap();
        forbidden_saying(groups::leave(&db, &bob, "choir").await, "last host");

        // Bob makes Ann a host again, and steps her down; a person who has
        // only asked to join cannot be made a host.
        groups::join(&db, &s, &ann, "choir").await.unwrap();
        groups::approve(&db, &bob, "choir", "person", ann.id).await.unwrap();
        groups::set_host(&db, &bob, "choir", ann.id, true).await.unwrap();
        groups::set_host(&db, &bob, "choir", ann.id, false).await.unwrap();
        assert_eq!(row(&db, "choir", MemberKind::Person, ann.id).await, Some(("member".into(), "active".into())));
        assert!(matches!(groups::set_host(&db, &bob, "choir", cat.id, true).await, Err(CoreError::Invalid(_))));

        // Hosts remove a person, an organisation and a member group.
        let org = orgs::create(&db, &s, &bob, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        groups::add_org(&db, &s, &bob, "choir", &org).await.unwrap();
        group(&db, &s, &bob, "altos", "open").await;
        groups::nest(&db, &s, &bob, "choir", "altos").await.unwrap();
        let org_id = orgs::page(&db, &org, None).await.unwrap().org.id;
        let altos = meetinghouse_store::groups::by_slug(&db, "altos").await.unwrap().unwrap().id;
        groups::remove(&db, &bob, "choir", "person", ann.id).await.unwrap();
        groups::remove(&db, &bob, "choir", "org", org_id).await.unwrap();
        groups::remove(&db, &bob, "choir", "group", altos).await.unwrap();
        let left: Vec<_> = groups::page(&db, "choir", Some(&bob)).await.unwrap().members.into_iter().map(|m| (m.member_kind, m.name)).collect();
        assert_eq!(left, [("person".to_string(), "bob".to_string()), ("person".to_string(), "cat".to_string())], "on {:?}", db.backend());
    }
}

#[tokio::test]
async fn two_hosts_leaving_at_once_leave_one_host() {
    use meetinghouse_store::groups::MemberKind;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob) = (person(&db, "ann").await, person(&db, "bob").await);
        for round in 0..5 {
            let slug = format!("pair{round}");
            group(&db, &s, &ann, &slug, "open").await;
            groups::join(&db, &s, &bob, &slug).await.unwrap();
            groups::set_host(&db, &ann, &slug, bob.id, true).await.unwrap();
            let (a, b) = tokio::join!(groups::leave(&db, &ann, &slug), groups::leave(&db, &bob, &slug));
            assert!(a.is_ok() != b.is_ok(), "exactly one of them may go: {a:?} {b:?}");
            let hosts = [row(&db, &slug, MemberKind::Person, ann.id).await, row(&db, &slug, MemberKind::Person, bob.id).await];
            assert_eq!(hosts.iter().flatten().filter(|(r, s)| r == "host" && s == "active").count(), 1, "on {:?}", db.backend());
        }
    }
}

#[tokio::test]
async fn adding_again_never_demotes_an_active_membership() {
    use meetinghouse_store::groups::MemberKind;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, kit, vol) = (person(&db, "sam").await, person(&db, "kit").await, person(&db, "vol").await);
        group(&db, &s, &sam, "town", "request").await;
        let org = orgs::create(&db, &s, &sam, &OrgForm { name: "Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let org_id = orgs::page(&db, &org, None).await.unwrap().org.id;
        for (who, role) in [("kit", "staff"), ("vol", "member")] {
            orgs::invite(&db, &sam, &org, who, role).await.unwrap();
        }
        orgs::accept(&db, &kit, &org).await.unwrap();
        orgs::accept(&db, &vol, &org).await.unwrap();
        assert_eq!(groups::add_org(&db, &s, &sam, "town", &org).await.unwrap(), JoinOutcome::Joined);
        let town = groups::page(&db, "town", None).await.unwrap().group.id;
        assert!(groups::is_member(&db, vol.id, town).await.unwrap());

        // Kit, staff but not a host, clicks "Add to Town" again: nothing changes.
        assert_eq!(groups::add_org(&db, &s, &kit, "town", &org).await.unwrap(), JoinOutcome::AlreadyMember);
        assert_eq!(row(&db, "town", MemberKind::Org, org_id).await, Some(("member".into(), "active".into())), "on {:?}", db.backend());
        assert!(groups::is_member(&db, vol.id, town).await.unwrap(), "the organisation's people keep their access");
        // A host adding it again is told so too (the stored upsert leaves an active row alone).
        assert_eq!(groups::add_org(&db, &s, &sam, "town", &org).await.unwrap(), JoinOutcome::AlreadyMember);
        // Nor is it offered to him any more.
        assert!(groups::offers(&db, &kit, town).await.unwrap().orgs.is_empty());

        // The same for a nested group, nested again by a host of the child only.
        group(&db, &s, &kit, "stores", "open").await;
        groups::join(&db, &s, &sam, "stores").await.unwrap();
        groups::set_host(&db, &kit, "stores", sam.id, true).await.unwrap();
        assert_eq!(groups::nest(&db, &s, &sam, "town", "stores").await.unwrap(), JoinOutcome::Joined);
        let stores = meetinghouse_store::groups::by_slug(&db, "stores").await.unwrap().unwrap().id;
        assert_eq!(groups::nest(&db, &s, &kit, "town", "stores").await.unwrap(), JoinOutcome::AlreadyMember);
        assert_eq!(row(&db, "town", MemberKind::Group, stores).await, Some(("member".into(), "active".into())));

        // Inviting an active member, or a host, is refused and changes nothing.
        groups::join(&db, &s, &vol, "town").await.unwrap();
        groups::approve(&db, &sam, "town", "person", vol.id).await.unwrap();
        for (handle, id, role) in [("vol", vol.id, "member"), ("sam", sam.id, "host")] {
            match groups::invite_person(&db, &sam, "town", handle).await {
                Err(CoreError::Invalid(e)) => assert!(e.get("handle").unwrap().contains("already a member"), "{e}"),
                other => panic!("expected a field error, got {other:?}"),
            }
            assert_eq!(row(&db, "town", MemberKind::Person, id).await, Some((role.into(), "active".into())));
        }
        // Joining again is "already a member", not a fresh request.
        assert_eq!(groups::join(&db, &s, &vol, "town").await.unwrap(), JoinOutcome::AlreadyMember);
    }
}

#[tokio::test]
async fn asking_again_is_not_a_new_request() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob) = (person(&db, "ann").await, person(&db, "bob").await);
        group(&db, &s, &ann, "quiet", "request").await;
        assert_eq!(groups::join(&db, &s, &bob, "quiet").await.unwrap(), JoinOutcome::Requested);
        assert_eq!(groups::join(&db, &s, &bob, "quiet").await.unwrap(), JoinOutcome::AlreadyRequested);
        // Two at once make one request and one "new" answer.
        let cat = person(&db, "cat").await;
        let (a, b) = tokio::join!(groups::join(&db, &s, &cat, "quiet"), groups::join(&db, &s, &cat, "quiet"));
        let mut both = [a.unwrap(), b.unwrap()];
        both.sort_by_key(|o| *o as u8);
        assert_eq!(both, [JoinOutcome::Requested, JoinOutcome::AlreadyRequested], "on {:?}", db.backend());
    }
}

#[tokio::test]
async fn members_only_group_names_do_not_leak() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (host, insider, outsider) = (person(&db, "host").await, person(&db, "insider").await, person(&db, "outsider").await);
        // town (public) is in the members-only "hidden"; "circle" (members-only)
        // is in town.
        group(&db, &s, &host, "town", "open").await;
        private_group(&db, &s, &host, "hidden", "request").await;
        groups::nest(&db, &s, &host, "hidden", "town").await.unwrap();
        private_group(&db, &s, &insider, "circle", "invite").await;
        groups::join(&db, &s, &insider, "town").await.unwrap();
        groups::nest(&db, &s, &insider, "town", "circle").await.unwrap();

        for viewer in [None, Some(&outsider)] {
            let page = groups::page(&db, "town", viewer).await.unwrap();
            assert!(page.parents.is_empty(), "the members-only parent is not named");
            assert!(page.members.iter().all(|m| m.member_kind != "group"), "nor the members-only member group");
        }
        // A member of town belongs to "hidden" through town, so sees it; the
        // circle's own member sees the circle.
        let page = groups::page(&db, "town", Some(&insider)).await.unwrap();
        assert_eq!(page.parents.iter().map(|g| g.slug.as_str()).collect::<Vec<_>>(), ["hidden"]);
        assert!(page.members.iter().any(|m| m.key == "circle") && page.unseen_groups.is_empty());
        // Town's host, who is not in the circle, sees its name to manage it, unlinked.
        let page = groups::page(&db, "town", Some(&host)).await.unwrap();
        let circle = page.members.iter().find(|m| m.key == "circle").unwrap();
        assert!(!page.may_open(circle));

        // Naming a members-only group one may not see as a child is answered
        // exactly as a group that does not exist.
        group(&db, &s, &outsider, "mine", "open").await;
        let answer = |r: Result<JoinOutcome, CoreError>| match r {
            Err(CoreError::Invalid(e)) => e.get("child").unwrap().to_string(),
            other => panic!("expected a field error, got {other:?}"),
        };
        assert_eq!(answer(groups::nest(&db, &s, &outsider, "mine", "circle").await), "There is no group at “circle”.");
        assert_eq!(answer(groups::nest(&db, &s, &outsider, "mine", "nowhere").await), "There is no group at “nowhere”.");
        // A public child one does not host still gets the plain refusal.
        forbidden_saying(groups::nest(&db, &s, &outsider, "mine", "town").await, "Only hosts of TOWN");
        // Asking a hidden, closed group to take something in is "not found".
        assert!(matches!(groups::nest(&db, &s, &outsider, "hidden", "mine").await, Err(CoreError::NotFound)));
        assert!(matches!(groups::join(&db, &s, &outsider, "hidden").await, Err(CoreError::NotFound)));
    }
}

#[tokio::test]
async fn leaving_says_whether_the_group_is_still_there_for_you() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob) = (person(&db, "ann").await, person(&db, "bob").await);
        group(&db, &s, &ann, "open-house", "open").await;
        private_group(&db, &s, &ann, "back-room", "open").await;
        for slug in ["open-house", "back-room"] {
            groups::join(&db, &s, &bob, slug).await.unwrap();
        }
        assert!(groups::leave(&db, &bob, "open-house").await.unwrap(), "a public group is still there");
        assert!(!groups::leave(&db, &bob, "back-room").await.unwrap(), "a members-only group is gone for him");
        forbidden_saying(groups::leave(&db, &bob, "back-room").await, "not a direct member");
    }
}
