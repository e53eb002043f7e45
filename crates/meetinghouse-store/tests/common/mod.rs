//! Databases for the store's tests: a fresh SQLite file, and a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set.

use meetinghouse_store::{Db, DbOptions};

/// A name no other test run uses (for files and databases).
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

/// A SQLite file in a fresh temporary directory.
pub async fn sqlite_file(prefix: &str) -> Db {
    let dir = std::env::temp_dir().join(unique_name(prefix));
    Db::open_sqlite(&dir.join("test.db"), &DbOptions { max_connections: 4 }).await.expect("open sqlite")
}

/// A fresh, empty PostgreSQL database, when `TEST_DATABASE_URL` is set.
pub async fn postgres(prefix: &str) -> Option<Db> {
    let url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
    let name = unique_name(prefix);
    let admin = Db::connect(&url, &DbOptions { max_connections: 1 }).await.expect("connect to TEST_DATABASE_URL");
    admin.execute_admin(&format!("CREATE DATABASE {name}")).await.expect("create database");
    admin.close().await;
    let (base, _) = url.rsplit_once('/').expect("TEST_DATABASE_URL names a database");
    Some(Db::connect(&format!("{base}/{name}"), &DbOptions { max_connections: 4 }).await.expect("connect"))
}
