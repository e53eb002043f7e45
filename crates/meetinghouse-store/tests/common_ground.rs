//! Migrations over common-ground data stored before them, on a SQLite file
//! and on PostgreSQL when `TEST_DATABASE_URL` is set. 0011: duplicates
//! stored before the unique index do not stop it (they are kept and
//! marked), no new duplicate gets in, and analysed conversations are queued
//! to be redrawn. 0048: routing for open analysed conversations. 0058:
//! statements numbered within their conversation, a statement closing took
//! out and a host put back taken out again, every analysed conversation
//! redrawn.

use meetinghouse_store::common_ground::{self as store, NewConversation, Who};
use meetinghouse_store::{Db, StoreError, people};

mod common;

async fn databases() -> Vec<(&'static str, Db)> {
    common::migrated("mh_cg").await
}

/// Ann, a person, in the transaction; returns her id.
async fn ann(tx: &mut meetinghouse_store::Tx) -> i64 {
    let p = people::NewPerson { email: "ann@cg.test", handle: "ann", display_name: "Ann", password_hash: "x", is_admin: false, status: "active" };
    people::insert(tx, &p).await.unwrap()
}

/// A conversation hosted by `host`, open to accounts, post-moderated.
fn library(host: i64) -> NewConversation<'static> {
    NewConversation {
        host_person: host,
        host_org: None,
        voice: "person",
        group_id: None,
        prompt_id: None,
        topic: "The old library",
        description: "",
        allow_anonymous: false,
        statement_max: 280,
        moderation: "post",
    }
}

#[tokio::test]
async fn the_migration_keeps_duplicates_stored_before_it_and_refuses_new_ones() {
    for (name, db) in databases().await {
        let mut tx = db.begin().await.unwrap();
        let ann = ann(&mut tx).await;
        let conversation = library(ann);
        let (id, other) = (store::insert(&mut tx, &conversation).await.unwrap(), store::insert(&mut tx, &conversation).await.unwrap());
        let author = store::ensure_participant(&mut tx, id, &Who::Person(ann)).await.unwrap();
        tx.commit().await.unwrap();

        // Back to the schema before 0011, with the same text stored three times.
        for sql in [
            "DROP INDEX cg_statements_text",
            "ALTER TABLE cg_statements DROP COLUMN duplicate_of",
            "ALTER TABLE cg_conversations DROP COLUMN analysis_claims",
            "ALTER TABLE cg_conversations DROP COLUMN analysis_claim",
            "DELETE FROM _sqlx_migrations WHERE version = 11",
        ] {
            db.execute_admin(sql).await.unwrap_or_else(|e| panic!("{name}: {sql}: {e}"));
        }
        let mut tx = db.begin().await.unwrap();
        let mut ids = Vec::new();
        for body in ["Keep it open", "Keep it open", "Make it homes", "Keep it open"] {
            ids.push(store::insert_statement(&mut tx, id, author, body, "accepted", false).await.unwrap());
        }
        tx.commit().await.unwrap();
        db.execute_admin(&format!("UPDATE cg_conversations SET analysis_json = '{{}}', analysed_at = 1, dirty_since = NULL WHERE id = {id}")).await.unwrap();

        db.migrate().await.unwrap_or_else(|e| panic!("{name}: 0011 over duplicates: {e}"));
        let kept: Vec<i64> = store::statements(&db, id).await.unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(kept, ids, "{name}: nothing deleted");
        // No fourth copy, in this conversation; the same words elsewhere are fine.
        let mut tx = db.begin().await.unwrap();
        let r = store::insert_statement(&mut tx, id, author, "Keep it open", "accepted", false).await;
        assert!(matches!(r, Err(StoreError::Conflict { what: "statement" })), "{name}: {r:?}");
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        store::insert_statement(&mut tx, id, author, "Open it on Sundays", "accepted", false).await.unwrap();
        let elsewhere = store::ensure_participant(&mut tx, other, &Who::Person(ann)).await.unwrap();
        store::insert_statement(&mut tx, other, elsewhere, "Keep it open", "accepted", false).await.unwrap();
        tx.commit().await.unwrap();
        // The conversation analysed before is queued to be drawn again, and analysis runs are numbered.
        assert_eq!(store::due(&db, meetinghouse_store::now(), 10).await.unwrap(), vec![id], "{name}");
        assert_eq!(store::claim(&db, id, meetinghouse_store::now()).await.unwrap(), Some(1), "{name}");
        db.close().await;
    }
}

/// A run that claimed a conversation and never stored its result (its
/// process was killed) does not leave it unmarked for good: once the claim
/// is older than the lease the conversation is due again, and storing the
/// latest claim's run releases it (migration 0018).
#[tokio::test]
async fn a_claim_that_never_stored_is_due_again_after_its_lease() {
    for (name, db) in databases().await {
        let mut tx = db.begin().await.unwrap();
        let ann = ann(&mut tx).await;
        let conversation = library(ann);
        let id = store::insert(&mut tx, &conversation).await.unwrap();
        store::mark_dirty(&mut tx, id).await.unwrap();
        tx.commit().await.unwrap();
        let now = meetinghouse_store::now();

        // Claimed, then the run dies: not due while the lease runs, even long after the debounce.
        assert_eq!(store::claim(&db, id, now).await.unwrap(), Some(1), "{name}");
        db.execute_admin(&format!("UPDATE cg_conversations SET analysed_at = analysed_at - 60 WHERE id = {id}")).await.unwrap();
        assert!(store::due(&db, now, 10).await.unwrap().is_empty(), "{name}: a run may still be under way");
        assert_eq!(store::claim(&db, id, now).await.unwrap(), None, "{name}");
        // The lease runs out: due again, and claimed again.
        let back = store::CLAIM_LEASE_SECS + 1;
        db.execute_admin(&format!("UPDATE cg_conversations SET claimed_at = claimed_at - {back}, analysed_at = analysed_at - {back} WHERE id = {id}"))
            .await
            .unwrap();
        assert_eq!(store::due(&db, now, 10).await.unwrap(), vec![id], "{name}");
        assert_eq!(store::claim(&db, id, now).await.unwrap(), Some(2), "{name}");
        // The older run stores late (nothing newer is stored yet) but does not release the newer claim.
        let run = |summary: &'static str, priorities: &'static str| store::Analysed { summary, state: "{}", priorities };
        assert!(store::save_analysis(&db, id, 1, &run("{\"run\": 1}", "[[1, 0.5]]")).await.unwrap(), "{name}");
        db.execute_admin(&format!("UPDATE cg_conversations SET claimed_at = claimed_at - {back}, analysed_at = analysed_at - {back} WHERE id = {id}"))
            .await
            .unwrap();
        assert_eq!(store::due(&db, now, 10).await.unwrap(), vec![id], "{name}: claim 2 has not stored yet");
        assert!(store::save_analysis(&db, id, 2, &run("{\"run\": 2}", "[[1, 0.25]]")).await.unwrap(), "{name}");
        assert!(store::due(&db, now, 10).await.unwrap().is_empty(), "{name}: stored, released, nothing changed since");
        assert_eq!(store::analysis(&db, id).await.unwrap().as_deref(), Some("{\"run\": 2}"), "{name}");
        // The routing priorities are stored with it (migration 0048), and an older run's never replace a newer's.
        assert_eq!(store::priorities(&db, id).await.unwrap().as_deref(), Some("[[1, 0.25]]"), "{name}");
        assert!(!store::save_analysis(&db, id, 1, &run("{\"run\": 1}", "[[1, 0.5]]")).await.unwrap(), "{name}");
        assert_eq!(store::priorities(&db, id).await.unwrap().as_deref(), Some("[[1, 0.25]]"), "{name}");
        db.close().await;
    }
}

/// Migration 0048 over conversations analysed before it: the open ones are
/// queued to be redrawn, which stores their routing priorities apart
/// (`cg_routing`); a closed one is left as it is. The marks of a host's
/// edit and reopening start empty.
#[tokio::test]
async fn migration_0048_queues_open_analysed_conversations_for_their_routing() {
    let mut all = vec![("SQLite", common::sqlite_file("mh_cg48").await)];
    all.extend(common::postgres("mh_cg48").await.map(|db| ("PostgreSQL", db)));
    for (name, db) in all {
        db.migrate_to(47).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut tx = db.begin().await.unwrap();
        let ann = ann(&mut tx).await;
        let (open, closed) = (store::insert(&mut tx, &library(ann)).await.unwrap(), store::insert(&mut tx, &library(ann)).await.unwrap());
        tx.commit().await.unwrap();
        db.execute_admin(&format!("UPDATE cg_conversations SET analysis_json = '{{}}', analysed_at = 1, dirty_since = NULL WHERE id IN ({open}, {closed})"))
            .await
            .unwrap();
        db.execute_admin(&format!("UPDATE cg_conversations SET status = 'closed', closed_at = 2 WHERE id = {closed}")).await.unwrap();
        // Up to the last migration before 0058, which redraws every analysed conversation.
        db.migrate_to(57).await.unwrap_or_else(|e| panic!("{name}: 0048: {e}"));
        assert_eq!(store::due(&db, meetinghouse_store::now(), 10).await.unwrap(), vec![open], "{name}");
        db.migrate().await.unwrap_or_else(|e| panic!("{name}: {e}"));
        for id in [open, closed] {
            let row = store::by_id(&db, id).await.unwrap().unwrap();
            assert_eq!((row.edited_at, row.reopened_at), (None, None), "{name}");
            assert!(store::priorities(&db, id).await.unwrap().is_none(), "{name}");
        }
        db.close().await;
    }
}

/// Migration 0058 over statements stored before it: each conversation's
/// statements are numbered 1, 2, 3… in the order they were added, whatever
/// the other conversations hold; a statement of an account closed with
/// "remove" that a host put back after the close is out again (one that
/// was in before the close, in a conversation closed then, stays); every
/// analysed conversation, closed ones too, is queued to be redrawn. New
/// statements take the next number.
#[tokio::test]
async fn migration_0058_numbers_statements_within_their_conversation() {
    let mut all = vec![("SQLite", common::sqlite_file("mh_cg59").await)];
    all.extend(common::postgres("mh_cg59").await.map(|db| ("PostgreSQL", db)));
    for (name, db) in all {
        db.migrate_to(57).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut tx = db.begin().await.unwrap();
        let ann = ann(&mut tx).await;
        let p = people::NewPerson { email: "stan@cg.test", handle: "stan", display_name: "Stan", password_hash: "x", is_admin: false, status: "active" };
        let stan = people::insert(&mut tx, &p).await.unwrap();
        let (a, b) = (store::insert(&mut tx, &library(ann)).await.unwrap(), store::insert(&mut tx, &library(ann)).await.unwrap());
        let (in_a, in_b) = (store::ensure_participant(&mut tx, a, &Who::Person(stan)).await.unwrap(), store::ensure_participant(&mut tx, b, &Who::Person(stan)).await.unwrap());
        tx.commit().await.unwrap();
        // Interleaved across the two conversations; Stan closes at 1000.
        let rows = [(a, in_a, "First in a", "accepted", "NULL"), (b, in_b, "First in b", "accepted", "NULL"), (a, in_a, "Second in a", "accepted", "1500"), (b, in_b, "Second in b", "rejected", "1000"), (a, in_a, "Third in a", "accepted", "900")];
        for (conversation, author, body, status, moderated) in rows {
            db.execute_admin(&format!(
                "INSERT INTO cg_statements (conversation_id, author, body, status, is_seed, created_at, moderated_at) VALUES ({conversation}, {author}, '{body}', '{status}', 0, 1, {moderated})"
            ))
            .await
            .unwrap();
        }
        db.execute_admin(&format!("UPDATE people SET closed_at = 1000, closed_posts = 'remove' WHERE id = {stan}")).await.unwrap();
        db.execute_admin(&format!("UPDATE cg_conversations SET analysis_json = '{{}}', analysed_at = 1, dirty_since = NULL WHERE id IN ({a}, {b})")).await.unwrap();
        db.execute_admin(&format!("UPDATE cg_conversations SET status = 'closed', closed_at = 2 WHERE id = {a}")).await.unwrap();

        db.migrate().await.unwrap_or_else(|e| panic!("{name}: 0058: {e}"));
        let numbered = |rows: Vec<store::StatementRow>| rows.into_iter().map(|s| (s.number, s.body, s.status)).collect::<Vec<_>>();
        let st = |n: i64, body: &str, status: &str| (n, body.to_string(), status.to_string());
        assert_eq!(
            numbered(store::statements(&db, a).await.unwrap()),
            vec![st(1, "First in a", "accepted"), st(2, "Second in a", "rejected"), st(3, "Third in a", "accepted")],
            "{name}: put back after the close, out again; in before it, kept"
        );
        assert_eq!(numbered(store::statements(&db, b).await.unwrap()), vec![st(1, "First in b", "accepted"), st(2, "Second in b", "rejected")], "{name}");
        let mut due = store::due(&db, meetinghouse_store::now(), 10).await.unwrap();
        due.sort();
        assert_eq!(due, vec![a, b], "{name}: closed ones too");
        assert_eq!(store::by_id(&db, b).await.unwrap().unwrap().in_person, None, "{name}");
        let mut tx = db.begin().await.unwrap();
        let next = store::insert_statement(&mut tx, b, in_b, "Third in b", "accepted", false).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store::statement(&db, next).await.unwrap().unwrap().number, 3, "{name}");
        db.close().await;
    }
}
