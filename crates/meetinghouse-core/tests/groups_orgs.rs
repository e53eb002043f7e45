//! Organisations' people, on every configured backend: admins remove members
//! and change their roles, and an organisation never ends up without an
//! active admin, even when two changes arrive at once.

use meetinghouse_core::groups::{self, GroupForm};
use meetinghouse_core::notifications::Mailer;
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{Actor, CoreError, Db};

mod common;
use common::{admin, person};

/// Where notifications link to.
fn mail(s: &Settings) -> Mailer<'_> {
    Mailer { settings: s, base_url: "https://town.example" }
}

/// An organisation created by `admin`, with the others invited in these roles and accepted.
async fn org(db: &Db, s: &Settings, admin: &Actor, name: &str, people: &[(&Actor, &str)]) -> String {
    let slug = orgs::create(db, s, admin, &OrgForm { name: name.into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
    for (who, role) in people {
        orgs::invite(db, admin, &slug, &who.handle, role).await.unwrap();
        orgs::accept(db, who, &slug).await.unwrap();
    }
    slug
}

async fn role_of(db: &Db, slug: &str, who: &Actor) -> Option<(String, String)> {
    let o = meetinghouse_store::orgs::by_slug(db, slug).await.unwrap().unwrap();
    meetinghouse_store::orgs::membership(db, o.id, who.id).await.unwrap()
}

async fn admins(db: &Db, slug: &str) -> i64 {
    let o = meetinghouse_store::orgs::by_slug(db, slug).await.unwrap().unwrap();
    meetinghouse_store::orgs::active_admins(db, o.id).await.unwrap()
}

fn forbidden_saying<T: std::fmt::Debug>(r: Result<T, CoreError>, words: &str) {
    match r {
        Err(CoreError::Forbidden(m)) => assert!(m.contains(words), "{m}"),
        other => panic!("expected a refusal saying “{words}”, got {other:?}"),
    }
}

#[tokio::test]
async fn admins_remove_staff_and_change_roles_but_never_the_last_admin() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, kit, vol, eve) = (person(&db, "sam").await, person(&db, "kit").await, person(&db, "vol").await, person(&db, "eve").await);
        let museum = org(&db, &s, &sam, "Museum", &[(&kit, "staff"), (&vol, "member")]).await;
        let form = GroupForm { name: "Town".into(), slug: "town".into(), visibility: "public".into(), join_policy: "open".into(), ..Default::default() };
        groups::create(&db, &s, &sam, &form).await.unwrap();
        groups::add_org(&db, mail(&s), &sam, "town", &museum).await.unwrap();
        let town = meetinghouse_store::groups::by_slug(&db, "town").await.unwrap().unwrap().id;
        assert!(groups::is_member(&db, kit.id, town).await.unwrap());

        // Only an admin may act; staff may not.
        forbidden_saying(orgs::remove_member(&db, &kit, &museum, vol.id).await, "Only admins");
        forbidden_saying(orgs::change_role(&db, &kit, &museum, kit.id, "admin").await, "Only admins");
        assert_eq!(role_of(&db, &museum, &kit).await, Some(("staff".into(), "active".into())));

        // The last admin can neither step down nor be removed nor leave.
        forbidden_saying(orgs::change_role(&db, &sam, &museum, sam.id, "staff").await, "last admin");
        forbidden_saying(orgs::remove_member(&db, &sam, &museum, sam.id).await, "last admin");
        forbidden_saying(orgs::leave(&db, &sam, &museum).await, "last admin");
        assert!(matches!(orgs::change_role(&db, &sam, &museum, kit.id, "owner").await, Err(CoreError::Invalid(_))));

        // Roles change; the staff member who is removed loses the group too.
        assert_eq!(orgs::change_role(&db, &sam, &museum, vol.id, "staff").await.unwrap(), "vol");
        assert_eq!(role_of(&db, &museum, &vol).await, Some(("staff".into(), "active".into())));
        assert_eq!(orgs::remove_member(&db, &sam, &museum, kit.id).await.unwrap(), "kit");
        assert_eq!(role_of(&db, &museum, &kit).await, None);
        assert!(!groups::is_member(&db, kit.id, town).await.unwrap(), "{:?}", db.backend());
        assert!(matches!(orgs::remove_member(&db, &sam, &museum, kit.id).await, Err(CoreError::Invalid(_))), "nobody to remove");

        // An invitation can be withdrawn, and its role changed before it is accepted.
        orgs::invite(&db, &sam, &museum, "eve", "member").await.unwrap();
        orgs::change_role(&db, &sam, &museum, eve.id, "staff").await.unwrap();
        assert_eq!(role_of(&db, &museum, &eve).await, Some(("staff".into(), "invited".into())));
        orgs::remove_member(&db, &sam, &museum, eve.id).await.unwrap();
        assert_eq!(role_of(&db, &museum, &eve).await, None);

        // With a second admin the first may step down, and then the second is the last.
        orgs::change_role(&db, &sam, &museum, vol.id, "admin").await.unwrap();
        orgs::change_role(&db, &sam, &museum, sam.id, "member").await.unwrap();
        forbidden_saying(orgs::change_role(&db, &sam, &museum, vol.id, "member").await, "Only admins");
        forbidden_saying(orgs::remove_member(&db, &vol, &museum, vol.id).await, "You are the last admin");
        assert_eq!(admins(&db, &museum).await, 1);
    }
}

#[tokio::test]
async fn two_admins_going_at_once_leave_one_admin() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob) = (person(&db, "ann").await, person(&db, "bob").await);
        for round in 0..5 {
            let slug = org(&db, &s, &ann, &format!("Gallery {round}"), &[(&bob, "admin")]).await;
            // Both leave at once; then, with two admins again, each demotes the other.
            let (a, b) = tokio::join!(orgs::leave(&db, &ann, &slug), orgs::leave(&db, &bob, &slug));
            assert!(a.is_ok() != b.is_ok(), "exactly one of them may go: {a:?} {b:?}");
            assert_eq!(admins(&db, &slug).await, 1, "on {:?}", db.backend());

            let slug = org(&db, &s, &ann, &format!("Library {round}"), &[(&bob, "admin")]).await;
            let (a, b) = tokio::join!(orgs::change_role(&db, &ann, &slug, bob.id, "staff"), orgs::change_role(&db, &bob, &slug, ann.id, "staff"));
            assert!(a.is_ok() != b.is_ok(), "exactly one change may land: {a:?} {b:?}");
            assert_eq!(admins(&db, &slug).await, 1, "on {:?}", db.backend());
        }
    }
}

#[tokio::test]
async fn organisation_pages_list_active_people_and_show_invitations_to_who_manages() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, kit, vol, eve) = (person(&db, "sam").await, person(&db, "kit").await, person(&db, "vol").await, person(&db, "eve").await);
        let root = admin(&db, "keeper").await;
        let museum = org(&db, &s, &sam, "Museum", &[(&kit, "staff"), (&vol, "member")]).await;
        orgs::invite(&db, &sam, &museum, "eve", "member").await.unwrap();
        db.execute_admin(&format!("UPDATE people SET status = 'suspended' WHERE id = {}", vol.id)).await.unwrap();

        let handles = |p: &orgs::OrgPage| p.members.iter().map(|m| m.handle.clone()).collect::<Vec<_>>();
        // Everyone else: the active members whose accounts are active.
        for viewer in [None, Some(&kit), Some(&eve)] {
            let page = orgs::page(&db, &museum, viewer).await.unwrap();
            assert_eq!(handles(&page), ["kit", "sam"], "on {:?}", db.backend());
            assert!(!page.viewer_manages);
        }
        // Its admin and an instance admin: the invitation and the suspended account too.
        for viewer in [&sam, &root] {
            let page = orgs::page(&db, &museum, Some(viewer)).await.unwrap();
            assert_eq!(handles(&page), ["eve", "kit", "sam", "vol"], "on {:?}", db.backend());
            assert!(page.viewer_manages && page.admins.admins == 1);
            let vol_row = page.members.iter().find(|m| m.handle == "vol").unwrap();
            assert_eq!(page.account_note(vol_row), "account suspended");
        }
        let _ = mail(&s);
    }
}

#[tokio::test]
async fn organisation_names_are_one_line() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        let slug = orgs::create(&db, &s, &sam, &OrgForm { name: "Tiverton\nMuseum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        assert_eq!(orgs::page(&db, &slug, None).await.unwrap().org.name, "Tiverton Museum");
        let form = GroupForm { name: "Town\r\nChoir".into(), visibility: "public".into(), join_policy: "open".into(), ..Default::default() };
        let slug = groups::create(&db, &s, &sam, &form).await.unwrap();
        assert_eq!(groups::page(&db, &slug, None).await.unwrap().group.name, "Town Choir");
    }
}

/// Someone who blocked or muted an organisation's admin gets no invitation
/// from them: the admin is answered as for one sent, nothing is written,
/// and an invitation sent before the block is no longer listed.
#[tokio::test]
async fn no_invitation_to_an_organisation_from_someone_blocked_or_muted() {
    use meetinghouse_core::moderation;
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let (eve, mo, kit) = (person(&db, "eve").await, person(&db, "mo").await, person(&db, "kit").await);
        let slug = orgs::create(&db, &s, &ann, &OrgForm { name: "Harbour Trust".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        // Kit was invited before blocking Ann.
        orgs::invite_and_tell(&db, mail(&s), &ann, &slug, "kit", "member").await.unwrap();
        assert_eq!(orgs::invitations(&db, kit.id, 1).await.unwrap().0.len(), 1);
        moderation::relate(&db, &eve, "ann", "block").await.unwrap();
        moderation::relate(&db, &mo, "ann", "mute").await.unwrap();
        moderation::relate(&db, &kit, "ann", "block").await.unwrap();
        for who in [&eve, &mo] {
            orgs::invite_and_tell(&db, mail(&s), &ann, &slug, &who.handle, "admin").await.expect("answered as if sent");
            assert_eq!(role_of(&db, &slug, who).await, None, "nothing written for @{}", who.handle);
            assert!(orgs::invitations(&db, who.id, 1).await.unwrap().0.is_empty());
            assert!(meetinghouse_core::notifications::list(&db, who, i64::MAX).await.unwrap().is_empty());
        }
        assert!(orgs::invitations(&db, kit.id, 1).await.unwrap().0.is_empty(), "an earlier one is no longer listed");
        // Someone else still invites them.
        let bea = person(&db, "bea").await;
        orgs::invite(&db, &ann, &slug, "bea", "admin").await.unwrap();
        orgs::accept(&db, &bea, &slug).await.unwrap();
        orgs::invite(&db, &bea, &slug, "eve", "member").await.unwrap();
        assert_eq!(orgs::invitations(&db, eve.id, 1).await.unwrap().0.len(), 1);
    }
}

/// Organisations added per account are limited per hour (instance admins
/// are not counted); a form with a mistake uses none of the budget.
#[tokio::test]
async fn organisations_added_per_hour_are_limited() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let sam = person(&db, "sam").await;
        let boss = admin(&db, "boss").await;
        let form = |name: &str| OrgForm { name: name.into(), sector: "heritage".into(), ..Default::default() };
        for i in 0..orgs::ORGS_PER_HOUR.limit {
            assert!(orgs::create_counted(&db, &s, &sam, &OrgForm { sector: String::new(), ..form(&format!("Bad {i}")) }).await.is_err());
            assert!(orgs::create_counted(&db, &s, &sam, &form(&format!("Club {i}"))).await.unwrap().is_some());
        }
        assert_eq!(orgs::create_counted(&db, &s, &sam, &form("One Too Many")).await.unwrap(), None);
        assert!(orgs::by_address(&db, "one-too-many").await.unwrap().is_none(), "nothing made");
        for i in 0..orgs::ORGS_PER_HOUR.limit + 2 {
            assert!(orgs::create_counted(&db, &s, &boss, &form(&format!("Council {i}"))).await.unwrap().is_some(), "admins are not counted");
        }
    }
}

/// Declining an invitation is not leaving, and acting on someone who never
/// was a member does not say "any more".
#[tokio::test]
async fn declining_and_never_a_member_are_said_plainly() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let (sam, jo) = (person(&db, "sam").await, person(&db, "jo").await);
        let slug = org(&db, &s, &ann, "Harbour Trust", &[(&sam, "member")]).await;
        orgs::invite(&db, &ann, &slug, "jo", "staff").await.unwrap();
        assert_eq!(orgs::leave(&db, &jo, &slug).await.unwrap(), orgs::Left::Declined);
        assert_eq!(orgs::leave(&db, &sam, &slug).await.unwrap(), orgs::Left::Left);
        let Err(CoreError::Invalid(e)) = orgs::remove_member(&db, &ann, &slug, jo.id).await else { panic!() };
        let said = e.get("form").unwrap();
        assert!(!said.contains("any more") && said.contains("not a member of Harbour Trust"), "{said}");
    }
}

/// Marks a person's account suspended (as a moderator's suspension does)
/// or active again (as lifting it does).
async fn set_status(db: &Db, who: &Actor, status: &str) {
    db.execute_admin(&format!("UPDATE people SET status = '{status}' WHERE id = {}", who.id)).await.unwrap();
}

fn invalid_saying<T: std::fmt::Debug>(r: Result<T, CoreError>, words: &str) {
    match r {
        Err(CoreError::Invalid(e)) => assert!(e.get("form").is_some_and(|m| m.contains(words)), "{e}"),
        other => panic!("expected an error saying “{words}”, got {other:?}"),
    }
}

/// The review groupsfix34's M2: a suspended account could be made the
/// only host of a group, or the only admin of an organisation: promoted,
/// then the one who promoted them left. Someone whose account is not active
/// is not promoted, and the last host or admin whose account is active may
/// not leave, step down or be removed while the others are suspended; a
/// suspended host may still be removed, and once the suspension is lifted
/// the others may go.
#[tokio::test]
async fn a_suspended_account_is_never_left_the_only_host_or_admin() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (ann, bob, cat) = (person(&db, "ann").await, person(&db, "bob").await, person(&db, "cat").await);
        let form = GroupForm { name: "Choir".into(), slug: "choir".into(), visibility: "public".into(), join_policy: "open".into(), ..Default::default() };
        groups::create(&db, &s, &ann, &form).await.unwrap();
        let choir = meetinghouse_store::groups::by_slug(&db, "choir").await.unwrap().unwrap().id;
        groups::join(&db, &s, &bob, "choir").await.unwrap();
        groups::join(&db, &s, &cat, "choir").await.unwrap();

        // A suspended member is not made a host.
        set_status(&db, &bob, "suspended").await;
        invalid_saying(groups::set_host(&db, &ann, "choir", bob.id, true).await, "bob's account is not active, so they cannot be made a host of Choir");
        let page = groups::page(&db, "choir", Some(&ann)).await.unwrap();
        let bob_row = page.members.iter().find(|m| m.member_id == bob.id).unwrap();
        assert!(!page.may_become_host(bob_row), "the page does not offer it");

        // A host suspended after being made one: the other host is the last
        // who can look after the group.
        set_status(&db, &bob, "active").await;
        groups::set_host(&db, &ann, "choir", bob.id, true).await.unwrap();
        set_status(&db, &bob, "suspended").await;
        forbidden_saying(groups::leave(&db, &ann, "choir").await, "You are the last host of Choir whose account is active");
        forbidden_saying(groups::set_host(&db, &ann, "choir", ann.id, false).await, "the last host of Choir whose account is active");
        let moira = admin(&db, "moira").await;
        forbidden_saying(groups::remove(&db, &moira, "choir", "person", ann.id).await, "ann is the last host of Choir whose account is active");
        let page = groups::page(&db, "choir", Some(&ann)).await.unwrap();
        let ann_row = page.members.iter().find(|m| m.member_id == ann.id).unwrap();
        assert!(page.is_last_host(ann_row), "the page offers her no way out");
        assert!(!page.is_last_host(page.members.iter().find(|m| m.member_id == bob.id).unwrap()));
        assert_eq!(meetinghouse_store::groups::direct_membership(&db, choir, meetinghouse_store::groups::MemberKind::Person, ann.id).await.unwrap(), Some(("host".into(), "active".into())));
        // Bob, suspended, may be stepped down (Ann stays, and can act).
        groups::set_host(&db, &ann, "choir", bob.id, false).await.unwrap();
        groups::set_host(&db, &ann, "choir", cat.id, true).await.unwrap();
        groups::remove(&db, &ann, "choir", "person", bob.id).await.unwrap();
        // Once bob's suspension is lifted, he is made a host again, and ann may go.
        set_status(&db, &bob, "active").await;
        groups::join(&db, &s, &bob, "choir").await.unwrap();
        groups::set_host(&db, &cat, "choir", bob.id, true).await.unwrap();
        groups::set_host(&db, &cat, "choir", cat.id, false).await.unwrap();
        groups::leave(&db, &ann, "choir").await.unwrap();
        // The last host of all still may not go, whatever their account.
        forbidden_saying(groups::leave(&db, &bob, "choir").await, "You are the last host of Choir: make someone else a host");

        // Organisations: the same for admins.
        let museum = org(&db, &s, &ann, "Museum", &[(&bob, "member"), (&cat, "member")]).await;
        set_status(&db, &bob, "suspended").await;
        invalid_saying(orgs::change_role(&db, &ann, &museum, bob.id, "admin").await, "bob's account is not active, so they cannot be made an admin of Museum");
        assert_eq!(role_of(&db, &museum, &bob).await, Some(("member".into(), "active".into())));
        orgs::change_role(&db, &ann, &museum, bob.id, "staff").await.unwrap();
        set_status(&db, &bob, "active").await;
        orgs::change_role(&db, &ann, &museum, bob.id, "admin").await.unwrap();
        set_status(&db, &bob, "suspended").await;
        forbidden_saying(orgs::leave(&db, &ann, &museum).await, "You are the last admin of Museum whose account is active");
        forbidden_saying(orgs::change_role(&db, &ann, &museum, ann.id, "member").await, "the last admin of Museum whose account is active");
        forbidden_saying(orgs::remove_member(&db, &moira, &museum, ann.id).await, "ann is the last admin of Museum whose account is active");
        let page = orgs::page(&db, &museum, Some(&ann)).await.unwrap();
        assert!(page.is_last_admin(page.members.iter().find(|m| m.person_id == ann.id).unwrap()));
        // A suspended admin may be stepped down (the active one stays).
        assert_eq!(orgs::change_role(&db, &ann, &museum, bob.id, "member").await.unwrap(), "bob");
        assert_eq!(admins(&db, &museum).await, 1);
    }
}

/// The review groupsfix34's L4: what someone types or pastes where a
/// group's address goes — a full address on this meeting house, a path or
/// the last part — is read as the group's slug; an address elsewhere, or a
/// path that is not a group's, is none.
#[test]
fn a_groups_address_is_read_from_what_was_typed() {
    let base = "https://town.example";
    let cases: &[(&str, Option<&str>)] = &[
        ("walkers", Some("walkers")),
        ("  Walkers ", Some("walkers")),
        ("walkers/", Some("walkers")),
        ("/groups/walkers", Some("walkers")),
        ("groups/walkers", Some("walkers")),
        ("https://town.example/groups/walkers", Some("walkers")),
        ("http://town.example/groups/walkers", Some("walkers")),
        ("HTTPS://Town.Example/groups/Walkers/", Some("walkers")),
        ("https://town.example/groups/walkers/purpose", Some("walkers")),
        ("https://town.example/groups/walkers?page=2#members", Some("walkers")),
        ("town.example/groups/walkers", Some("walkers")),
        ("https://elsewhere.example/groups/walkers", None),
        ("https://town.example.evil/groups/walkers", None),
        ("https://town.example", None),
        ("https://town.example/orgs/museum", None),
        ("/orgs/museum", None),
        ("/walkers", None),
        ("ftp://town.example/groups/walkers", None),
        ("", None),
    ];
    for (typed, want) in cases {
        assert_eq!(groups::slug_from_input(typed, base).as_deref(), *want, "{typed:?}");
    }
    assert_eq!(groups::slug_from_input("http://127.0.0.1:8080/groups/walkers", "http://127.0.0.1:8080").as_deref(), Some("walkers"));
    assert_eq!(groups::slug_from_input("http://127.0.0.1:9999/groups/walkers", "http://127.0.0.1:8080"), None, "another port is another site");
}
