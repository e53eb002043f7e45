//! What the operator's health check and figures read: whether the database
//! takes writes now, and how much mail waits in the outbox.

pub use crate::error::{ERROR_KINDS, error_counts};

use crate::error::Result;
use crate::{Backend, Db};

/// How much free space beside a SQLite database the health check asks
/// for: it writes a file this large next to the database and removes it.
/// Less than this left and a write is close to failing.
pub const SQLITE_HEADROOM_BYTES: usize = 1024 * 1024;

/// Why the database takes no writes now, in the operator's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unwritable {
    /// The disk holding the database is (nearly) full.
    DiskFull(String),
    /// Anything else: a read-only file or server, a lock, a lost connection.
    Other(String),
}

impl std::fmt::Display for Unwritable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unwritable::DiskFull(why) => write!(f, "out of disk space: {why}"),
            Unwritable::Other(why) => write!(f, "{why}"),
        }
    }
}

/// Whether the database takes writes now: a write in a transaction that
/// is rolled back (a read-only file, a PostgreSQL standby or a lost
/// connection fail it), and, on SQLite, [`SQLITE_HEADROOM_BYTES`] written
/// beside the database file and removed again (a rolled-back write stores
/// nothing, so it cannot tell a full disk). PostgreSQL's disk is the
/// server's: a full one shows as writes failing with `53100`.
pub async fn check_writable(db: &Db) -> std::result::Result<(), Unwritable> {
    let described = |e: crate::StoreError| if e.is_disk_full() { Unwritable::DiskFull(e.to_string()) } else { Unwritable::Other(e.to_string()) };
    let mut tx = db.begin().await.map_err(described)?;
    // Matches no row: the statement only asks for the right to write.
    let wrote = sqlx::query("DELETE FROM email_outbox WHERE id < 0").execute(&mut *tx).await;
    let _ = tx.rollback().await;
    wrote.map_err(|e| described(e.into()))?;
    if let (Backend::Sqlite, Some(path)) = (db.backend(), db.sqlite_path()) {
        let mut probe = path.as_os_str().to_owned();
        probe.push(format!("-healthz-{}", std::process::id()));
        let probe = std::path::PathBuf::from(probe);
        let written = tokio::task::spawn_blocking(move || {
            let result = std::fs::write(&probe, vec![0u8; SQLITE_HEADROOM_BYTES]);
            let _ = std::fs::remove_file(&probe);
            result
        })
        .await
        .map_err(|e| Unwritable::Other(format!("the space check stopped: {e}")))?;
        if let Err(e) = written {
            let dir = path.parent().map(|d| d.display().to_string()).unwrap_or_default();
            return Err(if e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) {
                Unwritable::DiskFull(format!("less than {} KiB free beside the database in {dir}", SQLITE_HEADROOM_BYTES / 1024))
            } else {
                Unwritable::Other(format!("could not write beside the database in {dir}: {e}"))
            });
        }
    }
    Ok(())
}

/// Mail in the outbox not sent yet: (waiting to be tried, given up after
/// every try, held because no mail server is configured).
pub async fn outbox_counts(db: &Db) -> Result<(i64, i64, i64)> {
    let (waiting, failed, held): (i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN held = 0 AND next_attempt_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN held = 0 AND next_attempt_at IS NULL THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN held = 1 THEN 1 ELSE 0 END), 0) \
         FROM email_outbox WHERE sent_at IS NULL",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok((waiting, failed, held))
}
