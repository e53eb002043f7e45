//! Groups and networks of networks, on every configured backend: transitive
//! membership at depth ≥ 4, cycles refused, join policies, acting for an
//! organisation.

use meetinghouse_core::groups::{self, GroupForm, JoinOutcome};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{Actor, CoreError, Db, accounts};

async fn person(db: &Db, handle: &str) -> Actor {
    let id = accounts::create_admin(db, &format!("{handle}@example.org"), handle, handle, "a long enough password").await.unwrap();
    let mut a = accounts::login(db, &format!("{handle}@example.org"), "a long enough password").await.unwrap();
    // Tests act as ordinary people unless they say otherwise.
    meetinghouse_store::people::set_admin(db, id, false).await.unwrap();
    a.is_admin = false;
    a
}

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
