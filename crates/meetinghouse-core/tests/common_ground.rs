//! Common-ground conversations through core on every configured backend.

use meetinghouse_core::common_ground::{self, Added, ConversationForm, Participant, caps};
use meetinghouse_core::settings::Settings;

mod common;
use common::{admin, person};

/// The host's seed statements open the conversation; they are not the
/// host's own contributions, so they do not count against the cap on
/// statements one participant may add.
#[tokio::test]
async fn seed_statements_do_not_count_against_the_hosts_own_cap() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let seeds: Vec<String> = (0..caps::STATEMENTS_PER_PARTICIPANT + 10).map(|i| format!("Seed statement number {i}")).collect();
        let form = ConversationForm { topic: "The old library".into(), seeds: seeds.join("\n"), moderation: "post".into(), ..Default::default() };
        let id = common_ground::create(&db, &s, &mia, &form).await.unwrap();
        let c = common_ground::load(&db, id, Some(&mia)).await.unwrap();
        let me = Participant::Person(&mia);
        for i in 0..caps::STATEMENTS_PER_PARTICIPANT {
            let added = common_ground::add_statement(&db, &s, &c, &me, &format!("My own view, number {i}")).await;
            assert!(matches!(added, Ok(Added::Accepted(_))), "statement {i}: {added:?}");
        }
        let over = common_ground::add_statement(&db, &s, &c, &me, "One more than the cap").await;
        assert!(matches!(&over, Err(meetinghouse_core::CoreError::Invalid(e)) if e.get("statement").is_some_and(|m| m.contains("the most one person can"))), "{over:?}");
    }
}

/// Opening a conversation is not taking part: the host's seed statements
/// open it, and a conversation nobody has voted in reports nobody.
#[tokio::test]
async fn the_host_is_not_counted_as_taking_part() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let form = ConversationForm { topic: "The old library".into(), seeds: "Keep it open\nMake it a hub".into(), ..Default::default() };
        let id = common_ground::create(&db, &s, &mia, &form).await.unwrap();
        assert_eq!(common_ground::recompute(&db, id).await.unwrap().participants, 0);
        // A statement of the host's own is taking part.
        let c = common_ground::load(&db, id, Some(&mia)).await.unwrap();
        common_ground::add_statement(&db, &s, &c, &Participant::Person(&mia), "Open it on Sundays").await.unwrap();
        assert_eq!(common_ground::recompute(&db, id).await.unwrap().participants, 1);
    }
}

/// A statement padded with characters that show nothing (a zero-width
/// space, direction marks, a byte-order mark) is the statement without
/// them: it is stored clean and is a repeat of the same words. One made of
/// nothing visible is no statement.
#[tokio::test]
async fn invisible_characters_do_not_make_a_new_statement() {
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let mia = admin(&db, "mia").await;
        let form = ConversationForm { topic: "The old library".into(), seeds: "Keep it\u{200B} open".into(), allow_anonymous: true, ..Default::default() };
        let id = common_ground::create(&db, &s, &mia, &form).await.unwrap();
        let stored = meetinghouse_store::common_ground::statements(&db, id).await.unwrap();
        assert_eq!(stored[0].body, "Keep it open");
        let c = common_ground::load(&db, id, None).await.unwrap();
        let guest = Participant::Browser("a-browser-token-0001");
        for padded in ["Keep\u{200B} it open", "\u{202E}Keep it open\u{202C}", "\u{FEFF}Keep it \u{2060}open"] {
            let r = common_ground::add_statement(&db, &s, &c, &guest, padded).await;
            assert!(
                matches!(&r, Err(meetinghouse_core::CoreError::Invalid(e)) if e.get("statement").is_some_and(|m| m.contains("already in the conversation"))),
                "{padded:?}: {r:?}"
            );
        }
        let r = common_ground::add_statement(&db, &s, &c, &guest, "\u{200B}\u{200E} \u{2063}").await;
        assert!(matches!(&r, Err(meetinghouse_core::CoreError::Invalid(e)) if e.get("statement") == Some("Write a statement first.")), "{r:?}");
        assert_eq!(meetinghouse_store::common_ground::statements(&db, id).await.unwrap().len(), 1);
    }
}

/// The opener hosts only while they may still open conversations there:
/// staff who leave the organisation, or a group's host who steps down, no
/// longer accept, reject or close; the organisation's staff and the group's
/// other hosts still do.
#[tokio::test]
async fn the_opener_hosts_only_while_they_may_open_conversations_there() {
    use meetinghouse_core::{CoreError, groups, orgs};
    for db in meetinghouse_testkit::databases().await {
        let s = Settings::load(&db).await.unwrap();
        let ann = person(&db, "ann").await;
        let bea = person(&db, "bea").await;
        let org = orgs::OrgForm { name: "Tiverton Museum".into(), sector: "heritage".into(), ..Default::default() };
        let slug = orgs::create(&db, &s, &ann, &org).await.unwrap();
        orgs::invite(&db, &ann, &slug, "bea", "staff").await.unwrap();
        orgs::accept(&db, &bea, &slug).await.unwrap();
        let form = ConversationForm { speak_as: format!("org:{slug}"), topic: "The old library".into(), seeds: "Keep it open".into(), ..Default::default() };
        let id = common_ground::create(&db, &s, &bea, &form).await.unwrap();
        assert!(common_ground::load(&db, id, Some(&bea)).await.unwrap().viewer_hosts);
        orgs::leave(&db, &bea, &slug).await.unwrap();
        let c = common_ground::load(&db, id, Some(&bea)).await.unwrap();
        assert!(!c.viewer_hosts, "staff who left still host");
        let statement = meetinghouse_store::common_ground::statements(&db, id).await.unwrap()[0].id;
        assert!(matches!(common_ground::moderate(&db, &c, statement, false).await, Err(CoreError::Forbidden(_))));
        assert!(matches!(common_ground::close(&db, &c).await, Err(CoreError::Forbidden(_))));
        assert!(common_ground::load(&db, id, Some(&ann)).await.unwrap().viewer_hosts, "the organisation's staff host");

        // A group's host steps down.
        let group = groups::GroupForm { name: "Friends of the library".into(), visibility: "public".into(), join_policy: "open".into(), ..Default::default() };
        let group = groups::create(&db, &s, &ann, &group).await.unwrap();
        groups::join(&db, &s, &bea, &group).await.unwrap();
        groups::set_host(&db, &ann, &group, bea.id, true).await.unwrap();
        let form = ConversationForm { topic: "Opening hours".into(), seeds: "Open late on Thursdays".into(), group: group.clone(), ..Default::default() };
        let id = common_ground::create(&db, &s, &bea, &form).await.unwrap();
        assert!(common_ground::load(&db, id, Some(&bea)).await.unwrap().viewer_hosts);
        groups::set_host(&db, &ann, &group, bea.id, false).await.unwrap();
        let c = common_ground::load(&db, id, Some(&bea)).await.unwrap();
        assert!(!c.viewer_hosts, "a host who stepped down still hosts");
        assert!(matches!(common_ground::close(&db, &c).await, Err(CoreError::Forbidden(_))));
        let c = common_ground::load(&db, id, Some(&ann)).await.unwrap();
        assert!(c.viewer_hosts);
        common_ground::close(&db, &c).await.unwrap();
    }
}
