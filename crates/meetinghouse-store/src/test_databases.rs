//! Fresh PostgreSQL databases for tests, and the clean-up of those that
//! earlier test processes left behind. Not product code.
//!
//! Every test that runs on PostgreSQL gets a database of its own, named
//! `mh_{kind}_{pid}_{unique}`. Dropping it when the test ends would need an
//! async destructor, so instead the first database a test process creates
//! drops those whose process has exited: `cargo test` runs its test binaries
//! one after another, so a run keeps about one binary's databases on disk
//! instead of all of them (each is some 9 MB).
//!
//! What may be dropped is decided by a mark, not by the name: each database
//! is created with the comment `meetinghouse test: boot=… pidns=… pid=…`
//! (this machine's boot id and process-id namespace, read from `/proc`).
//! The clean-up drops only a database whose mark names this boot and this
//! namespace and a process that is no longer running, and drops it without
//! `FORCE`, so one that someone is connected to stays. Another machine's
//! test databases on a shared server, a container's, or any database made by
//! other means are never touched. Without `/proc` nothing is marked or
//! dropped.
//!
//! Test directories (a SQLite file, a data directory for the binary) are
//! handled the same way: `temp_dir` makes one under the system's temporary
//! directory with the mark in a `.meetinghouse-test` file, and the first
//! call in a process removes the marked directories of exited processes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::Result;
use crate::{Db, DbOptions};

static COUNTER: AtomicU64 = AtomicU64::new(0);
static CLEANED: AtomicBool = AtomicBool::new(false);
static DIRS_CLEANED: AtomicBool = AtomicBool::new(false);

const MARK: &str = "meetinghouse test:";
/// The file in a test directory that holds its mark.
const DIR_MARK_FILE: &str = ".meetinghouse-test";

/// A name no other test uses: `{prefix}_{pid}_{nanos}_{n}` (prefix such as
/// `mh_test`). Also used for SQLite files' directories.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{}_{n}", std::process::id(), nanos % 1_000_000_000)
}

/// Creates an empty database named `unique_name(prefix)` on the server
/// `admin_url` connects to, marked as this process's, and returns its URL.
/// `prefix` must start with `mh_` and hold only lower-case letters, digits
/// and `_`.
pub async fn create(admin_url: &str, prefix: &str) -> Result<String> {
    if !CLEANED.swap(true, Ordering::Relaxed) {
        // Best effort: a test must not fail because a left-over could not go.
        let _ = drop_left_behind(admin_url).await;
    }
    create_for(admin_url, prefix, std::process::id()).await
}

/// `create`, with the database marked as made by process `pid` (tests of
/// the clean-up use a process that does not exist).
pub async fn create_for(admin_url: &str, prefix: &str, pid: u32) -> Result<String> {
    assert!(prefix.starts_with("mh_") && plain_name(prefix), "test database prefix {prefix:?}");
    let name = unique_name(prefix);
    let admin = Db::connect(admin_url, &DbOptions { max_connections: 1 }).await?;
    // A language collation, as a production server's databases usually
    // have (en_US.UTF-8 and the like), so that a query sorting text by the
    // database's collation rather than byte order (`COLLATE "C"`) comes out
    // differently from SQLite's and a test can see it. A server built
    // without ICU gets its default collation.
    let mut created = admin.execute_admin(&format!("CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")).await;
    if created.is_err() {
        created = admin.execute_admin(&format!("CREATE DATABASE {name}")).await;
    }
    if created.is_ok()
        && let Some(mark) = mark(pid)
    {
        created = admin.execute_admin(&format!("COMMENT ON DATABASE {name} IS '{mark}'")).await;
    }
    admin.close().await;
    created?;
    Ok(with_database(admin_url, &name))
}

/// Drops the databases on the server `admin_url` connects to that this
/// machine's test processes made and left when they exited, and returns how
/// many it dropped. One that cannot be dropped (someone is connected, or
/// another process is dropping it too) is passed over.
pub async fn drop_left_behind(admin_url: &str) -> Result<usize> {
    let Some(here) = mark_prefix() else {
        return Ok(0);
    };
    let admin = Db::connect(admin_url, &DbOptions { max_connections: 1 }).await?;
    // (Cast to text: the `Any` driver does not decode PostgreSQL's `name`.)
    let found: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT CAST(datname AS TEXT), CAST(shobj_description(oid, 'pg_database') AS TEXT) FROM pg_database WHERE datname LIKE 'mh\\_%'",
    )
    .fetch_all(&admin.pool)
    .await?;
    let mut dropped = 0;
    for (name, comment) in found {
        if !plain_name(&name) || !comment.as_deref().is_some_and(|c| left_behind(&here, c)) {
            continue;
        }
        if admin.execute_admin(&format!("DROP DATABASE IF EXISTS {name}")).await.is_ok() {
            dropped += 1;
        }
    }
    admin.close().await;
    Ok(dropped)
}

/// A fresh, empty directory under the system's temporary directory, named
/// `unique_name(prefix)` and marked as this process's. The first call in a
/// process removes the directories that exited test processes of this
/// machine left there (`remove_left_behind_dirs`). `prefix` must start with
/// `mh_` and hold only lower-case letters, digits and `_`.
pub fn temp_dir(prefix: &str) -> PathBuf {
    let parent = std::env::temp_dir();
    if !DIRS_CLEANED.swap(true, Ordering::Relaxed) {
        remove_left_behind_dirs(&parent);
    }
    temp_dir_in(&parent, prefix, std::process::id())
}

/// `temp_dir` under `parent`, marked as made by process `pid` (tests of the
/// clean-up use a process that does not exist).
pub fn temp_dir_in(parent: &Path, prefix: &str, pid: u32) -> PathBuf {
    assert!(prefix.starts_with("mh_") && plain_name(prefix), "test directory prefix {prefix:?}");
    let dir = parent.join(unique_name(prefix));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create the test directory {}: {e}", dir.display()));
    if let Some(mark) = mark(pid) {
        std::fs::write(dir.join(DIR_MARK_FILE), mark).unwrap_or_else(|e| panic!("cannot mark the test directory {}: {e}", dir.display()));
    }
    dir
}

/// Removes the directories directly under `parent` that this machine's test
/// processes made with `temp_dir` and left when they exited, and returns how
/// many it removed. Only a directory named `mh_…`, owned by this user and
/// holding a mark that names this boot, this namespace and an exited
/// process is removed; one that cannot be removed is passed over.
pub fn remove_left_behind_dirs(parent: &Path) -> usize {
    use std::os::unix::fs::MetadataExt;
    let (Some(here), Ok(entries)) = (mark_prefix(), std::fs::read_dir(parent)) else {
        return 0;
    };
    // `/proc/self` belongs to this process's effective user.
    let Ok(me) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let owned_dir = entry.metadata().is_ok_and(|m| m.is_dir() && m.uid() == me);
        if !owned_dir || !entry.file_name().to_str().is_some_and(|n| n.starts_with("mh_") && plain_name(n)) {
            continue;
        }
        let marked = std::fs::read_to_string(entry.path().join(DIR_MARK_FILE)).is_ok_and(|m| left_behind(&here, &m));
        if marked && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// This machine's mark up to and including "pid=".
fn mark_prefix() -> Option<String> {
    mark(0).and_then(|m| m.strip_suffix('0').map(str::to_string))
}

/// Whether the mark `text` starts with `here` (this machine's `mark_prefix`)
/// and names a process other than this one that is no longer running.
fn left_behind(here: &str, text: &str) -> bool {
    let Some(pid) = text.strip_prefix(here).and_then(|pid| pid.parse::<u32>().ok()) else {
        return false;
    };
    pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
}

/// `meetinghouse test: boot=… pidns=… pid=…` for process `pid` of this
/// machine, or `None` where `/proc` does not say.
fn mark(pid: u32) -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let (boot, namespace) = (boot.trim(), namespace.to_string_lossy());
    // Only characters that need no quoting inside a SQL string.
    let safe = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-:[]".contains(&b));
    (safe(boot) && safe(&namespace)).then(|| format!("{MARK} boot={boot} pidns={namespace} pid={pid}"))
}

/// Lower-case letters, digits and `_` only: safe as an unquoted identifier.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The URL with its database (the last path segment) replaced by `name`; a
/// query (`?host=/run/postgresql`, say) is kept.
fn with_database(url: &str, name: &str) -> String {
    let (path, query) = url.split_once('?').map_or((url, None), |(p, q)| (p, Some(q)));
    let base = path.rsplit_once('/').map_or(path, |(base, _)| base);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_name_this_machine_and_the_process() {
        let Some(mark) = mark(42) else {
            eprintln!("no /proc here: nothing is marked or cleaned up");
            return;
        };
        assert!(mark.starts_with("meetinghouse test: boot=") && mark.contains(" pidns=pid:[") && mark.ends_with(" pid=42"), "{mark}");
        assert!(!mark.contains('\''));
    }

    #[test]
    fn urls_keep_their_query() {
        assert_eq!(with_database("postgres://mh@127.0.0.1:5432/postgres", "mh_t_1"), "postgres://mh@127.0.0.1:5432/mh_t_1");
        assert_eq!(with_database("postgres:///postgres?host=/run/postgresql", "mh_t_1"), "postgres:///mh_t_1?host=/run/postgresql");
        assert!(plain_name("mh_test_12_3") && !plain_name("mh_Test") && !plain_name("mh;drop") && !plain_name(""));
    }
}
