//! Databases for the store's tests: a fresh SQLite file, and a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set.

use meetinghouse_store::{Db, DbOptions, test_databases};

/// A SQLite file in a fresh temporary directory.
pub async fn sqlite_file(prefix: &str) -> Db {
    let dir = test_databases::temp_dir(prefix);
    Db::open_sqlite(&dir.join("test.db"), &DbOptions { max_connections: 4 }).await.expect("open sqlite")
}

/// A fresh, empty PostgreSQL database, when `TEST_DATABASE_URL` is set.
pub async fn postgres(prefix: &str) -> Option<Db> {
    let url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
    let url = test_databases::create(&url, prefix).await.expect("create a database at TEST_DATABASE_URL");
    Some(Db::connect(&url, &DbOptions { max_connections: 4 }).await.expect("connect"))
}

/// A migrated SQLite file, and a migrated PostgreSQL database when
/// `TEST_DATABASE_URL` is set, each with its backend's name for messages.
#[allow(dead_code)] // (not every test binary that includes this module uses it)
pub async fn migrated(prefix: &str) -> Vec<(&'static str, Db)> {
    let mut out = vec![("SQLite", sqlite_file(prefix).await)];
    out.extend(postgres(prefix).await.map(|db| ("PostgreSQL", db)));
    for (_, db) in &out {
        db.migrate().await.expect("migrate");
    }
    out
}
