//! Fresh PostgreSQL databases for tests, and the clean-up of those that
//! earlier test processes left behind.
//!
//! Every test that runs on PostgreSQL gets a database of its own, named
//! `mh_{kind}_{pid}_{unique}`. Dropping it when the test ends would need an
//! async destructor, so instead the first database a test process creates
//! drops those whose process has exited: `cargo test` runs its test binaries
//! one after another, so a run keeps about one binary's databases on disk
//! instead of all of them (each is some 9 MB). A database whose process is
//! still running is never touched. The clean-up runs only for a server on
//! this machine (a loopback address or a Unix socket), where the process ids
//! are this machine's, and only where `/proc` tells which processes are alive.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::Result;
use crate::{Db, DbOptions};

static COUNTER: AtomicU64 = AtomicU64::new(0);
static CLEANED: AtomicBool = AtomicBool::new(false);

/// A name no other test uses: `{prefix}_{pid}_{nanos}_{n}` (prefix such as
/// `mh_test`). Also used for SQLite files' directories.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{}_{n}", std::process::id(), nanos % 1_000_000_000)
}

/// Creates an empty database named `unique_name(prefix)` on the server
/// `admin_url` connects to, and returns that database's URL. `prefix` must
/// start with `mh_` and hold only lower-case letters, digits and `_`.
pub async fn create(admin_url: &str, prefix: &str) -> Result<String> {
    assert!(
        prefix.starts_with("mh_") && prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "test database prefix {prefix:?}"
    );
    let (base, _) = admin_url.rsplit_once('/').expect("the database URL names a database");
    let name = unique_name(prefix);
    if !CLEANED.swap(true, Ordering::Relaxed) {
        // Best effort: a test must not fail because a left-over could not go.
        let _ = drop_left_behind(admin_url).await;
    }
    let admin = Db::connect(admin_url, &DbOptions { max_connections: 1 }).await?;
    let created = admin.execute_admin(&format!("CREATE DATABASE {name}")).await;
    admin.close().await;
    created?;
    Ok(format!("{base}/{name}"))
}

/// Drops the `mh_*` test databases on the server `admin_url` connects to
/// whose creating process has exited, and returns how many it dropped. Does
/// nothing for a server on another machine, or where `/proc` is missing.
/// A database that cannot be dropped (another process dropping it too, say)
/// is passed over.
pub async fn drop_left_behind(admin_url: &str) -> Result<usize> {
    if !on_this_machine(admin_url) || !Path::new("/proc/self").exists() {
        return Ok(0);
    }
    let admin = Db::connect(admin_url, &DbOptions { max_connections: 1 }).await?;
    // (datname is of type `name`, which the `Any` driver does not decode.)
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT CAST(datname AS TEXT) FROM pg_database WHERE datname LIKE 'mh\\_%'").fetch_all(&admin.pool).await?;
    let mut dropped = 0;
    for (name,) in names {
        let Some(pid) = creator(&name) else { continue };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if admin.execute_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.is_ok() {
            dropped += 1;
        }
    }
    admin.close().await;
    Ok(dropped)
}

/// The process id in a name `unique_name` made: `mh_{kind}_{pid}_…`.
fn creator(name: &str) -> Option<u32> {
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return None;
    }
    let mut parts = name.split('_');
    (parts.next()? == "mh").then_some(())?;
    parts.next()?;
    let pid = parts.next()?.parse().ok()?;
    parts.next()?.parse::<u64>().ok()?;
    Some(pid)
}

/// Whether the URL's host is this machine: a loopback address, `localhost`,
/// or none (a Unix socket).
fn on_this_machine(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host.is_empty() || host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_creator() {
        let name = unique_name("mh_test");
        assert_eq!(creator(&name), Some(std::process::id()));
        assert_eq!(creator("mh_e2e_123_456_0"), Some(123));
        assert_eq!(creator("mh_writes_77_1"), Some(77));
        assert_eq!(creator("meetinghouse"), None);
        assert_eq!(creator("mh_live"), None);
        assert_eq!(creator("mh_test_12_x"), None);
        assert_eq!(creator("mh_Test_12_3"), None);
    }

    #[test]
    fn only_local_servers_are_cleaned() {
        assert!(on_this_machine("postgres://mh@127.0.0.1:5432/postgres"));
        assert!(on_this_machine("postgres://localhost/db"));
        assert!(on_this_machine("postgres://mh:pw@[::1]:5432/db"));
        assert!(on_this_machine("postgres:///db?host=/tmp"));
        assert!(!on_this_machine("postgres://mh@db.example.org:5432/postgres"));
        assert!(!on_this_machine("postgres://mh@10.0.0.5/postgres"));
    }
}
