//! A database a newer binary migrated is refused, on both backends, by
//! `migrate` and by the check `serve` and the other commands make, with a
//! message that says what to do; an older or current one is not.

mod common;

use meetinghouse_store::{Backend, Db, StoreError};

/// Records a migration this binary does not have, as a newer binary would.
async fn applied_by_a_newer_binary(db: &Db, version: i64) {
    let checksum = match db.backend() {
        Backend::Sqlite => "X'00'",
        Backend::Postgres => "decode('00', 'hex')",
    };
    db.execute_admin(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ({version}, 'from a newer binary', TRUE, {checksum}, 0)"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn a_database_a_newer_binary_migrated_is_refused() {
    for (backend, db) in common::migrated("mh_newer").await {
        db.ensure_current().await.unwrap_or_else(|e| panic!("{backend}: a current database is accepted: {e}"));
        db.ensure_not_newer().await.unwrap();
        db.migrate().await.expect("migrating a current database again does nothing");

        applied_by_a_newer_binary(&db, 9999).await;
        let known = db.latest_known_migration();
        assert!(known >= 19, "{known}");
        let expected = format!(
            "This database was last migrated by a newer version of meetinghouse (migration 9999); \
             this binary knows migrations up to {known}. Upgrade the binary."
        );
        for (what, result) in [("migrate", db.migrate().await), ("ensure_current", db.ensure_current().await), ("ensure_not_newer", db.ensure_not_newer().await)] {
            match result {
                Err(StoreError::Outdated(message)) => assert_eq!(message, expected, "{backend}: {what}"),
                other => panic!("{backend}: {what} should refuse a newer database, got {other:?}"),
            }
        }
        // Nothing was applied or undone.
        let status = db.migration_status().await.unwrap();
        assert!(status.pending.is_empty(), "{backend}: {status:?}");
        assert_eq!(status.applied.last(), Some(&9999));
        db.close().await;
    }
}
