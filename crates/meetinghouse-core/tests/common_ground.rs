//! Common-ground conversations through core on every configured backend.

use meetinghouse_core::common_ground::{self, Added, ConversationForm, Participant, caps};
use meetinghouse_core::settings::Settings;

mod common;
use common::admin;

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
