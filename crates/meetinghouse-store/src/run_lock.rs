//! A lock one process holds while it does a long job that must not run
//! twice at once on the same database (seeding the demo town), which ends
//! with the process however the process ends, so a job killed part-way
//! never leaves it taken and the next run can finish the job at once.
//!
//! On PostgreSQL it is a session advisory lock, held on a connection of its
//! own (taken out of the pool): the server lets go of it when that
//! connection closes. On a SQLite file it is an exclusive lock on a file
//! beside the database, `<database file>-<name>.lock`, which the operating
//! system lets go of when the process ends (the database file itself is
//! not locked: closing a handle of it would drop the locks SQLite holds on
//! it in this process). On an in-memory SQLite database, which no other
//! process can open, there is nothing to hold.

use sqlx::Connection;

use crate::error::{Result, StoreError};
use crate::{Backend, Db};

/// A job's lock, held until [`RunLock::release`] or until it is dropped.
#[derive(Debug)]
pub struct RunLock {
    held: Held,
}

#[derive(Debug)]
enum Held {
    Postgres { conn: sqlx::AnyConnection, key: i64 },
    File(std::fs::File),
    Nothing,
}

/// Takes the lock `name` (a few letters, digits and `-`) on `db` when no
/// one holds it; `None`, waiting for nothing, when another process, or
/// another holder in this one, has it.
pub async fn try_take(db: &Db, name: &str) -> Result<Option<RunLock>> {
    match (db.backend(), db.sqlite_path()) {
        (Backend::Postgres, _) => {
            let key = advisory_key(name);
            let mut conn = db.pool.acquire().await?.detach();
            let (taken,): (i64,) = sqlx::query_as("SELECT CASE WHEN pg_try_advisory_lock($1) THEN 1 ELSE 0 END")
                .bind(key)
                .fetch_one(&mut conn)
                .await?;
            if taken == 1 {
                return Ok(Some(RunLock { held: Held::Postgres { conn, key } }));
            }
            let _ = conn.close().await;
            Ok(None)
        }
        (Backend::Sqlite, Some(database)) => {
            let mut path = database.as_os_str().to_owned();
            path.push(format!("-{name}.lock"));
            let path = std::path::PathBuf::from(path);
            let shown = path.display().to_string();
            let file = tokio::task::spawn_blocking(move || -> std::io::Result<Option<std::fs::File>> {
                let mut options = std::fs::OpenOptions::new();
                options.read(true).write(true).create(true).truncate(false);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let file = options.open(&path)?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(file)),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => Err(e),
                }
            })
            .await
            .map_err(|e| StoreError::Bulk(format!("could not lock {shown}: {e}")))?
            .map_err(|e| StoreError::Bulk(format!("could not lock {shown}: {e}")))?;
            Ok(file.map(|file| RunLock { held: Held::File(file) }))
        }
        (Backend::Sqlite, None) => Ok(Some(RunLock { held: Held::Nothing })),
    }
}

impl RunLock {
    /// Lets go of the lock (dropping it does too, less tidily on
    /// PostgreSQL: the connection is closed without a goodbye).
    pub async fn release(self) -> Result<()> {
        match self.held {
            Held::Postgres { mut conn, key } => {
                sqlx::query("SELECT pg_advisory_unlock($1)").bind(key).execute(&mut conn).await?;
                conn.close().await?;
            }
            Held::File(file) => {
                file.unlock().map_err(|e| StoreError::Bulk(format!("could not unlock a lock file: {e}")))?;
            }
            Held::Nothing => {}
        }
        Ok(())
    }
}

/// The advisory lock's number for `name`: FNV-1a of `meetinghouse:NAME`,
/// the same in every process and every version.
fn advisory_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "meetinghouse:".bytes().chain(name.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash as i64
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_name_always_gets_the_same_key() {
        assert_eq!(super::advisory_key("demo-seeding"), super::advisory_key("demo-seeding"));
        assert_ne!(super::advisory_key("demo-seeding"), super::advisory_key("other"));
    }
}
