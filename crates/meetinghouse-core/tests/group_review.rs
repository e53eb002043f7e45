//! The findings of a review of groups' membership, invitations and
//! visibility, on every configured backend: a members-only group never lets
//! anyone join (refused on create and edit, moved to "by request" by
//! migration 0039, and an outsider's join answered as no group), an
//! invitation withdrawn while it is being accepted is not accepted, a
//! person who blocked or muted a host gets no invitation from them, groups
//! are started within an hourly budget, requests for an organisation or a
//! group are told once per thing asked for, a request to a group made
//! members only can still be seen and withdrawn, and the words that were
//! wrong.

use meetinghouse_core::groups::{self, GroupEditForm, GroupForm, JoinOutcome};
use meetinghouse_core::notifications::{self, Mailer};
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::people::{self, ProfileForm};
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{Actor, CoreError, Db, moderation};
use meetinghouse_store::groups::MemberKind;
use meetinghouse_store::{DbOptions, test_databases};

mod common;
use common::{admin, person};

fn mail(s: &Settings) -> Mailer<'_> {
    Mailer { settings: s, base_url: "https://town.example" }
}

fn form(name: &str, slug: &str, visibility: &str, policy: &str) -> GroupForm {
    GroupForm { name: name.into(), slug: slug.into(), visibility: visibility.into(), join_policy: policy.into(), ..Default::default() }
}

/// A group named `name` at `slug`, hosted by `host`; its id.
async fn group(db: &Db, s: &Settings, host: &Actor, name: &str, slug: &str, visibility: &str, policy: &str) -> i64 {
    groups::create(db, s, host, &form(name, slug, visibility, policy)).await.unwrap();
    row(db, slug).await.id
}

async fn row(db: &Db, slug: &str) -> groups::GroupRow {
    meetinghouse_store::groups::by_slug(db, slug).await.unwrap().unwrap()
}

/// A group written as stored data, past core's checks (as a group stored
/// before a members-only group anyone could join was refused); its id.
async fn stored_group(db: &Db, host: &Actor, name: &str, slug: &str, visibility: &str, policy: &str) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let new = meetinghouse_store::groups::NewGroup { slug, name, purpose: "", visibility, join_policy: policy };
    let id = meetinghouse_store::groups::insert(&mut tx, &new, host.id).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn status(db: &Db, group: i64, kind: MemberKind, id: i64) -> Option<String> {
    meetinghouse_store::groups::direct_membership(db, group, kind, id).await.unwrap().map(|(_, s)| s)
}

/// The texts of a person's notifications that they are shown, newest first.
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

fn not_found(r: Result<impl std::fmt::Debug, CoreError>) {
    assert!(matches!(r, Err(CoreError::NotFound)), "expected “not found”, got {r:?}");
}

fn edit_form(name: &str, visibility: &str, policy: &str) -> GroupEditForm {
    GroupEditForm { name: name.into(), visibility: visibility.into(), join_policy: policy.into(), confirm_public: true }
}

#[tokio::test]
async fn a_members_only_group_cannot_let_anyone_join() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, eve) = (person(&db, "claire").await, person(&db, "eve").await);

        // Refused when it is started, on the join policy, and nothing is written.
        let said = invalid(groups::create(&db, &s, &claire, &form("Back Room", "back-room", "members", "open")).await, "join_policy");
        assert_eq!(said, groups::MEMBERS_ONLY_NOT_OPEN);
        assert!(meetinghouse_store::groups::by_slug(&db, "back-room").await.unwrap().is_none(), "on {:?}", db.backend());
        // The other two ways in are fine, and so is a public group anyone can join.
        group(&db, &s, &claire, "Back Room", "back-room", "members", "request").await;
        group(&db, &s, &claire, "Quiet Room", "quiet-room", "members", "invite").await;
        group(&db, &s, &claire, "Canal Friends", "canal", "public", "open").await;

        // Refused on an edit either way round: opening a members-only group,
        // or hiding an open one.
        let said = invalid(groups::edit(&db, &s, &claire, "back-room", &edit_form("Back Room", "members", "open")).await, "join_policy");
        assert_eq!(said, groups::MEMBERS_ONLY_NOT_OPEN);
        invalid(groups::edit(&db, &s, &claire, "canal", &edit_form("Canal Friends", "members", "open")).await, "join_policy");
        assert_eq!(row(&db, "back-room").await.join_policy, "request");
        assert_eq!((row(&db, "canal").await.visibility.as_str(), row(&db, "canal").await.join_policy.as_str()), ("public", "open"));
        assert!(groups::edit_page(&db, &claire, "canal").await.unwrap().changes.is_empty(), "nothing logged");
        // Both at once is fine.
        groups::edit(&db, &s, &claire, "canal", &edit_form("Canal Friends", "members", "request")).await.unwrap();

        // Someone outside with the address is answered as for no group at all,
        // whatever its policy (a group stored anyone-can-join included), and
        // nothing is written.
        let stored = stored_group(&db, &claire, "Old Room", "old-room", "members", "open").await;
        for slug in ["back-room", "quiet-room", "old-room", "canal"] {
            not_found(groups::join(&db, &s, &eve, slug).await);
        }
        not_found(groups::join(&db, &s, &eve, "no-such-room").await);
        assert_eq!(status(&db, stored, MemberKind::Person, eve.id).await, None);
        assert_eq!(status(&db, row(&db, "back-room").await.id, MemberKind::Person, eve.id).await, None);
        // Invited, she comes in; an instance admin may ask as well.
        groups::invite_person(&db, &claire, "quiet-room", "eve").await.unwrap();
        assert_eq!(groups::join(&db, &s, &eve, "quiet-room").await.unwrap(), JoinOutcome::Joined);
        let ada = admin(&db, "ada").await;
        assert_eq!(groups::join(&db, &s, &ada, "back-room").await.unwrap(), JoinOutcome::Requested);
    }
}

/// A database migrated to just before 0039 with members-only groups anyone
/// could join, nested both ways, migrated the rest of the way.
async fn open_members_groups_through_0039(db: Db) {
    db.migrate_to(38).await.unwrap();
    let s = Settings::load(&db).await.unwrap();
    let (claire, sam, tara, eve) = (person(&db, "claire").await, person(&db, "sam").await, person(&db, "tara").await, person(&db, "eve").await);
    // The back room: members only, anyone could join; Tara is in it.
    let back = stored_group(&db, &claire, "Back Room", "back-room", "members", "open").await;
    let mut tx = db.begin().await.unwrap();
    meetinghouse_store::groups::upsert_member(&mut tx, back, MemberKind::Person, tara.id, "member", "active", tara.id).await.unwrap();
    tx.commit().await.unwrap();
    // An open public group inside it, and the back room's twin inside a
    // network that chooses its members (stored before that was refused).
    let walkers = stored_group(&db, &sam, "Walkers", "walkers", "public", "open").await;
    let twin = stored_group(&db, &sam, "Side Room", "side-room", "members", "open").await;
    let network = stored_group(&db, &claire, "Tiverton Together", "together", "public", "request").await;
    // A group no change touches: public, anyone can join, in an open network.
    let open_network = stored_group(&db, &claire, "Open Network", "open-network", "public", "open").await;
    let mut tx = db.begin().await.unwrap();
    for (parent, child) in [(back, walkers), (network, twin), (open_network, walkers)] {
        meetinghouse_store::groups::nest(&mut tx, db.backend(), parent, child, "active", sam.id).await.unwrap();
    }
    tx.commit().await.unwrap();

    db.migrate().await.unwrap_or_else(|e| panic!("0039: {e}"));

    // Both members-only groups now choose their members, by request; the others are as they were.
    let policy = |slug: &'static str| {
        let db = db.clone();
        async move {
            let g = row(&db, slug).await;
            (g.visibility, g.join_policy)
        }
    };
    assert_eq!(policy("back-room").await, ("members".into(), "request".into()), "on {:?}", db.backend());
    assert_eq!(policy("side-room").await, ("members".into(), "request".into()));
    assert_eq!(policy("walkers").await, ("public".into(), "open".into()));
    assert_eq!(policy("open-network").await, ("public".into(), "open".into()));
    assert_eq!(policy("together").await, ("public".into(), "request".into()));
    // Its hosts read why, made by no one's account.
    let page = groups::edit_page(&db, &claire, "back-room").await.unwrap();
    let said: Vec<String> = page.changes.iter().map(|c| format!("{} {}", groups::change_by(c), groups::change_words(c))).collect();
    assert_eq!(
        said,
        ["An update of the meeting house changed how people join from “anyone can join” to “people ask, a host approves”: \
          a members-only group can no longer let anyone join"]
    );
    assert!(groups::edit_page(&db, &sam, "walkers").await.unwrap().changes.is_empty());
    // Who was in stays in.
    assert_eq!(status(&db, back, MemberKind::Person, tara.id).await.as_deref(), Some("active"));
    // No active group-in-group membership breaks the networks rule: both
    // nestings it would have broken wait for the parent's hosts again; the
    // one in the open network stays.
    assert_eq!(status(&db, back, MemberKind::Group, walkers).await.as_deref(), Some("requested"));
    assert_eq!(status(&db, network, MemberKind::Group, twin).await.as_deref(), Some("requested"));
    assert_eq!(status(&db, open_network, MemberKind::Group, walkers).await.as_deref(), Some("active"));
    // So the side room's members do not reach the network until its hosts approve.
    groups::invite_person(&db, &sam, "side-room", "eve").await.unwrap();
    groups::join(&db, &s, &eve, "side-room").await.unwrap();
    assert!(!groups::is_member(&db, eve.id, network).await.unwrap());
    groups::approve(&db, mail(&s), &claire, "together", "group", twin).await.unwrap();
    assert!(groups::is_member(&db, eve.id, network).await.unwrap());
    // And the back room is closed to outsiders.
    let (ben,) = (person(&db, "ben").await,);
    not_found(groups::join(&db, &s, &ben, "back-room").await);
}

#[tokio::test]
async fn migration_0039_moves_members_only_groups_anyone_could_join_to_by_request() {
    let dir = test_databases::temp_dir("mh_groups_0039");
    open_members_groups_through_0039(Db::open_sqlite(&dir.join("test.db"), &DbOptions { max_connections: 4 }).await.unwrap()).await;
    if let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        let url = test_databases::create(&url, "mh_groups_0039").await.unwrap();
        open_members_groups_through_0039(Db::connect(&url, &DbOptions { max_connections: 4 }).await.unwrap()).await;
    }
}

/// A host withdraws an invitation (in a transaction that holds the group's
/// row, as `groups::remove` does) while the invitee accepts it: the
/// acceptance waits for the withdrawal and then finds no invitation. The
/// wait is seen in `pg_stat_activity`, so the order is certain, not timed.
/// On SQLite the write turn orders them; the same code runs after it.
#[tokio::test]
async fn an_invitation_withdrawn_while_it_is_accepted_is_not_accepted() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, tara, sam) = (person(&db, "claire").await, person(&db, "tara").await, person(&db, "sam").await);
        let quiet = group(&db, &s, &claire, "Quiet Room", "quiet-room", "members", "invite").await;
        let lace = group(&db, &s, &claire, "Lace Makers", "lace", "public", "invite").await;
        for (slug, who) in [("quiet-room", "tara"), ("lace", "sam")] {
            groups::invite_person(&db, &claire, slug, who).await.unwrap();
        }
        let accepting = |who: &Actor, slug: &'static str| {
            let (d, st, who) = (db.clone(), s.clone(), who.clone());
            async move { groups::join(&d, &st, &who, slug).await }
        };
        let (quiet_answer, lace_answer) = if db.backend() == meetinghouse_store::Backend::Postgres {
            (while_withdrawn(&db, quiet, tara.id, accepting(&tara, "quiet-room")).await, while_withdrawn(&db, lace, sam.id, accepting(&sam, "lace")).await)
        } else {
            for (g, who) in [(quiet, tara.id), (lace, sam.id)] {
                let mut tx = db.begin().await.unwrap();
                meetinghouse_store::groups::remove_member(&mut tx, g, MemberKind::Person, who).await.unwrap();
                tx.commit().await.unwrap();
            }
            (accepting(&tara, "quiet-room").await, accepting(&sam, "lace").await)
        };
        // A members-only group is then "not found" to her; a public one says it is invitation only.
        not_found(quiet_answer);
        assert!(forbidden(lace_answer).contains("Lace Makers is invitation only"));
        assert_eq!(status(&db, quiet, MemberKind::Person, tara.id).await, None, "on {:?}", db.backend());
        assert_eq!(status(&db, lace, MemberKind::Person, sam.id).await, None);
    }
}

/// Runs `act` while another transaction, holding group `id`'s row, removes
/// person `who`'s invitation, and commits it once `act` waits for that lock.
async fn while_withdrawn<T: Send + 'static>(db: &Db, id: i64, who: i64, act: impl std::future::Future<Output = T> + Send + 'static) -> T {
    let mut tx = db.begin().await.unwrap();
    meetinghouse_store::groups::lock_group(&mut tx, db.backend(), id).await.unwrap();
    assert!(meetinghouse_store::groups::remove_member(&mut tx, id, MemberKind::Person, who).await.unwrap());
    let acting = tokio::spawn(act);
    meetinghouse_testkit::until_waiting_for_a_lock(db, &acting, "the acceptance").await;
    tx.commit().await.unwrap();
    acting.await.unwrap()
}

#[tokio::test]
async fn someone_who_blocked_or_muted_a_host_gets_no_invitation_from_them() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, eve, mo, ben) = (person(&db, "claire").await, person(&db, "eve").await, person(&db, "mo").await, person(&db, "ben").await);
        let quiet = group(&db, &s, &claire, "Quiet Room", "quiet-room", "members", "invite").await;
        moderation::relate(&db, &eve, "claire", "block").await.unwrap();
        moderation::relate(&db, &mo, "claire", "mute").await.unwrap();

        // Claire is answered as for an invitation sent; nothing is written,
        // and neither sees it anywhere.
        for who in [&eve, &mo] {
            groups::invite(&db, mail(&s), &claire, "quiet-room", &who.handle).await.unwrap();
            assert_eq!(status(&db, quiet, MemberKind::Person, who.id).await, None, "on {:?}", db.backend());
            assert!(groups::invitations(&db, who.id, 1).await.unwrap().0.is_empty());
            not_found(groups::page(&db, "quiet-room", Some(who)).await);
            not_found(groups::join(&db, &s, who, "quiet-room").await);
        }
        // The check others use (invitations to organisations too).
        let mut tx = db.begin().await.unwrap();
        assert!(groups::refuses_invitations_from(&mut tx, eve.id, claire.id).await.unwrap());
        assert!(groups::refuses_invitations_from(&mut tx, mo.id, claire.id).await.unwrap());
        assert!(!groups::refuses_invitations_from(&mut tx, claire.id, eve.id).await.unwrap(), "only the one who blocks refuses");
        assert!(!groups::refuses_invitations_from(&mut tx, ben.id, claire.id).await.unwrap());
        drop(tx);

        // Ben is invited to it and to a public group, then blocks Claire:
        // neither invitation is shown to him any more.
        group(&db, &s, &claire, "Canal Friends", "canal", "public", "invite").await;
        for slug in ["quiet-room", "canal"] {
            groups::invite(&db, mail(&s), &claire, slug, "ben").await.unwrap();
        }
        assert_eq!(groups::invitations(&db, ben.id, 1).await.unwrap().0.len(), 2);
        assert!(groups::page(&db, "quiet-room", Some(&ben)).await.unwrap().invitation_only);
        moderation::relate(&db, &ben, "claire", "block").await.unwrap();
        assert!(groups::invitations(&db, ben.id, 1).await.unwrap().0.is_empty());
        assert!(told(&db, &ben).await.is_empty(), "nor the notifications of them");
        not_found(groups::page(&db, "quiet-room", Some(&ben)).await);
        assert_eq!(groups::page(&db, "canal", Some(&ben)).await.unwrap().viewer_status, None, "a public group's page shows no invitation");
        // Unblocked, they are there again.
        moderation::relate(&db, &ben, "claire", "unblock").await.unwrap();
        assert_eq!(groups::invitations(&db, ben.id, 1).await.unwrap().0.len(), 2);
        assert_eq!(groups::page(&db, "canal", Some(&ben)).await.unwrap().viewer_status.as_deref(), Some("invited"));
    }
}

#[tokio::test]
async fn groups_are_started_within_an_hourly_budget() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (sam, ada) = (person(&db, "sam").await, admin(&db, "ada").await);
        // A form sent back with a mistake, or with an address taken, uses none of it.
        group(&db, &s, &ada, "Taken", "taken", "public", "open").await;
        for _ in 0..3 {
            invalid(groups::create_counted(&db, &s, &sam, &form("  ", "blank", "public", "open")).await, "name");
            invalid(groups::create_counted(&db, &s, &sam, &form("Taken", "taken", "public", "open")).await, "slug");
        }
        let limit = groups::GROUPS_PER_HOUR.limit;
        assert_eq!(limit, 10);
        for n in 0..limit {
            let slug = format!("sams-{n}");
            assert_eq!(groups::create_counted(&db, &s, &sam, &form("Sam's", &slug, "public", "open")).await.unwrap(), Some(slug));
        }
        // One more is refused, and nothing is written.
        assert_eq!(groups::create_counted(&db, &s, &sam, &form("Sam's", "one-too-many", "public", "open")).await.unwrap(), None, "on {:?}", db.backend());
        assert!(meetinghouse_store::groups::by_slug(&db, "one-too-many").await.unwrap().is_none());
        // Someone else has their own budget; an instance admin is not counted.
        let tara = person(&db, "tara").await;
        assert!(groups::create_counted(&db, &s, &tara, &form("Tara's", "taras", "public", "open")).await.unwrap().is_some());
        for n in 0..=limit {
            assert!(groups::create_counted(&db, &s, &ada, &form("Ada's", &format!("adas-{n}"), "public", "open")).await.unwrap().is_some());
        }
    }
}

#[tokio::test]
async fn a_request_for_an_organisation_or_a_group_is_told_once_whatever_the_asker_is_called() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, kit) = (person(&db, "claire").await, person(&db, "kit").await);
        group(&db, &s, &claire, "Tiverton Together", "together", "public", "request").await;
        let museum = orgs::create(&db, &s, &kit, &OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let museum_id = meetinghouse_store::orgs::by_slug(&db, &museum).await.unwrap().unwrap().id;
        let stores = group(&db, &s, &kit, "Museum Stores", "stores", "public", "request").await;

        assert_eq!(groups::add_org(&db, mail(&s), &kit, "together", &museum).await.unwrap(), JoinOutcome::Requested);
        // Withdrawn, renamed, asked again: no news to Claire.
        groups::remove(&db, &kit, "together", "org", museum_id).await.unwrap();
        let renamed = ProfileForm { display_name: "Someone New".into(), ..Default::default() };
        people::update_profile(&db, &kit, &renamed).await.unwrap();
        let kit = meetinghouse_core::accounts::login(&db, "kit@example.org", "a long enough password").await.unwrap();
        assert_eq!(groups::add_org(&db, mail(&s), &kit, "together", &museum).await.unwrap(), JoinOutcome::Requested);
        assert_eq!(told(&db, &claire).await, ["kit (@kit) asked for Tiverton Museum to join Tiverton Together."], "on {:?}", db.backend());
        // A request for something else is news, and so is Kit's own.
        assert_eq!(groups::nest(&db, mail(&s), &kit, "together", "stores").await.unwrap(), JoinOutcome::Requested);
        groups::remove(&db, &kit, "together", "group", stores).await.unwrap();
        assert_eq!(groups::nest(&db, mail(&s), &kit, "together", "stores").await.unwrap(), JoinOutcome::Requested);
        assert_eq!(
            told(&db, &claire).await,
            [
                "Someone New (@kit) asked for the group Museum Stores to join Tiverton Together.",
                "kit (@kit) asked for Tiverton Museum to join Tiverton Together."
            ]
        );
        assert_eq!(groups::join(&db, &s, &kit, "together").await.unwrap(), JoinOutcome::Requested);
        notifications::join_requested(&db, mail(&s), "together", &kit).await.unwrap();
        notifications::join_requested(&db, mail(&s), "together", &kit).await.unwrap();
        assert_eq!(told(&db, &claire).await[0], "Someone New (@kit) asked to join Tiverton Together.", "on {:?}", db.backend());
        assert_eq!(told(&db, &claire).await.len(), 3, "each thing asked for once");
        // Blocking Kit later takes them off her list.
        moderation::relate(&db, &claire, "kit", "block").await.unwrap();
        assert!(told(&db, &claire).await.is_empty());
    }
}

#[tokio::test]
async fn a_request_to_a_group_made_members_only_can_be_seen_and_withdrawn() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (kwame, tara) = (person(&db, "kwame").await, person(&db, "tara").await);
        group(&db, &s, &kwame, "Residents' Voice", "residents-voice", "public", "request").await;
        group(&db, &s, &kwame, "Tenants' Forum", "tenants", "public", "request").await;
        for slug in ["residents-voice", "tenants"] {
            assert_eq!(groups::join(&db, &s, &tara, slug).await.unwrap(), JoinOutcome::Requested);
        }
        groups::edit(&db, &s, &kwame, "residents-voice", &edit_form("Residents' Voice", "members", "request")).await.unwrap();

        // Its page is gone for her, but her own page lists the request.
        not_found(groups::page(&db, "residents-voice", Some(&tara)).await);
        assert!(!groups::can_see_address(&db, "residents-voice", Some(&tara)).await.unwrap());
        let (asked, more) = groups::asked(&db, &tara, 1).await.unwrap();
        let listed: Vec<(&str, i64)> = asked.iter().map(|a| (a.group.slug.as_str(), a.visible)).collect();
        assert_eq!((listed, more), (vec![("residents-voice", 0), ("tenants", 1)], false), "on {:?}", db.backend());
        // Asking again says it waits; withdrawing works without seeing the group.
        assert_eq!(groups::join(&db, &s, &tara, "residents-voice").await.unwrap(), JoinOutcome::AlreadyRequested);
        let left = groups::leave(&db, &tara, "residents-voice").await.unwrap();
        assert_eq!(left, groups::Left { status: "requested".into(), still_visible: false });
        assert_eq!(groups::asked(&db, &tara, 1).await.unwrap().0.iter().map(|a| a.group.slug.as_str()).collect::<Vec<_>>(), ["tenants"]);
        // Now she is an outsider like any other.
        not_found(groups::join(&db, &s, &tara, "residents-voice").await);
    }
}

#[tokio::test]
async fn refusals_say_what_is_true() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (claire, kit, tara) = (person(&db, "claire").await, person(&db, "kit").await, person(&db, "tara").await);
        group(&db, &s, &claire, "Youth Panel", "youth", "public", "invite").await;
        group(&db, &s, &claire, "Tiverton Together", "together", "public", "request").await;
        let museum = orgs::create(&db, &s, &kit, &OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        group(&db, &s, &kit, "Museum Stores", "stores", "public", "request").await;
        group(&db, &s, &kit, "Museum Volunteers", "volunteers", "public", "open").await;

        // An organisation or a group cannot be invited, so it is not told to ask for an invitation.
        assert_eq!(
            forbidden(groups::add_org(&db, mail(&s), &kit, "youth", &museum).await),
            "Youth Panel is invitation only: its hosts invite people one by one, and an organisation cannot ask to join it. \
             Only someone who hosts Youth Panel and is an admin of the organisation can bring it in."
        );
        assert_eq!(
            forbidden(groups::nest(&db, mail(&s), &kit, "youth", "stores").await),
            "Youth Panel is invitation only: its hosts invite people one by one, and a group cannot ask to join it. \
             Only someone who hosts both groups can add it."
        );
        assert_eq!(forbidden(groups::join(&db, &s, &tara, "youth").await), "Youth Panel is invitation only: ask one of its hosts to invite you.");

        // An open group into a public network is not said to reach members-only
        // content, and an invitation-only network's members are not told to ask.
        assert_eq!(
            invalid(groups::nest(&db, mail(&s), &kit, "together", "volunteers").await, "child"),
            "Anyone can join Museum Volunteers, so joining it would let anyone into Tiverton Together, whose hosts choose its members. \
             Its members can ask to join Tiverton Together themselves; or a group whose hosts choose its members can join instead."
        );
        groups::invite_person(&db, &claire, "youth", "kit").await.unwrap();
        groups::join(&db, &s, &kit, "youth").await.unwrap();
        groups::set_host(&db, &claire, "youth", kit.id, true).await.unwrap();
        groups::edit(&db, &s, &claire, "youth", &edit_form("Youth Panel", "members", "invite")).await.unwrap();
        assert_eq!(
            invalid(groups::nest(&db, mail(&s), &kit, "youth", "volunteers").await, "child"),
            "Anyone can join Museum Volunteers, so joining it would let anyone into Youth Panel's members-only content. \
             Youth Panel is invitation only: its hosts can invite the members of Museum Volunteers one by one; \
             or a group whose hosts choose its members can join instead."
        );

        // Acting on someone who was never in the group does not say they left.
        let said = invalid(groups::set_host(&db, &claire, "together", tara.id, true).await, "form");
        assert_eq!(said, "tara is not in Tiverton Together: not a member, not invited and not waiting to join.");
        let said = invalid(groups::remove(&db, &claire, "together", "person", tara.id).await, "form");
        assert_eq!(said, "tara is not in Tiverton Together: not a member, not invited and not waiting to join.");
    }
}

/// The moderators archive the group at `slug` from `reporter`'s report,
/// as the queue does: it is held, so only they open it again.
async fn held_by_moderators(db: &Db, s: &Settings, moderator: &Actor, reporter: &Actor, slug: &str) {
    let form = moderation::ReportForm { target_kind: "group".into(), target: slug.into(), category: "harassment".into(), details: String::new() };
    moderation::report(db, reporter, &form).await.unwrap();
    let id = row(db, slug).await.id;
    let item = moderation::queue(db, moderator)
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.report.target_kind == "group" && q.report.target_id == id)
        .expect("the report is in the moderators' queue");
    let act = moderation::ActionForm { action: "archive".into(), note: "A group about one person.".into(), ..Default::default() };
    moderation::act(db, mail(s), moderator, item.report.id, &act).await.unwrap();
    assert!(row(db, slug).await.held_at.is_some());
}

/// The review groupsfix34's M1: the hosts of a group the moderators hold
/// archived could still rename it (and the new name showed on the public
/// list of groups, in the sitemap and on its networks' pages), change who
/// hosts it and remove its members. While the hold stands they may only
/// make it members only; an instance moderator may act; a member may still
/// leave, and an organisation's admin take theirs out. Once the moderators
/// open it again, its hosts may change it again. The public lists leave a
/// held group out: the list of groups (its members and admins still see
/// it), a network's members and an organisation's groups.
#[tokio::test]
async fn a_group_the_moderators_hold_is_not_changed_by_its_hosts() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let (hal, bea, cat, kit) = (person(&db, "hal").await, person(&db, "bea").await, person(&db, "cat").await, person(&db, "kit").await);
        let mia = admin(&db, "mia").await;
        group(&db, &s, &hal, "Expose Jo", "expose-jo", "public", "open").await;
        group(&db, &s, &kit, "Town Network", "network", "public", "open").await;
        let museum = orgs::create(&db, &s, &kit, &OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() }).await.unwrap();
        let org_id = meetinghouse_store::orgs::by_slug(&db, &museum).await.unwrap().unwrap().id;
        groups::add_org(&db, mail(&s), &kit, "expose-jo", &museum).await.unwrap();
        for who in [&bea, &cat] {
            groups::join(&db, &s, who, "expose-jo").await.unwrap();
        }
        groups::set_host(&db, &hal, "expose-jo", bea.id, true).await.unwrap();
        // The network takes the group in (its host hosts both for a moment).
        groups::join(&db, &s, &hal, "network").await.unwrap();
        groups::set_host(&db, &kit, "network", hal.id, true).await.unwrap();
        assert_eq!(groups::nest(&db, mail(&s), &hal, "network", "expose-jo").await.unwrap(), JoinOutcome::Joined);
        let (gid, network) = (row(&db, "expose-jo").await.id, row(&db, "network").await.id);
        held_by_moderators(&db, &s, &mia, &kit, "expose-jo").await;

        // Its hosts may not rename it, make it public again or change how people join.
        let said = invalid(groups::edit(&db, &s, &hal, "expose-jo", &edit_form("Friends of Jo", "public", "open")).await, "form");
        assert!(said.starts_with("The meeting house's moderators archived Expose Jo, so while they hold it its hosts cannot rename it"), "{said}");
        assert_eq!(row(&db, "expose-jo").await.name, "Expose Jo");
        // Nor change who hosts it, nor take its members out.
        let said = forbidden(groups::set_host(&db, &hal, "expose-jo", cat.id, true).await);
        assert!(said.contains("its hosts cannot rename it, make it public, let anyone join, change who hosts it or remove its members"), "{said}");
        forbidden(groups::set_host(&db, &hal, "expose-jo", bea.id, false).await);
        forbidden(groups::remove(&db, &hal, "expose-jo", "person", cat.id).await);
        forbidden(groups::remove(&db, &bea, "expose-jo", "person", hal.id).await);
        assert_eq!(status(&db, gid, MemberKind::Person, cat.id).await.as_deref(), Some("active"));

        // The public lists leave it out; its members and the admins still find it.
        let public: Vec<String> = groups::list(&db, None, 50, 0).await.unwrap().into_iter().map(|g| g.slug).collect();
        assert_eq!(public, ["network"], "on {:?}", db.backend());
        let tom = person(&db, "tom").await;
        assert!(!groups::list(&db, Some(&tom), 50, 0).await.unwrap().iter().any(|g| g.id == gid));
        let cats = groups::list(&db, Some(&cat), 50, 0).await.unwrap();
        assert!(cats.iter().any(|g| g.id == gid && g.held_at.is_some()), "its members still see it, marked");
        assert!(groups::list(&db, Some(&mia), 50, 0).await.unwrap().iter().any(|g| g.id == gid));
        let on_network = |p: &groups::GroupPage| p.members.iter().any(|m| m.member_kind == "group" && m.member_id == gid);
        assert!(!on_network(&groups::page(&db, "network", None).await.unwrap()), "not among the network's members to the public");
        assert!(!on_network(&groups::page(&db, "network", Some(&tom)).await.unwrap()));
        let for_host = groups::page(&db, "network", Some(&kit)).await.unwrap();
        assert!(for_host.members.iter().any(|m| m.member_id == gid && m.group_held_at.is_some()), "its hosts see it, marked");
        let org_page = orgs::page(&db, &museum, None).await.unwrap();
        assert!(!org_page.groups.iter().any(|g| g.id == gid), "not among the organisation's groups");
        assert_eq!(groups::page(&db, "expose-jo", None).await.unwrap().parents.iter().map(|g| g.id).collect::<Vec<_>>(), [network], "its own page still says where it belongs");

        // Closing it further is allowed: by request, then members only.
        assert_eq!(groups::edit(&db, &s, &hal, "expose-jo", &edit_form("Expose Jo", "public", "request")).await.unwrap(), ["join_policy"]);
        assert_eq!(groups::edit(&db, &s, &hal, "expose-jo", &edit_form("Expose Jo", "members", "request")).await.unwrap(), ["visibility"]);
        // Not opened again, though.
        invalid(groups::edit(&db, &s, &hal, "expose-jo", &edit_form("Expose Jo", "public", "request")).await, "form");
        // A member may leave; the museum's admin may take it out.
        groups::leave(&db, &cat, "expose-jo").await.unwrap();
        groups::remove(&db, &kit, "expose-jo", "org", org_id).await.unwrap();
        // An instance moderator may act.
        groups::set_host(&db, &mia, "expose-jo", bea.id, false).await.unwrap();

        // Opened again by the moderators, its hosts may change it.
        assert!(groups::unarchive(&db, &mia, "expose-jo").await.unwrap());
        groups::edit(&db, &s, &hal, "expose-jo", &edit_form("Friends of Jo", "public", "open")).await.unwrap();
        groups::set_host(&db, &hal, "expose-jo", bea.id, true).await.unwrap();
        assert!(groups::list(&db, None, 50, 0).await.unwrap().iter().any(|g| g.name == "Friends of Jo"));
    }
}
